#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Apply sysctls now and persist them, skipping with the reason the keys this host does not have."""

from __future__ import annotations

DOCUMENTATION = r"""
module: sysctl_apply
short_description: Set sysctls now, persist them in one sysctl.d file, skip absent keys with the reason
description:
  - Writes each key under C(/proc/sys) whose value differs (values compared word by word, so
    C(4096 87380 6291456) matches what the kernel prints with tabs) and reads it back.
  - Writes the keys that exist to one file, by default C(/etc/sysctl.d/60-fastpath.conf), so they
    hold after a reboot.
  - Records every prior value, and whether the file existed, in C(/var/lib/fastpath/snapshot.json)
    before the first change; a later run never overwrites those records.
  - A key this host does not have is reported under C(not_applied) with the reason; global
    C(net.core) keys such as C(netdev_max_backlog) do not exist inside a network namespace.
  - Unlike M(ansible.posix.sysctl) it takes all keys in one task, tells absent keys apart from
    failures, and feeds fastpath's snapshot; use that module for one-off keys elsewhere.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  sysctls:
    description: Key (dotted, C(net.core.rmem_max)) to value.
    type: dict
    required: true
  persist_file:
    description: The sysctl.d file to write; empty to apply without persisting.
    type: path
    default: /etc/sysctl.d/60-fastpath.conf
  root:
    description: Root of the /proc tree and the persist file; tests point it at a fixture tree.
    type: path
    default: /
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Apply and persist the throughput profile.
  fastpath.host.sysctl_apply:
    sysctls:
      net.core.rmem_max: 16777216
      net.core.netdev_max_backlog: 250000
"""

RETURN = r"""
results:
  description: One entry per key, with status ok, changed or skipped, and before/after values.
  returned: always
  type: list
  elements: dict
not_applied:
  description: Keys left alone, each with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{key: net.core.busy_poll, reason: "global sysctl, absent inside a network namespace"}]
persisted:
  description: Whether the persist file changed.
  returned: always
  type: bool
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.restore_context import path_of
from ansible_collections.fastpath.host.plugins.module_utils.restore_files import file_state
from ansible_collections.fastpath.host.plugins.module_utils.settings import apply_settings, plain  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import SnapshotError, open_snapshot  # noqa: E402

# Keys that exist once per kernel, not per network namespace (net/core/sysctl_net_core.c keeps
# them in its init_net-only table): absent on a lab host, present on a VM.
GLOBAL_KEYS = frozenset(
    "net.core." + k
    for k in (
        "netdev_max_backlog",
        "netdev_budget",
        "netdev_budget_usecs",
        "busy_poll",
        "busy_read",
        "rps_sock_flow_entries",
        "dev_weight",
        "dev_weight_rx_bias",
        "dev_weight_tx_bias",
        "default_qdisc",
        "bpf_jit_enable",
        "bpf_jit_harden",
        "bpf_jit_kallsyms",
        "bpf_jit_limit",
        "flow_limit_cpu_bitmap",
        "flow_limit_table_len",
        "netdev_tstamp_prequeue",
        "optmem_max_global",
    )
)
# net/ipv4/sysctl_net_ipv4.c keeps udp_mem and tcp_mem in its global table too (measured: absent
# on the lab hosts).
GLOBAL_KEYS |= {"net.ipv4.udp_mem", "net.ipv4.tcp_mem"}

KEY = re.compile(r"^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$")
HEADER = "# Managed by fastpath; playbooks/restore.yml removes or restores it.\n"


def missing_reason(key: str) -> str:
    if key in GLOBAL_KEYS:
        return "global sysctl, absent inside a network namespace (set it on the host that owns the netns)"
    return "this kernel has no such sysctl"


# Kernels since 6.x show these in a child network namespace but let only the initial one set them.
READ_ONLY_IN_NETNS = "read-only in this network namespace: only the host's initial namespace can set it"


def build(sysctls: dict, root: str) -> list:
    return [
        plain(
            "sysctl",
            key,
            path_of("sysctl", key, root),
            value,
            missing=missing_reason(key),
            read_only=READ_ONLY_IN_NETNS,
        )
        for key, value in sorted(sysctls.items())
    ]


def render(results: list) -> str:
    lines = [HEADER]
    for r in results:
        if r["status"] == "skipped":
            lines.append(f"# {r['key']} not set: {r['reason']}\n")
        else:
            lines.append(f"{r['key']} = {r['want']}\n")
    return "".join(lines)


def persist(module, host_path: str, content: str, root: str) -> tuple[bool, dict]:
    """Write the file if it differs, recording in the snapshot whether and how it existed first.
    The snapshot keys it by its path on the host (host_path), the write goes under root."""
    path = path_of("file", host_path, root)
    try:
        with open(path) as f:
            before = f.read()
    except FileNotFoundError:
        before = None
    diff = {"before_header": path, "after_header": path, "before": before or "", "after": content}
    if before == content:
        return False, diff
    if not module.check_mode:
        with open_snapshot(root) as snap:
            snap.record("file", host_path, file_state(path))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".fastpath-tmp"
        with open(tmp, "w") as f:
            f.write(content)
        module.atomic_move(tmp, path)
    return True, diff


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "sysctls": {"type": "dict", "required": True},
            "persist_file": {"type": "path", "default": "/etc/sysctl.d/60-fastpath.conf"},
            "root": {"type": "path", "default": "/"},
        },
        supports_check_mode=True,
    )
    p = module.params
    for key, value in p["sysctls"].items():
        if not KEY.match(str(key)):
            module.fail_json(msg=f"sysctls: {key!r} is not a dotted sysctl name such as net.core.rmem_max")
        if value is None or isinstance(value, (dict, list)) or not str(value).strip() or "\n" in str(value):
            module.fail_json(msg=f"sysctls: {key}: {value!r} is not a single-line value")
    try:
        out = apply_settings(build(p["sysctls"], p["root"]), root=p["root"], check_mode=module.check_mode)
    except SnapshotError as e:
        module.fail_json(msg=str(e))
    not_applied = [
        {"key": r["key"], "reason": r["reason"]} for r in out["results"] if r["status"] == "skipped"
    ]
    failed = [r for r in out["results"] if r["status"] == "failed"]
    if failed:
        module.fail_json(msg="; ".join(r["reason"] for r in failed), not_applied=not_applied, **out)
    persisted, file_diff = False, None
    # Nothing to persist when every key is absent here (global keys in a netns): no file at all.
    if p["persist_file"] and any(r["status"] != "skipped" for r in out["results"]):
        persisted, file_diff = persist(module, p["persist_file"], render(out["results"]), p["root"])
    diffs = [out["diff"]] + ([file_diff] if persisted else [])
    module.exit_json(
        changed=out["changed"] or persisted,
        results=out["results"],
        not_applied=not_applied,
        persisted=persisted,
        diff=diffs,
    )


if __name__ == "__main__":
    main()

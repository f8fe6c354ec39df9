#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Set a NIC's per-queue steering (RPS, RFS, XPS) and per-device NAPI knobs in sysfs."""

from __future__ import annotations

DOCUMENTATION = r"""
module: nic_queues
short_description: Set RPS, RFS and XPS per queue and NAPI deferral per device, with snapshot and diff
description:
  - Writes C(/sys/class/net/IF/queues/rx-N/rps_cpus), C(rx-N/rps_flow_cnt), C(tx-N/xps_cpus) and the
    device's C(napi_defer_hard_irqs) and C(gro_flush_timeout), each only when it differs.
  - CPU sets are given as cpulists and compared as sets, so C(0-1) matches a mask of C(00000003).
  - Before the first change to a file it records the prior value in C(/var/lib/fastpath/snapshot.json).
  - A file the kernel does not offer (XPS on a single-queue device, a queue that does not exist) is
    reported under C(not_applied) with the reason.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  interface:
    description: The network interface; it must exist.
    type: str
    required: true
  rps_cpus:
    description: RX queue number to the cpulist that does its RPS work (C("") turns RPS off).
    type: dict
    default: {}
  rps_flow_cnt:
    description: RX queue number to its RFS flow table size (0 turns RFS off for the queue).
    type: dict
    default: {}
  xps_cpus:
    description: TX queue number to the cpulist that transmits on it.
    type: dict
    default: {}
  napi_defer_hard_irqs:
    description: NAPI polls to run before re-enabling the IRQ (0 keeps the kernel default behaviour).
    type: int
  gro_flush_timeout:
    description: Nanoseconds GRO holds packets; with napi_defer_hard_irqs it also times busy polling.
    type: int
  root:
    description: Root of the /sys tree to act on; tests point it at a fixture tree.
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
- name: Steer each transmitting CPU to its own queue and turn RPS off, from the partition plan.
  fastpath.host.nic_queues:
    interface: eth0
    xps_cpus: "{{ plan.xps_cpus }}"
    rps_cpus: "{{ plan.rps_cpus }}"
    rps_flow_cnt: "{{ plan.rps_flow_cnt }}"

- name: Defer hard IRQs for two NAPI polls, flushing GRO after 200 us.
  fastpath.host.nic_queues:
    interface: eth0
    napi_defer_hard_irqs: 2
    gro_flush_timeout: 200000
"""

RETURN = r"""
results:
  description: One entry per file, with status ok, changed or skipped and before/after as cpulists.
  returned: always
  type: list
  elements: dict
  sample:
    - {key: eth0/tx-0/xps_cpus, status: changed, before: "", after: "0-1", want: "0-1",
       path: /sys/class/net/eth0/queues/tx-0/xps_cpus}
not_applied:
  description: Files left alone, each with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{key: eth0/tx-0/xps_cpus, reason: "no XPS on this queue: single-queue device or no CONFIG_XPS"}]
"""

import os

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import CpuSetError, parse_cpulist  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.restore_context import path_of
from ansible_collections.fastpath.host.plugins.module_utils.settings import apply_settings, cpu_mask, plain  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import SnapshotError  # noqa: E402

MAX_FLOW_CNT = 1 << 27  # net/core/net-sysfs.c refuses larger RFS tables
MAX_NS = (1 << 32) - 1


def build(p: dict) -> list:
    ifname, root = p["interface"], p["root"]
    out = []
    for q, cpus in sorted(p["rps_cpus"].items(), key=_qnum):
        out.append(
            cpu_mask(
                "sysfs",
                f"{ifname}/rx-{q}/rps_cpus",
                path_of("sysfs", f"{ifname}/rx-{q}/rps_cpus", root),
                cpus,
                missing=f"{ifname} has no rx queue {q} (or no CONFIG_RPS)",
            )
        )
    for q, cnt in sorted(p["rps_flow_cnt"].items(), key=_qnum):
        out.append(
            plain(
                "sysfs",
                f"{ifname}/rx-{q}/rps_flow_cnt",
                path_of("sysfs", f"{ifname}/rx-{q}/rps_flow_cnt", root),
                cnt,
                missing=f"{ifname} has no rx queue {q} (or no CONFIG_RFS_ACCEL)",
            )
        )
    for q, cpus in sorted(p["xps_cpus"].items(), key=_qnum):
        out.append(
            cpu_mask(
                "sysfs",
                f"{ifname}/tx-{q}/xps_cpus",
                path_of("sysfs", f"{ifname}/tx-{q}/xps_cpus", root),
                cpus,
                missing=f"no XPS on {ifname} tx-{q}: no such queue, single-queue device or no CONFIG_XPS",
            )
        )
    for attr in ("napi_defer_hard_irqs", "gro_flush_timeout"):
        if p[attr] is not None:
            out.append(
                plain(
                    "sysfs",
                    f"{ifname}/{attr}",
                    path_of("sysfs", f"{ifname}/{attr}", root),
                    p[attr],
                    missing=f"this kernel has no {attr} for {ifname}",
                )
            )
    return out


def validate(p: dict) -> str | None:
    """The first problem with the parameters, named, or None."""
    for name in ("rps_cpus", "rps_flow_cnt", "xps_cpus"):
        for q, value in p[name].items():
            if not str(q).isdigit():
                return f"{name}: {q!r} is not a queue number"
            if name == "rps_flow_cnt":
                if not str(value).isdigit() or int(value) > MAX_FLOW_CNT:
                    return f"rps_flow_cnt: queue {q}: {value!r} is not an integer in 0..{MAX_FLOW_CNT}"
                continue
            try:
                parse_cpulist(str(value))
            except CpuSetError as e:
                return f"{name}: queue {q}: {e}"
    for attr, top in (("napi_defer_hard_irqs", (1 << 31) - 1), ("gro_flush_timeout", MAX_NS)):
        if p[attr] is not None and not 0 <= p[attr] <= top:
            return f"{attr}: {p[attr]} is out of range 0..{top}"
    if not os.path.isdir(os.path.join(p["root"], "sys/class/net", p["interface"])):
        return f"interface: {p['interface']!r} does not exist on this host"
    return None


def _qnum(kv):
    return int(kv[0]) if str(kv[0]).isdigit() else -1


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "interface": {"type": "str", "required": True},
            "rps_cpus": {"type": "dict", "default": {}},
            "rps_flow_cnt": {"type": "dict", "default": {}},
            "xps_cpus": {"type": "dict", "default": {}},
            "napi_defer_hard_irqs": {"type": "int"},
            "gro_flush_timeout": {"type": "int"},
            "root": {"type": "path", "default": "/"},
        },
        supports_check_mode=True,
    )
    problem = validate(module.params)
    if problem:
        module.fail_json(msg=problem)
    try:
        out = apply_settings(build(module.params), root=module.params["root"], check_mode=module.check_mode)
    except SnapshotError as e:
        module.fail_json(msg=str(e))
    not_applied = [
        {"key": r["key"], "reason": r["reason"]} for r in out["results"] if r["status"] == "skipped"
    ]
    failed = [r for r in out["results"] if r["status"] == "failed"]
    if failed:
        module.fail_json(msg="; ".join(r["reason"] for r in failed), not_applied=not_applied, **out)
    module.exit_json(not_applied=not_applied, **out)


if __name__ == "__main__":
    main()

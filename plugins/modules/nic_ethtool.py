#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Set a NIC's channels, rings and coalescing with ethtool, recording the prior values first."""

from __future__ import annotations

DOCUMENTATION = r"""
module: nic_ethtool
short_description: Set channels (-L), rings (-G), coalescing (-C) and flow hash (-N) with snapshot and diff
description:
  - Reads the current values with ethtool, changes only the ones that differ, and reads them back.
  - Records the prior values in C(/var/lib/fastpath/snapshot.json) before the first change
    (C(ethtool:IF/channels) and so on); a later run never overwrites them.
  - The RSS flow hash (C(rx_flow_hash)) is set where the driver allows it; a driver that cannot
    report or change it (veth, virtio_net without RSS) is listed in C(not_applied) with the reason,
    and is not a failure.
  - Changing channels or rings resets the NIC's queues and may re-request its IRQs - run it under
    C(serial) and re-apply IRQ affinity and queue masks after it.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  interface:
    description: The network interface; it must exist.
    type: str
    required: true
  channels:
    description: "Channel counts, e.g. C({combined: 8}) or C({rx: 4, tx: 4})."
    type: dict
    default: {}
  rings:
    description: "Ring sizes, e.g. C({rx: 4096, tx: 4096})."
    type: dict
    default: {}
  coalesce:
    description: "Coalescing, keys as ethtool -c prints them with underscores, e.g. C({rx_usecs: 0})."
    type: dict
    default: {}
  rx_flow_hash:
    description:
      - "Fields the RSS hash uses per flow type, as ethtool's letters (C(s) source address,
        C(d) destination address, C(f) source port, C(n) destination port), e.g. C({udp4: sdfn, udp6: sdfn})."
    type: dict
    default: {}
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
- name: One combined channel per IRQ CPU, from the partition plan.
  fastpath.host.nic_ethtool:
    interface: eth0
    channels: "{{ cpu_partition_plan.channels }}"
"""

RETURN = r"""
changes:
  description: Per group, the keys that differed, as [before, after].
  returned: always
  type: dict
  sample: {channels: {combined: [1, 2]}, rx_flow_hash: {udp4: ["sd", "sdfn"]}}
not_applied:
  description: Settings the driver cannot take, each with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{key: "eth0 rx_flow_hash", reason: "eth0 (udp4): the driver cannot report its flow hash: ..."}]
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fastpath.host.plugins.module_utils.ethtool_set import (
    GROUPS,
    EthtoolError,
    apply_group,
    differences,
    read_group,
)
from ansible_collections.fastpath.host.plugins.module_utils.flow_hash import (
    FlowHashUnsupported,
    apply_flow_hash,
    read_flow_hash,
    validate,
)
from ansible_collections.fastpath.host.plugins.module_utils.flow_hash import (
    differences as flow_hash_differences,
)
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import SnapshotError, open_snapshot


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "interface": {"type": "str", "required": True},
            **{group: {"type": "dict", "default": {}} for group in GROUPS},
            "rx_flow_hash": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    ifname = module.params["interface"]
    if not os.path.isdir(f"/sys/class/net/{ifname}"):
        module.fail_json(msg=f"interface: {ifname!r} does not exist on this host")

    for flow_type, letters in module.params["rx_flow_hash"].items():
        problem = validate(letters)
        if problem:
            module.fail_json(msg=f"rx_flow_hash: {flow_type}: {problem}")

    def run(argv):
        return module.run_command(argv, environ_update={"LANG": "C"})

    changes: dict = {}
    try:
        for group in GROUPS:
            wanted = module.params[group]
            if not wanted:
                continue
            current = read_group(run, ifname, group)
            diff = differences(current, wanted)
            if not diff:
                continue
            if not module.check_mode:
                with open_snapshot() as snap:
                    snap.record("ethtool", f"{ifname}/{group}", {k: current.get(k) for k in wanted})
                diff = apply_group(run, ifname, group, wanted)
            changes[group] = {k: list(v) for k, v in diff.items()}
        not_applied = _set_flow_hash(module, run, ifname, changes)
    except (EthtoolError, SnapshotError) as e:
        module.fail_json(msg=str(e), changes=changes)
    lines = [(f"{g} {k}", b, a) for g, kv in changes.items() for k, (b, a) in kv.items()]
    module.exit_json(
        changed=bool(changes),
        changes=changes,
        not_applied=not_applied,
        diff={
            "before": "".join(f"{name} = {b}\n" for name, b, _a in lines),
            "after": "".join(f"{name} = {a}\n" for name, _b, a in lines),
        },
    )


def _set_flow_hash(module, run, ifname: str, changes: dict) -> list:
    """Like the other groups, but a driver without a settable flow hash is a skip with its reason."""
    wanted = module.params["rx_flow_hash"]
    if not wanted:
        return []
    try:
        diff = flow_hash_differences(read_flow_hash(run, ifname, wanted), wanted)
        if diff and not module.check_mode:
            with open_snapshot() as snap:
                snap.record(
                    "ethtool", f"{ifname}/rx_flow_hash", {t: before for t, (before, _a) in diff.items()}
                )
            diff = apply_flow_hash(run, ifname, wanted)
    except FlowHashUnsupported as e:
        return [{"key": f"{ifname} rx_flow_hash", "reason": str(e)}]
    if diff:
        changes["rx_flow_hash"] = {t: list(v) for t, v in diff.items()}
    return []


if __name__ == "__main__":
    main()

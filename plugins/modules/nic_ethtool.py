#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Set a NIC's channels, rings and coalescing with ethtool, recording the prior values first."""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fastpath.host.plugins.module_utils.ethtool_set import (
    EthtoolError,
    apply_group,
    differences,
    read_group,
)
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import SnapshotError, open_snapshot

DOCUMENTATION = r"""
module: nic_ethtool
short_description: Set channels (ethtool -L), rings (-G) and coalescing (-C) with snapshot and diff
description:
  - Reads the current values with ethtool, changes only the ones that differ, and reads them back.
  - Records the prior values in C(/var/lib/fastpath/snapshot.json) before the first change
    (C(ethtool:IF/channels) and so on); a later run never overwrites them.
  - Changing channels or rings resets the NIC's queues and may re-request its IRQs - run it under
    C(serial) and re-apply IRQ affinity and queue masks after it.
version_added: "0.1.0"
author: fastpath engineers
options:
  interface:
    description: The network interface; it must exist.
    type: str
    required: true
  channels:
    description: Channel counts, e.g. C({combined: 8}) or C({rx: 4, tx: 4}).
    type: dict
    default: {}
  rings:
    description: Ring sizes, e.g. C({rx: 4096, tx: 4096}).
    type: dict
    default: {}
  coalesce:
    description: Coalescing, keys as ethtool -c prints them with underscores, e.g. C({rx_usecs: 0}).
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
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
  sample: {channels: {combined: [1, 2]}}
"""


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "interface": {"type": "str", "required": True},
            "channels": {"type": "dict", "default": {}},
            "rings": {"type": "dict", "default": {}},
            "coalesce": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    ifname = module.params["interface"]
    if not os.path.isdir(f"/sys/class/net/{ifname}"):
        module.fail_json(msg=f"interface: {ifname!r} does not exist on this host")

    def run(argv):
        return module.run_command(argv, environ_update={"LANG": "C"})

    changes: dict = {}
    try:
        for group in ("channels", "rings", "coalesce"):
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
    except (EthtoolError, SnapshotError) as e:
        module.fail_json(msg=str(e), changes=changes)
    lines = [(f"{g} {k}", b, a) for g, kv in changes.items() for k, (b, a) in kv.items()]
    module.exit_json(
        changed=bool(changes),
        changes=changes,
        diff={
            "before": "".join(f"{name} = {b}\n" for name, b, _a in lines),
            "after": "".join(f"{name} = {a}\n" for name, _b, a in lines),
        },
    )


if __name__ == "__main__":
    main()

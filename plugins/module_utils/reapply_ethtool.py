# SPDX-License-Identifier: Apache-2.0
"""fastpath-reapply's first step: a NIC's channels, rings, coalescing and flow hash back to what tune set.

After a reboot or a driver reset the NIC comes back with the driver's defaults (virtio_net: every
queue the device has). This step runs before the IRQs and queue masks are re-applied, because a
channel change re-creates the queues and re-requests their IRQs: those are read only after it.
The same readers and setters as the nic_ethtool module (ethtool_set, flow_hash); the values that
were there before the first change go to the snapshot, so restore.yml gives them back.

Stdlib only: it runs on the targets from a copy of these module_utils, without Ansible.
"""

from __future__ import annotations

import os
import subprocess

from ansible_collections.fastpath.host.plugins.module_utils.ethtool_set import (
    GROUPS as ETHTOOL_GROUPS,
)
from ansible_collections.fastpath.host.plugins.module_utils.ethtool_set import (
    EthtoolError,
    apply_group,
    differences,
    read_group,
)
from ansible_collections.fastpath.host.plugins.module_utils.flow_hash import (
    FlowHashUnsupported,
    apply_flow_hash,
    read_flow_hash,
)
from ansible_collections.fastpath.host.plugins.module_utils.flow_hash import (
    differences as flow_hash_differences,
)
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import open_snapshot

GROUPS = tuple(ETHTOOL_GROUPS)  # channels first (ethtool_set.GROUPS says why)
# The keys of a saved plan's "ethtool" entry.
KEYS = (*GROUPS, "rx_flow_hash")


def run_command(argv: list[str]) -> tuple[int, str, str]:
    """The runner ethtool_set and flow_hash take: (rc, stdout, stderr), in the C locale."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, check=False,
                              env={**os.environ, "LANG": "C", "LC_ALL": "C"})
    except FileNotFoundError:
        return 127, "", f"{argv[0]}: command not found"
    return proc.returncode, proc.stdout, proc.stderr


def reapply_ethtool(ifname: str, wanted: dict, *, run=run_command, root: str = "/",
                    check_mode: bool = False) -> list[dict]:
    """Set each group of `wanted` ({channels: {combined: 2}, rings: {...}, coalesce: {...},
    rx_flow_hash: {udp4: sdfn}}) that differs. One result per group, shaped like
    settings.apply_settings' results: status ok | changed | skipped | failed, before, after, reason."""
    results = []
    for group in GROUPS:
        values = wanted.get(group) or {}
        if values:
            results.append(_one(ifname, group, values, check_mode, root,
                                read=lambda g=group: read_group(run, ifname, g),
                                diff=differences,
                                apply=lambda g=group, v=values: apply_group(run, ifname, g, v)))
    hashes = wanted.get("rx_flow_hash") or {}
    if hashes:
        results.append(_one(ifname, "rx_flow_hash", hashes, check_mode, root,
                            read=lambda: read_flow_hash(run, ifname, hashes),
                            diff=flow_hash_differences,
                            apply=lambda: apply_flow_hash(run, ifname, hashes)))
    return results


def _one(ifname, group, values, check_mode, root, *, read, diff, apply) -> dict:
    key = f"{ifname}/{group}"
    result = {"key": key, "label": f"ethtool {key}", "want": _show(values)}
    try:
        current = read()
        result["before"] = _show({k: current.get(k) for k in values})
        differ = diff(current, values)
        if not differ:
            return {**result, "status": "ok", "after": result["before"]}
        if not check_mode:
            # The same record as the nic_ethtool module's: the first one wins, so after a reboot
            # the value from before fastpath's first change is kept, not the driver's default.
            with open_snapshot(root) as snap:
                snap.record("ethtool", key, {k: current.get(k) for k in values})
            apply()
    except FlowHashUnsupported as e:
        return {**result, "status": "skipped", "reason": str(e)}
    except EthtoolError as e:
        return {**result, "status": "failed", "reason": str(e)}
    return {**result, "status": "changed", "after": result["want"]}


def _show(values: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(values.items()))

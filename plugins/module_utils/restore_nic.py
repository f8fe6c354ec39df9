# SPDX-License-Identifier: Apache-2.0
"""Restore a NIC's ethtool settings: channels, rings, coalescing (one group per entry) and the UDP
flow hash. They go first among the kernel values, since a channel change re-creates the queues.
Stdlib only: runs on the targets."""

from __future__ import annotations

import os

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
from ansible_collections.fastpath.host.plugins.module_utils.restore_context import Context


def restore_ethtool(entry: dict, result: dict, ctx: Context) -> None:
    ifname, group = entry["key"].split("/", 1)
    want = {k: v for k, v in entry["value"].items() if v is not None}
    result["after"] = " ".join(f"{k} {v}" for k, v in sorted(want.items()))
    if not os.path.isdir(os.path.join(ctx.root, "sys/class/net", ifname)):
        result.update(status="skipped", reason=f"interface {ifname} no longer exists")
        return
    # The flow hash is read per flow type (ethtool -n IF rx-flow-hash T); the rest per group (-l/-g/-c).
    if group == "rx_flow_hash":
        def read(r, i, _group):
            return read_flow_hash(r, i, want)

        def apply(r, i, _group, w):
            return apply_flow_hash(r, i, w)

        diff_of = flow_hash_differences
    else:
        read, diff_of, apply = read_group, differences, apply_group
    try:
        current = read(ctx.run, ifname, group)
        result["before"] = " ".join(f"{k} {current.get(k)}" for k in sorted(want))
        if not diff_of(current, want):
            result["status"] = "ok"
            return
        if not ctx.check_mode:
            apply(ctx.run, ifname, group, want)
    except FlowHashUnsupported as e:
        result.update(status="skipped", reason=str(e))
        return
    except EthtoolError as e:
        result.update(status="failed", reason=str(e))
        return
    result["status"] = "changed"

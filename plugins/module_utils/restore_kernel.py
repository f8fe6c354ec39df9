# SPDX-License-Identifier: Apache-2.0
"""Restore kernel values kept in files: sysctls, queue masks and counts, IRQ affinities.

An IRQ recorded by what it serves (irq_identity: "eth0:rx-3") is looked up in today's IRQ map, so a
reboot or a channel change that renumbered it does not send its affinity to another IRQ. Values are
compared before writing (masks and cpulists as CPU sets, whatever their width), so a second restore
changes nothing. Stdlib only: runs on the targets.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import (
    CpuSetError,
    parse_cpulist,
    parse_mask,
)
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS
from ansible_collections.fastpath.host.plugins.module_utils.irq_identity import find_irq, read_nic_irqs
from ansible_collections.fastpath.host.plugins.module_utils.restore_context import Context, path_of
from ansible_collections.fastpath.host.plugins.module_utils.settings import read_text, write_text


def restore_kernel_file(entry: dict, result: dict, ctx: Context) -> None:
    path = _path(entry, result, ctx)
    if path is None:
        return
    want = str(entry["value"])
    try:
        now = read_text(path)
    except FileNotFoundError:
        result.update(status="skipped", reason=f"{path} no longer exists (interface or IRQ gone)")
        return
    result.update(before=now, after=want)
    if " ".join(now.split()) == " ".join(want.split()) or _same_cpus(entry, now, want):
        result["status"] = "ok"
        return
    if not ctx.check_mode:
        write_text(path, want)
    result["status"] = "changed"


def _path(entry: dict, result: dict, ctx: Context) -> str | None:
    identity = entry.get("identity")
    if entry["kind"] != "irq_affinity" or not identity:
        return path_of(entry["kind"], entry["key"], ctx.root)
    irqs = ctx.nic_irqs(identity["interface"], lambda ifname: read_nic_irqs(HostFS(ctx.root), ifname)[0])
    irq = find_irq(identity, irqs)
    if irq is None:
        what = (f"{identity['kind']} queue {identity['queue']}" if identity.get("queue") is not None
                else identity["name"])
        result.update(status="skipped",
                      reason=f"{identity['interface']} has no IRQ for {what} now (recorded as IRQ "
                             f"{identity['irq']}): the queue or vector is gone")
        return None
    result["irq"] = irq
    result["label"] += f" (IRQ {irq}" + (f", was {identity['irq']})" if irq != identity["irq"] else ")")
    return path_of("irq_affinity", str(irq), ctx.root)


def _same_cpus(entry: dict, now: str, want: str) -> bool:
    # Masks print with the kernel's width; compare the sets so "3" equals "00000003".
    try:
        if entry["kind"] == "irq_affinity":
            return parse_cpulist(now) == parse_cpulist(want)
        if entry["key"].endswith("_cpus"):
            return parse_mask(now) == parse_mask(want)
    except CpuSetError:
        return False
    return False

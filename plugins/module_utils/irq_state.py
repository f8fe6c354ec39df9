# SPDX-License-Identifier: Apache-2.0
"""Every IRQ of a host: /proc/interrupts joined with /proc/irq/N/* and the managed flag.

Affinities are returned as cpulists. "managed" means the kernel owns the affinity
(IRQD_AFFINITY_MANAGED: writes to smp_affinity fail with EIO). Only the IRQ debugfs
(/sys/kernel/debug/irq/irqs/N, CONFIG_GENERIC_IRQ_DEBUGFS) shows that flag without trying a
write, so without it `managed` is null and one warning says why.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import (
    CpuSetError,
    format_cpulist,
    parse_cpulist,
)
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS
from ansible_collections.fastpath.host.plugins.module_utils.interrupts import parse_interrupts

_DEBUGFS_IRQS = "sys/kernel/debug/irq/irqs"


def read_irqs(fs: HostFS, numbered_only: bool = False) -> dict:
    """{irq: record} for every line of /proc/interrupts, with affinity state for numbered IRQs."""
    text = fs.read("proc/interrupts")
    if text is None:
        return {}
    irqs, warnings = parse_interrupts(text)
    for w in warnings:
        fs.warn(w)
    have_debugfs = fs.exists(_DEBUGFS_IRQS)
    if not have_debugfs and any(isinstance(k, int) for k in irqs):
        fs.warn(
            "managed IRQs unknown (managed: null): /sys/kernel/debug/irq is absent; "
            "mount debugfs on a kernel with CONFIG_GENERIC_IRQ_DEBUGFS to see them"
        )
    result = {}
    for key, record in irqs.items():
        if not isinstance(key, int):
            if not numbered_only:
                result[key] = record
            continue
        record.update(read_affinity(fs, key))
        record["managed"] = read_managed(fs, key) if have_debugfs else None
        result[key] = record
    return result


def read_affinity(fs: HostFS, irq: int) -> dict:
    base = f"proc/irq/{irq}"
    return {
        "affinity": _cpulist_file(fs, f"{base}/smp_affinity_list", f"{base}/smp_affinity"),
        # effective_affinity* exist only with CONFIG_GENERIC_IRQ_EFFECTIVE_AFF_MASK (x86, arm64 GIC).
        "effective_affinity": _cpulist_file(
            fs, f"{base}/effective_affinity_list", f"{base}/effective_affinity", quiet=True
        ),
        # affinity_hint is a mask (all zeros when the driver gave no hint).
        "affinity_hint": fs.read_mask(f"{base}/affinity_hint", quiet=True),
        "node": fs.read_int(f"{base}/node", quiet=True),
    }


def read_managed(fs: HostFS, irq: int) -> bool | None:
    text = fs.read(f"{_DEBUGFS_IRQS}/{irq}", quiet=True)
    if text is None:
        return None
    return "IRQD_AFFINITY_MANAGED" in text


def _cpulist_file(fs: HostFS, list_rel: str, mask_rel: str, quiet: bool = False) -> str | None:
    text = fs.read_line(list_rel, quiet=True)
    if text is not None:
        try:
            return format_cpulist(parse_cpulist(text))
        except CpuSetError as e:
            fs.warn(f"/{list_rel}: {e}")
            return None
    return fs.read_mask(mask_rel, quiet=quiet)

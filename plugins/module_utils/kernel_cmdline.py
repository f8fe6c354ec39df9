# SPDX-License-Identifier: Apache-2.0
"""Parse /proc/cmdline for the CPU-isolation parameters (isolcpus, nohz_full, irqaffinity...)."""

from __future__ import annotations

import shlex

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import CpuSetError, parse_cpulist

# isolcpus=[flag,...,]cpulist — flags from kernel/sched/isolation.c housekeeping_isolcpus_setup.
_ISOLCPUS_FLAGS = {"nohz", "domain", "managed_irq"}


def parse_cmdline(text: str) -> dict:
    """{param: value} for kernel parameters; bare flags map to "". Arguments after "--" go to init."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    params: dict = {}
    for word in words:
        if word == "--":
            break
        key, _sep, value = word.partition("=")
        params[key] = value
    return params


def isolation_from_cmdline(params: dict) -> tuple[dict, list[str]]:
    """{"isolcpus": set, "isolcpus_flags": [...], "nohz_full": set, "irqaffinity": set|None}."""
    warnings: list[str] = []
    out: dict = {"isolcpus": frozenset(), "isolcpus_flags": [], "nohz_full": frozenset(), "irqaffinity": None}
    if "isolcpus" in params:
        parts = params["isolcpus"].split(",")
        flags = []
        while parts and parts[0] in _ISOLCPUS_FLAGS:
            flags.append(parts.pop(0))
        out["isolcpus_flags"] = flags or ["domain"]
        out["isolcpus"] = _cpus(",".join(parts), "isolcpus", warnings)
    if "nohz_full" in params:
        out["nohz_full"] = _cpus(params["nohz_full"], "nohz_full", warnings)
    if "irqaffinity" in params:
        out["irqaffinity"] = _cpus(params["irqaffinity"], "irqaffinity", warnings)
    return out, warnings


def _cpus(text: str, name: str, warnings: list[str]) -> frozenset:
    try:
        return parse_cpulist(text)
    except CpuSetError as e:
        warnings.append(f"/proc/cmdline {name}={text!r}: {e}")
        return frozenset()

# SPDX-License-Identifier: Apache-2.0
"""CPU sets for the report, through the collection's own cpulist algebra (one implementation)."""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import CpuSetError, parse_cpulist


def cpus_of(cpulist) -> frozenset[int]:
    """The CPUs of a cpulist from a host document; null or unparsable text is the empty set."""
    if not isinstance(cpulist, str):
        return frozenset()
    try:
        return parse_cpulist(cpulist)
    except CpuSetError:
        return frozenset()

# SPDX-License-Identifier: Apache-2.0
"""cpulist algebra for the roles' checks, with the host model's parser (module_utils/cpulist.py),
so no role parses a cpulist in Jinja."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import (
    CpuSetError,
    format_cpulist,
    parse_cpulist,
)


def cpulist_outside(cpus: str, allowed: str) -> str:
    """The CPUs of `cpus` that `allowed` does not hold, as a cpulist ("" when none):
    "1-3" | cpulist_outside("3") -> "1-2". Both are cpulists ("0-3,8"); "" is no CPU."""
    try:
        return format_cpulist(parse_cpulist(str(cpus or "")) - parse_cpulist(str(allowed or "")))
    except CpuSetError as e:
        raise AnsibleFilterError(f"cpulist_outside: {e}") from None


class FilterModule:
    """fastpath.host.cpulist_outside."""

    def filters(self):
        return {"cpulist_outside": cpulist_outside}

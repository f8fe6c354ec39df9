"""CPU sets for the report, through the collection's own cpulist algebra (one implementation).

The controller imports the collection's module_utils like the tests do. Run in place, the repo's
`collections/` directory holds ansible_collections/fastpath/host -> the repo root; when that is not
already importable (an installed `fastpath` package run outside pytest) it is added here.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from ansible_collections.fastpath.host.plugins.module_utils.cpulist import CpuSetError, parse_cpulist
except ImportError:  # not on sys.path yet: src/fastpath/report/cpusets.py -> repo/collections
    sys.path.append(str(Path(__file__).resolve().parents[3] / "collections"))
    from ansible_collections.fastpath.host.plugins.module_utils.cpulist import CpuSetError, parse_cpulist


def cpus_of(cpulist) -> frozenset[int]:
    """The CPUs of a cpulist from a host document; null or unparsable text is the empty set."""
    if not isinstance(cpulist, str):
        return frozenset()
    try:
        return parse_cpulist(cpulist)
    except CpuSetError:
        return frozenset()

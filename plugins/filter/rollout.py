# SPDX-License-Identifier: Apache-2.0
"""The rollout's waves: which dataplane servers go first (the canary) and which together after it.

site.yml rolls tuning and the dataplane out over the servers in waves, each judged by the smoke gates
before the next starts. The play takes the waves' sizes as its `serial` list; the names are for the
messages (which wave failed, which servers were left untouched) and the run's summary table.
Every input is checked here, before any host changes: a bad value is one clear error naming the
variable, never a wave of surprising size.
"""

from __future__ import annotations

import math
import re

from ansible.errors import AnsibleFilterError

_COUNT = re.compile(r"^\d+$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")


def _size(value, name: str, total: int) -> int:
    """A count (>= 1) or a percentage (> 0, <= 100) of `total` servers, as a number of servers.
    A percentage rounds up: "10%" of 3 servers is 1 server, never an empty wave."""
    hint = f'{name} must be a count of servers (1 or more) or a percentage of them (like "25%")'
    if isinstance(value, bool) or value is None:
        raise AnsibleFilterError(f"{hint}; got {value!r}")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise AnsibleFilterError(f"{hint}; got {value!r}")
    if _COUNT.match(text):
        count = int(text)
        if count < 1:
            raise AnsibleFilterError(f"{hint}; got {value!r}")
        return count
    match = _PERCENT.match(text)
    if not match:
        raise AnsibleFilterError(f"{hint}; got {value!r}")
    percent = float(match.group(1))
    if not 0 < percent <= 100:
        raise AnsibleFilterError(f"{hint}; a percentage must be above 0 and at most 100, got {value!r}")
    return max(1, math.ceil(percent * total / 100))


def rollout_waves(servers: list, canary=1, wave_size=None) -> list[list[str]]:
    """The servers in waves, in the order given (the play's host order): first `canary` of them,
    then waves of `wave_size` until none is left; no wave_size (None or "") puts the rest in one.

    canary and wave_size are counts or percentages of len(servers). A canary larger than the
    fleet is an error: the operator meant a fleet that is not the one in the inventory."""
    servers = list(servers)
    total = len(servers)
    first = _size(canary, "fastpath_canary", total)
    rest = None if wave_size is None or (isinstance(wave_size, str) and not wave_size.strip()) \
        else _size(wave_size, "fastpath_wave_size", total)
    if total and first > total:
        raise AnsibleFilterError(
            f"fastpath_canary={canary!r} is {first} servers, more than the {total} in dataplane_servers "
            f"({', '.join(servers)})")
    waves = [servers[:first]] if total else []
    left = servers[first:]
    step = rest or len(left)
    while left:
        waves.append(left[:step])
        left = left[step:]
    return waves


def rollout_max_fail(value=0) -> float:
    """fastpath_max_fail_percent as the play's max_fail_percentage: 0 to 100, "%" allowed.
    0 stops the rollout at the first failed server; 50 lets a wave go on while at most half failed."""
    hint = "fastpath_max_fail_percent must be a percentage from 0 to 100 (like 0 or \"25%\")"
    if isinstance(value, bool) or value is None:
        raise AnsibleFilterError(f"{hint}; got {value!r}")
    text = str(value).strip().removesuffix("%").strip()
    try:
        percent = float(text)
    except ValueError:
        raise AnsibleFilterError(f"{hint}; got {value!r}") from None
    if not 0 <= percent <= 100 or math.isnan(percent):
        raise AnsibleFilterError(f"{hint}; got {value!r}")
    return int(percent) if percent.is_integer() else percent


def rollout_wave_of(waves: list, host: str) -> int:
    """The 1-based number of the wave `host` is in; 0 when it is in none (a load client)."""
    for number, wave in enumerate(waves, start=1):
        if host in wave:
            return number
    return 0


class FilterModule:
    """fastpath.host.rollout_waves, fastpath.host.rollout_max_fail, fastpath.host.rollout_wave_of."""

    def filters(self):
        return {"rollout_waves": rollout_waves, "rollout_max_fail": rollout_max_fail,
                "rollout_wave_of": rollout_wave_of}

# SPDX-License-Identifier: Apache-2.0
"""Semantic checks of the tuning roles' inputs, run before any task changes a host.

Each filter returns a list of problems, each naming the variable and what is wrong, so a role's
validate.yml asserts the list is empty and prints every problem at once.
"""

from __future__ import annotations

import re

from ansible_collections.fastpath.host.plugins.module_utils.flow_hash import FLOW_TYPES, validate

_KEY = re.compile(r"^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$")
_INTS = re.compile(r"^\d+( \d+)*$")
_INT_MAX = (1 << 31) - 1
# (key, minimum) for keys where 0 or a tiny value breaks networking rather than tunes it.
_MINIMUMS = {
    "net.core.rmem_max": 4096,
    "net.core.wmem_max": 4096,
    "net.core.rmem_default": 4096,
    "net.core.wmem_default": 4096,
    "net.core.netdev_budget": 1,
    "net.core.netdev_max_backlog": 1,
    "net.core.optmem_max": 1024,
}
RING_KEYS = ("rx", "tx", "rx_mini", "rx_jumbo")
COALESCE_KEYS = (
    "rx_usecs",
    "rx_frames",
    "tx_usecs",
    "tx_frames",
    "adaptive_rx",
    "adaptive_tx",
    "rx_usecs_irq",
    "tx_usecs_irq",
    "rx_frames_irq",
    "tx_frames_irq",
)


def sysctl_problems(sysctls: dict, var: str = "sysctl_tuning_overrides") -> list[str]:
    """Names, value shapes and ranges of the merged sysctls; *_default not above *_max."""
    problems = []
    values: dict[str, list[int]] = {}
    for key, value in sysctls.items():
        text = " ".join(str(value).split())
        if not _KEY.match(str(key)):
            problems.append(f"{var}: {key!r} is not a dotted sysctl name such as net.core.rmem_max")
        elif isinstance(value, bool) or not _INTS.match(text):
            problems.append(f"{var}: {key} = {value!r} is not a non-negative integer (or integers)")
        else:
            values[key] = [int(x) for x in text.split()]
            if any(v > _INT_MAX for v in values[key]) and key != "net.ipv4.udp_mem":
                problems.append(f"{var}: {key} = {value} is above the kernel's limit of {_INT_MAX}")
            low = _MINIMUMS.get(key)
            if low is not None and values[key][0] < low:
                problems.append(f"{var}: {key} = {value} is below {low}")
    for kind in ("rmem", "wmem"):
        d, m = values.get(f"net.core.{kind}_default"), values.get(f"net.core.{kind}_max")
        if d and m and d[0] > m[0]:
            problems.append(f"{var}: net.core.{kind}_default ({d[0]}) is above net.core.{kind}_max ({m[0]})")
    udp_mem = values.get("net.ipv4.udp_mem")
    if udp_mem is not None and (len(udp_mem) != 3 or not udp_mem[0] <= udp_mem[1] <= udp_mem[2]):
        problems.append(f"{var}: net.ipv4.udp_mem must be three page counts, low <= pressure <= high")
    return problems


def nic_problems(
    interface: str,
    nic: dict | None,
    rings: dict,
    coalesce: dict,
    prefix: str = "nic_tuning",
    flow_hash: dict | None = None,
) -> list:
    """The NIC exists; ring sizes are known keys within the NIC's maxima; coalescing keys are known;
    flow hashes name ethtool's flow types and letters."""
    if not nic:
        return [f"{prefix}_interface: {interface!r} does not exist on this host"]
    problems = []
    hw_rings = nic.get("rings") or {}
    for key, value in (rings or {}).items():
        if key not in RING_KEYS:
            problems.append(f"{prefix}_rings: unknown ring {key!r} (known: {', '.join(RING_KEYS)})")
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(f"{prefix}_rings: {key} = {value!r} is not a positive integer")
            continue
        top = hw_rings.get(f"max_{key}")
        if not hw_rings:
            problems.append(f"{prefix}_rings: {interface} has no ethtool ring control")
        elif top is not None and value > top:
            problems.append(f"{prefix}_rings: {key} = {value} is above {interface}'s maximum of {top}")
    for key, value in (coalesce or {}).items():
        if key not in COALESCE_KEYS:
            problems.append(f"{prefix}_coalesce: unknown setting {key!r} (known: {', '.join(COALESCE_KEYS)})")
        elif isinstance(value, bool) and key.startswith("adaptive"):
            continue
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _INT_MAX:
            problems.append(f"{prefix}_coalesce: {key} = {value!r} is not an integer >= 0")
    for flow_type, letters in (flow_hash or {}).items():
        if flow_type not in FLOW_TYPES:
            problems.append(
                f"{prefix}_rx_flow_hash: unknown flow type {flow_type!r} (known: {', '.join(FLOW_TYPES)})"
            )
        elif validate(letters):
            problems.append(f"{prefix}_rx_flow_hash: {flow_type}: {validate(letters)}")
    return problems


class FilterModule:
    """fastpath.host.sysctl_problems, fastpath.host.nic_problems."""

    def filters(self):
        return {"sysctl_problems": sysctl_problems, "nic_problems": nic_problems}

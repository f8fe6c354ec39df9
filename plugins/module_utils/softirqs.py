# SPDX-License-Identifier: Apache-2.0
"""Parse /proc/softirqs (fs/proc/softirqs.c): one column per *possible* CPU, named in the header."""

from __future__ import annotations


def parse_softirqs(text: str) -> tuple[dict, list[str]]:
    """Return ({"NET_RX": {cpu: count}, ...}, warnings)."""
    lines = text.splitlines()
    if not lines:
        return {}, ["/proc/softirqs is empty"]
    header = lines[0].split()
    if not header or not all(w.startswith("CPU") and w[3:].isdigit() for w in header):
        return {}, [f"/proc/softirqs header is not a CPU list: {lines[0][:80]!r}"]
    cpus = [int(w[3:]) for w in header]
    result: dict = {}
    warnings: list[str] = []
    for lineno, line in enumerate(lines[1:], start=2):
        name, colon, rest = line.partition(":")
        values = rest.split()
        if not colon or not name.strip() or len(values) != len(cpus) or not all(v.isdigit() for v in values):
            if line.strip():
                warnings.append(f"/proc/softirqs line {lineno} not understood: {line.strip()[:80]!r}")
            continue
        result[name.strip()] = {cpu: int(v) for cpu, v in zip(cpus, values, strict=True)}
    return result, warnings

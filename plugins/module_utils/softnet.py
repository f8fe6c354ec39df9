# SPDX-License-Identifier: Apache-2.0
"""Parse /proc/net/softnet_stat (net/core/net-procfs.c softnet_seq_show).

One row per *online* CPU, hex columns: processed, dropped, time_squeeze, five zeros (formerly
fastroute, cpu_collision), received_rps, flow_limit_count, then (kernel >= 5.10) backlog length and
the CPU number, then (>= 6.2) input and process queue lengths. Before the CPU column existed, row i
is the i-th online CPU, not CPU i: pass `online` so rows map to the right CPUs.
"""

from __future__ import annotations

_CPU_COLUMN = 12


def parse_softnet(text: str, online: list[int] | None = None) -> tuple[list[dict], list[str]]:
    rows: list[dict] = []
    warnings: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cols = [int(c, 16) for c in line.split()]
        except ValueError:
            warnings.append(f"/proc/net/softnet_stat line {lineno} is not hex columns: {line[:60]!r}")
            continue
        if len(cols) < 3:
            warnings.append(f"/proc/net/softnet_stat line {lineno} has {len(cols)} columns, need >= 3")
            continue
        if len(cols) > _CPU_COLUMN:
            cpu = cols[_CPU_COLUMN]
        elif online is not None and len(rows) < len(online):
            cpu = sorted(online)[len(rows)]
        else:
            cpu = len(rows)
        rows.append(
            {
                "cpu": cpu,
                "processed": cols[0],
                "dropped": cols[1],
                "time_squeeze": cols[2],
                "received_rps": cols[9] if len(cols) > 9 else None,
                "flow_limit_count": cols[10] if len(cols) > 10 else None,
                "backlog_len": cols[11] if len(cols) > 11 else None,
            }
        )
    return rows, warnings

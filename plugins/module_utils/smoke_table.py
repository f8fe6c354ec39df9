# SPDX-License-Identifier: Apache-2.0
"""The end-of-run tables of the smoke test: one row per server, and before/after side by side.

Plain text with aligned columns, so it reads the same in a terminal, a CI log and ansible's output.
"""

from __future__ import annotations


def _fmt(value, spec="g"):
    if value is None:
        return "-"
    return format(value, spec)


def _status(result):
    if result is None:
        return "NO RESULT"
    if result.get("skipped"):
        return "SKIPPED"
    if result.get("error"):
        return "ERROR"
    return "pass" if result.get("passed") else "FAIL"


def _columns(rows):
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def results_table(servers, results):
    """Lines of the table: every server in `servers` (in that order), its result or why there is none."""
    rows = [
        [
            "server",
            "result",
            "offered/s",
            "replies/s",
            "loss %",
            "p99 us",
            "softnet drop/squeeze",
            "stray IRQs",
            "server drops",
        ]
    ]
    notes = []
    for server in servers:
        result = results.get(server)
        status = _status(result)
        if result is not None and result.get("skipped"):  # nothing was measured; the stage said why once
            rows.append([server, status] + ["-"] * 7)
            continue
        if result is None or result.get("error"):
            rows.append([server, status] + ["-"] * 7)
            notes.append(
                f"{server}: "
                + (result["error"] if result else "no result (unreachable, or it failed before the load ran)")
            )
            continue
        load, softnet = result["load"], result["softnet"]
        rows.append(
            [
                server,
                status,
                _fmt(load["offered_pps"], ".0f"),
                _fmt(load["received_pps"], ".1f"),
                _fmt(load["loss_pct"], ".2f"),
                _fmt(load["p99_us"], ".0f"),
                f"{softnet['dropped']}/{softnet['time_squeeze']}",
                _fmt(result.get("stray_irqs")),
                _fmt(result["server_drops"]["total"]),
            ]
        )
        notes.extend(result.get("failures", []))
    return _columns(rows) + notes


def compare_table(servers, before, after):
    """Lines comparing two labelled runs (e.g. before and after tuning), server by server."""
    rows = [
        [
            "server",
            "result before/after",
            "replies/s before/after",
            "loss % before/after",
            "p99 us before/after",
        ]
    ]
    for server in servers:
        old, new = before.get(server), after.get(server)

        def pick(result, key, spec):
            if result is None or result.get("error") or result.get("skipped"):
                return "-"
            return _fmt(result["load"][key], spec)

        rows.append(
            [
                server,
                f"{_status(old)}/{_status(new)}",
                f"{pick(old, 'received_pps', '.1f')}/{pick(new, 'received_pps', '.1f')}",
                f"{pick(old, 'loss_pct', '.2f')}/{pick(new, 'loss_pct', '.2f')}",
                f"{pick(old, 'p99_us', '.0f')}/{pick(new, 'p99_us', '.0f')}",
            ]
        )
    return _columns(rows)

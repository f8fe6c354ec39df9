# SPDX-License-Identifier: Apache-2.0
"""Filters of the smoke_test role: judge one server's run, plan the clients' share, render the tables.

The logic lives in module_utils (smoke_gates, smoke_table) so unit tests call it without Ansible;
these wrappers turn bad input into a readable AnsibleFilterError instead of a traceback.
"""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.module_utils.smoke_gates import SmokeInputError, judge
from ansible_collections.fastpath.host.plugins.module_utils.smoke_table import compare_table, results_table


def smoke_judge(client_outputs, server, label, before, after, irq_cpus, thresholds):
    """The result document of one server. `client_outputs` are the load generators' stdout texts;
    `before`/`after` are {cpus, irqs, stats} read on the server, `before` also holds `interfaces`."""
    summaries = []
    for index, text in enumerate(client_outputs):
        try:
            summaries.append(json.loads(text))
        except (TypeError, ValueError) as exc:
            raise AnsibleFilterError(
                f"smoke test of {server}: load client {index + 1} printed no JSON summary ({exc}): "
                f"{text!r:.200}"
            ) from None
    try:
        return judge(
            server,
            label,
            summaries,
            before["cpus"],
            after["cpus"],
            before["irqs"],
            after["irqs"],
            before.get("interfaces"),
            irq_cpus,
            before["stats"],
            after["stats"],
            thresholds,
        )
    except (SmokeInputError, KeyError, TypeError) as exc:
        raise AnsibleFilterError(f"smoke test of {server}: cannot judge the run: {exc}") from None


def smoke_client_shares(clients, rate_pps, sessions, session_stride):
    """Split the offered rate and sessions over the clients: [{client, rate, sessions, session_base}].

    Each client gets its own session id range (stride apart) so no two clients send the same
    session, and the remainder of an uneven split goes to the first clients.
    """
    if not clients:
        raise AnsibleFilterError(
            "smoke test: no load clients (group load_clients is empty); nothing can drive load"
        )
    count = len(clients)
    if sessions < count:
        raise AnsibleFilterError(
            f"smoke_test_sessions ({sessions}) must be at least the number of clients ({count})"
        )
    if rate_pps < count:
        # A share of 0 would tell that client's load generator to send flat out.
        raise AnsibleFilterError(
            f"smoke_test_rate_pps ({rate_pps}) must be at least the number of clients ({count})"
        )
    shares = []
    for index, client in enumerate(clients):
        shares.append(
            {
                "client": client,
                "rate": rate_pps // count + (1 if index < rate_pps % count else 0),
                "sessions": sessions // count + (1 if index < sessions % count else 0),
                "session_base": session_stride * (index + 1),
            }
        )
    return shares


def smoke_failure_text(result, task_name="a task"):
    """Why a task of the run failed, in one line: the failed items' host and stderr for a loop
    (a load client that failed), else the task's stderr or message."""
    result = result if isinstance(result, dict) else {}
    parts = []
    for item in result.get("results") or []:
        if isinstance(item, dict) and item.get("failed"):
            host = (item.get("item") or {}).get("item", item.get("item"))
            host = host.get("client") if isinstance(host, dict) else host
            why = (item.get("stderr") or "").strip() or item.get("msg") or "failed"
            parts.append(f"{host}: {why}" if host else why)
    if not parts:
        parts.append((result.get("stderr") or "").strip() or result.get("msg") or "failed")
    return f"{task_name}: " + "; ".join(" ".join(str(p).split()) for p in parts)


def smoke_table(results, servers):
    """The end-of-run table as one string."""
    return "\n".join(results_table(list(servers), dict(results or {})))


def smoke_compare_table(before, after, servers):
    """Before/after side by side as one string."""
    return "\n".join(compare_table(list(servers), dict(before or {}), dict(after or {})))


class FilterModule:
    """fastpath.host.smoke_judge, smoke_client_shares, smoke_failure_text, smoke_table,
    smoke_compare_table."""

    def filters(self):
        return {
            "smoke_judge": smoke_judge,
            "smoke_client_shares": smoke_client_shares,
            "smoke_failure_text": smoke_failure_text,
            "smoke_table": smoke_table,
            "smoke_compare_table": smoke_compare_table,
        }

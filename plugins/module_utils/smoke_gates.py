# SPDX-License-Identifier: Apache-2.0
"""The smoke test's verdict: combine the load clients' summaries, compute the server's counter deltas
over the run, and hold every measurement against its threshold.

Stdlib only: the filter plugin calls it on the controller and the unit tests call it on real
fastpath-loadgen summaries and fastpath-server stats captured from runs in network namespaces.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import parse_cpulist

SCHEMA = "fastpath.smoke/1"


class SmokeInputError(ValueError):
    """Input the smoke test cannot judge (a missing field, a client that printed no summary)."""


def _number(doc, key, where):
    value = doc.get(key) if isinstance(doc, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SmokeInputError(f"{where}: field {key!r} is missing or not a number (got {value!r})")
    return value


def combine_clients(summaries):
    """One measurement from the JSON summaries of every client that drove the same server.

    Counts and rates add up. The p99 of the union cannot be rebuilt from per-client p99s, so the
    worst client's p99 is kept: an upper bound, which is the safe side for a "p99 <= X" gate.
    """
    if not summaries:
        raise SmokeInputError("no load client summary to judge: did any client run the load generator?")
    sent = received = errors = bad = 0
    offered = sent_pps = received_pps = 0.0
    p99 = None
    for index, summary in enumerate(summaries):
        where = f"load client summary {index + 1}"
        sent += _number(summary, "sent", where)
        received += _number(summary, "received", where)
        errors += _number(summary, "send_errors", where)
        bad += _number(summary, "bad_replies", where)
        offered += _number(summary, "rate_pps", where)
        sent_pps += _number(summary, "sent_pps", where)
        received_pps += _number(summary, "received_pps", where)
        rtt = summary.get("rtt_us")
        if isinstance(rtt, dict):
            p99 = max(p99 or 0.0, _number(rtt, "p99", where))
    # The same rule as the load generator: nothing sent proves nothing, so it counts as total loss.
    loss = 100.0 * (sent - min(received, sent)) / sent if sent else 100.0
    return {
        "clients": len(summaries),
        "offered_pps": offered,
        "sent": sent,
        "received": received,
        "send_errors": errors,
        "bad_replies": bad,
        "sent_pps": round(sent_pps, 1),
        "received_pps": round(received_pps, 1),
        "loss_pct": round(loss, 4),
        "p99_us": p99,
    }


def softnet_delta(before, after):
    """Sum over CPUs of the growth of softnet `dropped` and `time_squeeze` (cpu_info's `cpus.softnet`)."""
    old = {row["cpu"]: row for row in before}
    delta = {"dropped": 0, "time_squeeze": 0}
    for row in after:
        prior = old.get(row["cpu"])
        if prior is None:
            continue  # a CPU that came online during the run has no starting point
        for key in delta:
            # Counters are 32-bit in /proc/net/softnet_stat; a wrap shows as a negative step.
            delta[key] += (row[key] - prior[key]) % (1 << 32)
    return delta


def nic_irq_numbers(interfaces):
    """Every IRQ of the NICs nic_info reported (`interfaces.<name>.irqs`), as strings like irq_info's keys."""
    numbers = set()
    for nic in (interfaces or {}).values():
        for entry in nic.get("irqs") or []:
            if entry.get("irq") is not None:
                numbers.add(str(entry["irq"]))
    return sorted(numbers, key=int)


def stray_irq_delta(before, after, irq_numbers, irq_cpus):
    """Interrupts of the NIC's IRQs that landed on CPUs outside the IRQ set during the run.

    Returns None when there is nothing to judge against (no IRQ set known), so the gate can say
    "not checked" rather than pass on nothing.
    """
    if not irq_cpus:
        return None
    allowed = parse_cpulist(irq_cpus)
    stray = 0
    for number in irq_numbers:
        old = (before.get(number) or {}).get("per_cpu") or {}
        new = (after.get(number) or {}).get("per_cpu") or {}
        for cpu, count in new.items():
            if int(cpu) not in allowed:
                stray += max(0, count - old.get(cpu, 0))
    return stray


def server_drops_delta(before, after):
    """Growth of the server's own drop counters (fastpath-server stats `totals`): drops by reason,
    plus the socket's receive-queue overflows, which lose datagrams just the same."""
    for name, doc in (("before", before), ("after", after)):
        if not isinstance(doc, dict) or not isinstance(doc.get("totals"), dict):
            raise SmokeInputError(f"server stats {name} the run have no 'totals' object")
    old, new = before["totals"], after["totals"]
    by_reason = {
        reason: count - old.get("drops", {}).get(reason, 0) for reason, count in new.get("drops", {}).items()
    }
    by_reason["socket"] = new.get("socket_drops", 0) - old.get("socket_drops", 0)
    if after.get("uptime_s", 0) < before.get("uptime_s", 0):
        raise SmokeInputError(
            "fastpath-server restarted during the run: its counters started again from zero"
        )
    return {
        "total": sum(by_reason.values()),
        "by_reason": {k: v for k, v in sorted(by_reason.items()) if v},
        "rx_packets": new.get("rx_packets", 0) - old.get("rx_packets", 0),
        "tx_packets": new.get("tx_packets", 0) - old.get("tx_packets", 0),
    }


def _gate(name, what, measured, op, threshold, unit):
    if threshold is None:
        return None
    if measured is None:
        return {
            "gate": name,
            "what": what,
            "measured": None,
            "op": op,
            "threshold": threshold,
            "unit": unit,
            "passed": None,
        }
    passed = measured >= threshold if op == ">=" else measured <= threshold
    return {
        "gate": name,
        "what": what,
        "measured": measured,
        "op": op,
        "threshold": threshold,
        "unit": unit,
        "passed": passed,
    }


def normalize_thresholds(thresholds):
    """Thresholds as floats, None (gate off) kept: `-e` and inventories hand over strings."""
    out = {}
    for key, value in (thresholds or {}).items():
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "null")):
            out[key] = None
            continue
        try:
            if isinstance(value, bool):
                raise ValueError
            out[key] = float(value)
        except (TypeError, ValueError):
            raise SmokeInputError(f"gate threshold {key} must be a number or null; got {value!r}") from None
        if out[key] < 0:
            raise SmokeInputError(f"gate threshold {key} must not be negative; got {value!r}")
    return out


def evaluate(load, softnet, stray_irqs, server_drops, thresholds):
    """Every gate as {gate, what, measured, op, threshold, unit, passed}.

    A threshold of None turns its gate off. `passed` None means "not checked" (nothing measured,
    e.g. no IRQ set known): it neither passes nor fails the host, and the table says so.
    """
    t = normalize_thresholds(thresholds)
    min_reply = None
    if t.get("min_reply_pct") is not None:
        min_reply = round(load["offered_pps"] * t["min_reply_pct"] / 100.0, 1)
    gates = [
        _gate(
            "reply_rate",
            f"replies/s (>= {t.get('min_reply_pct')}% of offered)",
            load["received_pps"],
            ">=",
            min_reply,
            "pps",
        ),
        _gate("min_rate", "replies/s (absolute)", load["received_pps"], ">=", t.get("min_rate_pps"), "pps"),
        _gate("loss", "packets lost", load["loss_pct"], "<=", t.get("max_loss_pct"), "%"),
        _gate("p99_rtt", "p99 round trip", load["p99_us"], "<=", t.get("max_p99_us"), "us"),
        _gate(
            "softnet_drops",
            "softnet drops during the run",
            softnet["dropped"],
            "<=",
            t.get("max_softnet_drops"),
            "",
        ),
        _gate(
            "time_squeeze",
            "softnet time_squeeze during the run",
            softnet["time_squeeze"],
            "<=",
            t.get("max_time_squeeze"),
            "",
        ),
        _gate(
            "stray_irqs",
            "NIC interrupts on CPUs outside the IRQ set",
            stray_irqs,
            "<=",
            t.get("max_stray_irqs"),
            "",
        ),
        _gate(
            "server_drops",
            "fastpath-server drops during the run",
            server_drops["total"],
            "<=",
            t.get("max_server_drops"),
            "",
        ),
    ]
    # An RTT gate on a run that got no reply at all cannot pass.
    for gate in gates:
        if gate and gate["gate"] == "p99_rtt" and gate["measured"] is None:
            gate["passed"] = False
    return [g for g in gates if g is not None]


def _show(value, unit):
    """A number as people read it: no exponent, no trailing .0, the unit after a space (% glued)."""
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
    return f"{text}{unit}" if unit in ("", "%") else f"{text} {unit}"


def failed_lines(server, gates):
    """One readable line per failed gate: what, measured, threshold."""
    lines = []
    for g in gates:
        if g["passed"] is False:
            measured = "nothing measured" if g["measured"] is None else _show(g["measured"], g["unit"])
            lines.append(
                f"{server}: gate {g['gate']} failed: {g['what']} = {measured}, "
                f"threshold {g['op']} {_show(g['threshold'], g['unit'])}"
            )
    return lines


def judge(
    server,
    label,
    client_summaries,
    cpus_before,
    cpus_after,
    irqs_before,
    irqs_after,
    interfaces,
    irq_cpus,
    stats_before,
    stats_after,
    thresholds,
):
    """The whole result of one server's smoke run, as kept in the results JSON."""
    load = combine_clients(client_summaries)
    softnet = softnet_delta(cpus_before["softnet"], cpus_after["softnet"])
    numbers = nic_irq_numbers(interfaces)
    stray = stray_irq_delta(irqs_before, irqs_after, numbers, irq_cpus) if numbers else None
    drops = server_drops_delta(stats_before, stats_after)
    gates = evaluate(load, softnet, stray, drops, thresholds)
    for gate in gates:
        if gate["gate"] == "stray_irqs" and gate["passed"] is None:
            gate["note"] = (
                "not checked: the NICs have no IRQs (veth, or no driver IRQ found)"
                if not numbers
                else "not checked: no IRQ CPU set known (run tune, or set smoke_test_irq_cpus)"
            )
    failures = failed_lines(server, gates)
    return {
        "schema": SCHEMA,
        "server": server,
        "label": label,
        "passed": not failures,
        "failures": failures,
        "load": load,
        "softnet": softnet,
        "nic_irqs": numbers,
        "irq_cpus": irq_cpus or None,
        "stray_irqs": stray,
        "server_drops": drops,
        "gates": gates,
        "clients": client_summaries,
    }

# SPDX-License-Identifier: Apache-2.0
"""The Verdict section the report page opens with, and the line in each host's section that points to it.

Per server of this run's smoke tests: its wave, PASS/FAIL, replies/s, reply share, loss and p99,
then every gate (name, measured, threshold, passed), and before -> after when a baseline was
measured. Each row links to the host's state section on the same page (read by the report after
the last wave, the tuning that was judged still in place) and to the result's JSON copied into the
run. Server names and gate texts come from result files, so they go through `esc` like every host
value.
"""

from __future__ import annotations

from html import escape

from ansible_collections.fastpath.host.plugins.module_utils.report_doc import HostDoc
from ansible_collections.fastpath.host.plugins.plugin_utils.report.cells import Num, esc, table
from ansible_collections.fastpath.host.plugins.plugin_utils.report.verdict import SmokeVerdicts, Verdict

NO_SMOKE = (
    "Verdict: no smoke test ran with this report (report.yml alone); site.yml measures the servers first, "
    "or name the smoke results directories in report_smoke_results."
)


def render_verdict(smoke: SmokeVerdicts, host_index: dict[str, int], hosts: dict[str, HostDoc]) -> str:
    if not smoke.given:
        return f'<p class="verdict-none" id="verdict">{escape(NO_SMOKE)}</p>'
    parts = ['<section class="verdict" id="verdict">', "<h2>Verdict</h2>"]
    passed = sum(1 for v in smoke.verdicts if v.status == "PASS")
    runs = ", ".join(
        f'<a href="{escape(r["copied_to"])}/summary.json"><code>{esc(r["name"])}</code></a>'
        f"{_wave_note(r['wave'])}"
        for r in smoke.runs
    )
    parts.append(
        f'<p class="meta">{passed} of {len(smoke.verdicts)} server{"s" if len(smoke.verdicts) != 1 else ""}'
        f" passed every gate · smoke runs (copied into this run): {runs or esc(None)}</p>"
    )
    if smoke.warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in smoke.warnings)
        parts.append(f'<ul class="bad smoke-warnings">{items}</ul>')
    parts.append(_servers(smoke.verdicts, host_index, hosts))
    parts.append("<h3>Gates</h3>")
    parts.append(_gates(smoke.verdicts))
    if smoke.baseline:
        parts.append("<h3>Before → after (smoke baseline before tuning)</h3>")
        parts.append(_baseline(smoke))
    parts.append("</section>")
    return "\n".join(parts)


def host_line(smoke: SmokeVerdicts, host: str) -> str:
    """The host section's pointer back to its verdict ("" when it was not smoke-tested in this run)."""
    index = next((i for i, v in enumerate(smoke.verdicts) if v.server == host), None)
    if index is None:
        return ""
    v = smoke.verdicts[index]
    return (
        f'<p class="verdict-line">Smoke verdict: <a href="#verdict-{index}">{_status(v.status)}</a>'
        f"{_wave_note(v.wave)}; the smoke test ran before this state was read.</p>"
    )


def _wave_note(wave: int) -> str:
    return f" (wave {wave})" if wave else ""


def _status(status: str) -> str:
    css = {"PASS": "verdict-pass", "FAIL": "verdict-fail"}.get(status, "verdict-other")
    return f'<span class="{css}">{escape(status)}</span>'


def _servers(verdicts: list[Verdict], host_index: dict[str, int], hosts: dict[str, HostDoc]) -> str:
    rows = []
    for i, v in enumerate(verdicts):
        failed = [g["gate"] for g in v.gates if g.get("passed") is False]
        rows.append(
            [
                f'<span id="verdict-{i}">{esc(v.server)}</span>',
                esc(v.wave or None, empty="not a rollout"),
                _status(v.status),
                _number(v.value("received_pps"), ".1f"),
                _number(v.reply_pct, ".1f"),
                _number(v.value("loss_pct"), ".2f"),
                _number(v.value("p99_us"), ".0f"),
                esc(", ".join(failed) or None, empty="none") if v.measured else esc(v.reason),
                _host_state(v.server, host_index, hosts),
                f'<a href="{escape(v.source)}">JSON</a>' if v.source else esc(None),
            ]
        )
    return table(
        "verdict",
        ["server", "wave", "result", "replies/s", "reply %", "loss %", "p99 us", "failed gates",
         "host state", "result file"],
        rows,
        "No server's smoke result could be read (see the warnings above).",
    )


def _host_state(server: str, host_index: dict[str, int], hosts: dict[str, HostDoc]) -> str:
    if server not in host_index:
        return '<span class="unknown">not in this report</span>'
    doc = hosts[server]
    findings = len(doc.findings)
    text = f"read {doc.collected_at} · {findings} finding{'s' if findings != 1 else ''}"
    return f'<a href="#host-{host_index[server]}">{esc(text)}</a>'


def _gates(verdicts: list[Verdict]) -> str:
    rows = []
    for v in verdicts:
        for g in v.gates:
            passed = g.get("passed")
            rows.append(
                [
                    esc(v.server),
                    esc(v.wave or None, empty="not a rollout"),
                    esc(g.get("gate")),
                    esc(g.get("what")),
                    _amount(g.get("measured"), g.get("unit"), "nothing measured"),
                    f"{esc(g.get('op'))} {_amount(g.get('threshold'), g.get('unit'), 'off')}",
                    ("yes" if passed else '<span class="bad">no</span>') if passed is not None
                    else esc(g.get("note") or "not checked"),
                ]
            )
    return table(
        "gates",
        ["server", "wave", "gate", "what", "measured", "threshold", "passed"],
        rows,
        "No gate was judged (no server was measured).",
    )


def _baseline(smoke: SmokeVerdicts) -> str:
    rows = []
    for v in smoke.verdicts:
        old = smoke.baseline.get(v.server)
        if old is None:
            rows.append([esc(v.server), f"{esc(None)} → {_status(v.status)}",
                         *(['<span class="unknown">no baseline</span>'] * 3)])
            continue
        rows.append(
            [
                esc(v.server),
                f"{_status(old.status)} → {_status(v.status)}",
                _pair(old.value("received_pps"), v.value("received_pps"), ".1f"),
                _pair(old.value("loss_pct"), v.value("loss_pct"), ".2f"),
                _pair(old.value("p99_us"), v.value("p99_us"), ".0f"),
            ]
        )
    return table(
        "verdict-baseline",
        ["server", "result", "replies/s", "loss %", "p99 us"],
        rows,
        "No server of this run has a baseline result.",
    )


def _number(value, spec: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return esc(None)
    return Num(escape(format(value, spec)))


def _pair(before, after, spec: str) -> str:
    return Num(f"{_number(before, spec)} → {_number(after, spec)}")


def _amount(value, unit, empty: str) -> str:
    """A gate's number as people read it (no trailing .0), with its unit; None as `empty`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return esc(None, empty=empty)
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
    unit = str(unit or "")
    return escape(f"{text}{unit}" if unit in ("", "%") else f"{text} {unit}")

# SPDX-License-Identifier: Apache-2.0
"""The run's HTML page: one self-contained file (inline CSS and SVG, no script, no external asset).

First the smoke verdict of every server this run measured (verdict_page.py); then per host:
findings, the before/after difference when a comparison run is given, each NIC's queue table, the
IRQ->CPU map and the per-CPU interrupt/softirq heatmap. Everything that comes from a
host (names, IRQ labels, findings) goes through `esc`, since a host controls those strings.
"""

from __future__ import annotations

from collections import Counter
from html import escape

from ansible_collections.fastpath.host.plugins.module_utils.report_doc import HostDoc, NicIrq, as_int
from ansible_collections.fastpath.host.plugins.plugin_utils.report.cells import Num, esc, table
from ansible_collections.fastpath.host.plugins.plugin_utils.report.compare import HostDiff
from ansible_collections.fastpath.host.plugins.plugin_utils.report.heatmap import HeatRow, render_heatmap
from ansible_collections.fastpath.host.plugins.plugin_utils.report.verdict import SmokeVerdicts
from ansible_collections.fastpath.host.plugins.plugin_utils.report.verdict_page import (
    host_line,
    render_verdict,
)

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0 2em 3em;color:#1d1d1f;background:#fff}
h1{margin:.6em 0 .1em}h2{margin-top:2em;border-bottom:2px solid #d0d7de;padding-bottom:.2em}
h3{margin:1.4em 0 .4em}h4{margin:1em 0 .3em}
table{border-collapse:collapse;margin:.3em 0 1em;font-size:13px}
th,td{border:1px solid #d0d7de;padding:2px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f8}tbody tr:nth-child(even){background:#fafbfc}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.unknown{color:#8b949e}.bad{color:#b42318;font-weight:600}.good{color:#1a7f37}
.sev{padding:0 6px;border-radius:8px;font-size:12px;font-weight:600;color:#fff;background:#6e7781}
.sev-critical,.sev-error,.sev-high{background:#b42318}.sev-warning,.sev-medium{background:#bf8700}
.sev-info,.sev-low{background:#0969da}
nav a{margin-right:1em}code{font-size:12px}
figure{margin:.5em 0;overflow-x:auto}figcaption{font-size:12px;color:#57606a}
svg text{font:10px system-ui,sans-serif;fill:#1d1d1f}svg text.section{font-weight:600}
svg rect.bg{fill:#eef0f3}svg rect.reset{fill:#8b949e}
svg rect.mark-isolated{fill:#8250df}svg rect.mark-offline{fill:#afb8c1}
.meta{color:#57606a}details{margin:.5em 0}
.verdict-pass{color:#fff;background:#1a7f37}.verdict-fail{color:#fff;background:#b42318}
.verdict-pass,.verdict-fail,.verdict-other{padding:0 6px;border-radius:8px;font-weight:600}
.verdict-other{color:#fff;background:#bf8700}
"""


def render_page(
    run_name: str,
    hosts: list[HostDoc],
    diffs: dict[str, HostDiff | None] | None = None,
    compare_name: str | None = None,
    missing: list[str] | None = None,
    notes: list[str] | None = None,
    smoke: SmokeVerdicts | None = None,
) -> str:
    """The whole page, opening with the smoke verdict (`smoke`; None: no smoke test ran with it).
    `diffs` maps host -> its difference (None: the host is not in the earlier run)."""
    smoke = smoke or SmokeVerdicts()
    host_index = {h.host: i for i, h in enumerate(hosts)}
    title = f"fastpath report — {run_name}"
    head = [f"<h1>{escape(title)}</h1>", '<p class="meta">']
    head.append(f"{len(hosts)} host{'s' if len(hosts) != 1 else ''}")
    if compare_name:
        head.append(f" · compared with run <code>{escape(compare_name)}</code> (before → after)")
    head.append("</p>")
    for note in notes or []:
        head.append(f'<p class="meta">{escape(note)}</p>')
    if missing:
        head.append(f'<p class="bad">No data from: {escape(", ".join(missing))}</p>')
    nav = '<a href="#verdict">Verdict</a>' + "".join(
        f'<a href="#host-{i}">{escape(h.host)}</a>' for i, h in enumerate(hosts)
    )
    body = [
        "".join(head),
        f"<nav>{nav}</nav>",
        render_verdict(smoke, host_index, {h.host: h for h in hosts}),
        _summary(hosts),
        *(
            _host(i, h, compared=compare_name is not None, diff=(diffs or {}).get(h.host),
                  verdict=host_line(smoke, h.host))
            for i, h in enumerate(hosts)
        ),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _summary(hosts: list[HostDoc]) -> str:
    rows = []
    for i, h in enumerate(hosts):
        softnet = h.softnet().values()
        dropped = sum(as_int(r.get("dropped")) or 0 for r in softnet)
        squeeze = sum(as_int(r.get("time_squeeze")) or 0 for r in softnet)
        severities = Counter(str(f.get("severity")) for f in h.findings)
        rows.append(
            [
                f'<a href="#host-{i}">{esc(h.host)}</a>',
                esc(h.cpus.get("online")),
                esc(h.cpus.get("isolated")),
                esc(", ".join(sorted(h.interfaces)) or None),
                esc(len(h.nic_irqs())),
                ", ".join(f"{_badge(s)} {n}" for s, n in sorted(severities.items())) or "0",
                _count(dropped),
                _count(squeeze),
                esc(len(h.warnings)),
            ]
        )
    return "<h2>Hosts</h2>" + table(
        "summary",
        [
            "host",
            "online CPUs",
            "isolated",
            "NICs",
            "NIC IRQs",
            "findings",
            "softnet dropped",
            "time_squeeze",
            "warnings",
        ],
        rows,
        "No host data in this run.",
    )


def _facts(*pairs) -> str:
    return " · ".join(f"{escape(label)} {esc(value)}" for label, value in pairs)


def _badge(severity) -> str:
    css = escape(str(severity or "").lower().replace(" ", "-"))
    return f'<span class="sev sev-{css}">{esc(severity)}</span>'


def _count(n: int) -> str:
    """A counter that should be zero: red when it is not."""
    return Num(f'<span class="bad">{n:,}</span>' if n else "0")


def _host(index: int, h: HostDoc, compared: bool, diff: HostDiff | None, verdict: str = "") -> str:
    """One host's section; with `compared`, a before/after part (diff None: not in the earlier run);
    `verdict` is the line naming its smoke verdict, linked to the Verdict section ("" for none)."""
    cpus = h.cpus
    meta = _facts(
        ("collected", h.collected_at),
        ("CPUs online", cpus.get("online")),
        ("possible", cpus.get("possible")),
        ("offline", cpus.get("offline")),
        ("isolated", cpus.get("isolated")),
        ("nohz_full", cpus.get("nohz_full")),
    )
    parts = [
        f'<section class="host" id="host-{index}" data-host="{escape(h.host)}">',
        f"<h2>{esc(h.host)}</h2>",
        f'<p class="meta">{meta}</p>',
        verdict,
        "<h3>Findings</h3>",
        _findings(h.sorted_findings(), "findings", "No findings."),
    ]
    if compared:
        parts.append(_difference(h, diff))
    parts.append("<h3>IRQ → CPU map</h3>")
    parts.append(_irq_map(h.nic_irqs()))
    parts.append("<h3>Per-CPU interrupts and softirqs</h3>")
    parts.append(_heatmap(h))
    parts.append("<h3>NIC queues</h3>")
    if not h.interfaces:
        parts.append('<p class="empty queues">No NICs reported.</p>')
    for device, nic in sorted(h.interfaces.items()):
        parts.append(_nic(h, device, nic))
    if h.warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in h.warnings)
        parts.append(
            f'<details class="warnings"><summary>{len(h.warnings)} parts not read</summary>'
            f"<ul>{items}</ul></details>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _findings(findings: list[dict], css_class: str, empty: str) -> str:
    rows = [
        [
            _badge(f.get("severity")),
            esc(f.get("what")),
            esc(_text(f.get("evidence"))),
            esc(_text(f.get("fix"))),
        ]
        for f in findings
    ]
    return table(css_class, ["severity", "what", "evidence", "fix"], rows, empty)


def _text(value) -> str | None:
    """Evidence and fixes may be strings, lists or dicts: one readable line each."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _nic(h: HostDoc, device: str, nic: dict) -> str:
    xdp = nic.get("xdp")
    if isinstance(xdp, dict):
        xdp_text = f"{xdp.get('mode')} (prog {xdp.get('prog_id')})" if xdp.get("attached") else "none"
    else:
        xdp_text = None
    channels = nic.get("channels") if isinstance(nic.get("channels"), dict) else None
    chan_text = (
        ", ".join(f"{k} {v}" for k, v in channels.items() if v is not None and not k.startswith("max_"))
        if channels
        else None
    )
    facts = _facts(
        ("driver", nic.get("driver")),
        ("bus", nic.get("bus_info")),
        ("NUMA node", nic.get("numa_node")),
        ("MTU", nic.get("mtu")),
        ("speed Mb/s", nic.get("speed")),
        ("state", nic.get("operstate")),
        ("XDP", xdp_text),
        ("channels", chan_text),
    )
    rows = []
    for r in h.queue_rows(device):
        rows.append(
            [
                esc(r["direction"]),
                esc(r["queue"]),
                esc(r["irq"]),
                esc(r["irq_affinity"]),
                esc(r["irq_effective"]),
                esc(r["cpus"]),
                f"{escape(r['extra_name'])} {esc(r['extra'])}",
            ]
        )
    queues = table(
        "queues",
        ["dir", "queue", "IRQ", "IRQ affinity", "effective", "RPS / XPS CPUs", "other"],
        rows,
        f"{device}: no queues reported.",
    )
    return f'<h4 class="nic">{esc(device)}</h4><p class="meta">{facts}</p>{queues}'


def _irq_map(irqs: list[NicIrq]) -> str:
    rows = []
    for irq in irqs:
        total = irq.total
        top = sorted(((n, cpu) for cpu, n in irq.per_cpu.items() if n), reverse=True)[:4]
        served = ", ".join(f"CPU {cpu} {100 * n / total:.0f}%" for n, cpu in top) if total else None
        rows.append(
            [
                esc(irq.irq),
                esc(irq.name),
                esc(irq.device),
                esc(irq.queue),
                esc(irq.kind),
                esc(irq.affinity),
                esc(irq.effective_affinity),
                esc(irq.managed),
                esc(total),
                esc(served, empty="no interrupts yet"),
            ]
        )
    return table(
        "irq-map",
        [
            "IRQ",
            "name",
            "device",
            "queue",
            "kind",
            "affinity",
            "effective",
            "managed",
            "interrupts",
            "served by",
        ],
        rows,
        "No NIC IRQs (virtual NICs such as veth have none).",
    )


def _heatmap(h: HostDoc) -> str:
    rows = [
        HeatRow(irq.label, irq.per_cpu, section="NIC IRQs", tooltip=f"{irq.label} {irq.name}")
        for irq in h.nic_irqs()
    ]
    rows += _cpu_rows(h)
    return render_heatmap(
        rows,
        h.cpu_columns(),
        caption=f"{h.host}: interrupts and softirqs per CPU since boot",
        isolated=h.cpu_set("isolated"),
        offline=h.cpu_set("offline"),
    )


def _cpu_rows(h: HostDoc) -> list[HeatRow]:
    rows = [HeatRow(name, counts, section="softirqs") for name, counts in h.softirqs().items()]
    softnet = h.softnet()
    for column in ("processed", "dropped", "time_squeeze"):
        counts = {cpu: as_int(r.get(column)) or 0 for cpu, r in softnet.items()}
        rows.append(HeatRow(f"softnet {column}", counts, section="softnet_stat"))
    return rows


def _difference(h: HostDoc, diff: HostDiff | None) -> str:
    parts = ['<div class="difference">', "<h3>Before → after</h3>"]
    if diff is None:
        parts.append('<p class="empty">This host is not in the earlier run.</p></div>')
        return "".join(parts)
    parts.append(f'<p class="meta">from {esc(diff.before_at)} to {esc(diff.after_at)}</p>')
    rows = []
    for c in diff.nic_changes:
        rows.append([esc(c["device"]), esc(c["setting"]), esc(c["before"]), esc(c["after"])])
    for c in diff.affinity_changes:
        irq = esc(c["irq"]) if c["irq"] == c["irq_before"] else f"{esc(c['irq_before'])} → {esc(c['irq'])}"
        where = f"{esc(c['device'])} {esc(c['kind'])}{esc(c['queue'], empty='')} (IRQ {irq})"
        rows.append([where, esc(f"IRQ {c['setting']}"), esc(c["before"]), esc(c["after"])])
    for c in diff.queue_changes:
        where = f"{esc(c['device'])} {esc(c['direction'])}-{esc(c['queue'])}"
        rows.append([where, esc(c["setting"]), esc(c["before"]), esc(c["after"])])
    parts.append("<h4>Settings that changed</h4>")
    parts.append(table("changes", ["where", "setting", "before", "after"], rows, "No setting changed."))
    parts.append("<h4>Softnet counters between the runs</h4>")
    moved = [
        r for r in diff.softnet_deltas if r["reset"] or r["dropped"] or r["time_squeeze"] or r["processed"]
    ]
    srows = [
        [
            esc(r["cpu"]),
            esc(r["processed"], empty="reset"),
            _delta_bad(r["dropped"]),
            _delta_bad(r["time_squeeze"]),
        ]
        for r in moved
    ]
    parts.append(
        table(
            "softnet-delta",
            ["CPU", "processed", "dropped", "time_squeeze"],
            srows,
            "No softnet activity between the runs.",
        )
    )
    parts.append("<h4>Interrupts between the runs</h4>")
    per_cpu = ", ".join(f"CPU {cpu}: {n:,}" for cpu, n in sorted(diff.interrupts_per_cpu.items()))
    parts.append(f'<p class="meta">NIC interrupts per CPU: {esc(per_cpu or None, empty="none")}</p>')
    rows_hm = [
        HeatRow(irq.label, deltas, section="NIC IRQs", tooltip=f"{irq.label} {irq.name}")
        for irq, deltas in diff.irq_deltas
    ]
    parts.append(
        render_heatmap(
            rows_hm,
            h.cpu_columns(),
            caption=f"{h.host}: NIC interrupts between the runs",
            isolated=h.cpu_set("isolated"),
            offline=h.cpu_set("offline"),
            css_class="heatmap heatmap-delta",
        )
    )
    parts.append("<h4>Findings</h4>")
    parts.append(_findings(diff.findings_resolved, "findings-resolved", "No finding was resolved."))
    parts.append(_findings(diff.findings_new, "findings-new", "No new finding."))
    parts.append("</div>")
    return "\n".join(parts)


def _delta_bad(n: int | None) -> str:
    if n is None:
        return '<span class="unknown">reset</span>'
    return _count(n)

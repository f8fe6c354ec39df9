# SPDX-License-Identifier: Apache-2.0
"""A per-CPU heatmap as inline SVG: one row per IRQ or counter, one column per CPU.

Each row is shaded relative to its own maximum on a log scale, because an IRQ row and the NET_RX
row differ by orders of magnitude and the question is *which CPUs* take the work. Zero cells are
not drawn (the row background shows through), so a pinned 256-CPU host stays a small file. Every
drawn cell has a <title> with the exact number: hover shows it, no JavaScript needed.
Columns narrow as CPUs grow (28 px down to 3 px) so 256 CPUs fit a laptop screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

_ROW_H = 14
_SECTION_H = 18
_AXIS_H = 30
_TOTAL_W = 90
_LEGEND_H = 34
_GRID_W = 900  # target width of the CPU columns
_LEGEND_W = 430  # the legend's text needs this much, however few the CPUs
# Sequential light-to-dark orange (ColorBrewer Oranges end points plus a middle stop).
_STOPS = ((0.0, (254, 230, 206)), (0.5, (253, 141, 60)), (1.0, (127, 39, 4)))


@dataclass
class HeatRow:
    label: str
    values: dict[int, int]
    section: str = ""  # a heading drawn above the first row of each new section
    tooltip: str = ""  # what the row is, for the cell titles (defaults to the label)


def color(t: float) -> str:
    t = min(1.0, max(0.0, t))
    for (t0, c0), (t1, c1) in zip(_STOPS, _STOPS[1:], strict=False):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            rgb = [round(a + (b - a) * f) for a, b in zip(c0, c1, strict=True)]
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#{:02x}{:02x}{:02x}".format(*_STOPS[-1][1])


def shade(value: int, row_max: int) -> float:
    """Position on the colour scale: log so that 10 and 10^6 on one row both show; 0.15 minimum so
    that a single interrupt is still visible against the background."""
    if value <= 0 or row_max <= 0:
        return 0.0
    return 0.15 + 0.85 * (math.log1p(value) / math.log1p(row_max))


def tick_step(cell_w: int) -> int:
    """CPU label spacing: a power of two that keeps labels at least 26 px apart."""
    step = 1
    while step * cell_w < 26:
        step *= 2
    return step


def render_heatmap(
    rows: list[HeatRow],
    cpus: list[int],
    *,
    caption: str,
    isolated=frozenset(),
    offline=frozenset(),
    css_class: str = "heatmap",
) -> str:
    if not rows or not cpus:
        return f'<p class="empty">{escape(caption)}: no per-CPU data.</p>'
    cell_w = max(3, min(28, _GRID_W // len(cpus)))
    label_w = min(300, 12 + 7 * max(len(r.label) for r in rows))
    grid_x = label_w
    grid_w = cell_w * len(cpus)
    col = {cpu: i for i, cpu in enumerate(cpus)}
    parts: list[str] = []
    y = _AXIS_H
    # CPU axis, with isolated and offline CPUs marked under their numbers.
    step = tick_step(cell_w)
    for i, cpu in enumerate(cpus):
        x = grid_x + i * cell_w
        if i % step == 0:
            cx = x + cell_w / 2
            parts.append(f'<text class="tick" x="{cx:.1f}" y="14" text-anchor="middle">{cpu}</text>')
        mark = "isolated" if cpu in isolated else "offline" if cpu in offline else None
        if mark:
            parts.append(
                f'<rect class="mark-{mark}" x="{x}" y="20" width="{cell_w}" height="6">'
                f"<title>CPU {cpu}: {mark}</title></rect>"
            )
    section = None
    for row in rows:
        if row.section and row.section != section:
            section = row.section
            parts.append(f'<text class="section" x="2" y="{y + 13}">{escape(section)}</text>')
            y += _SECTION_H
        parts.append(_row(row, cpus, col, y, grid_x, grid_w, cell_w))
        y += _ROW_H
    legend_y = y + 8
    parts.append(_legend(grid_x, legend_y))
    width = grid_x + max(grid_w + _TOTAL_W, _LEGEND_W)
    height = legend_y + _LEGEND_H
    return (
        f'<figure class="{escape(css_class)}"><svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'data-cpus="{len(cpus)}" data-rows="{len(rows)}">'
        f"<title>{escape(caption)}</title>{''.join(parts)}</svg>"
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _row(row: HeatRow, cpus, col, y, grid_x, grid_w, cell_w) -> str:
    row_max = max((v for v in row.values.values() if v > 0), default=0)
    what = row.tooltip or row.label
    out = [
        f'<g class="row" data-label="{escape(row.label)}">'
        f'<text class="label" x="{grid_x - 6}" y="{y + 11}" text-anchor="end">{escape(row.label)}</text>'
        f'<rect class="bg" x="{grid_x}" y="{y}" width="{grid_w}" height="{_ROW_H - 1}"/>'
    ]
    for cpu in cpus:
        value = row.values.get(cpu)
        if value is None or value == 0:
            continue
        x = grid_x + col[cpu] * cell_w
        if value < 0:
            # Only a delta can be negative: the counter went backwards (reboot, or IRQ re-requested).
            out.append(
                f'<rect class="cell reset" x="{x}" y="{y}" width="{cell_w}" height="{_ROW_H - 1}" '
                f'data-cpu="{cpu}" data-value="{value}"><title>{escape(what)} · CPU {cpu}: counter reset'
                f"</title></rect>"
            )
            continue
        out.append(
            f'<rect class="cell" x="{x}" y="{y}" width="{cell_w}" height="{_ROW_H - 1}" '
            f'fill="{color(shade(value, row_max))}" data-cpu="{cpu}" data-value="{value}">'
            f"<title>{escape(what)} · CPU {cpu}: {value:,}</title></rect>"
        )
    total = sum(v for v in row.values.values() if v > 0)
    out.append(f'<text class="total" x="{grid_x + grid_w + 6}" y="{y + 11}">{_short(total)}</text></g>')
    return "".join(out)


def _legend(x: int, y: int) -> str:
    stops = "".join(
        f'<rect x="{x + i * 12}" y="{y}" width="12" height="10" fill="{color(i / 9)}"/>' for i in range(10)
    )
    return (
        f'<g class="legend">{stops}'
        f'<text x="{x + 128}" y="{y + 9}">each row relative to its own maximum (log scale); blank = 0</text>'
        f'<text x="{x + 200}" y="{y + 23}">right: row total</text>'
        f'<rect class="mark-isolated" x="{x}" y="{y + 16}" width="10" height="6"/>'
        f'<text x="{x + 14}" y="{y + 23}">isolated CPU</text>'
        f'<rect class="mark-offline" x="{x + 100}" y="{y + 16}" width="10" height="6"/>'
        f'<text x="{x + 114}" y="{y + 23}">offline CPU</text></g>'
    )


def _short(n: int) -> str:
    for unit, size in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)

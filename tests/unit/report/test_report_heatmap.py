"""The SVG heatmap: valid XML, one cell per non-zero count with the exact number, width bounded."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fastpath.host.plugins.plugin_utils.report.heatmap import (
    HeatRow,
    color,
    render_heatmap,
    shade,
    tick_step,
)

SVG = "{http://www.w3.org/2000/svg}"


def svg_of(html: str) -> ET.Element:
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    return ET.fromstring(html[start:end])


def cells(svg: ET.Element) -> dict[tuple[str, int], int]:
    out = {}
    for row in svg.iter(f"{SVG}g"):
        if row.get("class") != "row":
            continue
        for rect in row.iter(f"{SVG}rect"):
            if "cell" in rect.get("class", "").split():
                out[(row.get("data-label"), int(rect.get("data-cpu")))] = int(rect.get("data-value"))
    return out


def test_every_nonzero_count_is_one_cell_with_its_value_and_zeros_are_blank():
    rows = [HeatRow("eth0 rx0", {0: 5, 1: 0, 3: 1_000_000}), HeatRow("NET_RX", {2: 7}, section="softirqs")]
    svg = svg_of(render_heatmap(rows, [0, 1, 2, 3], caption="t"))
    assert cells(svg) == {("eth0 rx0", 0): 5, ("eth0 rx0", 3): 1_000_000, ("NET_RX", 2): 7}
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert "eth0 rx0 · CPU 3: 1,000,000" in titles


def test_darker_means_more_within_a_row():
    light, dark = (int(color(shade(v, 1000))[1:3], 16) for v in (1, 1000))
    assert dark < light
    assert shade(0, 10) == 0.0 and shade(1, 10) >= 0.15 and shade(10, 10) == pytest.approx(1.0)


def test_256_cpus_fit_a_screen_with_readable_axis_labels():
    cpus = list(range(256))
    rows = [HeatRow(f"ens1f0np0 txrx{q} (irq {100 + q})", {q: 10}) for q in range(64)]
    html = render_heatmap(rows, cpus, caption="big", isolated=set(range(4, 16)), offline=set(range(240, 256)))
    svg = svg_of(html)
    assert int(svg.get("width")) <= 1400
    assert len(cells(svg)) == 64
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks == [str(c) for c in range(0, 256, 16)]
    marks = [r.get("class") for r in svg.iter(f"{SVG}rect") if r.get("class", "").startswith("mark-")]
    assert marks.count("mark-isolated") == 12 + 1 and marks.count("mark-offline") == 16 + 1  # + legend
    assert tick_step(28) == 1 and tick_step(18) == 2 and tick_step(3) == 16


def test_a_reset_counter_is_marked_not_coloured():
    svg = svg_of(render_heatmap([HeatRow("eth0 rx0", {0: -1, 1: 3})], [0, 1], caption="delta"))
    resets = [r for r in svg.iter(f"{SVG}rect") if "reset" in r.get("class", "").split()]
    assert len(resets) == 1 and resets[0].get("data-cpu") == "0"
    assert resets[0].find(f"{SVG}title").text.endswith("counter reset")


def test_labels_from_the_host_are_escaped():
    html = render_heatmap([HeatRow('<script>alert("x")</script>&', {0: 1})], [0], caption="<b>")
    assert "<script>" not in html and "<b>" not in html
    svg = svg_of(html)
    assert any(t.text == '<script>alert("x")</script>&' for t in svg.iter(f"{SVG}text"))


def test_no_data_says_so():
    assert "no per-CPU data" in render_heatmap([], [0, 1], caption="x")

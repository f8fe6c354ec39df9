"""The report page in Debian's headless Chromium: the DOM it builds has the tables and the heatmap,
and the screenshot shows the heatmap's colours (the SVG really rendered, with no network).

Chromium runs in its own session with a fresh profile and is killed by its process group if it
overruns. Takes ~15 s.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "unit" / "report"))
from htmlscan import body_rows, scan  # noqa: E402
from report_docs import host_data, tree  # noqa: E402

from ansible_collections.fastpath.host.plugins.plugin_utils.report.build import build_run  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WINDOW = (1280, 4000)
# Table class -> the first header cell, to drop header rows.
TABLES = (
    ("summary", "host"),
    ("queues", "dir"),
    ("irq-map", "IRQ"),
    ("findings", "severity"),
    ("changes", "where"),
)


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    assert os.path.exists(CHROMIUM), (
        "Debian's chromium is missing: apt-get install chromium (scripts/setup.sh)"
    )
    argv = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--force-color-profile=srgb",
        f"--user-data-dir={tmp / 'profile'}", *args,
    ]  # fmt: skip
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        # Chromium's helpers share its process group: end whatever of it is left, by that group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def png_pixels(path: Path) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and RGB pixels of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color_type, _compression, _filter, interlace = header
    assert depth == 8 and color_type in (2, 6) and interlace == 0, header
    bpp = 3 if color_type == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    pixels = [tuple(row[x * bpp : x * bpp + 3]) for row in rows for x in range(width)]
    return width, height, pixels


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run of three fixture hosts, compared with an earlier run where mlx5 had other affinities."""
    base = tmp_path_factory.mktemp("chromium_report")
    before = host_data(tree("mlx5"))
    after = json.loads(json.dumps(before))
    irq = after["interfaces"]["ens1f0np0"]["irqs"][0]
    irq["affinity"] = "2"
    irq["per_cpu"]["2"] += 5000
    runs = {"20250131T120000Z-before": {"mlx5": before},
            "20250131T130000Z-after": {"mlx5": after, "ice": host_data(tree("ice")),
                                       "broken": host_data(tree("broken"))}}  # fmt: skip
    for name, hosts in runs.items():
        (base / name / "hosts").mkdir(parents=True)
        for host, data in hosts.items():
            (base / name / "hosts" / f"{host}.json").write_text(json.dumps({**data, "host": host}))
    run = base / "20250131T130000Z-after"
    assert build_run(run, "previous").compared_with == str((base / "20250131T120000Z-before").resolve())
    return run


def test_chromium_builds_the_tables_and_heatmaps_the_file_holds(run_dir, tmp_path):
    done = chromium(tmp_path, "--dump-dom", (run_dir / "index.html").as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom, written = scan(done.stdout), scan((run_dir / "index.html").read_text())
    assert dom.sections == ["broken", "ice", "mlx5"]
    for css_class, header in TABLES:
        rows = body_rows(dom.rows(css_class), header)
        assert rows, f"no {css_class} rows in Chromium's DOM"
        assert rows == body_rows(written.rows(css_class), header)
    assert len(dom.svgs) == 4  # a heatmap per host plus mlx5's interrupts between the runs
    assert len(dom.svg_cells) == len(written.svg_cells) > 0
    delta = [c for c in dom.svg_cells if "heatmap-delta" in c["figure"] and c["data-value"] != "0"]
    assert [(c["data-cpu"], c["data-value"]) for c in delta] == [("2", "5000")]
    assert not dom.tags & {"script", "img", "link"}


def test_the_screenshot_shows_the_rendered_heatmap(run_dir, tmp_path):
    shot = tmp_path / "report.png"
    done = chromium(tmp_path, f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                    "--hide-scrollbars", (run_dir / "index.html").as_uri())  # fmt: skip
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    assert shot.stat().st_size > 50_000, "a near-empty screenshot"
    width, height, pixels = png_pixels(shot)
    assert (width, height) == WINDOW
    distinct = set(pixels)
    assert len(distinct) > 50, "the page rendered as a few flat colours"
    fills = {c["fill"] for c in scan((run_dir / "index.html").read_text()).svg_cells}
    cell_colours = {tuple(int(f[i : i + 2], 16) for i in (1, 3, 5)) for f in fills}
    painted = sum(1 for p in pixels if p in cell_colours)
    # Every cell is at least 3x13 px; the heatmaps near the top must have painted many of them.
    assert painted > 40 * 3 * 13, f"only {painted} pixels in heatmap colours"
    if os.environ.get("FASTPATH_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["FASTPATH_KEEP_SCREENSHOT"])

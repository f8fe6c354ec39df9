"""The Verdict section of a report run's page, read back, and the smoke results behind it.

For the site.yml tests: the page's rows by table (the unit tests' stdlib HTML scanner), and one
server's result file in a smoke results directory.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "report"))
from htmlscan import body_rows, scan  # noqa: E402


def smoke_result(results_dir: Path, server: str) -> dict:
    return json.loads((results_dir / "servers" / f"{server}.json").read_text())


def verdict_of(report: Path) -> tuple[list, list, list]:
    """The page's verdict rows (one per server), gate rows and before -> after rows, headers left out."""
    page = scan((report / "index.html").read_text())
    return tuple(body_rows(page.rows(css), "server") for css in ("verdict", "gates", "verdict-baseline"))

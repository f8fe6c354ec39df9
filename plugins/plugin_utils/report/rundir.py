# SPDX-License-Identifier: Apache-2.0
"""Run directories: `<report_dir>/<UTC stamp>-<label>/` with `hosts/<host>.json|.prom` and `index.html`.

Names sort by time because the stamp leads (20250131T120000Z-before), which is how "previous"
finds the run before this one without reading any file.
"""

from __future__ import annotations

import re
from pathlib import Path

from ansible_collections.fastpath.host.plugins.module_utils.report_doc import HostDoc
from ansible_collections.fastpath.host.plugins.plugin_utils.report.errors import ReportError

RUN_NAME = re.compile(r"^\d{8}T\d{6}Z-[A-Za-z0-9._-]+$")
PREVIOUS = "previous"


def is_run(path: Path) -> bool:
    return RUN_NAME.match(path.name) is not None and (path / "hosts").is_dir()


def list_runs(report_dir: Path) -> list[Path]:
    if not report_dir.is_dir():
        return []
    return sorted(p for p in report_dir.iterdir() if not p.is_symlink() and is_run(p))


def resolve_compare(run_dir: Path, spec: str | None) -> Path | None:
    """The run to compare `run_dir` with: None for no comparison, "previous" for the latest run before
    it in the same report directory (None if it is the first), else a path or a run name there."""
    if not spec:
        return None
    run_dir = run_dir.resolve()
    if spec == PREVIOUS:
        earlier = [p for p in list_runs(run_dir.parent) if p.name < run_dir.name]
        return earlier[-1] if earlier else None
    candidate = Path(spec)
    if not candidate.is_absolute() and not candidate.exists():
        candidate = run_dir.parent / spec
    candidate = candidate.resolve()
    if not (candidate / "hosts").is_dir():
        raise ReportError(
            f"cannot compare with {spec!r}: {candidate} is not a run directory (no hosts/ in it); "
            f"give a run directory, a run name under {run_dir.parent}, or {PREVIOUS!r}"
        )
    if candidate == run_dir:
        raise ReportError(f"cannot compare run {run_dir.name} with itself")
    return candidate


def load_hosts(run_dir: Path) -> list[tuple[Path, HostDoc]]:
    hosts_dir = run_dir / "hosts"
    if not hosts_dir.is_dir():
        raise ReportError(f"{run_dir} is not a run directory: it has no hosts/ directory")
    return [(p, HostDoc.from_file(p)) for p in sorted(hosts_dir.glob("*.json"))]

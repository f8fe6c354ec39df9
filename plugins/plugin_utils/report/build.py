# SPDX-License-Identifier: Apache-2.0
"""Render a run directory: hosts/<host>.prom for every hosts/<host>.json, the smoke results of the
run copied into smoke/, then index.html opening with their verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ansible_collections.fastpath.host.plugins.module_utils.atomic_file import write_atomically
from ansible_collections.fastpath.host.plugins.module_utils.report_textfile import render_textfile
from ansible_collections.fastpath.host.plugins.plugin_utils.report.compare import compare_hosts
from ansible_collections.fastpath.host.plugins.plugin_utils.report.errors import ReportError
from ansible_collections.fastpath.host.plugins.plugin_utils.report.page import render_page
from ansible_collections.fastpath.host.plugins.plugin_utils.report.rundir import (
    PREVIOUS,
    load_hosts,
    resolve_compare,
)
from ansible_collections.fastpath.host.plugins.plugin_utils.report.verdict import load_verdicts


@dataclass
class BuildResult:
    run_dir: str
    index: str
    textfiles: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    compared_with: str | None = None
    notes: list[str] = field(default_factory=list)
    # One line per server smoke-tested in this run ("srv1 wave 1 PASS"), and what could not be read.
    verdict: list[str] = field(default_factory=list)
    smoke_warnings: list[str] = field(default_factory=list)


def build_run(
    run_dir: Path,
    compare: str | None = None,
    missing: list[str] | None = None,
    smoke_results: list[str] | None = None,
    smoke_baseline: list[str] | None = None,
) -> BuildResult:
    """`smoke_results` are the smoke results directories of this run (its verdict), `smoke_baseline`
    those measured before tuning (before -> after); both are copied into the run."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportError(f"run directory {run_dir} does not exist")
    hosts = load_hosts(run_dir)
    result = BuildResult(run_dir=str(run_dir), index=str(run_dir / "index.html"))
    smoke = load_verdicts(run_dir, smoke_results or [], smoke_baseline or [])
    result.verdict = [
        f"{v.server}{f' wave {v.wave}' if v.wave else ''} {v.status}" for v in smoke.verdicts
    ]
    result.smoke_warnings = list(smoke.warnings)
    for path, doc in hosts:
        prom = path.with_suffix(".prom")
        write_atomically(prom, render_textfile(doc))
        result.textfiles.append(str(prom))
        result.hosts.append(doc.host)
    compare_dir = resolve_compare(run_dir, compare)
    diffs = None
    if compare_dir is not None:
        result.compared_with = str(compare_dir)
        before = {doc.host: doc for _path, doc in load_hosts(compare_dir)}
        diffs = {
            doc.host: compare_hosts(before[doc.host], doc) if doc.host in before else None
            for _path, doc in hosts
        }
    elif compare == PREVIOUS:
        result.notes.append(
            f"No earlier run in {run_dir.resolve().parent} to compare with: this is the first."
        )
    page = render_page(
        run_dir.resolve().name,
        [doc for _path, doc in hosts],
        diffs=diffs,
        compare_name=compare_dir.name if compare_dir else None,
        missing=missing,
        notes=result.notes,
        smoke=smoke,
    )
    write_atomically(run_dir / "index.html", page)
    return result

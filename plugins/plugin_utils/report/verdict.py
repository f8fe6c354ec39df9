# SPDX-License-Identifier: Apache-2.0
"""The smoke verdict of a report run: read the smoke results directories of this run, copy them in.

The smoke_test role writes, per wave, `<dir>/summary.json` and `<dir>/servers/<server>.json`
(roles/smoke_test/tasks/results.yml). The report is told which of those directories belong to its
run (report_smoke_results, and report_smoke_baseline for the measurement before tuning); it never
searches a directory for them, since a results directory holds every earlier run too.

The files read are copied byte for byte into `<run>/smoke/<results dir name>/`, so the run directory
alone holds the page and the measurements behind its verdict (it can be moved, archived or compared
after the results directory is cleaned). A file that is missing or is not a smoke document becomes a
named warning on the page, never a failed report: the host state gathered is still worth having.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ansible_collections.fastpath.host.plugins.module_utils.atomic_file import write_atomically

SCHEMA = "fastpath.smoke/1"
SMOKE_DIR = "smoke"


@dataclass
class Verdict:
    """One server's smoke result as the page shows it."""

    server: str
    label: str
    wave: int
    status: str  # PASS, FAIL, ERROR, SKIPPED, NO RESULT, UNREADABLE
    run: str  # the results directory's name
    source: str | None = None  # the copied per-server JSON, relative to the report run
    gates: list[dict] = field(default_factory=list)
    load: dict | None = None
    failures: list[str] = field(default_factory=list)
    reason: str | None = None  # why there is no measurement (error, skipped, no result)

    @property
    def measured(self) -> bool:
        return self.status in ("PASS", "FAIL") and self.load is not None

    def value(self, key: str):
        """A number of the load (received_pps, loss_pct, p99_us...), None when not measured."""
        return self.load.get(key) if self.measured else None

    @property
    def reply_pct(self) -> float | None:
        offered, received = self.value("offered_pps"), self.value("received_pps")
        if not isinstance(offered, (int, float)) or not isinstance(received, (int, float)) or not offered:
            return None
        return 100.0 * received / offered


@dataclass
class SmokeVerdicts:
    """The verdict of every server of this run and of the baseline, with what could not be read."""

    given: bool = False  # any results directory named at all (else: no smoke test ran)
    runs: list[dict] = field(default_factory=list)  # {name, label, wave, copied_to} per directory read
    verdicts: list[Verdict] = field(default_factory=list)  # by wave, then the summary's order
    baseline: dict[str, Verdict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def load_verdicts(run_dir: Path, results: list, baseline: list | None = None) -> SmokeVerdicts:
    """Read the named results directories (and the baseline's), copy them into `run_dir/smoke/`."""
    out = SmokeVerdicts(given=bool(results))
    verdicts: dict[str, Verdict] = {}
    for directory in results:
        for v in _read_run(Path(directory), run_dir, out):
            if v.server in verdicts:
                out.warnings.append(
                    f"smoke: {v.server} has results in {verdicts[v.server].run} and in {v.run}; "
                    f"the page shows the later one, {v.run}"
                )
            verdicts[v.server] = v
    out.verdicts = sorted(verdicts.values(), key=lambda v: v.wave)  # stable: the summary's order
    for directory in baseline or []:
        for v in _read_run(Path(directory), run_dir, out):
            out.baseline[v.server] = v
    return out


def _read_run(directory: Path, run_dir: Path, out: SmokeVerdicts) -> list[Verdict]:
    name = directory.name
    summary_path = directory / "summary.json"
    if not directory.is_dir():
        out.warnings.append(f"smoke: results directory {directory} does not exist; its servers are not shown")
        return []
    copy = run_dir / SMOKE_DIR / name
    raw, summary = _read_json(summary_path, out)
    _keep(copy / "summary.json", raw)
    if summary is None:
        return []
    problem = _summary_problem(summary)
    if problem:
        out.warnings.append(
            f"smoke: {summary_path} is not a smoke summary ({problem}); its servers are not shown"
        )
        return []
    label, wave = summary["label"], int(summary["wave"])
    out.runs.append({"name": name, "label": label, "wave": wave, "copied_to": f"{SMOKE_DIR}/{name}"})
    verdicts = []
    for server in summary["servers"]:
        file_name = f"{server.replace('/', '_')}.json"
        path = directory / "servers" / file_name
        common = {"server": server, "label": label, "wave": wave, "run": name}
        if not path.exists():
            # results.yml writes a file for every server that got a result, a skipped one included.
            verdicts.append(Verdict(**common, status="NO RESULT",
                                    reason="no result (unreachable, or it failed before the load ran)"))
            continue
        raw, doc = _read_json(path, out)
        _keep(copy / "servers" / file_name, raw)
        problem = "unreadable" if doc is None else _result_problem(doc, server)
        if problem:
            if doc is not None:
                out.warnings.append(f"smoke: {path} is not {server}'s smoke result ({problem})")
            verdicts.append(Verdict(**common, status="UNREADABLE", reason=f"{path.name}: {problem}"))
            continue
        verdicts.append(_verdict(doc, common, f"{SMOKE_DIR}/{name}/servers/{file_name}"))
    return verdicts


def _keep(path: Path, raw: str | None) -> None:
    """Copy what was read into the report run, a broken file too: it is the evidence of its warning."""
    if raw is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, raw)


def _read_json(path: Path, out: SmokeVerdicts) -> tuple[str | None, object]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        out.warnings.append(f"smoke: {path} is missing")
        return None, None
    except (OSError, UnicodeDecodeError) as e:
        out.warnings.append(f"smoke: cannot read {path}: {getattr(e, 'strerror', None) or e}")
        return None, None
    try:
        return raw, json.loads(raw)
    except ValueError as e:
        out.warnings.append(f"smoke: {path} is not JSON ({e})")
        return raw, None


def _summary_problem(doc) -> str | None:
    if not isinstance(doc, dict):
        return "not a JSON object"
    if doc.get("schema") != SCHEMA:
        return f"schema {doc.get('schema')!r}, expected {SCHEMA!r}"
    servers = doc.get("servers")
    if not isinstance(servers, list) or not all(isinstance(s, str) for s in servers):
        return "no list of servers"
    if not isinstance(doc.get("label"), str):
        return "no label"
    try:
        int(doc.get("wave", 0))
    except (TypeError, ValueError):
        return f"wave {doc.get('wave')!r} is not a number"
    return None


def _result_problem(doc, server: str) -> str | None:
    if not isinstance(doc, dict):
        return "not a JSON object"
    if doc.get("schema") != SCHEMA:
        return f"schema {doc.get('schema')!r}, expected {SCHEMA!r}"
    if doc.get("server") != server:
        return f"it is the result of {doc.get('server')!r}"
    measured = not doc.get("skipped") and not doc.get("error")
    if measured and not (isinstance(doc.get("load"), dict) and isinstance(doc.get("gates"), list)):
        return "no load or gates"
    return None


def _verdict(doc: dict, common: dict, source: str) -> Verdict:
    if doc.get("skipped"):
        return Verdict(**common, status="SKIPPED", source=source, reason=str(doc.get("reason") or "skipped"))
    if doc.get("error"):
        return Verdict(**common, status="ERROR", source=source, reason=str(doc["error"]))
    return Verdict(
        **common,
        status="PASS" if doc.get("passed") else "FAIL",
        source=source,
        gates=[g for g in doc["gates"] if isinstance(g, dict)],
        load=doc["load"],
        failures=[str(f) for f in doc.get("failures") or []],
    )

"""The whole site.yml on a 3-host lab, as an operator runs it: green, then idempotent.

Runs through `fastpath run` (ansible-runner) so the per-play changed counts come from real events.
"""

from __future__ import annotations

import pytest

from fastpath import runner

pytestmark = pytest.mark.lab

# The report writes a new run directory on the controller every time, by design; smoke only measures.
ALWAYS_CHANGING = ("Report",)


@pytest.fixture(scope="module")
def lab3(lab_tools, monkeypatch_module):
    proc = lab_tools.run("up", "--instance", str(lab_tools.instance), "--size", "3", timeout=600)
    assert proc.returncode == 0, proc.stderr
    monkeypatch_module.setenv("FASTPATH_LAB_INSTANCE", str(lab_tools.instance))
    return lab_tools


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    """Smoke results and reports of this module's runs go here, not into the clone's runs/."""
    return tmp_path_factory.mktemp("runs")


def site(tmp_path_factory, runs_dir, name: str, **extravars):
    extravars = {"report_dir": str(runs_dir), "smoke_test_results_dir": str(runs_dir), **extravars}
    artifacts = str(tmp_path_factory.mktemp(name))
    return runner.run("site", quiet=True, extravars=extravars, artifact_dir=artifacts)


@pytest.fixture(scope="module")
def first_run(lab3, tmp_path_factory, runs_dir):
    return site(tmp_path_factory, runs_dir, "first")


@pytest.fixture(scope="module")
def second_run(first_run, tmp_path_factory, runs_dir):
    return site(tmp_path_factory, runs_dir, "second")


def test_first_run_is_green_on_every_host(first_run):
    assert first_run.failed_hosts == [], first_run.table()
    assert set(first_run.hosts) >= {"srv1", "srv2", "cli1"}
    assert first_run.rc == 0


def test_first_run_tunes_and_deploys(first_run):
    changed_plays = " ".join(first_run.changed_by_play)
    assert "Tune" in changed_plays or "tune" in changed_plays, first_run.changed_by_play
    assert "Deploy" in changed_plays or "deploy" in changed_plays, first_run.changed_by_play


def test_second_run_changes_nothing_but_the_report(second_run):
    assert second_run.failed_hosts == [], second_run.table()
    unexpected = {play: n for play, n in second_run.changed_by_play.items()
                  if not play.startswith(ALWAYS_CHANGING)}
    assert unexpected == {}, f"plays that changed on the second run: {unexpected}"


def test_baseline_run_measures_before_and_after_tuning(second_run, tmp_path_factory, runs_dir):
    runs = runs_dir
    before = set(runs.iterdir())
    summary = site(tmp_path_factory, runs_dir, "baseline", smoke_baseline="true")
    assert summary.failed_hosts == [], summary.table()
    new = sorted(p.name for p in set(runs.iterdir()) - before)
    # one smoke run and one report run labelled before, the same labelled after
    assert [n.split("-", 1)[1] for n in new if "smoke" in n] == ["smoke-before", "smoke-after"], new
    reports = [p for p in set(runs.iterdir()) - before if (p / "hosts").is_dir()]
    assert sorted(p.name.split("-", 1)[1] for p in reports) == ["after", "before"], new
    after = next(p for p in reports if p.name.endswith("-after"))
    assert "before" in (after / "index.html").read_text()  # the page names the run it compares with

"""The whole site.yml on a 3-host lab, as an operator runs it: green, then idempotent.

Runs through `fastpath run` (ansible-runner) so the per-play changed counts come from real events.
The first run is also the proof of a passing rollout in waves (the default: srv1 the canary, then
srv2; a failing canary is test_waves.py). The second run skips tune and deploy where they converged
(stage stamps); a run with fastpath_skip_converged=false runs every role and must change nothing
either; drift made by hand on one host makes only that host's stage run, and it is put right.
"""

from __future__ import annotations

import json

import pytest
from site_verdict import smoke_result, verdict_of

from fastpath import runner
from fastpath.lab import fleet, image, ssh

# The hosts of each stage's stamp on the 3-host lab.
STAGE_HOSTS = {"tune": {"srv1", "srv2"}, "deploy-server": {"srv1", "srv2"}, "deploy-loadgen": {"cli1"}}
XPS = "/sys/class/net/eth0/queues/tx-0/xps_cpus"

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


def test_first_run_goes_one_wave_after_the_other(first_run):
    assert first_run.waves == [["srv1"], ["srv2"]]
    assert first_run.wave_of == {"srv1": 1, "srv2": 2}


def test_the_summary_table_puts_each_server_under_its_wave(first_run):
    lines = first_run.table().splitlines()
    titles = ["wave 1 of 2 (canary): ok", "wave 2 of 2: ok", "not in a wave"]
    at = [lines.index(t) for t in titles]
    assert at == sorted(at), first_run.table()
    for title, host in zip(titles, ("srv1", "srv2", "cli1"), strict=True):
        assert lines[lines.index(title) + 1].split()[0] == host, first_run.table()


def test_each_wave_was_measured_on_its_own_with_the_load_client(first_run, runs_dir):
    for wave, server in ((1, "srv1"), (2, "srv2")):
        # the earliest of the wave's smoke runs in this module is the first run's
        first = sorted(runs_dir.glob(f"*-smoke-run-wave{wave}"))[0]
        summary = json.loads((first / "summary.json").read_text())
        assert summary["servers"] == [server] and summary["passed"] == [server], summary
        assert summary["wave"] == wave and summary["load"]["clients"] == ["cli1"]


def test_second_run_changes_nothing_but_the_report(second_run):
    assert second_run.failed_hosts == [], second_run.table()
    unexpected = {play: n for play, n in second_run.changed_by_play.items()
                  if not play.startswith(ALWAYS_CHANGING)}
    assert unexpected == {}, f"plays that changed on the second run: {unexpected}"


def test_first_run_ran_every_stage_and_the_second_skipped_them(first_run, second_run):
    for stage, hosts in STAGE_HOSTS.items():
        assert set(first_run.stages[stage]) == hosts
        assert not any(converged for converged, _reason in first_run.stages[stage].values())
        assert set(second_run.stages[stage]) == hosts
        assert all(converged for converged, _reason in second_run.stages[stage].values()), \
            second_run.stage_lines()


def test_every_role_run_in_full_changes_nothing_either(second_run, tmp_path_factory, runs_dir):
    """The second run skipped the roles; this one runs them all, so it is their idempotence test."""
    summary = site(tmp_path_factory, runs_dir, "full", fastpath_skip_converged=False)
    assert summary.failed_hosts == [], summary.table()
    for stage, hosts in STAGE_HOSTS.items():
        answers = summary.stages[stage]
        assert set(answers) == hosts
        assert all(not c and "fastpath_skip_converged: false" in why for c, why in answers.values())
    unexpected = {play: n for play, n in summary.changed_by_play.items()
                  if not play.startswith(ALWAYS_CHANGING)}
    assert unexpected == {}, f"plays that changed with every role run: {unexpected}"


def test_baseline_run_measures_before_and_after_tuning(second_run, tmp_path_factory, runs_dir):
    runs = runs_dir
    before = set(runs.iterdir())
    summary = site(tmp_path_factory, runs_dir, "baseline", smoke_baseline="true")
    assert summary.failed_hosts == [], summary.table()
    new = sorted(p.name for p in set(runs.iterdir()) - before)
    # one smoke run and one report run labelled before, the same labelled after: the smoke runs after
    # tuning one per wave of the rollout (srv1 the canary, then srv2)
    assert [n.split("-", 1)[1] for n in new if "smoke" in n] == [
        "smoke-before", "smoke-after-wave1", "smoke-after-wave2"], new
    reports = [p for p in set(runs.iterdir()) - before if (p / "hosts").is_dir()]
    assert sorted(p.name.split("-", 1)[1] for p in reports) == ["after", "before"], new
    after = next(p for p in reports if p.name.endswith("-after"))
    assert "before" in (after / "index.html").read_text()  # the page names the run it compares with

    smoke = {n.split("-", 1)[1]: runs / n for n in new if "smoke" in n}
    # The report before tuning opens with the baseline's verdict (every server at once, no wave).
    rows, _gates, _pairs = verdict_of(next(p for p in reports if p.name.endswith("-before")))
    assert [r[:3] for r in rows] == [["srv1", "not a rollout", "PASS"], ["srv2", "not a rollout", "PASS"]]
    # The report after: every wave's verdict, and before -> after against the baseline's results.
    rows, _gates, pairs = verdict_of(after)
    assert [r[:3] for r in rows] == [["srv1", "1", "PASS"], ["srv2", "2", "PASS"]]
    expected = []
    for server, wave in (("srv1", "smoke-after-wave1"), ("srv2", "smoke-after-wave2")):
        old = smoke_result(smoke["smoke-before"], server)["load"]
        now = smoke_result(smoke[wave], server)["load"]
        expected.append([server, "PASS → PASS", f"{old['received_pps']:.1f} → {now['received_pps']:.1f}",
                         f"{old['loss_pct']:.2f} → {now['loss_pct']:.2f}",
                         f"{old['p99_us']:.0f} → {now['p99_us']:.0f}"])
    assert pairs == expected
    assert sorted(p.name for p in (after / "smoke").iterdir()) == sorted(p.name for p in smoke.values())


def test_the_report_opens_with_the_verdict_of_every_wave_of_its_own_run(second_run, runs_dir):
    """The first and second runs' pages: srv1 (wave 1) and srv2 (wave 2), their numbers and every gate
    as their result files say, copied into the run; each page shows its own run's smoke results."""
    reports = sorted(runs_dir.glob("*-report"))[:2]  # the first run's, then the second's
    assert len(reports) == 2, sorted(runs_dir.iterdir())
    for index, report in enumerate(reports):
        html = (report / "index.html").read_text()
        assert html.index('id="verdict"') < html.index("<h2>Hosts</h2>")  # the page opens with it
        rows, gates, pairs = verdict_of(report)
        assert [r[:3] for r in rows] == [["srv1", "1", "PASS"], ["srv2", "2", "PASS"]]
        assert pairs == []  # no baseline in these runs
        waves = [sorted(runs_dir.glob(f"*-smoke-run-wave{wave}"))[index] for wave in (1, 2)]
        # this run's smoke results, not the other run's lying in the same directory
        assert sorted(p.name for p in (report / "smoke").iterdir()) == [w.name for w in waves]
        for row, server, results_dir in zip(rows, ("srv1", "srv2"), waves, strict=True):
            result = smoke_result(results_dir, server)
            load = result["load"]
            assert row[3:7] == [f"{load['received_pps']:.1f}",
                                f"{100 * load['received_pps'] / load['offered_pps']:.1f}",
                                f"{load['loss_pct']:.2f}", f"{load['p99_us']:.0f}"], row
            assert [(g[2], g[6]) for g in gates if g[0] == server] == [
                (g["gate"], g.get("note", "not checked") if g["passed"] is None else "yes")
                for g in result["gates"]]
            copied = report / "smoke" / results_dir.name / "servers" / f"{server}.json"
            assert copied.read_bytes() == (results_dir / "servers" / f"{server}.json").read_bytes()


def on(lab3, name: str, command: str) -> str:
    host = next(h for h in fleet.plan(3, lab3.instance) if h.name == name)
    # ssh hands its arguments to the remote shell joined by spaces: one string, parsed there once.
    proc = ssh.ssh(host.address, [command], timeout=30)
    assert proc is not None and proc.returncode == 0, f"{name}: {command}: {proc and proc.stderr}"
    return proc.stdout.strip()


# Where fastpath's roles put files, and what is not the roles' managed state: the stamps themselves,
# the snapshot of prior values (restore's record; deploy writes it too), and the build tree under
# the prefix (made from native.tar, which is watched; what runs is the installed binaries).
WRITTEN_BY_ROLES = "/etc /usr/local /opt/fastpath /var/lib/fastpath"
NOT_MANAGED_STATE = ("/var/lib/fastpath/stamps/", "/var/lib/fastpath/snapshot", "/opt/fastpath/src/")
SERVER_FILES = ("/etc/fastpath/server.conf", "/etc/systemd/system/fastpath.slice",
                "/var/lib/fastpath/plan.json", "/usr/local/libexec/fastpath/fastpath-reapply")
CLIENT_FILES = ("/opt/fastpath/bin/fastpath-loadgen",)
READ_STAMPS = ("python3 -c \"import glob, json; print(json.dumps([json.load(open(p)) for p in "
               "glob.glob('/var/lib/fastpath/stamps/*.json')]))\"")


def test_every_file_the_roles_wrote_is_watched_by_a_stamp(lab3, second_run):
    """The roles' declarations (meta/stamp.yml) against what the roles really wrote: each file of
    fastpath's on a converged host is an item of the fingerprint of one of its stamps there. The lab
    image's own files (its sshd drop-in, its bpffs mount unit) are no role's."""
    image_root, unwatched = image.rootfs(), {}
    for name in sorted({h for hosts in STAGE_HOSTS.values() for h in hosts}):
        listing = on(lab3, name, f"find {WRITTEN_BY_ROLES} -xdev -type f -path '*fastpath*' 2>/dev/null")
        written = [p for p in listing.splitlines()
                   if p and not p.startswith(NOT_MANAGED_STATE) and not (image_root / p.lstrip("/")).exists()]
        stamps = json.loads(on(lab3, name, READ_STAMPS))
        watched = {item.removeprefix("path:") for stamp in stamps for item in stamp["state"]
                   if item.startswith("path:")}
        # Not vacuous: the files every server and client has once site.yml converged are found.
        expected = SERVER_FILES if name.startswith("srv") else CLIENT_FILES
        assert set(expected) <= set(written), f"{name}: files of fastpath's not found: {written}"
        unwatched[name] = [p for p in written if p not in watched]
    assert unwatched == {name: [] for name in unwatched}, "written, but watched by no stamp"


# Last in the module (tests run in file order): it disturbs the converged lab on purpose.
def test_drift_runs_the_stage_on_that_host_only_and_puts_it_right(
        lab3, second_run, tmp_path_factory, runs_dir):
    xps = on(lab3, "srv1", f"cat {XPS}")
    on(lab3, "srv1", f"echo 0 > {XPS}")
    on(lab3, "srv2", "systemctl stop fastpath-server.service")
    summary = site(tmp_path_factory, runs_dir, "drift")
    assert summary.failed_hosts == [], summary.table()

    tune, deploy = summary.stages["tune"], summary.stages["deploy-server"]
    assert not tune["srv1"][0] and f"path:{XPS}" in tune["srv1"][1], summary.stage_lines()
    assert tune["srv2"][0], summary.stage_lines()
    assert deploy["srv1"][0], summary.stage_lines()
    assert not deploy["srv2"][0] and "cmd:systemctl show" in deploy["srv2"][1], summary.stage_lines()
    assert summary.stages["deploy-loadgen"]["cli1"][0]

    assert on(lab3, "srv1", f"cat {XPS}") == xps
    assert on(lab3, "srv2", "systemctl is-active fastpath-server.service") == "active"
    # and put right, it is converged again
    again = site(tmp_path_factory, runs_dir, "after-drift")
    assert all(c for stage in STAGE_HOSTS for c, _reason in again.stages[stage].values()), again.stage_lines()

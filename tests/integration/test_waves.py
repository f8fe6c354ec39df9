"""site.yml's rollout in waves when the canary fails, on a 4-host lab (srv1-3 serve, cli1 loads).

`-e fastpath_canary=1` with a gate no server can meet (an absolute reply rate far above the offered
load) and `fastpath_rollback_failed=true`: the canary srv1 is tuned, deployed and fails its smoke
gate; the run fails naming srv1, its wave and the gate; srv2 and srv3 are untouched (no
/var/lib/fastpath, no fastpath sysctl file, the same sysctls and queue masks as before, read over
SSH); srv1 is put back (its sysctls and masks as before).

A passing rollout is test_site.py's first run (the default there: srv1 the canary, then srv2), so it
is not run a second time here; wave sizes and percentages are the rollout filter's unit tests.
"""

from __future__ import annotations

import json

import pytest

from fastpath import runner
from fastpath.lab import fleet, ssh

pytestmark = pytest.mark.lab

SERVERS = ("srv1", "srv2", "srv3")
# What tune changes on a lab server: the per-namespace sysctls of the profile, eth0's queue masks
# and channels. Read as one text per host, compared whole.
STATE = (
    "sysctl net.ipv4.udp_mem net.ipv4.udp_rmem_min net.ipv4.udp_wmem_min;"
    " grep -H . /sys/class/net/eth0/queues/*/xps_cpus /sys/class/net/eth0/queues/*/rps_cpus;"
    " ethtool -l eth0 | tail -n 5"
)
# An absolute reply rate the lab's load (4000 pps offered) can never reach: the min_rate gate fails.
IMPOSSIBLE = {"smoke_test_min_rate_pps": 100000000}


@pytest.fixture(scope="module")
def lab4(lab_tools, monkeypatch_module):
    proc = lab_tools.run("up", "--instance", str(lab_tools.instance), "--size", "4", timeout=600)
    assert proc.returncode == 0, proc.stderr
    monkeypatch_module.setenv("FASTPATH_LAB_INSTANCE", str(lab_tools.instance))
    return lab_tools


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


def on(lab, name: str, command: str) -> str:
    host = next(h for h in fleet.plan(4, lab.instance) if h.name == name)
    # ssh hands its arguments to the remote shell joined by spaces: one string, parsed there once.
    proc = ssh.ssh(host.address, [command], timeout=30)
    assert proc is not None and proc.returncode == 0, f"{name}: {command}: {proc and proc.stderr}"
    return proc.stdout.strip()


def site(tmp_path_factory, runs_dir, name: str, **extravars):
    extravars = {"report_dir": str(runs_dir), "smoke_test_results_dir": str(runs_dir), **extravars}
    artifacts = str(tmp_path_factory.mktemp(name))
    return runner.run("site", quiet=True, extravars=extravars, artifact_dir=artifacts)


def smoke_runs(runs_dir, wave: int) -> list[dict]:
    return [json.loads((d / "summary.json").read_text())
            for d in sorted(runs_dir.glob(f"*-smoke-run-wave{wave}"))]


@pytest.fixture(scope="module")
def before(lab4):
    """Each server's state before any run: the fresh lab."""
    return {name: on(lab4, name, STATE) for name in SERVERS}


@pytest.fixture(scope="module")
def failed_canary(lab4, before, tmp_path_factory, runs_dir):
    summary = site(tmp_path_factory, runs_dir, "canary", fastpath_canary=1, fastpath_rollback_failed=True,
                   **IMPOSSIBLE)
    after = {name: on(lab4, name, STATE) for name in SERVERS}
    return summary, after


def test_a_canary_that_fails_its_gate_fails_the_run_naming_it_and_the_gate(failed_canary):
    summary, _after = failed_canary
    assert summary.rc != 0
    assert summary.failed_hosts == ["srv1"], summary.table()
    stop = summary.hosts["srv1"].failures[-1]
    assert "wave 1 of 2 (canary) failed on srv1" in stop, stop
    assert "gate min_rate failed" in stop and "threshold >= 100000000 pps" in stop, stop
    assert "The rollout stops; not touched: srv2, srv3." in stop, stop


def test_the_canary_was_really_rolled_out_before_its_gate_failed(failed_canary, runs_dir):
    summary, _after = failed_canary
    # tune and deploy changed srv1; no task changed srv2 or srv3 (they were only read: preflight,
    # tune's input check); srv1's wave was measured, cli1 loading it
    assert summary.hosts["srv1"].changed > 0
    assert summary.hosts["srv2"].changed == 0 and summary.hosts["srv3"].changed == 0, summary.table()
    [wave1] = smoke_runs(runs_dir, 1)
    assert wave1["servers"] == ["srv1"] and wave1["failed"] == ["srv1"] and wave1["wave"] == 1
    assert wave1["load"]["clients"] == ["cli1"]
    assert smoke_runs(runs_dir, 2) == []


def test_the_servers_after_the_failed_wave_are_untouched(lab4, before, failed_canary):
    _summary, after = failed_canary
    for name in ("srv2", "srv3"):
        assert after[name] == before[name], name
        assert on(lab4, name, "ls -A /var/lib/fastpath /etc/sysctl.d/60-fastpath.conf 2>&1 || true").count(
            "No such file or directory") == 2, name
        assert on(lab4, name, "systemctl is-active fastpath-server.service || true") != "active", name


def test_the_summary_table_shows_the_waves_and_the_wave_that_never_started(failed_canary):
    summary, _after = failed_canary
    lines = summary.table().splitlines()
    assert "wave 1 of 2 (canary): FAILED" in lines, summary.table()
    assert "wave 2 of 2: not started, its servers untouched" in lines, summary.table()
    assert summary.wave_of == {"srv1": 1}


def test_rollback_failed_puts_the_canary_back(before, failed_canary):
    _summary, after = failed_canary
    assert after["srv1"] == before["srv1"]

"""playbooks/smoke.yml on the default 3-host lab fleet (srv1, srv2 serve; cli1 drives the load).

The fleet is brought up and deployed once (~1-3 min: one build per host), then the smoke stage runs with
the role's defaults (green, changed=0, both servers measured in the same window), with a gate the lab
cannot reach (each server failed by name, with gate, measured value and threshold), with one server
stopped (it is named, the other is still judged in the same batch), with a second load client that
cannot be reached (both servers fail with its name, the stage does not hang), as a before/after pair, in
check mode, and with srv1 killed during the load (an error result naming why; srv2 still passes). Each
run takes ~20 s. Then a 1-host lab (srv1 alone, no load client, nothing deployed):
the stage skips with one message and fails nothing, or fails clearly with smoke_test_require_clients.
Results go to a temporary directory, never to runs/.

The lab instance is the integration tests' (2) unless FASTPATH_TEST_LAB_INSTANCE names another, so
the test can run beside other engineers' tests; it is taken down before and after, whatever happened.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab
REPO = Path(__file__).resolve().parents[2]
ANSIBLE = Path(sys.executable).parent
SSH_KEY = "/var/lib/fastpath-lab/ssh/id_ed25519"
INSTANCE = int(os.environ.get("FASTPATH_TEST_LAB_INSTANCE", "2"))
SERVERS = ("srv1", "srv2")


def lab(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastpath.cli", "lab", *args, "--instance", str(INSTANCE)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False)


def playbook_env() -> dict[str, str]:
    return dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                FASTPATH_LAB_INSTANCE=str(INSTANCE))


def playbook(name: str, *extra: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(ANSIBLE / "ansible-playbook"), name, *extra], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env=playbook_env(), check=False)


def smoke(results: Path, *extra: str) -> subprocess.CompletedProcess:
    return playbook("playbooks/smoke.yml", "-e", f"smoke_test_results_dir={results}", *extra)


def on_host(address: str, command: str) -> str:
    argv = ["ssh", "-i", SSH_KEY, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", f"root@{address}", command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout


def loadgens_running(address: str) -> int:
    """How many fastpath-loadgen processes run on a host right now, found by their executable (a name
    match would also count the shell running the search)."""
    found = on_host(address, "find /proc -maxdepth 2 -name exe -lname '*/fastpath-loadgen' | wc -l")
    return int(found.strip())


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP per host: {'srv1': {'ok': .., 'changed': .., 'failed': ..}}."""
    hosts: dict[str, dict[str, int]] = {}
    for line in output.split("PLAY RECAP", 1)[-1].splitlines():
        if "ok=" in line and ":" in line:
            host, fields = line.split(":", 1)
            hosts[host.strip()] = {k: int(v) for k, v in (f.split("=") for f in fields.split())}
    return hosts


def run_results(results: Path, label: str) -> tuple[dict, dict[str, dict]]:
    """(summary.json, {server: its JSON}) of the one run with this label under `results`."""
    [run] = list(results.glob(f"*-smoke-{label}"))
    servers = {p.stem: json.loads(p.read_text()) for p in (run / "servers").glob("*.json")}
    return json.loads((run / "summary.json").read_text()), servers


@pytest.fixture(scope="module")
def deployed_lab(lab_image):
    lab("down")
    try:
        up = lab("up", "--size", "3")
        assert up.returncode == 0, up.stderr
        # Not tuned: deploy alone needs the workers given; smoke then leaves the stray-IRQ gate out.
        deploy = playbook("playbooks/deploy.yml", "-e", "dataplane_worker_cpus=1")
        assert deploy.returncode == 0, deploy.stdout[-4000:]
        yield
    finally:
        lab("down")


def test_smoke_is_green_on_the_lab_and_changes_nothing(deployed_lab, tmp_path):
    run = smoke(tmp_path, "-e", "smoke_test_label=green")
    assert run.returncode == 0, run.stdout[-4000:]
    hosts = recap(run.stdout)
    assert all(hosts[h]["changed"] == 0 and hosts[h]["failed"] == 0 for h in (*SERVERS, "localhost")), hosts
    summary, servers = run_results(tmp_path, "green")
    assert summary["passed"] == list(SERVERS) and summary["failed"] == []
    for name in SERVERS:
        result = servers[name]
        assert result["passed"] is True, result
        assert result["load"]["sent"] > 0 and result["load"]["received"] > 0.9 * result["load"]["sent"]
        # The server's own counters saw the load the clients say they sent.
        assert result["server_drops"]["rx_packets"] >= result["load"]["received"]
        assert {g["gate"] for g in result["gates"]} >= {"reply_rate", "loss", "p99_rtt", "server_drops"}
    table = run.stdout.split("Show the results of every server", 1)[1]
    assert "srv1    pass" in table and "srv2    pass" in table
    # Both servers were measured in the same window: each one's counters were read before either
    # load started and after both ended, and cli1 ran both servers' load generators at the same time.
    windows = {name: servers[name]["window"] for name in SERVERS}
    assert max(w["start"] for w in windows.values()) < min(w["end"] for w in windows.values()), windows
    loads = [load for w in windows.values() for load in w["load"]]
    assert [load["client"] for load in loads] == ["cli1", "cli1"], windows
    starts = [datetime.fromisoformat(load["start"]) for load in loads]
    ends = [datetime.fromisoformat(load["end"]) for load in loads]
    assert max(starts) < min(ends), windows


def test_a_gate_above_what_the_lab_can_do_fails_each_server_by_name(deployed_lab, tmp_path):
    run = smoke(tmp_path, "-e", "smoke_test_label=toohigh", "-e", "smoke_test_min_rate_pps=10000000")
    assert run.returncode == 2, run.stdout[-4000:]
    hosts = recap(run.stdout)
    assert hosts["srv1"]["failed"] == 1 and hosts["srv2"]["failed"] == 1, hosts
    _summary, servers = run_results(tmp_path, "toohigh")
    for name in SERVERS:
        measured = servers[name]["load"]["received_pps"]
        shown = f"{measured:.0f}" if float(measured).is_integer() else f"{measured:.2f}"
        expected = (f"{name}: gate min_rate failed: replies/s (absolute) = {shown} pps, "
                    "threshold >= 10000000 pps")
        assert expected in servers[name]["failures"]
        assert expected in run.stdout  # the host's failure message says it, not only the JSON


def test_a_stopped_server_is_named_and_the_other_is_still_tested(deployed_lab, tmp_path):
    srv1 = f"198.18.{INSTANCE}.11"
    on_host(srv1, "systemctl stop fastpath-server")
    try:
        run = smoke(tmp_path, "-e", "smoke_test_label=stopped")
    finally:
        on_host(srv1, "systemctl start fastpath-server")
    assert run.returncode == 2
    hosts = recap(run.stdout)
    assert hosts["srv1"]["failed"] == 1 and hosts["srv2"]["failed"] == 0, hosts
    summary, servers = run_results(tmp_path, "stopped")
    assert summary["failed"] == ["srv1"] and servers["srv2"]["passed"] is True
    assert "cannot read fastpath-server's stats at /run/fastpath/stats.sock" in servers["srv1"]["error"]
    assert "srv1    ERROR" in run.stdout
    # srv2 was judged in the same batch as srv1 (serial is gone): the stage ran one main play batch.
    assert run.stdout.count("PLAY [Smoke - drive every dataplane server") == 1


def test_an_unreachable_load_client_fails_the_servers_it_loads_by_name(deployed_lab, tmp_path):
    """A second load client that refuses SSH (loopback, a port nothing listens on): cli1 still runs its
    share for both servers, its jobs are waited for and cleaned up, and both servers fail naming ghost."""
    extra = tmp_path / "ghost.yml"
    extra.write_text("load_clients:\n  hosts:\n    ghost:\n"
                     "      ansible_host: 127.0.0.1\n      ansible_port: 1\n")
    results = tmp_path / "results"
    results.mkdir()
    run = playbook("playbooks/smoke.yml", "-i", str(REPO / "inventories/lab"), "-i", str(extra),
                   "-e", f"smoke_test_results_dir={results}", "-e", "smoke_test_label=ghost", timeout=300)
    assert run.returncode == 2, run.stdout[-4000:]
    hosts = recap(run.stdout)
    assert hosts["srv1"]["failed"] == 1 and hosts["srv2"]["failed"] == 1, hosts
    assert hosts["srv1"]["unreachable"] == 0 and hosts["srv2"]["unreachable"] == 0, hosts
    summary, servers = run_results(results, "ghost")
    assert summary["failed"] == list(SERVERS) and summary["passed"] == []
    for name in SERVERS:
        error = servers[name]["error"]
        assert "ghost: unreachable, its load generator never started" in error, error
        assert "Connection refused" in error, error
        assert f"{name}    ERROR" in run.stdout
    # cli1's jobs against both servers were waited for and their status files removed.
    assert on_host(f"198.18.{INSTANCE}.101", "ls -A /root/.ansible_async 2>/dev/null || true").strip() == ""


def before_and_after(tmp_path) -> subprocess.CompletedProcess:
    """The smoke stage twice in one ansible-playbook run, labelled before and after (as site.yml's
    baseline does), results under tmp_path."""
    pair = tmp_path / "pair.yml"
    stage = REPO / "playbooks/smoke.yml"
    pair.write_text(
        f"- ansible.builtin.import_playbook: {stage}\n  vars: {{smoke_test_label: before}}\n"
        f"- ansible.builtin.import_playbook: {stage}\n  vars: {{smoke_test_label: after}}\n"
    )
    return playbook(str(pair), "-e", f"smoke_test_results_dir={tmp_path}")


def test_a_baseline_and_an_after_run_are_shown_side_by_side(deployed_lab, tmp_path):
    run = before_and_after(tmp_path)
    assert run.returncode == 0, run.stdout[-4000:]
    assert run_results(tmp_path, "before")[0]["passed"] == list(SERVERS)
    assert run_results(tmp_path, "after")[0]["passed"] == list(SERVERS)
    compare = run.stdout.split("Smoke test before vs after:", 1)[1]
    assert "srv1    pass/pass" in compare and "srv2    pass/pass" in compare


def test_check_mode_sends_no_load_and_writes_nothing(deployed_lab, tmp_path):
    def received() -> int:
        stats = on_host(f"198.18.{INSTANCE}.11", "cat /run/fastpath/stats.json")
        return json.loads(stats)["totals"]["rx_packets"]

    rx_before = received()
    run = smoke(tmp_path, "--check")
    assert run.returncode == 0, run.stdout[-4000:]
    assert all(h["changed"] == 0 and h["failed"] == 0 for h in recap(run.stdout).values())
    assert "Check mode: no load sent to srv1" in run.stdout
    assert list(tmp_path.iterdir()) == []
    assert received() == rx_before


def kill_host(name: str) -> None:
    """SIGKILL a lab host's container init (its PID namespace dies with it) and its nspawn: gone as if
    its VM crashed. The netns stays, so connections to it are refused rather than left hanging."""
    status = lab("status", "--json")
    [record] = [h for h in json.loads(status.stdout)["hosts"] if h["name"] == name]
    pid = record["pid"]
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for victim in [*map(int, children), pid]:
        os.kill(victim, signal.SIGKILL)


def test_a_server_killed_during_the_load_gets_an_error_and_the_other_is_judged(deployed_lab, tmp_path):
    """Last of the 3-host tests: srv1 stays dead (the 1-host lab below replaces the fleet)."""
    log = tmp_path / "smoke.log"
    results = tmp_path / "results"
    results.mkdir()
    argv = [str(ANSIBLE / "ansible-playbook"), "playbooks/smoke.yml",
            "-e", f"smoke_test_results_dir={results}", "-e", "smoke_test_label=killed",
            "-e", "smoke_test_duration_s=10"]
    with log.open("w") as out:
        run = subprocess.Popen(argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, text=True,
                               env=playbook_env())
        try:
            # Kill srv1 once cli1 runs both load generators: inside the 10 s of load on any machine.
            deadline = time.monotonic() + 180
            while loadgens_running(f"198.18.{INSTANCE}.101") < 2:
                assert run.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            kill_host("srv1")
            rc = run.wait(timeout=300)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
    output = log.read_text()
    assert rc == 2, output[-4000:]
    hosts = recap(output)
    assert hosts["srv1"]["failed"] == 1 and hosts["srv1"]["unreachable"] == 0, hosts
    assert hosts["srv2"]["failed"] == 0, hosts
    summary, servers = run_results(results, "killed")
    assert summary["failed"] == ["srv1"] and summary["passed"] == ["srv2"], summary
    assert "srv1 could not be reached to read its counters after the load" in servers["srv1"]["error"]
    assert "srv1    ERROR" in output and "srv2    pass" in output
    # srv2's load ran its full 10 s beside the load aimed at the dead srv1; cli1 cleaned up both jobs.
    assert servers["srv2"]["load"]["sent"] >= 0.9 * 10 * 4000, servers["srv2"]["load"]
    assert on_host(f"198.18.{INSTANCE}.101", "ls -A /root/.ansible_async 2>/dev/null || true").strip() == ""


@pytest.fixture(scope="module")
def one_host_lab(lab_image):
    """srv1 alone: no load clients and nothing deployed. Last in this module: it takes down the
    deployed 3-host lab (if the tests above brought it up) and brings its instance down after."""
    lab("down")
    try:
        up = lab("up", "--size", "1")
        assert up.returncode == 0, up.stderr
        yield
    finally:
        lab("down")


def test_a_fleet_without_load_clients_skips_the_load_test_and_says_so(one_host_lab, tmp_path):
    run = smoke(tmp_path, "-e", "smoke_test_label=alone")
    assert run.returncode == 0, run.stdout[-4000:]
    assert run.stdout.count("smoke: skipped - no hosts in load_clients; nothing was measured") == 1, \
        run.stdout[-4000:]
    hosts = recap(run.stdout)
    assert hosts["srv1"]["failed"] == 0 and hosts["srv1"]["changed"] == 0, hosts
    summary, servers = run_results(tmp_path, "alone")
    assert summary["skipped"] == ["srv1"] and summary["passed"] == [] and summary["failed"] == []
    assert servers["srv1"]["skipped"] is True and servers["srv1"]["passed"] is False, servers
    assert "load" not in servers["srv1"] and "gates" not in servers["srv1"]
    assert "srv1    SKIPPED" in run.stdout.split("Show the results of every server", 1)[1]


def test_a_skipped_baseline_and_after_pair_shows_no_comparison_and_fails_nothing(one_host_lab, tmp_path):
    run = before_and_after(tmp_path)
    assert run.returncode == 0, run.stdout[-4000:]
    assert run.stdout.count("smoke: skipped - no hosts in load_clients") == 2  # once per smoke run
    assert run_results(tmp_path, "before")[0]["skipped"] == ["srv1"]
    assert run_results(tmp_path, "after")[0]["skipped"] == ["srv1"]
    assert "Smoke test before vs after:" not in run.stdout


def test_a_fleet_without_load_clients_fails_when_clients_are_required(one_host_lab, tmp_path):
    run = smoke(tmp_path, "-e", "smoke_test_label=alone", "-e", "smoke_test_require_clients=true")
    assert run.returncode == 2, run.stdout[-4000:]
    assert recap(run.stdout)["srv1"]["failed"] == 1
    assert "smoke_test_require_clients is true but no hosts are in load_clients" in run.stdout
    assert "smoke: skipped" not in run.stdout
    assert list(tmp_path.iterdir()) == []  # input errors stop the stage before anything is written

"""playbooks/smoke.yml on the default 3-host lab fleet (srv1, srv2 serve; cli1 drives the load).

The fleet is brought up and deployed once (~3 min: one build per host), then the smoke stage runs with
the role's defaults (green, changed=0), with a gate the lab cannot reach (each server failed by name,
with gate, measured value and threshold), with one server stopped (it is named, the other is still
tested), as a before/after pair, and in check mode. Each run takes ~40 s. Results go to a temporary
directory, never to runs/.

The lab instance is the integration tests' (2) unless FASTPATH_SMOKE_LAB_INSTANCE names another, so
the test can run beside other engineers' tests; it is taken down before and after, whatever happened.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab
REPO = Path(__file__).resolve().parents[2]
ANSIBLE = Path(sys.executable).parent
SSH_KEY = "/var/lib/fastpath-lab/ssh/id_ed25519"
INSTANCE = int(os.environ.get("FASTPATH_SMOKE_LAB_INSTANCE", "2"))
SERVERS = ("srv1", "srv2")


def lab(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastpath.cli", "lab", *args, "--instance", str(INSTANCE)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False)


def playbook(name: str, *extra: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               FASTPATH_LAB_INSTANCE=str(INSTANCE))
    return subprocess.run([str(ANSIBLE / "ansible-playbook"), name, *extra], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env=env, check=False)


def smoke(results: Path, *extra: str) -> subprocess.CompletedProcess:
    return playbook("playbooks/smoke.yml", "-e", f"smoke_test_results_dir={results}", *extra)


def on_host(address: str, command: str) -> str:
    argv = ["ssh", "-i", SSH_KEY, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", f"root@{address}", command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout


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
        deploy = playbook("playbooks/deploy.yml")
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


def test_a_gate_above_what_the_lab_can_do_fails_each_server_by_name(deployed_lab, tmp_path):
    run = smoke(tmp_path, "-e", "smoke_test_label=toohigh", "-e", "smoke_test_min_rate_pps=10000000")
    assert run.returncode == 2, run.stdout[-4000:]
    hosts = recap(run.stdout)
    assert hosts["srv1"]["failed"] == 1 and hosts["srv2"]["failed"] == 1, hosts
    _, servers = run_results(tmp_path, "toohigh")
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


def test_a_baseline_and_an_after_run_are_shown_side_by_side(deployed_lab, tmp_path):
    pair = tmp_path / "pair.yml"
    stage = REPO / "playbooks/smoke.yml"
    pair.write_text(
        f"- ansible.builtin.import_playbook: {stage}\n  vars: {{smoke_test_label: before}}\n"
        f"- ansible.builtin.import_playbook: {stage}\n  vars: {{smoke_test_label: after}}\n"
    )
    run = playbook(str(pair), "-e", f"smoke_test_results_dir={tmp_path}")
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

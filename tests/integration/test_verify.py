"""playbooks/verify.yml on a 1-host lab (issue 15, Deliver 2): desired against live, changing nothing.

In file order: on a host tune never ran on, verify fails it (no plan); after tune.yml it passes
with every setting checked and the global sysctls a network namespace cannot hold skipped with the
reason; after srv1's tx-0/xps_cpus is changed by hand it fails srv1 naming XPS, with desired and
live in the table and in verify.json, and the hand-made change is still there afterwards (in check
mode as well).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fastpath.lab import fleet
from fastpath.lab import ssh as lab_ssh

pytestmark = pytest.mark.lab
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
XPS = "/sys/class/net/eth0/queues/tx-0/xps_cpus"


@pytest.fixture(scope="module")
def srv1(lab_tools):
    proc = lab_tools.run("up", "--instance", str(lab_tools.instance), "--size", "1", timeout=600)
    assert proc.returncode == 0, proc.stderr
    return fleet.plan(1, lab_tools.instance)[0]


def play(lab_tools, name: str, runs: Path, *flags: str) -> subprocess.CompletedProcess:
    argv = [str(ANSIBLE_PLAYBOOK), f"playbooks/{name}.yml", "-e", f"fastpath_runs_dir={runs}", *flags]
    env = dict(os.environ, ANSIBLE_CONFIG=str(lab_tools.repo / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               FASTPATH_LAB_INSTANCE=str(lab_tools.instance))
    return subprocess.run(argv, cwd=lab_tools.repo, capture_output=True, text=True, timeout=900, env=env,
                          check=False)


def latest_json(runs: Path) -> dict:
    [path] = sorted(runs.glob("*-verify/verify.json"))[-1:]
    return json.loads(path.read_text())


def on(host, command: str) -> str:
    proc = lab_ssh.ssh(host.address, [command], timeout=60)
    assert proc is not None and proc.returncode == 0, f"{host.name}: {command}: {proc and proc.stderr}"
    return proc.stdout.strip()


def test_an_untuned_host_is_not_as_declared(lab_tools, srv1, tmp_path):
    run = play(lab_tools, "verify", tmp_path)
    assert run.returncode != 0
    text = " ".join(run.stdout.split())
    assert "srv1 is not as declared: /var/lib/fastpath/plan.json | a plan written by tune | none" in text
    assert latest_json(tmp_path)["differing_hosts"] == ["srv1"]


def test_after_tune_every_setting_is_as_declared(lab_tools, srv1, tmp_path):
    tune = play(lab_tools, "tune", tmp_path)
    assert tune.returncode == 0, tune.stdout[-3000:]
    run = play(lab_tools, "verify", tmp_path)
    assert run.returncode == 0, run.stdout[-3000:]
    host = latest_json(tmp_path)["hosts"]["srv1"]
    assert host["status"] == "as declared" and host["differences"] == []
    settings = {c["setting"] for c in host["checks"]}
    assert all(c["status"] in ("ok", "skipped") for c in host["checks"])
    # The NIC as fastpath-reapply sees it, the slice, and the persisted sysctls.
    assert {"sysfs eth0/tx-0/xps_cpus", "fastpath.slice AllowedCPUs", "ethtool eth0/channels"} <= settings
    assert any(s.startswith("net.") for s in settings)
    # The lab host is a network namespace: its global sysctls are skipped with the reason, not failed.
    assert all(s.get("reason") for s in host["skipped"])


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_hand_made_xps_change_is_named_and_left_where_it_was(lab_tools, srv1, tmp_path, check_mode):
    on(srv1, f"echo 0 > {XPS}")
    run = play(lab_tools, "verify", tmp_path, *(["--check"] if check_mode else []))
    assert run.returncode != 0
    text = " ".join(run.stdout.split())
    assert "srv1 is not as declared: sysfs eth0/tx-0/xps_cpus | 0-1 | (none)" in text
    [difference] = latest_json(tmp_path)["hosts"]["srv1"]["differences"]
    assert difference["setting"] == "sysfs eth0/tx-0/xps_cpus" and difference["live"] == "(none)"
    assert int(on(srv1, f"cat {XPS}"), 16) == 0  # verify changed nothing

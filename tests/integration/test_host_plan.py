"""One plan, on the host (issue 14, Deliver 1): deploy.yml run alone uses the plan tune wrote on the
host, whatever its own -e, and never starts workers outside the slice.

On a 1-host lab (srv1, 2 CPUs), in file order:
1. deploy.yml on a host tune never ran on stops, naming the host and what to do, and installs nothing;
2. tune.yml with an explicit partition (housekeeping 1, IRQs 0, workers 0) writes
   /var/lib/fastpath/plan.json and a slice that allows CPU 0 only;
3. deploy.yml alone, with none of those -e (its defaults would put the workers on CPU 1, the defect
   seen on a VM: "workers: CPU 1 is not one this process may run on"), runs the server on CPU 0;
4. deploy.yml with dataplane_worker_cpus outside the slice stops before writing anything, naming
   the CPUs, and the running server is left as it was.
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
PLAN = "/var/lib/fastpath/plan.json"
CONF = "/etc/fastpath/server.conf"
PARTITION = {"cpu_partition_layout": "shared", "cpu_partition_housekeeping": "1",
             "cpu_partition_irq": "0", "cpu_partition_workers": "0"}


@pytest.fixture(scope="module")
def srv1(lab_tools):
    proc = lab_tools.run("up", "--instance", str(lab_tools.instance), "--size", "1", timeout=600)
    assert proc.returncode == 0, proc.stderr
    return fleet.plan(1, lab_tools.instance)[0]


def play(lab_tools, name: str, extra: dict | None = None) -> subprocess.CompletedProcess:
    argv = [str(ANSIBLE_PLAYBOOK), f"playbooks/{name}.yml", "--limit", "dataplane_servers"]
    if extra:
        argv += ["-e", json.dumps(extra)]
    env = dict(os.environ, ANSIBLE_CONFIG=str(lab_tools.repo / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               FASTPATH_LAB_INSTANCE=str(lab_tools.instance))
    return subprocess.run(argv, cwd=lab_tools.repo, capture_output=True, text=True, timeout=900, env=env,
                          check=False)


def on(host, command: str) -> subprocess.CompletedProcess:
    proc = lab_ssh.ssh(host.address, [command], timeout=60)
    assert proc is not None, f"{host.name}: no answer to {command}"
    return proc


def test_deploy_on_a_host_without_a_plan_stops_naming_it(lab_tools, srv1):
    run = play(lab_tools, "deploy")
    assert run.returncode != 0
    text = " ".join(run.stdout.split())
    assert f"srv1 has no fastpath plan ({PLAN}" in text
    assert "run playbooks/tune.yml (or site.yml) on it first, or set dataplane_worker_cpus" in text
    assert on(srv1, f"test -e {CONF} || test -e /etc/systemd/system/fastpath-server.service").returncode == 1


def test_tune_writes_the_plan_and_the_slice(lab_tools, srv1):
    run = play(lab_tools, "tune", PARTITION)
    assert run.returncode == 0, run.stdout[-3000:]
    saved = json.loads(on(srv1, f"cat {PLAN}").stdout)
    assert saved["version"] == 1 and saved["host"] == "srv1"
    assert saved["plan"]["workers"] == "0" and saved["plan"]["irq"] == "0"
    assert {k: saved["inputs"][k] for k in PARTITION} == PARTITION
    allowed = on(srv1, "systemctl show --property=AllowedCPUs --value fastpath.slice").stdout.strip()
    assert allowed == "0"


def test_deploy_alone_takes_the_workers_from_the_plan_not_its_defaults(lab_tools, srv1):
    run = play(lab_tools, "deploy")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "the plan tune wrote on this host" in run.stdout
    assert "workers = 0" in on(srv1, f"cat {CONF}").stdout.splitlines()
    assert on(srv1, "systemctl is-active fastpath-server.service").stdout.strip() == "active"


def test_workers_outside_the_slice_stop_deploy_before_anything_changes(lab_tools, srv1):
    pid = on(srv1, "systemctl show --property=MainPID --value fastpath-server.service").stdout.strip()
    conf = on(srv1, f"cat {CONF}").stdout
    run = play(lab_tools, "deploy", {"dataplane_worker_cpus": "1"})
    assert run.returncode != 0
    text = " ".join(run.stdout.split())
    assert ("workers = 1 (dataplane_worker_cpus), but fastpath.slice allows only CPUs 0: "
            "CPUs 1 would be refused") in text
    assert on(srv1, f"cat {CONF}").stdout == conf
    assert on(srv1, "systemctl show --property=MainPID --value fastpath-server.service").stdout.strip() == pid

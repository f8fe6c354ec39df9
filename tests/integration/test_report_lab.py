"""playbooks/report.yml on the lab fleet over SSH (instance 2, srv1 and cli1): a run per host with
its veth eth0 (4 queues, no IRQs), then RPS set on srv1 for real and a second run compared with
"previous" that shows exactly that change. ~40 s with the lab image built.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "unit" / "report"))
from htmlscan import body_rows, scan  # noqa: E402
from promtext import parse, series  # noqa: E402

pytestmark = pytest.mark.lab
BIN = Path(sys.executable).parent


def lab_ansible(tools, *argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, FASTPATH_LAB_INSTANCE=str(tools.instance), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))  # fmt: skip
    return subprocess.run([str(BIN / argv[0]), "-i", "inventories/lab", *argv[1:]], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=300, check=False)  # fmt: skip


def test_report_of_the_lab_fleet_and_a_real_change_between_runs(lab_tools, tmp_path):
    up = lab_tools.run("up", "--instance", str(lab_tools.instance), "--size", "2")
    assert up.returncode == 0, up.stderr
    runs = tmp_path / "runs"
    first = lab_ansible(lab_tools, "ansible-playbook", "playbooks/report.yml", "-e", f"report_dir={runs}",
                        "-e", "report_label=before")  # fmt: skip
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    before = runs / os.readlink(runs / "latest")
    assert sorted(p.name for p in (before / "hosts").iterdir()) == [
        "cli1.json",
        "cli1.prom",
        "srv1.json",
        "srv1.prom",
    ]
    srv1 = json.loads((before / "hosts" / "srv1.json").read_text())
    eth0 = srv1["interfaces"]["eth0"]
    assert len(eth0["queues"]["rx"]) == 4 and len(eth0["queues"]["tx"]) == 4 and eth0["irqs"] == []
    assert eth0["queues"]["rx"][0]["rps_cpus"] == ""
    fams = parse((before / "hosts" / "srv1.prom").read_text())
    assert len([s for s, _value in series(fams, "fastpath_nic_queue_info") if s["device"] == "eth0"]) == 8

    # Tune srv1 for real: RPS on rx-0 to CPU 0 (lab hosts share this kernel's CPUs).
    tune = lab_ansible(lab_tools, "ansible", "srv1", "-m", "ansible.builtin.shell",
                       "-a", "echo 1 > /sys/class/net/eth0/queues/rx-0/rps_cpus")  # fmt: skip
    assert tune.returncode == 0, tune.stdout + tune.stderr
    second = lab_ansible(lab_tools, "ansible-playbook", "playbooks/report.yml", "-e", f"report_dir={runs}",
                         "-e", "report_label=after", "-e", "report_compare_to=previous")  # fmt: skip
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-2000:]
    after = runs / os.readlink(runs / "latest")
    assert after != before
    page = scan((after / "index.html").read_text())
    assert page.sections == ["cli1", "srv1"]
    assert [r[:4] for r in body_rows(page.rows("changes"), "where")] == [
        ["eth0 rx-0", "rps_cpus", "none", "0"]
    ]

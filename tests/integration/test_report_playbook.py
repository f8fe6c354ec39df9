"""playbooks/report.yml end to end with ansible-playbook: four fixture-tree hosts, this machine's live
/ and a host that cannot be reached, then tuning on a fixture tree and a second run compared with
"previous"; check mode writes nothing; a bad label stops before anything is written.

Everything runs with the local connection (the unreachable host is SSH to a closed port on
127.0.0.1). Takes ~60 s: three ansible-playbook runs of ~15 s, one check-mode run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "unit" / "report"))
from htmlscan import body_rows, scan  # noqa: E402
from promtext import parse, series  # noqa: E402
from report_docs import build_host256, tree  # noqa: E402

pytestmark = pytest.mark.root
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
FIXTURE_HOSTS = ("mlx5", "virtio_net", "broken")
RUN_NAME = re.compile(r"^\d{8}T\d{6}Z-(before|after)$")


def playbook(inventory: Path, report_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    argv = [
        str(ANSIBLE_PLAYBOOK),
        "playbooks/report.yml",
        "-i",
        str(inventory),
        "-e",
        "report_hosts=all",
        "-e",
        f"report_dir={report_dir}",
        *extra,
    ]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300, env=env, check=False)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """An inventory of fixture hosts (mlx5 copied, so it can be "tuned"), host256, the live machine
    and an unreachable host."""
    base = tmp_path_factory.mktemp("report_fleet")
    mlx5 = base / "mlx5"
    shutil.copytree(tree("mlx5"), mlx5, symlinks=True)
    roots = {
        "mlx5": mlx5,
        "virtio_net": tree("virtio_net"),
        "broken": tree("broken"),
        "host256": build_host256(base),
    }
    hosts = {name: {"ansible_connection": "local", "report_root": str(root)} for name, root in roots.items()}
    hosts["live"] = {"ansible_connection": "local", "report_root": "/", "report_interfaces": ["lo"]}
    hosts["gone"] = {
        "ansible_connection": "ssh",
        "ansible_host": "127.0.0.1",
        "ansible_port": 1,
        "ansible_ssh_common_args": "-o ConnectTimeout=5 -o StrictHostKeyChecking=no",
    }
    inventory = base / "inventory.json"
    inventory.write_text(
        json.dumps({"all": {"hosts": hosts, "vars": {"ansible_python_interpreter": "/usr/bin/python3"}}})
    )
    return {"inventory": inventory, "report_dir": base / "runs", "mlx5": mlx5}


@pytest.fixture(scope="module")
def first_run(fleet):
    done = playbook(fleet["inventory"], fleet["report_dir"], "-e", "report_label=before")
    assert "gone" in done.stdout and "UNREACHABLE" in done.stdout, done.stdout[-3000:]
    runs = [p for p in fleet["report_dir"].iterdir() if not p.is_symlink()]
    assert len(runs) == 1, done.stdout[-3000:] + done.stderr[-2000:]
    return runs[0]


def test_the_run_holds_json_and_a_valid_textfile_per_host_and_one_page(fleet, first_run):
    assert RUN_NAME.match(first_run.name)
    assert os.readlink(fleet["report_dir"] / "latest") == first_run.name
    hosts = sorted(p.name for p in (first_run / "hosts").iterdir())
    expected = sorted(f"{h}.{ext}" for h in (*FIXTURE_HOSTS, "host256", "live") for ext in ("json", "prom"))
    assert hosts == expected
    mlx5 = json.loads((first_run / "hosts" / "mlx5.json").read_text())
    assert sorted(mlx5["interfaces"]) == ["ens1f0np0", "ens1f1np1", "veth0"]
    assert mlx5["findings"] and mlx5["irqs"] and mlx5["cpus"]["online"] == "0-7"
    broken = json.loads((first_run / "hosts" / "broken.json").read_text())
    assert any("vanished" in w for w in broken["warnings"])
    for host in (*FIXTURE_HOSTS, "host256", "live"):
        fams = parse((first_run / "hosts" / f"{host}.prom").read_text())
        assert series(fams, "fastpath_cpus_online"), host
    live = parse((first_run / "hosts" / "live.prom").read_text())
    assert [s["device"] for s, _value in series(live, "fastpath_nic_info")] == ["lo"]
    page = scan((first_run / "index.html").read_text())
    assert page.sections == ["broken", "host256", "live", "mlx5", "virtio_net"]
    assert "No data from: gone" in "".join(page.texts)
    assert len(page.svgs) == 5 and page.svg_cells


def test_after_tuning_a_compared_run_shows_what_changed(fleet, first_run):
    # "Tune" the mlx5 fixture host: pin the IRQ of queue 0 of ens1f0np0 to CPU 3 and set XPS on tx-0.
    before = json.loads((first_run / "hosts" / "mlx5.json").read_text())
    irq = next(i for i in before["interfaces"]["ens1f0np0"]["irqs"] if i["queue"] == 0)
    (fleet["mlx5"] / f"proc/irq/{irq['irq']}/smp_affinity_list").write_text("3\n")
    (fleet["mlx5"] / f"proc/irq/{irq['irq']}/smp_affinity").write_text("08\n")
    xps = fleet["mlx5"] / "sys/class/net/ens1f0np0/queues/tx-0/xps_cpus"
    xps.write_text("01\n")
    done = playbook(
        fleet["inventory"],
        fleet["report_dir"],
        "-l",
        "mlx5,virtio_net",
        "-e",
        "report_label=after",
        "-e",
        "report_compare_to=previous",
        # The findings' inputs reach nic_info: rmem_max (212992 in the tree) is now too small.
        "-e",
        "report_dataplane_rmem=33554432",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    latest = fleet["report_dir"] / os.readlink(fleet["report_dir"] / "latest")
    assert latest.name.endswith("-after") and latest.name > first_run.name
    assert f"Compared with: {first_run}" in done.stdout
    page = scan((latest / "index.html").read_text())
    changes = {tuple(row[1:]) for row in body_rows(page.rows("changes"), "where")}
    assert changes == {("IRQ affinity", irq["affinity"], "3"), ("xps_cpus", "none", "0")}
    assert len(page.tables["changes"]) == 1  # mlx5's; virtio_net, unchanged, says so instead
    assert "No setting changed." in page.texts
    new = [row[1] for row in body_rows(page.rows("findings-new"), "severity")]
    assert new == ["net.core.rmem_max is below what the dataplane will ask for"] * 2  # on both hosts
    assert list(page.sections) == ["mlx5", "virtio_net"]


def test_check_mode_reads_the_hosts_and_writes_nothing(fleet, first_run):
    before = sorted(p.name for p in fleet["report_dir"].iterdir())
    latest = os.readlink(fleet["report_dir"] / "latest")
    done = playbook(fleet["inventory"], fleet["report_dir"], "--check", "-l", "virtio_net")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Check mode: the hosts were read but nothing was written" in done.stdout
    assert sorted(p.name for p in fleet["report_dir"].iterdir()) == before
    assert os.readlink(fleet["report_dir"] / "latest") == latest


def test_a_label_that_cannot_name_a_directory_stops_the_play(fleet, tmp_path):
    done = playbook(fleet["inventory"], tmp_path / "runs", "-l", "virtio_net", "-e", "report_label=../x")
    assert done.returncode != 0
    assert "report_label must be letters, digits" in done.stdout
    assert not (tmp_path / "runs").exists()

"""The host's node_exporter textfile on a 1-host lab (issue 15, Deliver 4), over real SSH and systemd.

tune.yml installs fastpath-textfile's timer (role host_metrics), deploy.yml starts fastpath-server;
then on srv1 the timer is active, the file is in node_exporter's textfile directory, it parses
under prometheus_client's parser and the strict one of the report tests, its NIC, queue, CPU and
softnet values are what /sys and /proc on srv1 say (counters between a read just before and one
just after the file was written), and the server's counters are there for each worker on its CPU.
uninstall.yml then removes the timer, the service, the command and the file. ~4 min here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from fastpath.lab import fleet
from fastpath.lab import ssh as lab_ssh

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "unit" / "report"))
from promtext import parse, series  # noqa: E402

pytestmark = pytest.mark.lab
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
TEXTFILE = "/var/lib/node_exporter/textfile_collector/fastpath.prom"
UNITS = ("fastpath-textfile.timer", "fastpath-textfile.service")
INSTALLED = ("/etc/systemd/system/fastpath-textfile.timer", "/etc/systemd/system/fastpath-textfile.service",
             "/usr/local/libexec/fastpath/textfile/fastpath-textfile",
             "/usr/local/libexec/fastpath/textfile/python.zip", "/usr/local/libexec/fastpath/textfile",
             TEXTFILE)


@pytest.fixture(scope="module")
def srv1(lab_tools):
    proc = lab_tools.run("up", "--instance", str(lab_tools.instance), "--size", "1", timeout=600)
    assert proc.returncode == 0, proc.stderr
    return fleet.plan(1, lab_tools.instance)[0]


def play(lab_tools, name: str, runs: Path) -> subprocess.CompletedProcess:
    argv = [str(ANSIBLE_PLAYBOOK), f"playbooks/{name}.yml", "-e", f"fastpath_runs_dir={runs}"]
    env = dict(os.environ, ANSIBLE_CONFIG=str(lab_tools.repo / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               FASTPATH_LAB_INSTANCE=str(lab_tools.instance))
    return subprocess.run(argv, cwd=lab_tools.repo, capture_output=True, text=True, timeout=1200, env=env,
                          check=False)


def on(host, command: str, ok: bool = True) -> str:
    proc = lab_ssh.ssh(host.address, [command], timeout=60)
    assert proc is not None, f"{host.name}: no ssh for {command}"
    assert not ok or proc.returncode == 0, f"{host.name}: {command}: {proc.stderr}"
    return proc.stdout


def softnet(text: str) -> dict[str, int]:
    """processed per CPU from /proc/net/softnet_stat (hex columns; the CPU is column 13 on >= 5.10)."""
    out = {}
    for row, line in enumerate(text.split("\n")):
        cols = line.split()
        if cols:
            out[str(int(cols[12], 16) if len(cols) > 12 else row)] = int(cols[0], 16)
    return out


def one(fams: dict, name: str, **labels) -> float:
    [value] = [v for s, v in series(fams, name) if all(s.get(k) == w for k, w in labels.items())]
    return value


def test_the_timer_writes_what_the_host_says_and_uninstall_removes_it(lab_tools, srv1, tmp_path):
    for stage in ("tune", "deploy"):
        run = play(lab_tools, stage, tmp_path)
        assert run.returncode == 0, f"{stage}: {run.stdout[-3000:]}"
    assert on(srv1, "systemctl is-active fastpath-textfile.timer").strip() == "active"
    assert on(srv1, "systemctl is-enabled fastpath-textfile.timer").strip() == "enabled"
    # One write now, between two reads of the counters it reports.
    before = softnet(on(srv1, "cat /proc/net/softnet_stat"))
    on(srv1, "systemctl start fastpath-textfile.service")
    after = softnet(on(srv1, "cat /proc/net/softnet_stat"))
    text = on(srv1, f"cat {TEXTFILE}")
    assert on(srv1, f"stat -c '%a %U' {TEXTFILE}").split() == ["644", "root"]
    assert on(srv1, f"ls -A {os.path.dirname(TEXTFILE)}").split() == ["fastpath.prom"], "a temp file stayed"

    fams = parse(text)  # strict: raises on anything node_exporter could trip on
    parsed = {f.name: f for f in text_string_to_metric_families(text)}
    # prometheus_client names a counter family without _total. veth has no IRQs: no IRQ families here.
    assert {"fastpath_nic_queue_info", "fastpath_cpus_online", "fastpath_softnet_processed",
            "fastpath_server_rx_packets", "fastpath_server_info"} <= set(parsed)
    assert parsed["fastpath_server_rx_packets"].type == "counter"
    # The NIC as /sys and ethtool say.
    sys_net = "/sys/class/net/eth0"
    assert one(fams, "fastpath_nic_mtu_bytes", device="eth0") == int(on(srv1, f"cat {sys_net}/mtu"))
    queues = on(srv1, f"ls {sys_net}/queues").split()
    listed = {(s["direction"], s["queue"]) for s, _v in series(fams, "fastpath_nic_queue_info")
              if s["device"] == "eth0"}
    assert listed == {tuple(q.split("-")) for q in queues}
    for s, _v in series(fams, "fastpath_nic_queue_info"):
        mask = "rps_cpus" if s["direction"] == "rx" else "xps_cpus"
        live = on(srv1, f"cat {sys_net}/queues/{s['direction']}-{s['queue']}/{mask}").strip()
        assert (int(live.replace(",", ""), 16) if live else 0) == sum(1 << c for c in _cpulist(s["cpus"]))
    channels = {(s["setting"], s["kind"]): v for s, v in series(fams, "fastpath_nic_channels")
                if s["device"] == "eth0"}
    assert channels and channels == ethtool_channels(on(srv1, "ethtool -l eth0"))
    # The CPUs and their softnet counters, as /sys and /proc say.
    online = on(srv1, "cat /sys/devices/system/cpu/online").strip()
    assert one(fams, "fastpath_cpus_online") == len(_cpulist(online))
    processed = {s["cpu"]: v for s, v in series(fams, "fastpath_softnet_processed_total")}
    assert set(processed) == set(before)
    for cpu, value in processed.items():
        assert before[cpu] <= value <= after[cpu]
    # The server's counters, one series per worker, on the CPUs its stats say.
    stats = json.loads(on(srv1, "cat /run/fastpath/stats.json"))
    cpus = {(str(w["worker"]), str(w["cpu"])) for w in stats["workers"]}
    assert {(s["worker"], s["cpu"]) for s, _v in series(fams, "fastpath_server_rx_packets_total")} == cpus
    assert [s["mode"] for s, _v in series(fams, "fastpath_server_info")] == [stats["mode"]]

    run = play(lab_tools, "uninstall", tmp_path)
    assert run.returncode == 0, run.stdout[-3000:]
    for unit in UNITS:
        assert on(srv1, f"systemctl show -p LoadState --value {unit}").strip() == "not-found"
    assert on(srv1, "ls -d " + " ".join(INSTALLED) + " 2>/dev/null; true").split() == []
    assert on(srv1, "ls -d /var/lib/node_exporter 2>/dev/null; true").strip() == ""


def ethtool_channels(text: str) -> dict[tuple[str, str], int]:
    """(max|current, rx|tx|other|combined) -> count from `ethtool -l`; n/a left out (veth: rx/tx only)."""
    out, setting = {}, None
    for line in text.splitlines():
        if line.startswith("Pre-set maximums"):
            setting = "max"
        elif line.startswith("Current hardware settings"):
            setting = "current"
        elif setting and ":" in line:
            kind, value = (part.strip() for part in line.split(":", 1))
            if value.isdigit():
                out[(setting, kind.lower())] = int(value)
    return out


def _cpulist(text: str) -> set[int]:
    out: set[int] = set()
    for part in filter(None, text.split(",")):
        lo, _dash, hi = part.partition("-")
        out |= set(range(int(lo), int(hi or lo) + 1))
    return out

"""The lab fleet for real: up, up again, ansible over SSH, status, repair of a half-up host, grow and
shrink, down, and nothing left behind. Instance 2, size 2 (srv1, cli1) to keep it quick.

The tests run in file order on one lab that the module fixture takes down at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess

import pytest

from fastpath.lab import paths, procs, state

pytestmark = pytest.mark.lab

SIZE = "2"
# The integration tests' lab instance (see conftest.py) and the addresses its hosts get.
N = int(os.environ.get("FASTPATH_TEST_LAB_INSTANCE", "2"))
SRV1, SRV2, CLI1 = f"198.18.{N}.11", f"198.18.{N}.12", f"198.18.{N}.101"
SSH = ["ssh", "-i", str(paths.SSH_KEY), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
       "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5"]


def on_host(address: str, *command: str) -> str:
    proc = subprocess.run([*SSH, f"root@{address}", "--", *command], capture_output=True, text=True,
                          timeout=30, check=False)
    assert proc.returncode == 0, f"{command} on {address}: {proc.stderr}"
    return proc.stdout.strip()


def system_state(address: str) -> tuple[str, str]:
    """systemd's overall state once boot finished, and the failed units if any (for the message)."""
    proc = subprocess.run([*SSH, f"root@{address}", "--", "systemctl", "is-system-running", "--wait"],
                          capture_output=True, text=True, timeout=60, check=False)
    return proc.stdout.strip(), on_host(address, "systemctl", "--failed", "--no-legend")


def recorded(instance: int) -> state.LabState:
    lab = state.load(instance)
    assert lab is not None, "no state: the lab is not up"
    return lab


def up(tools, *extra: str):
    return tools.run("up", "--instance", str(tools.instance), "--size", SIZE, *extra)


def test_up_without_an_image_is_a_clear_message_and_makes_nothing(lab_tools, tmp_path):
    proc = lab_tools.run("up", "--instance", str(lab_tools.instance),
                         env={"FASTPATH_LAB_IMAGE_CACHE": str(tmp_path / "no-cache")})
    assert proc.returncode == 2
    assert "no lab image at" in proc.stderr and "`fastpath lab image`" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert lab_tools.leftovers(lab_tools.instance) == []


def test_up_boots_hosts_with_systemd_and_ssh(lab_tools):
    proc = up(lab_tools)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lab = recorded(lab_tools.instance)
    assert [(h.name, h.address) for h in lab.hosts.values()] == [
        ("srv1", SRV1), ("cli1", CLI1)]
    for hs in lab.hosts.values():
        assert procs.alive(hs.pid, hs.pid_start)
        assert on_host(hs.address, "hostname") == hs.name
        assert on_host(hs.address, "cat", "/proc/1/comm") == "systemd"
        overall, failed = system_state(hs.address)
        assert overall == "running", f"{hs.name}: {overall}; failed units: {failed}"
        queues = on_host(hs.address, "ls", "/sys/class/net/eth0/queues").split()
        assert sorted(queues) == ["rx-0", "rx-1", "rx-2", "rx-3", "tx-0", "tx-1", "tx-2", "tx-3"]
        # Only the host's own interfaces: its sysfs belongs to its namespace, not the machine's.
        assert sorted(on_host(hs.address, "ls", "/sys/class/net").split()) == ["eth0", "lo"]
        assert "bpf" in on_host(hs.address, "findmnt", "-n", "-o", "FSTYPE", "/sys/fs/bpf")
    # The hosts reach each other over the bridge, by name.
    on_host(SRV1, "ping", "-c", "1", "-W", "2", "cli1")


@contextlib.contextmanager
def unreachable_from_here(address: str):
    """Drop every packet this machine sends to one lab address, so its sshd cannot answer however fast
    the host boots: the boot wait's timeout is then certain to be what ends it."""
    subprocess.run(["ip", "route", "add", "blackhole", f"{address}/32"], check=True)
    try:
        yield
    finally:
        subprocess.run(["ip", "route", "del", "blackhole", f"{address}/32"], check=True)


@pytest.mark.parametrize("timeout", ["0.01", "3"])
def test_a_host_that_does_not_answer_in_time_is_named_with_its_console_log(lab_tools, timeout):
    # Grow by one host whose sshd cannot be reached: the error names it, only it, and quotes its
    # console. 0.01 s is shorter than one ssh probe, 3 s longer than the hosts already up need.
    with unreachable_from_here(SRV2):
        proc = lab_tools.run("up", "--instance", str(lab_tools.instance), "--size", "3", "--timeout", timeout)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert f"did not answer within {timeout} s" in proc.stderr
    assert f"srv2 ({SRV2})" in proc.stderr.split("not answering:", 1)[1]
    assert f"/var/lib/fastpath-lab/{N}/" in proc.stderr and "console.log, which ends:" in proc.stderr
    assert "Traceback" not in proc.stderr
    if timeout == "3":
        # The hosts that were up answered within 3 s: only srv2 is named.
        assert f"srv2: sshd on {SRV2} did not answer within 3 s (not answering: srv2 ({SRV2}))" in proc.stderr
        assert f"/var/lib/fastpath-lab/{N}/srv2/console.log" in proc.stderr
    # The next `up` waits for the host that was left booting rather than calling the lab up at once.
    proc = lab_tools.run("up", "--instance", str(lab_tools.instance), "--size", "3")
    assert proc.returncode == 0, proc.stderr
    assert on_host(SRV2, "hostname") == "srv2"
    assert up(lab_tools).returncode == 0  # back to 2 hosts


def test_second_up_leaves_running_hosts_alone(lab_tools):
    before = {h.name: (h.pid, h.pid_start) for h in recorded(lab_tools.instance).hosts.values()}
    proc = up(lab_tools)
    assert proc.returncode == 0, proc.stderr
    assert "srv1: already up" in proc.stdout and "cli1: already up" in proc.stdout
    after = {h.name: (h.pid, h.pid_start) for h in recorded(lab_tools.instance).hosts.values()}
    assert after == before


def test_ansible_reaches_every_host_over_ssh_through_the_inventory(lab_tools):
    env = {**os.environ, "FASTPATH_LAB_INSTANCE": str(lab_tools.instance),
           "ANSIBLE_CONFIG": str(lab_tools.repo / "ansible.cfg")}
    ansible = str(lab_tools.repo / ".venv" / "bin" / "ansible")
    ping = subprocess.run([ansible, "-i", "inventories/lab", "all", "-m", "ansible.builtin.ping"],
                          capture_output=True, text=True, env=env, cwd=lab_tools.repo, timeout=120,
                          check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert ping.stdout.count("pong") == 2
    hostname = subprocess.run([ansible, "-i", "inventories/lab", "load_clients",
                               "-m", "ansible.builtin.command", "-a", "hostname"],
                              capture_output=True, text=True, env=env, cwd=lab_tools.repo, timeout=120,
                              check=False)
    assert hostname.returncode == 0, hostname.stdout + hostname.stderr
    assert "cli1 | CHANGED" in hostname.stdout and "srv1" not in hostname.stdout


def test_status_reports_each_host_running_with_ssh(lab_tools):
    proc = lab_tools.run("status", "--instance", str(lab_tools.instance), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["instance"] == lab_tools.instance
    by_name = {h["name"]: h for h in report["hosts"]}
    assert set(by_name) == {"srv1", "cli1"}
    for host in by_name.values():
        healthy = host["running"] and host["ssh"] and host["systemd"] == "running"
        assert healthy, (host, system_state(host["address"]))
        assert host["problems"] == []
    assert by_name["cli1"]["group"] == "load_clients" and by_name["cli1"]["netns"] == f"fp{N}-cli1"


def test_a_host_whose_nspawn_died_is_reported_and_repaired(lab_tools):
    srv1 = recorded(lab_tools.instance).hosts["srv1"]
    cli1 = recorded(lab_tools.instance).hosts["cli1"]
    inside = lab_tools.processes_in_netns(srv1.netns)
    assert len(inside) >= 3, inside  # systemd, journald, sshd ... besides nspawn itself
    os.kill(srv1.pid, signal.SIGKILL)
    for _attempt in range(50):
        if not procs.alive(srv1.pid, srv1.pid_start):
            break
        subprocess.run(["sleep", "0.1"], check=True)
    status = json.loads(lab_tools.run("status", "--instance", str(lab_tools.instance), "--json").stdout)
    srv1_status = next(h for h in status["hosts"] if h["name"] == "srv1")
    assert not srv1_status["running"] and not srv1_status["ssh"]
    proc = up(lab_tools)
    assert proc.returncode == 0, proc.stderr
    expected = f"srv1: half up (nspawn PID {srv1.pid} is not running); cleaning it and starting again"
    assert expected in proc.stdout
    assert "cli1: already up" in proc.stdout
    repaired = recorded(lab_tools.instance).hosts
    assert repaired["srv1"].pid != srv1.pid
    # The old host's init and sshd outlived its nspawn; the repair ended them too.
    assert "process(es) left in netns" in proc.stdout
    assert [pid for pid, start in inside.items() if procs.alive(pid, start)] == []
    assert (repaired["cli1"].pid, repaired["cli1"].pid_start) == (cli1.pid, cli1.pid_start)
    assert on_host(srv1.address, "hostname") == "srv1"


def test_pieces_left_without_state_are_cleaned_before_up(lab_tools):
    # As after a crash between making a host and recording it: the state forgets a running host.
    lab = recorded(lab_tools.instance)
    forgotten = lab.hosts.pop("cli1")
    state.save(lab)
    proc = up(lab_tools)
    assert proc.returncode == 0, proc.stderr
    assert "cli1: leftovers of an earlier run" in proc.stdout
    assert not procs.alive(forgotten.pid, forgotten.pid_start)
    assert on_host(forgotten.address, "hostname") == "cli1"


def test_the_lab_grows_and_shrinks_with_its_size(lab_tools):
    grown = lab_tools.run("up", "--instance", str(lab_tools.instance), "--size", "3")
    assert grown.returncode == 0, grown.stderr
    assert "srv2: starting" in grown.stdout
    srv2 = recorded(lab_tools.instance).hosts["srv2"]
    assert on_host(srv2.address, "hostname") == "srv2"
    shrunk = up(lab_tools)
    assert shrunk.returncode == 0, shrunk.stderr
    assert "srv2: beyond size 2, removing" in shrunk.stdout
    assert set(recorded(lab_tools.instance).hosts) == {"srv1", "cli1"}
    assert not procs.alive(srv2.pid, srv2.pid_start)
    assert not [x for x in lab_tools.leftovers(lab_tools.instance) if "srv2" in x]


def test_down_leaves_nothing_behind_and_is_idempotent(lab_tools):
    lab = recorded(lab_tools.instance)
    inside = {}
    for hs in lab.hosts.values():
        inside.update(lab_tools.processes_in_netns(hs.netns))
    assert len(inside) >= 2 * 3  # at least systemd, journald and sshd on each host
    proc = lab_tools.run("down", "--instance", str(lab_tools.instance))
    assert proc.returncode == 0, proc.stderr
    assert lab_tools.leftovers(lab_tools.instance) == []
    assert [pid for pid, start in inside.items() if procs.alive(pid, start)] == []
    again = lab_tools.run("down", "--instance", str(lab_tools.instance))
    assert again.returncode == 0, again.stderr
    assert f"lab instance {N} is down" in again.stdout

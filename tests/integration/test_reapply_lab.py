"""fastpath-reapply on a lab host, under real systemd: what a reboot or a driver reset takes away
from a tuned NIC comes back, in order, with no Ansible run (issue 13, Deliver 1).

The netns lab has no reboot, so the test makes what a reboot leaves by hand: the veth's channels back
to the 4 it was made with, the NAPI values and XPS mask back to the kernel's defaults. Then
- starting fastpath-reapply@eth0 (what boot does) puts every one back, and `systemctl start` returns
  only when it has (Type=notify: units ordered after it start on a NIC already as planned);
- with the unit running, the same reset followed by a link flap is put right by the watch.
The VM tier proves the same across a real reboot, with real IRQs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fastpath.lab import fleet
from fastpath.lab import ssh as lab_ssh

pytestmark = pytest.mark.lab
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
UNIT = "fastpath-reapply@eth0.service"
# The latency profile's per-device NAPI values (roles/sysctl_tuning/vars/main.yml).
NAPI = {"napi_defer_hard_irqs": "2", "gro_flush_timeout": "200000"}


@pytest.fixture(scope="module")
def srv1(lab_tools):
    proc = lab_tools.run("up", "--instance", str(lab_tools.instance), "--size", "1", timeout=600)
    assert proc.returncode == 0, proc.stderr
    host = fleet.plan(1, lab_tools.instance)[0]
    env = dict(os.environ, ANSIBLE_CONFIG=str(lab_tools.repo / "ansible.cfg"),
               FASTPATH_LAB_INSTANCE=str(lab_tools.instance))
    extra = json.dumps({"sysctl_tuning_interfaces": ["eth0"], "sysctl_tuning_profile": "latency"})
    tune = subprocess.run([str(ANSIBLE_PLAYBOOK), "playbooks/tune.yml", "-e", extra], cwd=lab_tools.repo,
                          env=env, capture_output=True, text=True, timeout=900, check=False)
    assert tune.returncode == 0, tune.stdout[-3000:] + tune.stderr[-2000:]
    return host


def on(host, command: str, timeout: float = 60) -> str:
    proc = lab_ssh.ssh(host.address, [command], timeout=timeout)
    assert proc is not None and proc.returncode == 0, f"{host.name}: {command}: {proc and proc.stderr}"
    return proc.stdout.strip()


def nic_state(host) -> dict:
    """What fastpath set on eth0 and a reboot takes away: channels, the queues, NAPI, XPS."""
    channels = on(host, "ethtool -l eth0").split("Current hardware settings:")[1]
    return {
        "channels": " ".join(channels.split()),
        "queues": on(host, "ls /sys/class/net/eth0/queues").split(),
        **{attr: on(host, f"cat /sys/class/net/eth0/{attr}") for attr in NAPI},
        "xps": on(host, "cat /sys/class/net/eth0/queues/tx-0/xps_cpus"),
    }


def reset_like_a_reboot(host) -> None:
    on(host, "ethtool -L eth0 rx 4 tx 4")  # the veth's channels as the lab made it
    for attr in NAPI:
        on(host, f"echo 0 > /sys/class/net/eth0/{attr}")
    on(host, "echo 0 > /sys/class/net/eth0/queues/tx-0/xps_cpus")


@pytest.fixture(scope="module")
def tuned(srv1) -> dict:
    state = nic_state(srv1)
    # What tune set, as the planner and profile say for a 2-CPU lab host: one channel pair, the
    # latency profile's NAPI values, XPS of both CPUs on the one queue.
    assert state["queues"] == ["rx-0", "tx-0"]
    assert {k: state[k] for k in NAPI} == NAPI
    assert int(state["xps"], 16) == 0b11
    return state


def test_the_saved_plan_holds_the_channels_and_napi_values(srv1, tuned):
    plan = json.loads(on(srv1, "cat /var/lib/fastpath/reapply/nic-eth0.json"))
    assert plan["version"] == 2 and plan["ethtool"]["channels"] == {"rx": 1, "tx": 1}
    napi = json.loads(on(srv1, "cat /var/lib/fastpath/reapply/napi-eth0.json"))
    assert {k: str(napi[k]) for k in NAPI} == NAPI


def test_starting_the_unit_as_boot_does_puts_everything_back(srv1, tuned):
    on(srv1, f"systemctl stop {UNIT}")
    reset_like_a_reboot(srv1)
    reset = nic_state(srv1)
    assert reset["queues"] == ["rx-0", "rx-1", "rx-2", "rx-3", "tx-0", "tx-1", "tx-2", "tx-3"]
    assert reset != tuned
    # Type=notify: start returns once the first re-apply is done, so no waiting here.
    on(srv1, f"systemctl start {UNIT}")
    assert nic_state(srv1) == tuned
    journal = on(srv1, f"journalctl -u {UNIT} -o cat --no-pager -n 40")
    assert "changed ethtool eth0/channels: rx=4 tx=4 -> rx=1 tx=1" in journal
    # Channels before the NAPI values and the masks of the queues that then exist.
    lines = journal.splitlines()
    first = max(i for i, line in enumerate(lines) if "changed ethtool eth0/channels" in line)
    assert first < min(i for i, line in enumerate(lines) if "changed sysfs eth0/" in line and i > first)


def test_a_reset_then_a_link_flap_is_put_right_by_the_running_unit(srv1, tuned):
    assert on(srv1, f"systemctl is-active {UNIT}") == "active"
    reset_like_a_reboot(srv1)
    on(srv1, "ip link set eth0 down && ip link set eth0 up")
    # The watch re-applies on the link-up edge; bounded by a generous deadline, not by speed.
    deadline = time.monotonic() + 60
    while nic_state(srv1) != tuned and time.monotonic() < deadline:
        time.sleep(0.5)
    assert nic_state(srv1) == tuned
    assert on(srv1, f"systemctl is-active {UNIT}") == "active"

"""playbooks/tune.yml with bad variables on a fresh one-host lab fleet: each run fails in the first play
(the validation play, which only reads), with a message that names the variable, and the host is left
exactly as it was — no /var/lib/fastpath, no /etc/fastpath, sysctls, queue masks and channels as before.

The lab instance is the integration tests' (2) unless FASTPATH_TEST_LAB_INSTANCE names another, so the
test can run beside other engineers' tests; it is brought up once for the module and taken down after,
whatever happened. ~10 s a case after ~10 s of lab start.
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
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
SSH_KEY = "/var/lib/fastpath-lab/ssh/id_ed25519"
INSTANCE = int(os.environ.get("FASTPATH_TEST_LAB_INSTANCE", "2"))
VALIDATION_PLAY = "PLAY [Tune - check every host's inputs before any host changes]"
NEXT_PLAY = "PLAY [Tune - sysctls and CPU partition]"

# Everything tune.yml would change, printed in one go so two states compare as strings.
STATE_COMMAND = r"""
for d in /var/lib/fastpath /etc/fastpath /etc/sysctl.d/60-fastpath.conf /etc/sysctl.d/61-fastpath-rfs.conf \
         /etc/systemd/system/fastpath.slice /usr/local/libexec/fastpath; do
  test -e "$d" && echo "exists $d"
done
sysctl net.core.rmem_max net.core.wmem_max net.core.rmem_default net.core.wmem_default \
       net.core.somaxconn net.ipv4.udp_rmem_min net.ipv4.udp_wmem_min net.ipv4.udp_mem
for f in /sys/class/net/eth0/queues/*/rps_cpus /sys/class/net/eth0/queues/*/rps_flow_cnt \
         /sys/class/net/eth0/queues/*/xps_cpus; do
  echo "$f $(cat "$f")"
done
ethtool -l eth0
"""


def lab(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastpath.cli", "lab", *args, "--instance", str(INSTANCE)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False)


def tune(*extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               FASTPATH_LAB_INSTANCE=str(INSTANCE))
    return subprocess.run([str(ANSIBLE_PLAYBOOK), "playbooks/tune.yml", *extra], cwd=REPO,
                          capture_output=True, text=True, timeout=600, env=env, check=False)


def host_state() -> str:
    argv = ["ssh", "-i", SSH_KEY, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", f"root@198.18.{INSTANCE}.11",
            STATE_COMMAND]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout


@pytest.fixture(scope="module")
def fresh_host():
    """A one-server fleet never tuned; its state before any bad run."""
    lab("down")
    up = lab("up", "--size", "1")
    assert up.returncode == 0, up.stderr
    try:
        state = host_state()
        assert "exists" not in state, state  # really untouched, else "nothing changed" proves little
        yield state
    finally:
        lab("down")


BAD_INPUTS = [
    pytest.param({"cpu_partition_housekeeping": "0", "cpu_partition_irq": "0-1",
                  "cpu_partition_workers": "1"},
                 "cpu_partition_", "overlap", id="overlapping-cpulists"),
    pytest.param({"cpu_partition_workers": "1,63"}, "cpu_partition_workers", "63", id="cpu-not-online"),
    pytest.param({"sysctl_tuning_profile": "turbo"}, "sysctl_tuning_profile", "turbo", id="unknown-profile"),
    pytest.param({"cpu_partition_interface": "eth9", "nic_tuning_interface": "eth9"},
                 "_interface", "eth9 does not exist", id="missing-nic"),
    pytest.param({"sysctl_tuning_overrides": {"net.core.rmem_default": 8388608,
                                              "net.core.rmem_max": 1048576}},
                 "net.core.rmem_default", "net.core.rmem_max", id="default-above-max"),
    pytest.param({"nic_tuning_throttle": -1}, "nic_tuning_throttle", "0 (every host at once) or more",
                 id="negative-throttle"),
    pytest.param({"cpu_partition_reboot_timeout": 0}, "cpu_partition_reboot_timeout", "from 1 to 86400",
                 id="zero-reboot-timeout"),
]


@pytest.mark.parametrize(("extra_vars", "variable", "problem"), BAD_INPUTS)
def test_bad_input_fails_in_validation_and_changes_nothing(fresh_host, extra_vars, variable, problem):
    result = tune("-e", json.dumps(extra_vars))
    out = result.stdout
    assert result.returncode != 0, out[-3000:]
    assert VALIDATION_PLAY in out
    assert NEXT_PLAY not in out, "a play after the validation play ran"
    failure = out.split("fatal: [srv1]", 1)[-1].split("PLAY RECAP", 1)[0]
    assert variable in failure and problem in failure, failure[-2000:]
    assert "Traceback" not in out + result.stderr
    assert host_state() == fresh_host

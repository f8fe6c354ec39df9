"""Tuning for real on this machine's own root namespace: the global sysctls that no lab host has,
and IRQ pinning on the machine's virtio NIC (eth0: virtioK-config, -input.0, -output.0).

The roles run through ansible-playbook against localhost inside a private mount namespace whose
/var/lib/fastpath and /etc/sysctl.d are fresh tmpfs mounts, so the machine's own files are never
touched. Every value the test may change is read first and written back by a finalizer, whatever
happens; the test itself asserts that fastpath_restore alone already brought each one back.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PY = REPO / ".venv/bin/python"
IFACE = "eth0"
GLOBAL_SYSCTLS = [
    "netdev_max_backlog",
    "netdev_budget",
    "netdev_budget_usecs",
    "busy_poll",
    "busy_read",
    "rps_sock_flow_entries",
    "optmem_max",
    "rmem_max",
    "wmem_max",
    "rmem_default",
    "wmem_default",
]
pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root: writes sysctls and IRQ affinity"),
    pytest.mark.skipif(not Path(f"/sys/class/net/{IFACE}").exists(), reason=f"no {IFACE} on this machine"),
]


def nic_irqs() -> list[str]:
    """The IRQs of eth0's virtio device, from /proc/interrupts (virtioK-config/input.N/output.N)."""
    dev = Path(f"/sys/class/net/{IFACE}/device").resolve().name  # virtioK
    return [
        line.split(":")[0].strip()
        for line in Path("/proc/interrupts").read_text().splitlines()
        if f" {dev}-" in line
    ]


def tracked_files() -> dict[str, str]:
    files = {f"/proc/sys/net/core/{k}": "" for k in GLOBAL_SYSCTLS}
    files.update({f"/proc/irq/{irq}/smp_affinity_list": "" for irq in nic_irqs()})
    for attr in ("napi_defer_hard_irqs", "gro_flush_timeout"):
        files[f"/sys/class/net/{IFACE}/{attr}"] = ""
    files[f"/sys/class/net/{IFACE}/queues/rx-0/rps_cpus"] = ""
    return files


def read_all(paths) -> dict[str, str]:
    return {p: Path(p).read_text().strip() for p in paths}


@pytest.fixture
def machine_state():
    """The values before the test; written back after it, whatever happened."""
    before = read_all(tracked_files())
    yield before
    for path, value in before.items():
        try:
            if Path(path).read_text().strip() != value:
                Path(path).write_text(value + "\n")
        except OSError as e:  # report, but keep putting the others back
            print(f"could not restore {path}: {e}")
    assert read_all(before) == before


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    sysctl_tuning_profile: latency
    sysctl_tuning_interfaces: [eth0]
    nic_tuning_interface: eth0
    cpu_partition_interface: eth0
    cpu_partition_layout: shared
    # the re-apply unit and udev rule belong on a managed host, not on the machine running the tests
    nic_tuning_reapply: false
  roles:
    - role: fastpath.host.sysctl_tuning
    - role: fastpath.host.nic_tuning
"""


def playbook(tmp_path: Path, text: str, *flags: str) -> dict:
    """Run a playbook on localhost in a private mount namespace with tmpfs state dirs; JSON result."""
    (tmp_path / "play.yml").write_text(text)
    state = tmp_path / "state"  # kept across runs of one test: the snapshot must survive between them
    state.mkdir(exist_ok=True)
    script = (
        f"mount --bind {state} /var/lib/fastpath && mount -t tmpfs fastpath-test /etc/sysctl.d && "
        f"cp -a {tmp_path}/sysctl.d/. /etc/sysctl.d/ 2>/dev/null; "
        f"{REPO}/.venv/bin/ansible-playbook -i localhost, -c local "
        f"-e ansible_python_interpreter={PY} {' '.join(flags)} {tmp_path}/play.yml; rc=$?; "
        f"mkdir -p {tmp_path}/sysctl.d && rm -rf {tmp_path}/sysctl.d/* && "
        f"cp -a /etc/sysctl.d/. {tmp_path}/sysctl.d/; "
        "exit $rc"
    )
    mountpoint = Path("/var/lib/fastpath")  # needed to bind over; removed again if the test made it
    made = not mountpoint.exists()
    mountpoint.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_INVENTORY_ENABLED": "host_list",
    }
    proc = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env=env,
        check=False,
    )
    if made:
        mountpoint.rmdir()
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout[proc.stdout.index("{") :])


def changed(result: dict) -> int:
    return result["stats"]["localhost"]["changed"]


def task_result(result: dict, name_part: str) -> dict:
    for play in result["plays"]:
        for task in play["tasks"]:
            if name_part in task["task"]["name"]:
                return task["hosts"]["localhost"]
    raise AssertionError(f"no task named like {name_part!r}")


def test_tune_check_apply_idempotent_restore_on_the_root_namespace(tmp_path, machine_state):
    irqs = nic_irqs()
    assert irqs, "eth0 has no IRQs here"

    # --check: reports changes and changes nothing, not even the snapshot.
    check = playbook(tmp_path, PLAYBOOK, "--check", "--diff")
    assert changed(check) > 0
    assert read_all(machine_state) == machine_state
    assert not (tmp_path / "state/snapshot.json").exists()

    # Apply: global sysctls exist here, so none is skipped; IRQs follow the plan (shared layout).
    applied = playbook(tmp_path, PLAYBOOK)
    sysctls = task_result(applied, "Apply the profile's sysctls")
    assert sysctls["not_applied"] == []
    now = read_all(machine_state)
    assert now["/proc/sys/net/core/busy_poll"] == "50"
    assert now["/proc/sys/net/core/netdev_max_backlog"] == "10000"
    assert now[f"/sys/class/net/{IFACE}/napi_defer_hard_irqs"] == "2"
    plan = task_result(applied, "Plan housekeeping")["plan"]
    for irq, cpus in plan["irq_affinity"].items():
        assert now[f"/proc/irq/{irq}/smp_affinity_list"] == cpus
    persisted = (tmp_path / "sysctl.d/60-fastpath.conf").read_text()
    assert "net.core.busy_poll = 50" in persisted

    # Again: nothing left to change.
    assert changed(playbook(tmp_path, PLAYBOOK)) == 0

    # Restore: every value equals the one before the first tune; the persist file is gone.
    restore = playbook(
        tmp_path,
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - fastpath.host.fastpath_restore:\n",
    )
    assert changed(restore) > 0
    assert read_all(machine_state) == machine_state
    assert not (tmp_path / "sysctl.d/60-fastpath.conf").exists()
    assert list((tmp_path / "state").glob("snapshot.restored-*.json"))

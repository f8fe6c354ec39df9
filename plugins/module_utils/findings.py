# SPDX-License-Identifier: Apache-2.0
"""Findings: what on this host will cost packets or latency, with the evidence and fastpath's fix.

Pure functions over the host model (interfaces, cpus, sysctls, processes), so each rule is tested by
feeding it data. Each finding: {severity: high|medium|low, what, evidence, fix, interface?}.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import format_cpulist, parse_cpulist

HIGH, MEDIUM, LOW = "high", "medium", "low"


def _finding(severity, what, evidence, fix, **extra):
    return {"severity": severity, "what": what, "evidence": evidence, "fix": fix, **extra}


def _cpus(text):
    return parse_cpulist(text) if text else frozenset()


def _delivered(irq: dict) -> frozenset:
    """CPUs an IRQ really lands on: effective affinity where the kernel shows it, else the requested one."""
    return _cpus(irq.get("effective_affinity") or irq.get("affinity"))


def queue_irqs(nic: dict) -> list[dict]:
    return [i for i in nic.get("irqs", []) if i["kind"] != "other"]


def irq_spread(name: str, nic: dict, online: frozenset) -> list[dict]:
    irqs = queue_irqs(nic)
    if len(irqs) < 2:
        return []
    cpus = frozenset().union(*(_delivered(i) for i in irqs))
    want = min(len(irqs), len(online)) if online else len(irqs)
    if len(cpus) >= want:
        return []
    return [_finding(
        HIGH, f"{name}: {len(irqs)} queue IRQs are served by {len(cpus)} CPU(s)",
        f"IRQs {', '.join(str(i['irq']) for i in irqs)} land on CPUs {format_cpulist(cpus) or 'none'}",
        f"pin each queue IRQ of {name} to its own CPU of the IRQ CPU set (role nic_tuning)",
        interface=name)]


def xps_unset(name: str, nic: dict) -> list[dict]:
    tx = nic.get("queues", {}).get("tx", [])
    if len(tx) < 2:
        return []
    unset = [q["index"] for q in tx if not q.get("xps_cpus") and not q.get("xps_rxqs")]
    if len(unset) != len(tx):
        return []
    return [_finding(
        MEDIUM, f"{name}: XPS is unset on all {len(tx)} tx queues",
        f"tx-0..tx-{len(tx) - 1}/xps_cpus and xps_rxqs are empty: the kernel picks tx queues by hash",
        f"set tx-N/xps_cpus of {name} to the CPUs whose IRQ serves queue N (role nic_tuning)",
        interface=name)]


def _pinned(nic: dict, online: frozenset) -> bool:
    return any(_cpus(i.get("affinity")) != online for i in queue_irqs(nic))


# cpu_partition_irqbalance: ban runs irqbalance with this policy script, which bans the tuned NIC's
# own IRQs (roles/cpu_partition/vars/main.yml names the same path; a unit test holds them equal).
FASTPATH_IRQBALANCE_POLICY = "/usr/local/sbin/fastpath-irqbalance-policy"


def irqbalance(interfaces: dict, irqbalance_pids: list[int], online: frozenset,
               policies: dict[int, str | None] | None = None) -> list[dict]:
    """`policies`: irqbalance pid -> the --policyscript it runs with (None: none). Every irqbalance
    running fastpath's ban leaves the pinned NIC IRQs alone: nothing to find."""
    if not irqbalance_pids:
        return []
    policies = policies or {}
    if all(policies.get(pid) == FASTPATH_IRQBALANCE_POLICY for pid in irqbalance_pids):
        return []
    pids = ", ".join(map(str, irqbalance_pids))
    pinned = [n for n, nic in interfaces.items() if _pinned(nic, online)]
    if pinned:
        scripts = sorted({p for p in policies.values() if p})
        return [_finding(
            HIGH, "irqbalance is running while NIC IRQ affinities are pinned",
            f"irqbalance pid(s) {pids}; pinned IRQs on {', '.join(pinned)}"
            + (f"; its policy script {', '.join(scripts)} is not fastpath's" if scripts else ""),
            "stop and disable irqbalance (cpu_partition_irqbalance: stop), or keep it running off the "
            "NIC's IRQs with cpu_partition_irqbalance: ban (role cpu_partition)")]
    return [_finding(
        LOW, "irqbalance is running", f"irqbalance pid(s) {pids}",
        "fastpath stops irqbalance before pinning IRQs, or bans it from them (role cpu_partition)")]


def irqs_on_isolated(name: str, nic: dict, isolated: frozenset) -> list[dict]:
    if not isolated:
        return []
    hits = [(i["irq"], _delivered(i) & isolated) for i in nic.get("irqs", [])]
    hits = [(n, c) for n, c in hits if c]
    if not hits:
        return []
    return [_finding(
        HIGH, f"{name}: {len(hits)} IRQ(s) are delivered to isolated CPUs",
        "; ".join(f"IRQ {n} on {format_cpulist(c)}" for n, c in hits),
        f"pin the IRQs of {name} to the IRQ CPU set, outside {format_cpulist(isolated)} (role nic_tuning)",
        interface=name)]


def workers_on_irq_cpus(name: str, nic: dict, workers: list[dict], layout: str | None) -> list[dict]:
    """Layout split keeps the CPUs that take the NIC's queue IRQs apart from the workers: a worker on
    a CPU where a queue IRQ is delivered shares it with that queue's interrupt and softirq work, the
    receive lands on the IRQ's CPU and both slow down. `workers` are fastpath-server's own (its stats'
    `workers`: worker, cpu, rx_packets), so this is where the server really runs. Layout shared runs
    each worker on its queue's IRQ CPU on purpose: nothing to find there."""
    if (layout or "split") != "split":
        return []
    irqs = queue_irqs(nic)
    hits = []
    for w in workers:
        cpu = w.get("cpu")
        if not isinstance(cpu, int) or isinstance(cpu, bool) or cpu < 0:
            continue  # a worker the server did not pin has no CPU to compare
        shared = [i for i in irqs if cpu in _delivered(i)]
        if shared:
            hits.append((w, cpu, shared))
    if not hits:
        return []
    cpus = format_cpulist({cpu for _w, cpu, _s in hits})
    evidence = "; ".join(
        f"worker {w.get('worker', '?')} on CPU {cpu} ({w.get('rx_packets', 0)} datagrams received) with "
        + ", ".join(f"IRQ {i['irq']} ({i['kind']} {i.get('queue', '?')}, "
                    f"{_count_on(i, cpu)} interrupts there)" for i in shared)
        for w, cpu, shared in hits)
    return [_finding(
        HIGH, f"{name}: {len(hits)} dataplane worker(s) receive on CPUs that serve its queue IRQs",
        f"layout split; {evidence}",
        f"pin the queue IRQs of {name} to the IRQ CPUs and run the workers apart from them: re-run tune "
        f"(roles cpu_partition, nic_tuning), then deploy (role dataplane) to move the workers off {cpus}; "
        "or set cpu_partition_layout: shared if workers on the IRQ CPUs is what you want",
        interface=name)]


def _count_on(irq: dict, cpu: int) -> int:
    """Interrupts of `irq` counted on `cpu` (irq_info's per_cpu keys are strings after JSON)."""
    per_cpu = irq.get("per_cpu") or {}
    return per_cpu.get(cpu, per_cpu.get(str(cpu), 0))


def softnet(rows: list[dict]) -> list[dict]:
    out = []
    dropped = [r for r in rows if r.get("dropped")]
    squeezed = [r for r in rows if r.get("time_squeeze")]
    if dropped:
        out.append(_finding(
            HIGH, f"softnet backlog drops on {len(dropped)} CPU(s)",
            ", ".join(f"cpu{r['cpu']}: {r['dropped']} dropped" for r in dropped),
            "raise net.core.netdev_max_backlog and spread receive work over more CPUs (role sysctl_tuning)"))
    if squeezed:
        out.append(_finding(
            MEDIUM, f"softirq budget ran out (time_squeeze) on {len(squeezed)} CPU(s)",
            ", ".join(f"cpu{r['cpu']}: {r['time_squeeze']}" for r in squeezed),
            "raise net.core.netdev_budget and netdev_budget_usecs (role sysctl_tuning)"))
    return out


def rx_queues_vs_irq_cpus(name: str, nic: dict, irq_cpus: frozenset) -> list[dict]:
    rx = len(nic.get("queues", {}).get("rx", []))
    ch = nic.get("channels") or {}
    current = ch.get("combined") or ch.get("rx") or rx
    if not irq_cpus or not queue_irqs(nic) or current >= len(irq_cpus):
        return []
    maximum = ch.get("max_combined") or ch.get("max_rx")
    if maximum and maximum > current:
        want = min(maximum, len(irq_cpus))
        fix = f"ethtool -L {name} combined {want} (role nic_tuning), then re-pin its IRQs"
    else:
        fix = f"no more queues possible: spread with RPS over {format_cpulist(irq_cpus)} (role nic_tuning)"
    return [_finding(
        MEDIUM, f"{name}: {current} rx queue(s) for {len(irq_cpus)} IRQ CPUs",
        f"channels {current} (max {maximum if maximum else 'unknown'}), IRQ CPUs {format_cpulist(irq_cpus)}",
        fix, interface=name)]


def socket_buffers(sysctls: dict, rmem: int | None, wmem: int | None) -> list[dict]:
    out = []
    for key, want in (("net.core.rmem_max", rmem), ("net.core.wmem_max", wmem)):
        have = sysctls.get(key)
        if want and have is not None and have < want:
            out.append(_finding(
                HIGH, f"{key} is below what the dataplane will ask for",
                f"{key} = {have}, dataplane asks for {want}: setsockopt silently caps the buffer",
                f"set {key} >= {want} (role sysctl_tuning)"))
    return out


def busy_poll(sysctls: dict, profile: str | None) -> list[dict]:
    if profile != "latency":
        return []
    poll, read = sysctls.get("net.core.busy_poll"), sysctls.get("net.core.busy_read")
    if poll is None and read is None:
        return []  # inside a network namespace these global sysctls do not exist
    if poll or read:
        return []
    return [_finding(
        MEDIUM, "busy polling is off but the latency profile is chosen",
        f"net.core.busy_poll = {poll}, net.core.busy_read = {read}",
        "set net.core.busy_poll and net.core.busy_read to 50 (µs) (role sysctl_tuning, latency profile)")]


def build_findings(interfaces: dict, cpus: dict, sysctls: dict, irqbalance_pids: list[int],
                   rmem: int | None = None, wmem: int | None = None, profile: str | None = None,
                   irq_cpus: str | None = None, workers: list[dict] | None = None,
                   layout: str | None = None,
                   irqbalance_policies: dict[int, str | None] | None = None) -> list[dict]:
    online = _cpus(cpus.get("online"))
    isolated = _cpus(cpus.get("isolated")) | _cpus(cpus.get("nohz_full"))
    irq_set = _cpus(irq_cpus) if irq_cpus else online - isolated
    out: list[dict] = []
    for name, nic in sorted(interfaces.items()):
        out += irq_spread(name, nic, online)
        out += xps_unset(name, nic)
        out += irqs_on_isolated(name, nic, isolated)
        out += rx_queues_vs_irq_cpus(name, nic, irq_set)
        out += workers_on_irq_cpus(name, nic, workers or [], layout)
    out += irqbalance(interfaces, irqbalance_pids, online, irqbalance_policies)
    out += softnet(cpus.get("softnet", []))
    out += socket_buffers(sysctls, rmem, wmem)
    out += busy_poll(sysctls, profile)
    order = {HIGH: 0, MEDIUM: 1, LOW: 2}
    return sorted(out, key=lambda f: order[f["severity"]])

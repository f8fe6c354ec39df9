# SPDX-License-Identifier: Apache-2.0
"""The CPU partition planner: host facts + operator inputs -> housekeeping, IRQ/XDP and worker CPUs,
the NIC's queue count, IRQ affinity, RPS and XPS per queue, and the reason for each choice.

A pure function over the shapes that `fastpath.host.cpu_info` (`cpus`) and `fastpath.host.nic_info`
(one entry of `interfaces`) return, so it is tested with plain dicts and runs unchanged on a target.
Layouts: `split` keeps IRQ/XDP CPUs apart from worker CPUs; `shared` runs each worker on the CPU
that takes its queue's IRQ. Stdlib only.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import (
    CpuSetError,
    format_cpulist,
    parse_cpulist,
)

LAYOUTS = ("split", "shared")
SMT_POLICIES = ("together", "ignore")
# RFS global table size when RPS is asked for; the kernel rounds it up to a power of two anyway.
RPS_SOCK_FLOW_ENTRIES = 32768
# IRQs that serve no queue (config, async events, mailbox) go to housekeeping CPUs.
_QUEUE_KINDS = ("rx", "tx", "txrx", "combined")


class PlanError(ValueError):
    """Inputs that cannot make a partition; the message names the input and the problem."""


def plan_partition(
    cpus: dict,
    nic: dict | None = None,
    *,
    layout: str = "split",
    housekeeping: str = "auto",
    irq: str = "auto",
    workers: str = "auto",
    housekeeping_count: int = 1,
    smt: str = "together",
    rps: bool = False,
    max_queues: int = 0,
) -> dict:
    """Plan the partition. Cpulist inputs are "auto" or explicit cpulists; the result has cpulists,
    per-queue maps keyed by queue number (as strings, for JSON) and `reasons`, one per choice."""
    _check_choice("layout", layout, LAYOUTS)
    _check_choice("smt", smt, SMT_POLICIES)
    if not isinstance(housekeeping_count, int) or housekeeping_count < 0:
        raise PlanError(f"housekeeping_count must be an integer >= 0, got {housekeeping_count!r}")
    if not isinstance(max_queues, int) or max_queues < 0:
        raise PlanError(f"max_queues must be an integer >= 0 (0 = the NIC's maximum), got {max_queues!r}")

    online = _cpulist_fact(cpus, "online")
    if not online:
        raise PlanError("cpu facts: no online CPUs")
    reasons: dict[str, str] = {}
    cores = _cores(cpus, online)
    node, pool = _preferred_pool(cpus, nic, online, reasons)
    queue_limit, limit_reason = _queue_limit(nic, max_queues)

    explicit = {
        name: _explicit("cpu_partition_" + name, value, online)
        for name, value in (("housekeeping", housekeeping), ("irq", irq), ("workers", workers))
    }
    hk = explicit["housekeeping"]
    if hk is None:
        hk = _pick_housekeeping(online, pool, cores, housekeeping_count, smt, reasons)
    else:
        reasons["housekeeping"] = "given explicitly"
    irq_set, worker_set = _pick_irq_and_workers(
        online, pool, hk, cores, explicit["irq"], explicit["workers"], layout, smt, queue_limit, reasons
    )
    _check_partition(hk, irq_set, worker_set, layout, explicit)

    queue_cpus = [str(c) for c in sorted(irq_set)[: queue_limit or len(irq_set)]]
    nqueues = len(queue_cpus)
    capped = queue_limit and queue_limit < len(irq_set)
    reasons["queues"] = f"{nqueues} queue(s): one per IRQ CPU" + (
        f"; IRQ CPUs beyond the first {nqueues} get no queue, capped by {limit_reason}" if capped else ""
    )
    plan = {
        "layout": layout,
        "online": format_cpulist(online),
        "numa_node": node,
        "housekeeping": format_cpulist(hk),
        "irq": format_cpulist(irq_set),
        "workers": format_cpulist(worker_set),
        "queues": nqueues,
        "queue_cpus": queue_cpus,
        "channels": _channels(nic, nqueues, reasons),
    }
    plan.update(_irq_affinity(nic, queue_cpus, hk, reasons))
    plan["xps_cpus"] = _xps(online, queue_cpus, reasons)
    plan.update(_rps(nqueues, worker_set, queue_cpus, layout, rps, reasons))
    plan["reasons"] = reasons
    return plan


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise PlanError(f"{name} must be one of {', '.join(choices)}, got {value!r}")


def _cpulist_fact(cpus: dict, key: str) -> frozenset[int]:
    try:
        return parse_cpulist(str(cpus.get(key) or ""))
    except CpuSetError as e:
        raise PlanError(f"cpu facts: {key}: {e}") from None


def _explicit(name: str, value, online: frozenset[int]) -> frozenset[int] | None:
    if value is None or value == "auto":
        return None
    try:
        cpus = parse_cpulist(str(value))
    except CpuSetError as e:
        raise PlanError(f"{name}: {e}") from None
    outside = cpus - online
    if outside:
        raise PlanError(
            f"{name}: CPUs {format_cpulist(outside)} are not online (online: {format_cpulist(online)})"
        )
    return cpus


def _cores(cpus: dict, online: frozenset[int]) -> list[frozenset[int]]:
    """Online CPUs grouped into physical cores (SMT siblings), ordered by their lowest CPU.
    Without topology facts every CPU is its own core."""
    seen: dict[int, frozenset[int]] = {}
    for entry in cpus.get("topology") or []:
        cpu = int(entry["cpu"])
        if cpu not in online:
            continue
        try:
            siblings = parse_cpulist(str(entry.get("siblings") or cpu)) & online
        except CpuSetError as e:
            raise PlanError(f"cpu facts: topology of CPU {cpu}: {e}") from None
        seen[cpu] = siblings | {cpu}
    for cpu in online - seen.keys():
        seen[cpu] = frozenset({cpu})
    unique = {min(s): s for s in seen.values()}
    return [unique[k] for k in sorted(unique)]


def _preferred_pool(cpus, nic, online, reasons) -> tuple[int | None, frozenset[int]]:
    """The CPUs of the NIC's NUMA node, where its DMA and interrupts are local; else all online."""
    node = (nic or {}).get("numa_node")
    nodes = cpus.get("nodes") or {}
    if node is None or int(node) < 0 or str(node) not in nodes:
        reasons["numa_node"] = (
            "the NIC reports no NUMA node: all online CPUs are candidates"
            if len(nodes) <= 1
            else "the NIC reports no NUMA node: all nodes' CPUs are candidates"
        )
        return None, online
    node_cpus = parse_cpulist(str(nodes[str(node)])) & online
    if len(nodes) == 1 or not node_cpus:
        reasons["numa_node"] = f"node {node} holds every online CPU"
        return int(node), online
    reasons["numa_node"] = f"IRQ and worker CPUs taken from node {node}, local to the NIC"
    return int(node), node_cpus


def _queue_limit(nic: dict | None, max_queues: int) -> tuple[int, str]:
    """How many queues the NIC can have (0 = no NIC, no limit), and what sets that limit."""
    if not nic:
        return max_queues, f"max_queues={max_queues}" if max_queues else ""
    ch = nic.get("channels")
    if ch:
        hw = ch.get("max_combined") or min(ch.get("max_rx") or 0, ch.get("max_tx") or 0) or 0
        what = f"the NIC's maximum of {hw} channels"
    else:
        queues = nic.get("queues") or {}
        hw = min(len(queues.get("rx") or []), len(queues.get("tx") or [])) or 0
        what = f"the NIC's fixed {hw} queues (no ethtool channels)"
    if max_queues and (not hw or max_queues < hw):
        return max_queues, f"max_queues={max_queues}"
    return hw, what if hw else ""


def _pick_housekeeping(online, pool, cores, count, smt, reasons) -> frozenset[int]:
    """The lowest-numbered CPUs (CPU 0 carries boot-time timers and kernel threads), taken outside
    the NIC's node when there is one, whole cores at a time unless smt=ignore."""
    if count == 0:
        reasons["housekeeping"] = "housekeeping_count is 0: no CPU kept for the OS"
        return frozenset()
    if count >= len(online):
        raise PlanError(f"housekeeping_count={count} leaves no CPU for the dataplane ({len(online)} online)")
    outside = [c for c in cores if not c & pool]
    ordered = outside + [c for c in cores if c & pool]
    chosen: set[int] = set()
    for core in ordered:
        if len(chosen) >= count:
            break
        chosen |= core if smt == "together" else set(sorted(core)[: count - len(chosen)])
    where = "outside the NIC's node" if outside else "the lowest-numbered"
    extra = f", rounded up to whole cores ({len(chosen)} CPUs)" if len(chosen) > count else ""
    reasons["housekeeping"] = f"{count} CPU(s) {where}{extra}: CPU 0 carries timers and kernel threads"
    return frozenset(chosen)


def _pick_irq_and_workers(online, pool, hk, cores, irq, workers, layout, smt, limit, reasons):
    free = (pool - hk) or (online - hk)
    if irq is not None and workers is not None:
        reasons["irq"] = reasons["workers"] = "given explicitly"
        return irq, workers
    if layout == "shared":
        return _shared(online, free, hk, irq, workers, limit, reasons)
    if irq is not None:
        reasons["irq"] = "given explicitly"
        rest = (free - irq) or (online - hk - irq)
        reasons["workers"] = "the candidate CPUs left after housekeeping and IRQ CPUs"
        return irq, rest
    if workers is not None:
        reasons["workers"] = "given explicitly"
        rest = (free - workers) or (online - hk - workers)
        if not rest:
            rest = hk
            reasons["irq"] = "no CPU left after housekeeping and workers: IRQs share the housekeeping CPUs"
        else:
            reasons["irq"] = "the candidate CPUs left after housekeeping and workers"
        capped = _take_cores(rest, cores, limit or len(rest), smt)
        return capped, workers
    if len(free) < 2:
        # Too small to keep three sets apart: the housekeeping CPU also takes the IRQs so that
        # the worker keeps a CPU of its own (the 2-CPU lab host).
        if not hk:
            raise PlanError(f"layout split needs at least 2 CPUs for IRQs and workers, {len(free)} free")
        reasons["irq"] = (
            f"only {len(online)} online CPUs: the IRQs share housekeeping CPU(s) {format_cpulist(hk)} "
            "so the worker keeps a CPU of its own"
        )
        reasons["workers"] = "every CPU not kept for housekeeping"
        return _take_cores(hk, cores, limit or len(hk), "ignore"), free
    want = -(-len(free) // 2)  # half the free CPUs, rounded up ...
    if limit:
        want = min(want, limit)  # ... but no more than the NIC has queues for
    irq_set = _take_cores(free, cores, want, smt)
    if irq_set == free:  # whole cores left no worker: take the IRQ set core-by-core less
        irq_set = _take_cores(free, cores, want, "ignore")
    split_cores = [c for c in cores if c & irq_set and c & (free - irq_set)]
    reasons["irq"] = (
        f"{len(irq_set)} CPU(s): about half of the {len(free)} candidates"
        + (f", at most one per queue ({limit})" if limit and limit < -(-len(free) // 2) else "")
        + (
            f"; SMT siblings split on {len(split_cores)} core(s)"
            if split_cores
            else ", whole cores so no SMT siblings are split"
        )
    )
    reasons["workers"] = "the candidate CPUs not taking IRQs, apart from them (layout split)"
    return irq_set, free - irq_set


def _shared(online, free, hk, irq, workers, limit, reasons):
    given = irq if irq is not None else workers
    if given is not None:
        reasons["irq"] = reasons["workers"] = "given explicitly; layout shared runs workers on the IRQ CPUs"
        return given, given
    chosen = frozenset(sorted(free)[: limit or len(free)])
    reasons["irq"] = f"{len(chosen)} CPU(s), one per queue" + (
        f"; {format_cpulist(free - chosen)} left idle: the NIC has no more queues" if free - chosen else ""
    )
    reasons["workers"] = "each worker runs on the CPU that takes its queue's IRQ (layout shared)"
    return chosen, chosen


def _take_cores(candidates, cores, want, smt) -> frozenset[int]:
    """Up to `want` CPUs from `candidates`, whole cores first (siblings together) unless smt=ignore;
    a core that would overshoot is taken whole only if it fits exactly or nothing else is left."""
    chosen: set[int] = set()
    for core in cores:
        part = core & candidates
        if not part or len(chosen) >= want:
            continue
        if smt == "together" and len(chosen) + len(part) <= want:
            chosen |= part
        elif smt == "ignore":
            chosen |= set(sorted(part)[: want - len(chosen)])
    if not chosen:  # even one whole core is too many: splitting siblings cannot be avoided
        chosen = set(sorted(candidates)[:want])
    return frozenset(chosen)


def _check_partition(hk, irq_set, worker_set, layout, explicit) -> None:
    if not irq_set:
        raise PlanError("cpu_partition_irq: the IRQ CPU set is empty")
    if not worker_set:
        raise PlanError("cpu_partition_workers: the worker CPU set is empty")
    if hk & worker_set:
        both_sets = format_cpulist(hk & worker_set)
        raise PlanError(f"cpu_partition_housekeeping and cpu_partition_workers overlap on {both_sets}")
    if layout == "split" and irq_set & worker_set:
        raise PlanError(
            f"cpu_partition_irq and cpu_partition_workers overlap on {format_cpulist(irq_set & worker_set)}"
            " (layout split keeps them apart; use layout shared to run workers on IRQ CPUs)"
        )
    both = explicit["irq"] is not None and explicit["workers"] is not None
    if layout == "shared" and both and explicit["irq"] != explicit["workers"]:
        raise PlanError("cpu_partition_irq and cpu_partition_workers must be equal with layout shared")
    if explicit["housekeeping"] is not None and explicit["irq"] is not None and hk & irq_set:
        raise PlanError(
            f"cpu_partition_housekeeping and cpu_partition_irq overlap on {format_cpulist(hk & irq_set)}"
        )


def _channels(nic, nqueues, reasons) -> dict:
    """The ethtool channel counts that give one queue per IRQ CPU, in the form the NIC supports."""
    ch = (nic or {}).get("channels")
    if not nic or not nqueues:
        return {}
    if not ch:
        reasons["channels"] = "the driver has no ethtool channel control: queue count left as is"
        return {}
    if ch.get("max_combined"):
        reasons["channels"] = f"combined={nqueues}: RSS spreads flows over exactly the IRQ CPUs"
        return {"combined": nqueues}
    reasons["channels"] = f"rx={nqueues} tx={nqueues}: separate rx/tx channels, one pair per IRQ CPU"
    return {"rx": nqueues, "tx": nqueues}


def _irq_affinity(nic, queue_cpus, hk, reasons) -> dict:
    """Each queue's IRQs to its CPU; IRQs of no queue, or of a queue beyond the plan, to
    housekeeping; managed IRQs skipped."""
    affinity: dict[str, str] = {}
    skipped: list[dict] = []
    irqs = (nic or {}).get("irqs") or []
    for entry in irqs:
        num, queue = str(entry["irq"]), entry.get("queue")
        if entry.get("managed"):
            skipped.append(
                {"irq": num, "reason": "managed IRQ: the kernel sets its affinity and refuses writes"}
            )
        elif queue is None or entry.get("kind") not in _QUEUE_KINDS:
            if hk:
                affinity[num] = format_cpulist(hk)
        elif int(queue) < len(queue_cpus):
            affinity[num] = queue_cpus[int(queue)]
        elif hk:
            # A queue beyond the plan: the channel change removes it, but until then (or for good,
            # on a driver that keeps the vector, or after a reboot that brought the channels back)
            # it may still serve traffic, and never on a worker CPU.
            affinity[num] = format_cpulist(hk)
    if nic is not None:
        reasons["irq_affinity"] = (
            "each queue's IRQs pinned to that queue's CPU; other IRQs of the NIC (and of queues beyond "
            "the plan) to housekeeping"
            if irqs
            else "the NIC has no IRQs (veth, or a driver fastpath cannot map): RSS/XPS/RPS only"
        )
    return {"irq_affinity": affinity, "irq_skipped": skipped}


def _xps(online, queue_cpus, reasons) -> dict:
    """Every online CPU transmits on exactly one queue: IRQ CPUs on their own, the others spread
    round-robin, so no two queues share a CPU and no CPU falls back to hashing."""
    if not queue_cpus:
        return {}
    xps: dict[str, set[int]] = {str(q): {int(c)} for q, c in enumerate(queue_cpus)}
    others = sorted(online - {int(c) for c in queue_cpus})
    for i, cpu in enumerate(others):
        xps[str(i % len(queue_cpus))].add(cpu)
    reasons["xps_cpus"] = "each IRQ CPU transmits on its own queue; other CPUs spread one queue each"
    return {q: format_cpulist(c) for q, c in xps.items()}


def _rps(nqueues, worker_set, queue_cpus, layout, rps, reasons) -> dict:
    if not nqueues:
        return {"rps_cpus": {}, "rps_flow_cnt": {}, "rps_sock_flow_entries": 0}
    if not rps:
        reasons["rps"] = "RPS off: the RSS queues already spread flows over the IRQ CPUs"
        return {
            "rps_cpus": {str(q): "" for q in range(nqueues)},
            "rps_flow_cnt": {str(q): 0 for q in range(nqueues)},
            "rps_sock_flow_entries": 0,
        }
    per_queue = _pow2_floor(RPS_SOCK_FLOW_ENTRIES // nqueues)
    if layout == "split":
        cpus = {str(q): format_cpulist(worker_set) for q in range(nqueues)}
        reasons["rps"] = (
            "RPS steers protocol work from every queue to the worker CPUs, RFS to the consuming CPU"
        )
    else:
        cpus = {str(q): c for q, c in enumerate(queue_cpus)}
        reasons["rps"] = "layout shared: each queue's RPS stays on its own CPU, RFS keeps flows there"
    return {
        "rps_cpus": cpus,
        "rps_flow_cnt": {str(q): per_queue for q in range(nqueues)},
        "rps_sock_flow_entries": RPS_SOCK_FLOW_ENTRIES,
    }


def _pow2_floor(n: int) -> int:
    return 1 << (n.bit_length() - 1) if n > 0 else 0

"""Host facts in the shapes fastpath.host.cpu_info and nic_info return, for the planner's tests.

Built from what the drivers really expose: gve names its IRQs gve-ntfy-blk<N>@pci:<bdf>, the
first half serving TX queues and the second half RX, and reports separate rx/tx channel maxima
(max_combined 0); virtio_net has combined channels and virtio<K>-input.<N>/-output.<N> IRQs;
veth has separate rx/tx channels and no IRQs.
"""

from __future__ import annotations


def cpus(n: int, *, smt: int = 1, nodes: int = 1) -> dict:
    """n vCPUs numbered as Linux does on x86 VMs: first threads 0..n/smt-1, their siblings after."""
    cores = n // smt
    topology = []
    for cpu in range(n):
        core = cpu % cores
        siblings = ",".join(str(core + k * cores) for k in range(smt))
        topology.append(
            {"cpu": cpu, "package": 0, "core": core, "siblings": siblings, "node": (core * nodes) // cores}
        )
    node_map: dict[str, list[int]] = {}
    for entry in topology:
        node_map.setdefault(str(entry["node"]), []).append(entry["cpu"])
    return {
        "online": f"0-{n - 1}" if n > 1 else "0",
        "isolated": "",
        "nohz_full": "",
        "count_online": n,
        "topology": topology,
        "nodes": {k: ",".join(map(str, v)) for k, v in node_map.items()},
        "softnet": [],
        "softirqs": {},
    }


def gve(queues: int = 16, max_queues: int = 16, numa_node: int = 0) -> dict:
    """A Google gVNIC with `queues` rx and tx queues: blk0..q-1 TX, blk q..2q-1 RX, plus mgmt."""
    irqs = [{"irq": 40, "name": "gve-mgmnt@pci:0000:00:04.0", "queue": None, "kind": "other"}]
    for blk in range(2 * queues):
        kind, queue = ("tx", blk) if blk < queues else ("rx", blk - queues)
        irqs.append(
            {"irq": 41 + blk, "name": f"gve-ntfy-blk{blk}@pci:0000:00:04.0", "queue": queue, "kind": kind}
        )
    for e in irqs:
        e.update(affinity="0-31", effective_affinity="0", managed=False)
    return {
        "driver": "gve",
        "bus_info": "0000:00:04.0",
        "numa_node": numa_node,
        "channels": {
            "rx": queues,
            "tx": queues,
            "combined": 0,
            "other": 0,
            "max_rx": max_queues,
            "max_tx": max_queues,
            "max_combined": 0,
            "max_other": 0,
        },
        "queues": _queues(queues),
        "irqs": irqs,
    }


def virtio(pairs: int = 1, max_pairs: int = 1) -> dict:
    """virtio_net with `pairs` queue pairs (this machine's eth0 has one)."""
    irqs = [{"irq": 37, "name": "virtio2-config", "queue": None, "kind": "other"}]
    for q in range(pairs):
        irqs.append({"irq": 38 + 2 * q, "name": f"virtio2-input.{q}", "queue": q, "kind": "rx"})
        irqs.append({"irq": 39 + 2 * q, "name": f"virtio2-output.{q}", "queue": q, "kind": "tx"})
    for e in irqs:
        e.update(affinity="0-1", effective_affinity="1", managed=False)
    return {
        "driver": "virtio_net",
        "bus_info": "0000:00:03.0",
        "numa_node": -1,
        "channels": {
            "rx": 0,
            "tx": 0,
            "combined": pairs,
            "other": 0,
            "max_rx": 0,
            "max_tx": 0,
            "max_combined": max_pairs,
            "max_other": 0,
        },
        "queues": _queues(pairs),
        "irqs": irqs,
    }


def veth(queues: int = 4) -> dict:
    """A lab host's eth0: a veth made with numrxqueues/numtxqueues 4, no IRQs, no NUMA node."""
    return {
        "driver": "veth",
        "bus_info": "",
        "numa_node": None,
        "channels": {
            "rx": queues,
            "tx": queues,
            "combined": 0,
            "other": 0,
            "max_rx": queues,
            "max_tx": queues,
            "max_combined": 0,
            "max_other": 0,
        },
        "queues": _queues(queues),
        "irqs": [],
    }


def _queues(n: int) -> dict:
    return {
        "rx": [{"index": q, "irq": None, "rps_cpus": "", "rps_flow_cnt": 0} for q in range(n)],
        "tx": [{"index": q, "irq": None, "xps_cpus": "", "xps_rxqs": ""} for q in range(n)],
    }

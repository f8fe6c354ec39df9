"""Findings: each rule on data that should and should not trigger it, and on the 256-CPU host."""

from pathlib import Path

import yaml
from conftest import tree as tree_path

from ansible_collections.fastpath.host.plugins.module_utils import findings as F
from ansible_collections.fastpath.host.plugins.module_utils.commands import CommandRunner
from ansible_collections.fastpath.host.plugins.module_utils.cpu_topology import read_cpus
from ansible_collections.fastpath.host.plugins.module_utils.host_findings import policy_script, read_findings
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS
from ansible_collections.fastpath.host.plugins.module_utils.nic_model import read_interfaces
from ansible_collections.fastpath.host.plugins.module_utils.processes import pids_named
from ansible_collections.fastpath.host.plugins.module_utils.sysctls import read_sysctl_ints


def nic(effective, affinity=None, tx_xps=None, combined=None, max_combined=None):
    irqs = [
        {"irq": 100 + i, "kind": "txrx", "effective_affinity": e, "affinity": (affinity or [None] * 99)[i]}
        for i, e in enumerate(effective)
    ]
    xps = tx_xps if tx_xps is not None else [""] * len(effective)
    return {
        "irqs": irqs,
        "queues": {
            "rx": [{"index": i} for i in range(len(effective))],
            "tx": [{"index": i, "xps_cpus": x, "xps_rxqs": ""} for i, x in enumerate(xps)],
        },
        "channels": {"combined": combined or len(effective), "max_combined": max_combined},
    }


ONLINE = frozenset(range(8))


def test_irq_spread():
    assert F.irq_spread("eth0", nic(["0", "0", "1", "1"]), ONLINE)[0]["evidence"].endswith("CPUs 0-1")
    assert F.irq_spread("eth0", nic(["0", "1", "2", "3"]), ONLINE) == []
    assert F.irq_spread("eth0", nic(["0"]), ONLINE) == []  # one queue: nothing to spread


def test_xps_unset_only_when_all_tx_queues_lack_it():
    assert F.xps_unset("eth0", nic(["0", "1"]))[0]["severity"] == "medium"
    assert F.xps_unset("eth0", nic(["0", "1"], tx_xps=["0", ""])) == []
    assert F.xps_unset("eth0", nic(["0"])) == []


def test_irqbalance_severity_depends_on_pinning():
    pinned = {"eth0": nic(["0", "1"], affinity=["0", "1"])}
    spread = {"eth0": nic(["0", "1"], affinity=["0-7", "0-7"])}
    assert F.irqbalance(pinned, [812], ONLINE)[0]["severity"] == "high"
    assert F.irqbalance(spread, [812], ONLINE)[0]["severity"] == "low"
    assert F.irqbalance(pinned, [], ONLINE) == []


def test_irqbalance_running_fastpaths_ban_leaves_the_pinned_irqs_alone():
    pinned = {"eth0": nic(["0", "1"], affinity=["0", "1"])}
    ours = F.FASTPATH_IRQBALANCE_POLICY
    assert F.irqbalance(pinned, [812], ONLINE, {812: ours}) == []
    # a second irqbalance without it, or a policy script of the host's own, still moves them
    assert F.irqbalance(pinned, [812, 900], ONLINE, {812: ours, 900: None})[0]["severity"] == "high"
    [theirs] = F.irqbalance(pinned, [812], ONLINE, {812: "/etc/irqbalance/mine"})
    assert theirs["severity"] == "high" and "/etc/irqbalance/mine is not fastpath's" in theirs["evidence"]


def test_the_policy_script_is_read_from_irqbalances_command_line():
    assert policy_script("/usr/sbin/irqbalance\0--foreground\0--policyscript=/x/p\0") == "/x/p"
    assert policy_script("/usr/sbin/irqbalance\0-l\0/x/p\0") == "/x/p"
    assert policy_script("/usr/sbin/irqbalance\0-l/x/p\0") == "/x/p"
    assert policy_script("/usr/sbin/irqbalance\0--foreground\0") is None
    assert policy_script("") is None


def test_read_findings_takes_the_policy_from_the_live_process(tmp_path):
    (tmp_path / "proc/812").mkdir(parents=True)
    (tmp_path / "proc/812/comm").write_text("irqbalance\n")
    cmdline = tmp_path / "proc/812/cmdline"
    pinned = {"eth0": nic(["0", "1"], affinity=["0", "1"])}
    cpus = {"online": "0-7"}
    cmdline.write_bytes(b"/usr/sbin/irqbalance\0--foreground\0")
    assert "irqbalance is running while NIC IRQ affinities are pinned" in [
        f["what"] for f in read_findings(HostFS(str(tmp_path)), pinned, cpus)]
    cmdline.write_bytes(f"/usr/sbin/irqbalance\0--policyscript={F.FASTPATH_IRQBALANCE_POLICY}\0".encode())
    assert not any("irqbalance" in f["what"] for f in read_findings(HostFS(str(tmp_path)), pinned, cpus))


def test_the_policy_path_is_the_one_cpu_partition_installs():
    role_vars = Path(__file__).resolve().parents[3] / "roles/cpu_partition/vars/main.yml"
    assert yaml.safe_load(role_vars.read_text())["__cpu_partition_irqbalance_policy"] == \
        F.FASTPATH_IRQBALANCE_POLICY


def test_irqs_on_isolated_cpus():
    assert "IRQ 101 on 5" in F.irqs_on_isolated("eth0", nic(["0", "5"]), frozenset({4, 5}))[0]["evidence"]
    assert F.irqs_on_isolated("eth0", nic(["0", "1"]), frozenset({4, 5})) == []


def test_softnet_drops_and_squeeze():
    rows = [{"cpu": 0, "dropped": 0, "time_squeeze": 0}, {"cpu": 3, "dropped": 9, "time_squeeze": 2}]
    out = F.softnet(rows)
    assert [f["severity"] for f in out] == ["high", "medium"]
    assert "cpu3: 9 dropped" in out[0]["evidence"]
    assert F.softnet(rows[:1]) == []


def test_rx_queues_vs_irq_cpus_suggests_channels_or_rps():
    more = F.rx_queues_vs_irq_cpus("eth0", nic(["0", "1"], max_combined=8), frozenset(range(4)))
    assert more[0]["fix"].startswith("ethtool -L eth0 combined 4")
    capped = F.rx_queues_vs_irq_cpus("eth0", nic(["0", "1"], max_combined=2), frozenset(range(4)))
    assert "RPS" in capped[0]["fix"]
    assert F.rx_queues_vs_irq_cpus("eth0", nic(["0", "1"]), frozenset(range(2))) == []


def test_socket_buffers_and_busy_poll():
    sysctls = {
        "net.core.rmem_max": 212992,
        "net.core.wmem_max": 8 << 20,
        "net.core.busy_poll": 0,
        "net.core.busy_read": 0,
    }
    out = F.socket_buffers(sysctls, rmem=4 << 20, wmem=4 << 20)
    assert [f["what"].split()[0] for f in out] == ["net.core.rmem_max"]
    assert F.busy_poll(sysctls, "latency")[0]["severity"] == "medium"
    assert F.busy_poll(sysctls, "throughput") == []
    assert F.busy_poll({**sysctls, "net.core.busy_poll": 50}, "latency") == []
    # In a network namespace the global sysctls are absent: no claim either way.
    assert F.busy_poll({"net.core.busy_poll": None, "net.core.busy_read": None}, "latency") == []


def test_host256_findings(host256):
    fs = HostFS(str(host256))
    nics = read_interfaces(fs, CommandRunner(fs))
    cpus = read_cpus(fs)
    sysctls = read_sysctl_ints(
        fs, ["net.core.rmem_max", "net.core.wmem_max", "net.core.busy_poll", "net.core.busy_read"]
    )
    out = F.build_findings(nics, cpus, sysctls, pids_named(fs, "irqbalance"), rmem=1 << 24, profile="latency")
    whats = [f["what"] for f in out]
    assert "ens1f0np0: 64 queue IRQs are served by 4 CPU(s)" in whats
    assert "irqbalance is running while NIC IRQ affinities are pinned" in whats
    assert "eth10: 12 IRQ(s) are delivered to isolated CPUs" in whats
    assert "net.core.rmem_max is below what the dataplane will ask for" in whats
    assert any(w.startswith("softnet backlog drops") for w in whats)
    assert [f["severity"] for f in out] == sorted(
        (f["severity"] for f in out), key=["high", "medium", "low"].index
    )


def _ice_host(builder, root, pinned):
    """One ice NIC (misc vector, then 4 TxRx vectors) on an 8-CPU host, as build_trees writes drivers."""
    host = builder.Host(possible=8)
    bdf = "0000:5e:00.0"
    names = [f"ice-{bdf}:misc"] + [f"ice-eth1-TxRx-{i}" for i in range(4)]
    host.add_pci_nic("eth1", "ice", bdf, names, 4, pinned=pinned)
    host.write(root)
    fs = HostFS(str(root))
    return read_interfaces(fs, CommandRunner(fs)), read_cpus(fs)


def _layout(nics, cpus, workers, layout="split"):
    out = F.build_findings(nics, cpus, {}, [], workers=workers, layout=layout)
    return [f for f in out if "dataplane worker" in f["what"]]


def test_a_worker_on_a_queue_irq_cpu_breaks_layout_split(builder, tmp_path):
    # Tuned as layout split plans it: queue N's IRQ on CPU N (0-3), workers apart on 4-7.
    nics, cpus = _ice_host(builder, tmp_path / "ice", pinned={1: 0, 2: 1, 3: 2, 4: 3})
    irq_q1 = next(i["irq"] for i in nics["eth1"]["irqs"] if i["name"] == "ice-eth1-TxRx-1")
    apart = [{"worker": 0, "cpu": 4, "rx_packets": 900}, {"worker": 1, "cpu": 5, "rx_packets": 800}]
    assert _layout(nics, cpus, apart) == []
    # Worker 0 moved onto CPU 1, which takes queue 1's interrupts.
    crossed = [{"worker": 0, "cpu": 1, "rx_packets": 900}, {"worker": 1, "cpu": 5, "rx_packets": 800}]
    [finding] = _layout(nics, cpus, crossed)
    assert finding["severity"] == "high" and finding["interface"] == "eth1"
    assert finding["what"] == "eth1: 1 dataplane worker(s) receive on CPUs that serve its queue IRQs"
    assert f"worker 0 on CPU 1 (900 datagrams received) with IRQ {irq_q1} (txrx 1, " in finding["evidence"]
    assert "worker 1" not in finding["evidence"]
    assert "move the workers off 1" in finding["fix"] and "cpu_partition_layout: shared" in finding["fix"]
    # Layout shared puts each worker on its queue's IRQ CPU on purpose; no plan means split, the default.
    assert _layout(nics, cpus, crossed, layout="shared") == []
    assert len(_layout(nics, cpus, crossed, layout=None)) == 1
    # The misc vector serves no queue: a worker beside it is not a layout problem.
    misc_cpu = int(next(i for i in nics["eth1"]["irqs"] if i["kind"] == "other")["effective_affinity"])
    queue_cpus = {0, 1, 2, 3}
    if misc_cpu not in queue_cpus:
        assert _layout(nics, cpus, [{"worker": 0, "cpu": misc_cpu, "rx_packets": 1}]) == []


def test_an_untuned_virtio_host_lands_receive_on_the_workers_cpu():
    """The checked-in virtio_net tree is untuned: each IRQ may run anywhere and the kernel delivers it
    to one CPU; the worker put on that CPU shares it with the queue's receive."""
    fs = HostFS(tree_path("virtio_net"))
    nics, cpus = read_interfaces(fs, CommandRunner(fs), ["eth1"]), read_cpus(fs)
    input0 = next(i for i in nics["eth1"]["irqs"] if i["name"] == "virtio1-input.0")
    cpu = int(input0["effective_affinity"])
    [finding] = _layout(nics, cpus, [{"worker": 0, "cpu": cpu, "rx_packets": 5}])
    assert f"IRQ {input0['irq']} (rx 0, {input0['per_cpu'][cpu]} interrupts there)" in finding["evidence"]


def test_workers_without_a_cpu_are_not_judged():
    nics = {"eth0": nic(["0", "1"])}
    cpus = {"online": "0-7"}
    odd = [{"worker": 0, "cpu": -1}, {"worker": 1}, {"worker": 2, "cpu": "1"}, {"worker": 3, "cpu": True}]
    assert _layout(nics, cpus, odd) == []
    assert len(_layout(nics, cpus, [{"worker": 0, "cpu": 1}])) == 1

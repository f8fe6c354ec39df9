"""The partition planner on realistic hosts: a 32-vCPU VM with a 16-queue gve NIC, the 2-CPU lab
host, this machine's virtio NIC and a two-node VM; then its invariants over many shapes."""

import pytest
from hosts import cpus, gve, veth, virtio
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import parse_cpulist
from ansible_collections.fastpath.host.plugins.module_utils.partition import PlanError, plan_partition


def sets(plan):
    return {k: parse_cpulist(plan[k]) for k in ("housekeeping", "irq", "workers")}


def test_gve_32_vcpu_split_keeps_siblings_together_and_one_queue_per_irq_cpu():
    plan = plan_partition(cpus(32, smt=2), gve(16))
    assert (plan["housekeeping"], plan["irq"], plan["workers"]) == ("0,16", "1-7,17-23", "8-15,24-31")
    assert plan["queues"] == 14
    assert plan["channels"] == {"rx": 14, "tx": 14}  # gve has separate rx/tx channels
    # Each core's two threads land in the same set.
    s = sets(plan)
    for core in range(16):
        assert sum(1 for v in s.values() if {core, core + 16} <= v) == 1


def test_gve_irqs_follow_their_queue_and_mgmt_goes_to_housekeeping():
    nic = gve(16)
    plan = plan_partition(cpus(32, smt=2), nic)
    by_irq = {str(e["irq"]): e for e in nic["irqs"]}
    for irq, cpu in plan["irq_affinity"].items():
        entry = by_irq[irq]
        planned = entry["queue"] is not None and entry["queue"] < len(plan["queue_cpus"])
        expected = plan["queue_cpus"][entry["queue"]] if planned else plan["housekeeping"]
        assert cpu == expected, entry["name"]
    # Queue 3's TX block (blk3) and RX block (blk19) share a CPU.
    assert plan["irq_affinity"]["44"] == plan["irq_affinity"]["60"] == "4"
    # Queues 14 and 15 go away with channels=14; until they do (or if the channels come back, as
    # after a reboot) their four IRQs serve on housekeeping, never on a worker CPU.
    assert {plan["irq_affinity"][irq] for irq in ("55", "56", "71", "72")} == {plan["housekeeping"]}
    assert plan["irq_skipped"] == []


def test_gve_smt_ignore_counts_threads_not_cores():
    plan = plan_partition(cpus(32, smt=2), gve(16), smt="ignore")
    assert plan["housekeeping"] == "0"  # CPU 16, its sibling, is free for the dataplane
    assert plan["queues"] == 16


def test_gve_shared_layout_runs_workers_on_the_16_queue_cpus_and_says_what_idles():
    plan = plan_partition(cpus(32, smt=2), gve(16), layout="shared")
    assert plan["irq"] == plan["workers"] == "1-15,17"
    assert plan["queues"] == 16
    assert "18-31 left idle" in plan["reasons"]["irq"]


def test_lab_host_two_cpus_split_shares_the_housekeeping_cpu_with_irqs():
    plan = plan_partition(cpus(2), veth(4))
    assert (plan["housekeeping"], plan["irq"], plan["workers"]) == ("0", "0", "1")
    assert plan["channels"] == {"rx": 1, "tx": 1}
    assert plan["irq_affinity"] == {}
    assert "no IRQs" in plan["reasons"]["irq_affinity"]
    assert plan["xps_cpus"] == {"0": "0-1"}
    assert "only 2 online CPUs" in plan["reasons"]["irq"]


def test_lab_host_two_cpus_shared():
    plan = plan_partition(cpus(2), veth(4), layout="shared")
    assert (plan["housekeeping"], plan["irq"], plan["workers"]) == ("0", "1", "1")


def test_this_machines_virtio_nic_pins_input_and_output_to_the_queue_cpu():
    plan = plan_partition(cpus(2), virtio(1), layout="shared")
    assert plan["irq_affinity"] == {"37": "0", "38": "1", "39": "1"}
    assert plan["channels"] == {"combined": 1}


def test_nic_numa_node_is_preferred_and_housekeeping_lives_on_the_other_node():
    host = cpus(16, nodes=2)  # node 0: 0-7, node 1: 8-15
    plan = plan_partition(host, gve(8, 8, numa_node=1))
    s = sets(plan)
    assert s["irq"] | s["workers"] <= set(range(8, 16))
    assert s["housekeeping"] == {0}
    assert plan["numa_node"] == 1
    assert "node 1" in plan["reasons"]["numa_node"]


def test_unknown_numa_node_uses_every_cpu():
    plan = plan_partition(cpus(16, nodes=2), gve(8, 8, numa_node=-1))
    assert plan["numa_node"] is None
    assert "no NUMA node" in plan["reasons"]["numa_node"]


def test_explicit_cpulists_are_kept_as_given():
    plan = plan_partition(cpus(8), gve(4, 8), housekeeping="0", irq="1-2", workers="3-7")
    assert (plan["housekeeping"], plan["irq"], plan["workers"]) == ("0", "1-2", "3-7")
    assert plan["reasons"]["irq"] == "given explicitly"
    assert plan["channels"] == {"rx": 2, "tx": 2}


def test_explicit_irq_only_gives_workers_the_rest():
    plan = plan_partition(cpus(8), gve(8, 8), irq="1-3")
    assert plan["workers"] == "4-7"


def test_explicit_workers_only_gives_irqs_the_rest():
    plan = plan_partition(cpus(8), gve(8, 8), workers="4-7")
    assert plan["irq"] == "1-3"


def test_max_queues_caps_the_queue_count_and_says_so():
    plan = plan_partition(cpus(8), gve(8, 8), irq="1-4", max_queues=2)
    assert plan["queues"] == 2 and plan["queue_cpus"] == ["1", "2"]
    assert "max_queues=2" in plan["reasons"]["queues"]


def test_rps_split_steers_to_workers_with_power_of_two_flow_counts():
    plan = plan_partition(cpus(8), gve(3, 3), rps=True)
    assert plan["queues"] == 3
    assert set(plan["rps_cpus"].values()) == {plan["workers"]}
    assert plan["rps_flow_cnt"] == {"0": 8192, "1": 8192, "2": 8192}
    assert plan["rps_sock_flow_entries"] == 32768


def test_rps_shared_stays_on_each_queue_cpu():
    plan = plan_partition(cpus(4), gve(3, 8), layout="shared", rps=True)
    assert plan["rps_cpus"] == {"0": "1", "1": "2", "2": "3"}


def test_rps_off_clears_rps():
    plan = plan_partition(cpus(4), gve(4, 4))
    assert set(plan["rps_cpus"].values()) == {""}
    assert plan["rps_sock_flow_entries"] == 0


def test_managed_irqs_are_skipped_with_the_reason():
    nic = virtio(1)
    nic["irqs"][1]["managed"] = True
    plan = plan_partition(cpus(2), nic, layout="shared")
    assert "38" not in plan["irq_affinity"]
    assert plan["irq_skipped"] == [
        {"irq": "38", "reason": "managed IRQ: the kernel sets its affinity and refuses writes"}
    ]


def test_no_topology_means_each_cpu_is_its_own_core():
    host = cpus(4)
    host["topology"] = []
    assert plan_partition(host, gve(4, 4))["irq"] == "1-2"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layout": "wide"}, "layout must be one of split, shared, got 'wide'"),
        ({"smt": "split"}, "smt must be one of together, ignore"),
        ({"housekeeping_count": -1}, "housekeeping_count must be an integer >= 0"),
        ({"housekeeping_count": 8}, "housekeeping_count=8 leaves no CPU for the dataplane (8 online)"),
        ({"max_queues": -2}, "max_queues must be an integer >= 0"),
        ({"irq": "1-9"}, "cpu_partition_irq: CPUs 8-9 are not online (online: 0-7)"),
        ({"workers": "3-x"}, "cpu_partition_workers: 'x' is not a CPU number"),
        ({"housekeeping": "5-3"}, "cpu_partition_housekeeping: range '5-3' runs backwards"),
        ({"irq": "1-3", "workers": "3-7"}, "cpu_partition_irq and cpu_partition_workers overlap on 3"),
        ({"housekeeping": "0-1", "workers": "1-7"}, "cpu_partition_housekeeping and cpu_partition_workers"),
        (
            {"housekeeping": "0", "irq": "0-1", "workers": "2-7"},
            "cpu_partition_housekeeping and cpu_partition_irq",
        ),
        ({"irq": "", "workers": "2-7"}, "cpu_partition_irq: the IRQ CPU set is empty"),
        ({"layout": "shared", "irq": "1-2", "workers": "1-3"}, "must be equal with layout shared"),
    ],
)
def test_bad_inputs_fail_naming_the_input(kwargs, message):
    with pytest.raises(PlanError, match=None) as err:
        plan_partition(cpus(8), gve(8, 8), **kwargs)
    assert message in str(err.value)


def test_no_online_cpus_is_an_error():
    with pytest.raises(PlanError, match="no online CPUs"):
        plan_partition({"online": ""}, None)


def test_broken_cpu_facts_are_an_error_not_a_traceback():
    with pytest.raises(PlanError, match="cpu facts: online"):
        plan_partition({"online": "0-"}, None)


@settings(max_examples=300, deadline=None)
@given(
    cores=st.integers(1, 40),
    smt=st.sampled_from([1, 2]),
    nodes=st.sampled_from([1, 2]),
    layout=st.sampled_from(["split", "shared"]),
    policy=st.sampled_from(["together", "ignore"]),
    hk=st.integers(0, 3),
    nic_queues=st.integers(1, 32),
    numa=st.sampled_from([-1, 0, 1]),
    rps=st.booleans(),
)
def test_invariants_over_many_hosts(cores, smt, nodes, layout, policy, hk, nic_queues, numa, rps):
    n = cores * smt
    if nodes > cores or hk >= n - (0 if layout == "split" else 0) or n < 2:
        return
    try:
        plan = plan_partition(
            cpus(n, smt=smt, nodes=nodes),
            gve(nic_queues, nic_queues, numa_node=min(numa, nodes - 1)),
            layout=layout,
            smt=policy,
            housekeeping_count=hk,
            rps=rps,
        )
    except PlanError as e:  # only legitimate refusal: too few CPUs for the sets asked for
        assert "at least 2 CPUs" in str(e) or "leaves no CPU" in str(e) or "is empty" in str(e)
        return
    s = sets(plan)
    online = set(range(n))
    assert all(v <= online for v in s.values())
    assert s["irq"] and s["workers"]
    assert not s["workers"] & s["housekeeping"]
    if layout == "split":
        assert not s["irq"] & s["workers"]
    else:
        assert s["irq"] == s["workers"]
    assert 1 <= plan["queues"] <= nic_queues
    assert [int(c) for c in plan["queue_cpus"]] == sorted(s["irq"])[: plan["queues"]]
    # XPS: every online CPU transmits on exactly one queue.
    seen = [c for v in plan["xps_cpus"].values() for c in parse_cpulist(v)]
    assert sorted(seen) == sorted(online)
    # Every queue IRQ that survives the channel change is pinned to its queue's CPU.
    for irq, cpu in plan["irq_affinity"].items():
        assert parse_cpulist(cpu) <= online, irq
    assert set(plan["reasons"]) >= {"numa_node", "housekeeping", "irq", "workers", "queues", "channels"}

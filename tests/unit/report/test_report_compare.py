"""Before/after on one host: changed affinities and masks, counter deltas, resets, findings."""

import copy

import pytest
from report_docs import host_data, tree

from ansible_collections.fastpath.host.plugins.module_utils.report_doc import HostDoc
from ansible_collections.fastpath.host.plugins.plugin_utils.report.compare import (
    RESET,
    compare_hosts,
    counter_delta,
)

DEVICE = "ens1f0np0"


@pytest.fixture(scope="module")
def before_data():
    return host_data(tree("mlx5"))


def diff_of(before_data, change):
    after = copy.deepcopy(before_data)
    after["collected_at"] = "2025-01-31T12:05:00Z"
    change(after)
    return compare_hosts(HostDoc.from_data(before_data), HostDoc.from_data(after))


def test_identical_runs_show_no_change(before_data):
    diff = diff_of(before_data, lambda after: None)
    assert not diff.changed
    assert diff.interrupts_per_cpu == {}
    assert all(not any(d.values()) for _irq, d in diff.irq_deltas)


def test_a_changed_irq_affinity_and_queue_mask_are_listed(before_data):
    def tune(after):
        nic = after["interfaces"][DEVICE]
        nic["irqs"][0]["affinity"] = "3"
        nic["queues"]["rx"][1]["rps_cpus"] = "4-7"
        nic["channels"]["combined"] = 8

    diff = diff_of(before_data, tune)
    first = before_data["interfaces"][DEVICE]["irqs"][0]
    assert [(c["irq"], c["setting"], c["before"], c["after"]) for c in diff.affinity_changes] == [
        (first["irq"], "affinity", first["affinity"], "3")
    ]
    assert [(c["direction"], c["queue"], c["setting"], c["after"]) for c in diff.queue_changes] == [
        ("rx", 1, "rps_cpus", "4-7")
    ]
    assert {"device": DEVICE, "setting": "channels.combined", "before": 4, "after": 8} in diff.nic_changes
    assert diff.changed


def test_irqs_renumbered_by_a_channel_change_are_matched_by_queue(before_data):
    def renumber(after):
        for irq in after["interfaces"][DEVICE]["irqs"]:
            irq["irq"] += 1000
            irq["per_cpu"] = {cpu: n + 10 for cpu, n in irq["per_cpu"].items()}

    diff = diff_of(before_data, renumber)
    assert diff.affinity_changes == []
    deltas = {irq.irq: d for irq, d in diff.irq_deltas if irq.device == DEVICE}
    assert deltas and all(set(d.values()) == {10} for d in deltas.values())


def test_interrupt_and_softnet_deltas_and_a_reset_counter(before_data):
    cpu = before_data["cpus"]["softnet"][0]["cpu"]
    other = before_data["cpus"]["softnet"][1]["cpu"]

    def traffic(after):
        irq = after["interfaces"][DEVICE]["irqs"][1]
        irq["per_cpu"][str(cpu)] += 100
        rows = after["cpus"]["softnet"]
        rows[0]["dropped"] += 5
        rows[0]["processed"] += 1000
        rows[1]["time_squeeze"] = rows[1]["time_squeeze"] - 1 if rows[1]["time_squeeze"] else -1

    diff = diff_of(before_data, traffic)
    assert diff.interrupts_per_cpu == {cpu: 100}
    by_cpu = {r["cpu"]: r for r in diff.softnet_deltas}
    assert (by_cpu[cpu]["dropped"], by_cpu[cpu]["processed"], by_cpu[cpu]["reset"]) == (5, 1000, False)
    assert by_cpu[other]["time_squeeze"] is None and by_cpu[other]["reset"] is True


def test_an_irq_counter_that_went_backwards_is_a_reset_not_a_negative_rate(before_data):
    def reboot(after):
        for irq in after["interfaces"][DEVICE]["irqs"]:
            irq["per_cpu"] = {cpu: 0 for cpu in irq["per_cpu"]}

    diff = diff_of(before_data, reboot)
    counted = [d for irq, d in diff.irq_deltas if irq.device == DEVICE and irq.total == 0]
    had = {i["irq"] for i in before_data["interfaces"][DEVICE]["irqs"] if sum(i["per_cpu"].values())}
    assert had, "the fixture should have counted interrupts"
    assert any(RESET in d.values() for d in counted)
    assert diff.interrupts_per_cpu == {}


def test_findings_resolved_and_new_ignore_moving_evidence(before_data):
    assert before_data["findings"], "the mlx5 fixture should have findings"

    def fix_one(after):
        after["findings"][0] = {"severity": "low", "what": "new thing", "evidence": "e", "fix": "f"}
        for f in after["findings"][1:]:
            f["evidence"] = str(f.get("evidence")) + " (counts moved)"

    diff = diff_of(before_data, fix_one)
    assert [f["what"] for f in diff.findings_resolved] == [before_data["findings"][0]["what"]]
    assert [f["what"] for f in diff.findings_new] == ["new thing"]


@pytest.mark.parametrize(
    ("before", "after", "delta"), [(1, 5, 4), (5, 1, None), (None, 3, None), ("7", "9", 2), (0, True, None)]
)
def test_counter_delta(before, after, delta):
    assert counter_delta(before, after) == delta

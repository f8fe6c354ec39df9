"""The smoke test's verdict on real data: fastpath-loadgen summaries and fastpath-server stats captured
from runs in network namespaces (fixtures/capture-netns*.sh), and cpu_info / irq_info / nic_info output
read from this machine's own /proc (its virtio NIC's IRQs 37-39)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.fastpath.host.plugins.module_utils import smoke_gates as sg

FIXTURES = Path(__file__).parent / "fixtures"

# The role's default thresholds (roles/smoke_test/defaults/main.yml), as the filter receives them.
DEFAULTS = {
    "min_reply_pct": 90,
    "min_rate_pps": None,
    "max_loss_pct": 1,
    "max_p99_us": 50000,
    "max_softnet_drops": 0,
    "max_time_squeeze": 50,
    "max_stray_irqs": 0,
    "max_server_drops": 0,
}


def load(name):
    return json.loads((FIXTURES / name).read_text())


def judge(
    summaries, thresholds=None, irq_cpus="", stats=("server-stats-before.json", "server-stats-after.json")
):
    return sg.judge(
        "srv1",
        "after",
        [load(s) for s in summaries],
        load("host-cpus-before.json"),
        load("host-cpus-after.json"),
        load("host-irqs-before.json"),
        load("host-irqs-after.json"),
        load("host-nic-interfaces.json"),
        irq_cpus,
        load(stats[0]),
        load(stats[1]),
        {**DEFAULTS, **(thresholds or {})},
    )


def gate(result, name):
    return next(g for g in result["gates"] if g["gate"] == name)


def test_a_clean_run_passes_every_gate():
    result = judge(["loadgen-2000pps-5s.json"])
    assert result["passed"] is True
    assert result["failures"] == []
    assert result["load"]["received"] == 10000 and result["load"]["loss_pct"] == 0.0
    assert gate(result, "reply_rate")["threshold"] == 1800.0  # 90 % of the 2000 pps offered
    assert gate(result, "p99_rtt")["measured"] == 5079.04


def test_a_min_rate_above_what_was_reached_fails_naming_gate_measured_and_threshold():
    result = judge(["loadgen-2000pps-min-rate-10M.json"], {"min_rate_pps": 10_000_000})
    assert result["passed"] is False
    assert result["failures"] == [
        "srv1: gate min_rate failed: replies/s (absolute) = 2000 pps, threshold >= 10000000 pps"
    ]


def test_no_reply_at_all_fails_loss_rate_and_p99():
    result = judge(["loadgen-no-server.json"])
    failed = [g["gate"] for g in result["gates"] if g["passed"] is False]
    assert failed == ["reply_rate", "loss", "p99_rtt"]
    assert "srv1: gate loss failed: packets lost = 100%, threshold <= 1%" in result["failures"]
    assert (
        "srv1: gate p99_rtt failed: p99 round trip = nothing measured, threshold <= 50000 us"
        in result["failures"]
    )


def test_a_tight_p99_gate_fails_on_the_measured_p99():
    result = judge(["loadgen-2000pps-5s.json"], {"max_p99_us": 1000})
    assert result["failures"] == [
        "srv1: gate p99_rtt failed: p99 round trip = 5079.04 us, threshold <= 1000 us"
    ]


def test_two_clients_add_up_and_keep_the_worse_p99():
    combined = sg.combine_clients(
        [load("loadgen-client-a-1000pps.json"), load("loadgen-client-b-1000pps.json")]
    )
    assert combined["clients"] == 2
    assert combined["offered_pps"] == 2000
    assert combined["sent"] == 5998 and combined["received"] == 5998
    assert combined["received_pps"] == 1999.3
    assert combined["p99_us"] == 7766.016  # client b's, the larger


def test_loss_is_counted_over_all_clients():
    combined = sg.combine_clients([load("loadgen-2000pps-5s.json"), load("loadgen-no-server.json")])
    assert combined["sent"] == 10992 and combined["received"] == 10000
    assert combined["loss_pct"] == round(100 * 992 / 10992, 4)


def test_server_drops_by_reason_are_counted_and_fail_the_gate():
    # Five 2-byte datagrams (short) and three zeroed ones (magic) sent along with the load.
    result = judge(
        ["loadgen-client-a-1000pps.json", "loadgen-client-b-1000pps.json"],
        stats=("server-stats-junk-before.json", "server-stats-junk-after.json"),
    )
    assert result["server_drops"]["by_reason"] == {"magic": 3, "short": 5}
    assert result["server_drops"]["total"] == 8
    assert result["failures"] == [
        "srv1: gate server_drops failed: fastpath-server drops during the run = 8, threshold <= 0"
    ]
    assert judge(
        ["loadgen-client-a-1000pps.json"],
        {"max_server_drops": 8},
        stats=("server-stats-junk-before.json", "server-stats-junk-after.json"),
    )["passed"]


def test_stray_irqs_count_nic_interrupts_outside_the_irq_set():
    # Between the two reads IRQs 38 and 39 (virtio input/output) each took 3 interrupts on CPU 1.
    assert judge(["loadgen-2000pps-5s.json"], irq_cpus="1")["stray_irqs"] == 0
    result = judge(["loadgen-2000pps-5s.json"], irq_cpus="0")
    assert result["nic_irqs"] == ["37", "38", "39"]
    assert result["stray_irqs"] == 6
    assert result["failures"] == [
        "srv1: gate stray_irqs failed: NIC interrupts on CPUs outside the IRQ set = 6, threshold <= 0"
    ]


def test_stray_irqs_unchecked_without_an_irq_set_or_without_nic_irqs():
    result = judge(["loadgen-2000pps-5s.json"], irq_cpus="")
    assert gate(result, "stray_irqs")["passed"] is None
    assert "no IRQ CPU set known" in gate(result, "stray_irqs")["note"]
    assert result["passed"] is True
    no_irqs = sg.judge(
        "srv1",
        "x",
        [load("loadgen-2000pps-5s.json")],
        load("host-cpus-before.json"),
        load("host-cpus-after.json"),
        {},
        {},
        {"eth0": {"irqs": []}},
        "0",
        load("server-stats-before.json"),
        load("server-stats-after.json"),
        DEFAULTS,
    )
    assert "no IRQs" in gate(no_irqs, "stray_irqs")["note"]


def test_softnet_deltas_sum_over_cpus_and_survive_a_32_bit_wrap():
    before = [
        {"cpu": 0, "dropped": 5, "time_squeeze": (1 << 32) - 2},
        {"cpu": 1, "dropped": 0, "time_squeeze": 0},
    ]
    after = [{"cpu": 0, "dropped": 7, "time_squeeze": 1}, {"cpu": 1, "dropped": 4, "time_squeeze": 10}]
    assert sg.softnet_delta(before, after) == {"dropped": 6, "time_squeeze": 13}
    real = sg.softnet_delta(load("host-cpus-before.json")["softnet"], load("host-cpus-after.json")["softnet"])
    assert real == {"dropped": 0, "time_squeeze": 0}


def test_a_gate_set_to_null_is_off():
    result = judge(
        ["loadgen-no-server.json"], {"min_reply_pct": None, "max_loss_pct": None, "max_p99_us": None}
    )
    assert result["passed"] is True
    assert {g["gate"] for g in result["gates"]} == {
        "softnet_drops",
        "time_squeeze",
        "stray_irqs",
        "server_drops",
    }


def test_thresholds_given_as_strings_are_numbers():
    # `-e smoke_test_min_rate_pps=10000000` arrives as a string.
    result = judge(["loadgen-2000pps-5s.json"], {"min_rate_pps": "10000000", "max_p99_us": "null"})
    assert gate(result, "min_rate")["passed"] is False
    assert all(g["gate"] != "p99_rtt" for g in result["gates"])


@pytest.mark.parametrize("bad", ["fast", True, -1])
def test_a_bad_threshold_is_refused_by_name(bad):
    with pytest.raises(sg.SmokeInputError, match="gate threshold max_loss_pct"):
        judge(["loadgen-2000pps-5s.json"], {"max_loss_pct": bad})


def test_a_summary_without_counts_is_refused_by_name():
    broken = load("loadgen-2000pps-5s.json")
    del broken["received"]
    with pytest.raises(sg.SmokeInputError, match="load client summary 1: field 'received' is missing"):
        sg.combine_clients([broken])
    with pytest.raises(sg.SmokeInputError, match="no load client summary"):
        sg.combine_clients([])


def test_a_server_restart_during_the_run_is_refused():
    with pytest.raises(sg.SmokeInputError, match="restarted during the run"):
        sg.server_drops_delta(load("server-stats-after.json"), load("server-stats-before.json"))

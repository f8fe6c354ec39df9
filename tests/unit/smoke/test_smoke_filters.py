"""The smoke_test role's filters: the clients' shares, the readable errors, and the tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.filter import smoke_filters as sf
from ansible_collections.fastpath.host.plugins.module_utils import smoke_gates as sg

FIXTURES = Path(__file__).parent / "fixtures"
THRESHOLDS = {
    "min_reply_pct": 90,
    "max_loss_pct": 1,
    "max_p99_us": 50000,
    "max_softnet_drops": 0,
    "max_time_squeeze": 50,
    "max_stray_irqs": 0,
    "max_server_drops": 0,
}


def text(name):
    return (FIXTURES / name).read_text()


def counters(phase):
    return {
        "cpus": json.loads(text(f"host-cpus-{phase}.json")),
        "irqs": json.loads(text(f"host-irqs-{phase}.json")),
        "stats": json.loads(text(f"server-stats-{phase}.json")),
        "interfaces": json.loads(text("host-nic-interfaces.json")),
    }


def result_of(server, summary, thresholds=None):
    return sf.smoke_judge(
        [text(summary)],
        server,
        "after",
        counters("before"),
        counters("after"),
        "",
        {**THRESHOLDS, **(thresholds or {})},
    )


def test_shares_split_rate_and_sessions_and_give_each_client_its_own_sessions():
    shares = sf.smoke_client_shares(["cli1", "cli2", "cli3"], 4000, 64, 1_000_000)
    assert [s["rate"] for s in shares] == [1334, 1333, 1333]
    assert [s["sessions"] for s in shares] == [22, 21, 21]
    assert [s["session_base"] for s in shares] == [1_000_000, 2_000_000, 3_000_000]
    assert sum(s["rate"] for s in shares) == 4000


@pytest.mark.parametrize(
    "clients, rate, sessions, message",
    [
        ([], 4000, 64, "group load_clients is empty"),
        (["a", "b"], 1, 64, r"smoke_test_rate_pps \(1\) must be at least the number of clients \(2\)"),
        (["a", "b"], 4000, 1, r"smoke_test_sessions \(1\) must be at least the number of clients \(2\)"),
    ],
)
def test_shares_refuse_what_would_send_flat_out_or_nothing(clients, rate, sessions, message):
    with pytest.raises(AnsibleFilterError, match=message):
        sf.smoke_client_shares(clients, rate, sessions, 1_000_000)


def test_a_client_that_printed_no_json_is_named():
    with pytest.raises(AnsibleFilterError, match="smoke test of srv1: load client 2 printed no JSON summary"):
        sf.smoke_judge(
            [text("loadgen-2000pps-5s.json"), ""],
            "srv1",
            "x",
            counters("before"),
            counters("after"),
            "",
            THRESHOLDS,
        )


def test_missing_counters_are_a_readable_error():
    broken = counters("after")
    del broken["stats"]
    with pytest.raises(AnsibleFilterError, match="smoke test of srv1: cannot judge the run"):
        sf.smoke_judge(
            [text("loadgen-2000pps-5s.json")], "srv1", "x", counters("before"), broken, "", THRESHOLDS
        )


def test_failure_text_names_the_failed_client_and_its_stderr():
    loop_result = {
        "failed": True,
        "msg": "One or more items failed",
        "results": [
            {"failed": False, "item": {"item": {"client": "cli1"}}, "stderr": ""},
            {
                "failed": True,
                "item": {"item": {"client": "cli2"}},
                "stderr": "fastpath-loadgen: invalid --dst 'srv9' (an IPv4 or IPv6 address)\n",
            },
        ],
    }
    assert sf.smoke_failure_text(loop_result, "Wait") == (
        "Wait: cli2: fastpath-loadgen: invalid --dst 'srv9' (an IPv4 or IPv6 address)"
    )
    assert sf.smoke_failure_text({"msg": "cannot read fastpath-server's stats"}, "Read") == (
        "Read: cannot read fastpath-server's stats"
    )


def test_table_lists_every_server_with_its_result_or_why_there_is_none():
    results = {
        "srv1": result_of("srv1", "loadgen-2000pps-5s.json"),
        "srv2": result_of("srv2", "loadgen-2000pps-min-rate-10M.json", {"min_rate_pps": 10_000_000}),
        "srv3": {"server": "srv3", "passed": False, "error": "Read: cannot read fastpath-server's stats"},
    }
    lines = sf.smoke_table(results, ["srv1", "srv2", "srv3", "srv4"]).split("\n")
    assert lines[0].split()[:2] == ["server", "result"]
    assert lines[1].split()[:6] == ["srv1", "pass", "2000", "2000.0", "0.00", "5079"]
    assert lines[2].split()[:2] == ["srv2", "FAIL"]
    assert lines[3].split()[:2] == ["srv3", "ERROR"]
    assert lines[4].split()[:3] == ["srv4", "NO", "RESULT"]
    assert "srv2: gate min_rate failed: replies/s (absolute) = 2000 pps, threshold >= 10000000 pps" in lines
    assert "srv3: Read: cannot read fastpath-server's stats" in lines
    assert any(line.startswith("srv4: no result") for line in lines)


def test_compare_table_shows_before_and_after_side_by_side():
    before = {"srv1": result_of("srv1", "loadgen-no-server.json")}
    after = {"srv1": result_of("srv1", "loadgen-2000pps-5s.json")}
    lines = sf.smoke_compare_table(before, after, ["srv1"]).split("\n")
    assert lines[1].split() == ["srv1", "FAIL/pass", "0.0/2000.0", "100.00/0.00", "-/5079"]


def test_a_skipped_server_is_a_row_of_its_own_with_nothing_measured():
    skipped = {"server": "srv2", "passed": False, "skipped": True,
               "reason": "no hosts in load_clients; nothing was measured"}
    results = {"srv1": result_of("srv1", "loadgen-2000pps-5s.json"), "srv2": skipped}
    lines = sf.smoke_table(results, ["srv1", "srv2"]).split("\n")
    assert lines[1].split()[:2] == ["srv1", "pass"]
    assert lines[2].split() == ["srv2", "SKIPPED"] + ["-"] * 7
    assert len(lines) == 3  # no note: the stage says once why it skipped
    # One column layout for both rows: the skipped row's cells line up under the header's.
    assert lines[2].index("SKIPPED") == lines[0].index("result")
    compare = sf.smoke_compare_table({"srv2": skipped}, {"srv2": skipped}, ["srv2"]).split("\n")
    assert compare[1].split() == ["srv2", "SKIPPED/SKIPPED", "-/-", "-/-", "-/-"]


def test_results_are_json_as_written_on_the_controller():
    result = result_of("srv1", "loadgen-2000pps-5s.json")
    assert result["schema"] == sg.SCHEMA
    assert json.loads(json.dumps(result)) == result

"""Autotune's sweep order, early stop and choice of the best, on smoke results from real runs.

Fixtures: smoke-lab-*.json are result documents the smoke test wrote on the 3-host lab (4000 pps for
5 s; p99 8585, 4489 and 5734 us, all passing); a failing result is judged here by the real smoke judge
from the load generator's output captured with no server answering (tests/unit/smoke/fixtures).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.filter import autotune as filters
from ansible_collections.fastpath.host.plugins.module_utils import autotune as at
from ansible_collections.fastpath.host.plugins.module_utils import smoke_gates

FIXTURES = Path(__file__).parent / "fixtures"
SMOKE_FIXTURES = Path(__file__).parents[1] / "smoke" / "fixtures"
SLOW = json.loads((FIXTURES / "smoke-lab-srv1.json").read_text())  # 4000/s, p99 8585 us
FAST = json.loads((FIXTURES / "smoke-lab-srv2.json").read_text())  # 3999/s, p99 4489 us
MIDDLE = json.loads((FIXTURES / "smoke-lab-two-clients-srv1.json").read_text())  # 4000/s, p99 5734 us
CANDIDATES = {"dataplane_queue_depth": [256, 1024, 4096], "dataplane_batch": [16, 64],
              "dataplane_sndbuf": [262144, 4194304], "cpu_partition_rps": [False, True]}
BASELINE = {"dataplane_queue_depth": 1024, "dataplane_batch": 64, "dataplane_sndbuf": 4194304,
            "cpu_partition_rps": False}
OPTIONS = {"elapsed_s": 0, "budget_s": 900, "patience": 3, "min_gain_pct": 10, "max_trials": 8}


def smoke_fixture(name):
    return json.loads((SMOKE_FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def no_server():
    """The real judge's verdict on a run where nothing answered: 100% loss, gates failed."""
    return smoke_gates.judge(
        "srv1", "autotune", [smoke_fixture("loadgen-no-server.json")],
        smoke_fixture("host-cpus-before.json"), smoke_fixture("host-cpus-after.json"),
        smoke_fixture("host-irqs-before.json"), smoke_fixture("host-irqs-after.json"),
        smoke_fixture("host-nic-interfaces.json"), "",
        smoke_fixture("server-stats-before.json"), smoke_fixture("server-stats-after.json"),
        {"min_reply_pct": 90, "min_rate_pps": None, "max_loss_pct": 1, "max_p99_us": 50000,
         "max_softnet_drops": 0, "max_time_squeeze": 50, "max_stray_irqs": 0, "max_server_drops": 0},
    )


def run_sweep(results, **options):
    """Drive next_trial as the playbook does, answering the i-th trial with results[i]."""
    trials = []
    while True:
        step = at.next_trial(trials, CANDIDATES, BASELINE, **{**OPTIONS, **options})
        if step["stop"]:
            return trials, step["stop"]
        trials.append({"config": step["config"], "step": step["step"], "knob": step["knob"],
                       "result": results[len(trials)], "seconds": 30})


def test_the_score_reads_the_smoke_result():
    assert at.score(SLOW) == {"passed": True, "rate": 4000.0, "loss": 0.0, "p99": 8585.216, "error": ""}


def test_a_run_that_could_not_be_judged_scores_as_failed():
    error = {"schema": "fastpath.smoke/1", "passed": False, "error": "srv1: fastpath-server is not running"}
    assert at.score(error) == {"passed": False, "rate": 0.0, "loss": 100.0, "p99": None,
                               "error": "srv1: fastpath-server is not running"}


def test_a_lower_p99_at_the_same_rate_wins_when_above_the_noise():
    # 3999 vs 4000/s is noise; 4489 us vs 8585 us is 91% better
    assert at.better(at.score(FAST), at.score(SLOW), 10)
    assert not at.better(at.score(SLOW), at.score(FAST), 10)


def test_a_p99_gain_within_the_margin_is_noise():
    # 4489 vs 5734 us: 5734 is 27.7% above 4489, below a 30% margin, above a 20% one
    assert not at.better(at.score(FAST), at.score(MIDDLE), 30)
    assert at.better(at.score(FAST), at.score(MIDDLE), 20)


def test_passing_beats_a_failed_run_whatever_the_numbers(no_server):
    assert no_server["passed"] is False and no_server["load"]["loss_pct"] == 100.0
    assert at.better(at.score(SLOW), at.score(no_server), 10)
    assert not at.better(at.score(no_server), at.score(SLOW), 10)


def test_the_sweep_starts_with_the_baseline_then_one_knob_at_a_time():
    step = at.next_trial([], CANDIDATES, BASELINE, **OPTIONS)
    assert step == {"stop": "", "config": BASELINE, "step": -1, "knob": "baseline"}
    trials = [{"config": BASELINE, "step": -1, "knob": "baseline", "result": SLOW, "seconds": 30}]
    step = at.next_trial(trials, CANDIDATES, BASELINE, **OPTIONS)
    assert step["config"] == {**BASELINE, "dataplane_queue_depth": 256}
    assert step["knob"] == "dataplane_queue_depth"


def test_later_knobs_start_from_the_best_so_far():
    # queue depth 256 is clearly better (p99 4489 vs 8585): batch and the rest are tried with it
    trials, stop = run_sweep([SLOW, FAST, SLOW, SLOW, SLOW, SLOW], patience=10)
    assert [t["config"]["dataplane_queue_depth"] for t in trials] == [1024, 256, 4096, 256, 256, 256]
    # the values equal to the best's (batch 64, sndbuf 4 MiB, rps off) are not run again
    assert [(t["knob"], t["config"][t["knob"]]) for t in trials[1:]] == [
        ("dataplane_queue_depth", 256), ("dataplane_queue_depth", 4096), ("dataplane_batch", 16),
        ("dataplane_sndbuf", 262144), ("cpu_partition_rps", True)]
    assert stop == "every candidate value was tried"
    assert at.best_trial(trials, 10)["config"] == {**BASELINE, "dataplane_queue_depth": 256}


def test_the_sweep_stops_when_gains_flatten():
    # the baseline is the fastest; three trials in a row within the noise or worse end the sweep
    trials, stop = run_sweep([FAST, MIDDLE, FAST, SLOW, FAST, FAST], patience=3, min_gain_pct=10)
    assert len(trials) == 4
    assert stop.startswith("gains flattened: 3 trials in a row")
    assert at.best_trial(trials, 10) is trials[0]


def test_the_sweep_stops_before_a_trial_that_would_not_fit_the_budget():
    trials = [{"config": BASELINE, "step": -1, "knob": "baseline", "result": SLOW, "seconds": 40}]
    step = at.next_trial(trials, CANDIDATES, BASELINE, **{**OPTIONS, "elapsed_s": 70, "budget_s": 100})
    assert step == {"stop": "time budget: 70 s used of 100 s and a trial takes up to 40 s"}
    step = at.next_trial(trials, CANDIDATES, BASELINE, **{**OPTIONS, "elapsed_s": 50, "budget_s": 100})
    assert step["stop"] == ""


def test_max_trials_bounds_the_sweep():
    trials, stop = run_sweep([SLOW, FAST, SLOW, SLOW], max_trials=2)
    assert len(trials) == 2 and stop == "tried 2 settings, the most allowed (max_trials)"


def test_the_table_lists_every_trial_and_marks_the_best(no_server):
    trials, _stop = run_sweep([SLOW, FAST, no_server], max_trials=3)
    lines = at.table(trials, list(CANDIDATES), 10).splitlines()
    assert lines[0].split() == ["#", "changed", *CANDIDATES, "result", "replies/s", "loss", "%", "p99", "us",
                                "s"]
    assert lines[1].split() == ["1", "baseline", "1024", "64", "4194304", "False", "pass", "4000.0", "0.00",
                                "8585", "30"]
    assert lines[2].split()[-1] == "best" and lines[2].split()[1:3] == ["dataplane_queue_depth", "256"]
    assert lines[3].split()[6:10] == ["FAIL", "0.0", "100.00", "-"]


def test_bad_input_is_a_readable_filter_error():
    with pytest.raises(AnsibleFilterError, match="knob dataplane_batch: candidate values must be"):
        filters.autotune_next([], {**CANDIDATES, "dataplane_batch": []}, BASELINE, 0, 900, 3, 10, 8)
    with pytest.raises(AnsibleFilterError, match="the baseline has no value for cpu_partition_rps"):
        filters.autotune_next([], CANDIDATES, {k: v for k, v in BASELINE.items() if k != "cpu_partition_rps"},
                              0, 900, 3, 10, 8)
    with pytest.raises(AnsibleFilterError, match="no trial ran"):
        filters.autotune_best([], 10)

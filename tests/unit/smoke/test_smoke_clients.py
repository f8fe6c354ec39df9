"""The smoke_test role's filters over its registered load tasks: every way a client can fail to run
its share (each branch of smoke_client_problems) and the load window. The role's own templates on
results captured on the lab are in test_smoke_role_vars.py."""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.filter.smoke_clients import (
    smoke_client_problems,
    smoke_load_window,
)

LOADGEN = "/opt/fastpath/bin/fastpath-loadgen"


def started(client, **result):
    """One item of the async start task's results."""
    return {"item": {"client": client, "rate": 2000}, **result}


def job(client, **result):
    """One item of the async_status wait's results (its item is the start's item)."""
    return {"item": started(client, ansible_job_id="j1"), **result}


def problems(starts=(), jobs=()):
    return smoke_client_problems(list(starts), list(jobs), 60, 5, 30, LOADGEN)


FINISHED = {"finished": 1, "rc": 0, "start": "2026-12-03 18:00:00.1", "end": "2026-12-03 18:00:05.9"}


def test_clients_that_started_and_finished_have_no_problem():
    assert problems([started("cli1", ansible_job_id="j1")], [job("cli1", **FINISHED)]) == []


def test_no_client_no_problem():
    assert problems() == [] and smoke_client_problems(None, None, 60, 5, 30, LOADGEN) == []


def test_an_unreachable_client_never_started_with_the_ssh_error():
    start = started("cli2", unreachable=True, msg="Task failed: Failed to connect to the host via ssh: no ")
    assert problems([start]) == [
        "cli2: unreachable, its load generator never started: Failed to connect to the host via ssh: no"
    ]


def test_a_start_that_failed_without_a_job_says_why():
    start = started("cli1", failed=True, msg="async task did not complete within the requested time")
    assert problems([start]) == [
        "cli1: its load generator never started: async task did not complete within the requested time"
    ]


def test_a_start_without_job_id_nor_message():
    assert problems([started("cli1")]) == ["cli1: its load generator never started: no job id"]


def test_a_client_lost_while_the_load_ran():
    lost = job("cli1", unreachable=True, msg='Task failed: Data could not be sent to "198.18.7.101".')
    assert problems(jobs=[lost]) == [
        'cli1: unreachable while the load ran: Data could not be sent to "198.18.7.101".'
    ]


def test_a_client_whose_call_timed_out():
    assert problems(jobs=[job("cli1", timedout={"period": 60}, failed=True)]) \
        == ["cli1: no answer within 60 s while the load ran (is the client down?)"]


def test_a_load_generator_still_running_after_duration_and_grace():
    assert problems(jobs=[job("cli1", finished=0, failed=True, msg="Retries exceeded")]) \
        == ["cli1: the load generator had not finished after 35 s"]


def test_a_failed_load_generator_gives_its_stderr():
    failed = job("cli1", finished=1, failed=True, rc=3, stderr="loadgen: bad --dst\n", msg="non-zero")
    assert problems(jobs=[failed]) == ["cli1: the load generator failed (rc 3): loadgen: bad --dst"]


def test_a_failed_load_generator_without_stderr_gives_the_message():
    assert problems(jobs=[job("cli1", finished=1, rc=1, stderr="", msg="non-zero return code")]) \
        == ["cli1: the load generator failed (rc 1): non-zero return code"]


def test_a_load_generator_that_cannot_run_names_its_path_and_who_installs_it():
    assert problems(jobs=[job("cli1", finished=1, failed=True, rc=2, msg="Error executing command.")]) \
        == [f"cli1: the load generator failed (rc 2): Error executing command. (cannot run {LOADGEN}: "
            "playbooks/deploy.yml installs it on the load clients)"]


def test_a_failed_job_without_rc():
    assert problems(jobs=[job("cli1", finished=1, failed=True, msg="boom")]) \
        == ["cli1: the load generator failed (rc ?): boom"]


def test_problems_keep_the_order_never_started_first_then_the_waits():
    lines = problems([started("cli3", unreachable=True, msg="down"), started("cli1", ansible_job_id="j1")],
                     [job("cli1", finished=0), job("cli2", **FINISHED)])
    assert lines == ["cli3: unreachable, its load generator never started: down",
                     "cli1: the load generator had not finished after 35 s"]


def test_the_window_holds_each_job_with_its_own_start_and_end():
    assert smoke_load_window([job("cli1", **FINISHED), job("cli2", unreachable=True)]) == [
        {"client": "cli1", "start": FINISHED["start"], "end": FINISHED["end"]},
        {"client": "cli2", "start": None, "end": None},
    ]
    assert smoke_load_window(None) == []

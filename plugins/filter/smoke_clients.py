# SPDX-License-Identifier: Apache-2.0
"""Filters of the smoke_test role over what its load tasks registered: when each load generator ran,
and which clients did not run their share of a server's load to the end.

`started` is the `results` list of the async start task (one item per client share, `item.client`);
`jobs` is the `results` list of the async_status wait (one item per started job, `item.item.client`).
"""

from __future__ import annotations

import re

# Ansible 2.19 prefixes a failed task's message with this; the client's own words follow.
_TASK_FAILED = re.compile(r"^Task failed: ")


def _words(value) -> str:
    return _TASK_FAILED.sub("", str(value)).strip()


def _client(job: dict) -> str:
    return ((job.get("item") or {}).get("item") or {}).get("client", "?")


def smoke_load_window(jobs):
    """[{client, start, end}] of every waited-for load generator: its client's clock, from the
    command's own start and end (None when the job never reported them)."""
    return [
        {"client": _client(job), "start": job.get("start"), "end": job.get("end")}
        for job in jobs or []
    ]


def _never_started(start: dict) -> str:
    unreachable = "unreachable, " if start.get("unreachable") else ""
    client = (start.get("item") or {}).get("client", "?")
    return f"{client}: {unreachable}its load generator never started: {_words(start.get('msg', 'no job id'))}"


def _job_problem(job: dict, call_timeout_s, wait_s, loadgen) -> str | None:
    client = _client(job)
    if job.get("unreachable"):
        return f"{client}: unreachable while the load ran: {_words(job.get('msg', ''))}"
    # async_status's own `timeout` expired: the SSH call to the client got no answer.
    if "timedout" in job:
        return f"{client}: no answer within {call_timeout_s} s while the load ran (is the client down?)"
    if not job.get("finished"):
        return f"{client}: the load generator had not finished after {wait_s} s"
    if job.get("failed") or job.get("rc", 0) != 0:
        stderr = job.get("stderr") or ""
        msg = job.get("msg", "")
        why = str(stderr or msg).strip()
        # No stderr and Ansible's "Error executing command": the binary itself could not be run.
        hint = (
            f" (cannot run {loadgen}: playbooks/deploy.yml installs it on the load clients)"
            if not stderr and str(msg).startswith("Error executing command")
            else ""
        )
        return f"{client}: the load generator failed (rc {job.get('rc', '?')}): {why}{hint}"
    return None


def smoke_client_problems(started, jobs, call_timeout_s, duration_s, grace_s, loadgen):
    """One line per client that did not run its share of a server's load to the end: it never
    started (unreachable, or the start failed), became unreachable while it ran, did not answer
    within the call timeout, was still running after the duration and grace, or failed."""
    problems = [_never_started(start) for start in started or [] if "ansible_job_id" not in start]
    wait_s = int(duration_s) + int(grace_s)
    for job in jobs or []:
        problem = _job_problem(job, call_timeout_s, wait_s, loadgen)
        if problem is not None:
            problems.append(problem)
    return problems


class FilterModule:
    """fastpath.host.smoke_load_window, smoke_client_problems."""

    def filters(self):
        return {
            "smoke_load_window": smoke_load_window,
            "smoke_client_problems": smoke_client_problems,
        }

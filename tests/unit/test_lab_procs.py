"""Process identity by PID and start time, so a reused PID is never signalled as ours."""

import os
import subprocess
import sys

import pytest

from fastpath.lab import procs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234 (sleep) S 1 1234 1234 0 -1 4194304 90 0 0 0 0 0 0 0 20 0 1 0 987654 5816320 224 "
         "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0", ("S", 987654)),
        # A command name with spaces and a ')' must not shift the fields.
        ("42 (a b) c)) Z 1 42 42 0 -1 4194304 90 0 0 0 0 0 0 0 20 0 1 0 31337 0 0 "
         "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0", ("Z", 31337)),
    ],
)
def test_parse_stat_reads_state_and_start_time(text, expected):
    assert procs.parse_stat(text) == expected


def test_our_own_process_is_alive_only_with_its_real_start_time():
    started = procs.start_time(os.getpid())
    assert started > 0
    assert procs.alive(os.getpid(), started)
    assert not procs.alive(os.getpid(), started + 1)
    assert not procs.alive(0, started)


def test_a_process_that_exited_is_not_alive_even_before_it_is_reaped():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = procs.start_time(child.pid)
    # Wait for the exit without reaping, so the child is a zombie.
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    assert procs.start_time(child.pid) == 0
    assert not procs.alive(child.pid, started)
    child.wait()


def test_terminate_stops_a_process_by_pid_and_start_time():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = procs.start_time(child.pid)
        assert procs.terminate({child.pid: started}, grace=5) == []
        assert child.wait(timeout=5) == -15
    finally:
        child.kill()
        child.wait()


def test_terminate_kills_a_process_that_ignores_sigterm():
    code = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
            "time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        started = procs.start_time(child.pid)
        assert procs.terminate({child.pid: started}, grace=0.5) == [child.pid]
        assert child.wait(timeout=5) == -9
    finally:
        child.kill()
        child.wait()


def test_find_by_cmdline_matches_program_and_argument():
    marker = f"fastpath-lab-test-{os.getpid()}"
    child = subprocess.Popen([sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)",
                              marker], stdout=subprocess.PIPE, text=True)
    try:
        # until the child has exec'd, /proc/PID/cmdline is still the parent's
        assert child.stdout.readline().strip() == "ready"
        assert procs.find_by_cmdline(os.path.basename(sys.executable), marker) == [child.pid]
        assert procs.find_by_cmdline("systemd-nspawn", marker) == []
    finally:
        child.kill()
        child.wait()

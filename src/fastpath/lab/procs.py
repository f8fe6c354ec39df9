"""Processes by PID, checked against their start time so a reused PID is never mistaken for ours."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

PROC = Path("/proc")


def parse_stat(text: str) -> tuple[str, int]:
    """(state letter, start time in clock ticks) from the text of /proc/PID/stat.

    The command name in field 2 may hold spaces and parentheses, so split after its last ')'.
    """
    rest = text[text.rindex(")") + 2:].split()
    # rest[0] is field 3 (state); field 22 (starttime) is rest[19].
    return rest[0], int(rest[19])


def start_time(pid: int) -> int:
    """The PID's start time, or 0 if it does not exist or is a zombie (exited, waiting to be reaped)."""
    try:
        state, started = parse_stat((PROC / str(pid) / "stat").read_text())
    except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        return 0
    return 0 if state in ("Z", "X") else started


def alive(pid: int, pid_start: int) -> bool:
    return pid > 0 and pid_start > 0 and start_time(pid) == pid_start


def find_by_cmdline(program: str, needle: str) -> list[int]:
    """PIDs whose argv[0] ends with program and whose arguments contain needle."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].decode(errors="replace").endswith(program) and any(
                needle.encode() in arg for arg in argv[1:]):
            found.append(int(entry.name))
    return found


def in_netns(netns_path: Path) -> dict[int, int]:
    """PID -> start time of every process whose network namespace is the one at netns_path.

    A lab host's processes all live in its namespace: when its nspawn was SIGKILLed, its init and
    sshd live on there (re-parented, not ours by any PID we recorded), and only this finds them.
    """
    try:
        target = os.stat(netns_path)
    except FileNotFoundError:
        return {}
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            ns = os.stat(entry / "ns" / "net")
        except OSError:
            continue
        if (ns.st_dev, ns.st_ino) == (target.st_dev, target.st_ino):
            started = start_time(int(entry.name))
            if started:
                found[int(entry.name)] = started
    return found


def terminate(pids: dict[int, int], grace: float = 15.0) -> list[int]:
    """SIGTERM each live (pid, start) pair, wait up to grace seconds, SIGKILL stragglers.

    Returns the PIDs that had to be killed. Start times are rechecked before every signal.
    """
    live = {pid: start for pid, start in pids.items() if alive(pid, start)}
    for pid, start in live.items():
        _signal(pid, start, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p, s) for p, s in live.items()):
        time.sleep(0.2)
    killed = [pid for pid, start in live.items() if alive(pid, start)]
    for pid in killed:
        _signal(pid, live[pid], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(alive(p, live[p]) for p in killed):
        time.sleep(0.1)
    return killed


def _signal(pid: int, start: int, sig: int) -> None:
    if alive(pid, start):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)

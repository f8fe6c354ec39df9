"""The lab's boot wait keeps its deadline whatever the probes do: no probe is given more time than is
left, a timeout shorter than one probe still fails, and the error names every host still silent.

A fake clock and fake probes stand in for time and ssh, so these tests never race a real boot.
"""

from __future__ import annotations

import os

import pytest

from fastpath.lab import host, procs, ssh
from fastpath.lab.errors import EXIT_BOOT, LabError
from fastpath.lab.state import HostState


class FakeTime:
    """A clock that moves only when a probe or a sleep spends time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds


def a_host(name: str, address: str, console_log: str) -> HostState:
    # Our own PID stands in for a live nspawn, so the "died while booting" check passes.
    return HostState(name=name, group="dataplane_servers", address=address, netns=f"fp9-{name}",
                     veth=f"fp9-{name}", pid=os.getpid(), pid_start=procs.start_time(os.getpid()),
                     console_log=console_log)


@pytest.fixture
def fleet(tmp_path):
    hosts = []
    for name, address in (("srv1", "198.18.9.11"), ("srv2", "198.18.9.12")):
        log = tmp_path / f"{name}.log"
        log.write_text(f"booting {name}\n[  OK  ] Reached target Multi-User System.\n")
        hosts.append(a_host(name, address, str(log)))
    return hosts


def test_every_probe_is_bounded_by_the_time_left(fleet):
    fake = FakeTime()
    given = []

    def never_answers(address, timeout):
        given.append(timeout)
        fake.now += timeout  # a probe that waits out its whole allowance
        return False

    with pytest.raises(LabError) as err:
        host.wait_for_ssh(fleet, 12.0, probe=never_answers, clock=fake.clock, sleep=fake.sleep)
    assert err.value.exit_code == EXIT_BOOT
    assert given and all(0 < t <= ssh.PROBE_TIMEOUT for t in given)
    # Given up on when the time was up, not one probe later.
    assert fake.now == pytest.approx(1012.0)


def test_a_timeout_shorter_than_one_probe_still_fails_even_when_hosts_answer_at_once(fleet):
    fake = FakeTime()
    given = []

    def answers_after_a_while(address, timeout):
        given.append(timeout)
        # sshd answers in 0.2 s, but the caller allowed less: the probe is cut off at its timeout.
        fake.now += min(timeout, 0.2)
        return timeout >= 0.2

    with pytest.raises(LabError) as err:
        host.wait_for_ssh(fleet, 0.01, probe=answers_after_a_while, clock=fake.clock, sleep=fake.sleep)
    assert err.value.exit_code == EXIT_BOOT
    assert given == [pytest.approx(0.01)]
    message = str(err.value)
    assert message.startswith("srv1: sshd on 198.18.9.11 did not answer within 0.01 s")
    assert "not answering: srv1 (198.18.9.11), srv2 (198.18.9.12)" in message
    assert "srv1.log, which ends:" in message and "Reached target Multi-User System." in message


def test_the_error_names_only_the_hosts_that_never_answered(fleet):
    fake = FakeTime()

    def only_srv1(address, timeout):
        fake.now += min(timeout, 0.3)
        return address == "198.18.9.11"

    with pytest.raises(LabError) as err:
        host.wait_for_ssh(fleet, 3.0, probe=only_srv1, clock=fake.clock, sleep=fake.sleep)
    message = str(err.value)
    assert message.startswith("srv2: sshd on 198.18.9.12 did not answer within 3 s (not answering: srv2 (")
    assert "srv1" not in message


def test_hosts_that_answer_in_time_end_the_wait_without_sleeping_past_them(fleet):
    fake = FakeTime()
    calls = []

    def second_try(address, timeout):
        calls.append(address)
        fake.now += 0.1
        return calls.count(address) >= 2

    host.wait_for_ssh(fleet, 30.0, probe=second_try, clock=fake.clock, sleep=fake.sleep)
    assert calls == ["198.18.9.11", "198.18.9.12"] * 2
    assert fake.now < 1002.0


def test_a_host_whose_nspawn_died_is_named_with_its_console(fleet):
    dead = fleet[1]
    dead.pid_start += 1  # no longer the process it was

    with pytest.raises(LabError) as err:
        host.wait_for_ssh(fleet, 30.0, probe=lambda address, timeout: False, clock=FakeTime().clock,
                          sleep=lambda s: None)
    assert str(err.value).startswith(f"srv2: systemd-nspawn (PID {dead.pid}) died while booting")


def test_a_probe_given_no_time_does_not_run_ssh(monkeypatch):
    monkeypatch.setattr(ssh, "ssh", lambda *a, **k: pytest.fail("ssh ran with no time left"))
    assert ssh.reachable("198.18.9.11", timeout=0) is False

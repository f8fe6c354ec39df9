"""stage_state: the fingerprint reads what is there now, and compare() says converged only when the
inputs digest and every item match; anything that moved, appeared or vanished is named."""

from __future__ import annotations

import json
import os
import sys

import pytest

from ansible_collections.fastpath.host.plugins.module_utils import stage_state


@pytest.fixture
def tree(tmp_path):
    """A small managed tree: two sysfs-like values and a config file."""
    (tmp_path / "queues/rx-0").mkdir(parents=True)
    (tmp_path / "queues/rx-1").mkdir(parents=True)
    (tmp_path / "queues/rx-0/rps_cpus").write_text("3\n")
    (tmp_path / "queues/rx-1/rps_cpus").write_text("c\n")
    (tmp_path / "server.conf").write_text("batch = 64\n")
    return tmp_path


def watch(tree):
    return [str(tree / "queues/*/rps_cpus"), str(tree / "server.conf"), str(tree / "absent/*")]


def test_the_same_state_reads_the_same(tree):
    assert stage_state.fingerprint(watch(tree), []) == stage_state.fingerprint(watch(tree), [])


@pytest.mark.parametrize("change", ["content", "mode", "vanish", "appear"])
def test_every_kind_of_change_is_drift(tree, change):
    before = stage_state.fingerprint(watch(tree), [])
    if change == "content":
        (tree / "queues/rx-1/rps_cpus").write_text("f\n")
    elif change == "mode":
        os.chmod(tree / "server.conf", 0o600)
    elif change == "vanish":
        (tree / "server.conf").unlink()
    else:
        (tree / "absent").mkdir()
        (tree / "absent/new.conf").write_text("x")
    converged, reason, moved = stage_state.compare(
        {"version": 1, "inputs": "d1", "state": before}, "d1", stage_state.fingerprint(watch(tree), []))
    assert not converged
    assert moved and reason.startswith("drifted: ")
    expected = {
        "content": f"path:{tree}/queues/rx-1/rps_cpus",
        "mode": f"path:{tree}/server.conf",
        "vanish": f"path:{tree}/server.conf",
        "appear": f"path:{tree}/absent/new.conf (new)",
    }[change]
    assert expected in reason


def test_converged_only_with_the_same_inputs(tree):
    state = stage_state.fingerprint(watch(tree), [])
    stamp = {"version": 1, "inputs": "d1", "state": state, "recorded_at": "2026-01-01T00:00:00Z"}
    assert stage_state.compare(stamp, "d1", state) == (
        True, "converged at 2026-01-01T00:00:00Z, nothing drifted since", [])
    converged, reason, _drifted = stage_state.compare(stamp, "d2", state)
    assert not converged and reason.startswith("inputs changed")
    converged, reason, _drifted = stage_state.compare(None, "d1", state)
    assert not converged and reason.startswith("no stamp")


def test_commands_count_by_exit_code_and_output(tree):
    def say(text, rc=0):
        return [sys.executable, "-c", f"import sys; print({text!r}); sys.exit({rc})"]

    one = stage_state.fingerprint([], [say("a")])
    assert one == stage_state.fingerprint([], [say("a")])
    assert one != stage_state.fingerprint([], [say("b")])
    failed = stage_state.fingerprint([], [say("a", 1)])
    assert failed != one and list(failed.values())[0].startswith("rc1:")
    missing = stage_state.fingerprint([], [["/nonexistent/tool"]])
    assert list(missing.values())[0].startswith("error:FileNotFoundError")


def test_a_netdev_command_runs_once_per_interface():
    argv = [["ethtool", "-l", "{netdev}"], ["ip", "route"]]
    assert stage_state.expand(argv, ["eth0", "eth1"]) == [
        ["ethtool", "-l", "eth0"], ["ethtool", "-l", "eth1"], ["ip", "route"]]
    assert stage_state.expand(argv, []) == [["ip", "route"]]


def test_netdevs_leave_out_loopback(tmp_path):
    for name in ("lo", "eth0", "ens5"):
        (tmp_path / name).mkdir()
    assert stage_state.netdevs(str(tmp_path)) == ["ens5", "eth0"]


def test_record_writes_once_and_keeps_its_date(tree, tmp_path):
    stamps = tmp_path / "stamps"
    state = stage_state.fingerprint(watch(tree), [])
    assert stage_state.record("tune", "d1", state, {"plan": {"workers": "2-3"}}, str(stamps))
    first = json.loads((stamps / "tune.json").read_text())
    assert oct((stamps / "tune.json").stat().st_mode & 0o777) == "0o600"
    # the same again: not rewritten, so recorded_at is when it first converged
    assert not stage_state.record("tune", "d1", state, {"plan": {"workers": "2-3"}}, str(stamps))
    assert json.loads((stamps / "tune.json").read_text()) == first
    assert stage_state.load("tune", str(stamps))["outputs"] == {"plan": {"workers": "2-3"}}
    # check mode: says it would write, writes nothing
    assert stage_state.record("tune", "d2", state, {}, str(stamps), write=False)
    assert stage_state.load("tune", str(stamps))["inputs"] == "d1"
    assert stage_state.forget("tune", str(stamps))
    assert not stage_state.forget("tune", str(stamps))
    assert stage_state.load("tune", str(stamps)) is None


@pytest.mark.parametrize("content", ["not json", '{"version": 99}', "[]"])
def test_a_stamp_of_another_version_or_broken_is_no_stamp(tmp_path, content):
    (tmp_path / "tune.json").write_text(content)
    assert stage_state.load("tune", str(tmp_path)) is None


def test_many_moved_items_are_counted_not_all_listed():
    recorded = {f"path:/p{i}": "a" for i in range(15)}
    current = {f"path:/p{i}": "b" for i in range(15)}
    stamp = {"version": 1, "inputs": "d", "state": recorded}
    converged, reason, moved = stage_state.compare(stamp, "d", current)
    assert not converged and len(moved) == 15
    assert reason.endswith("and 5 more")


def test_the_sysctls_a_persist_file_sets_are_read_live(tmp_path):
    conf = tmp_path / "60-fastpath.conf"
    conf.write_text("# Managed by fastpath\n# net.core.busy_poll not set: absent here\n"
                    "net.ipv4.tcp_rmem = 4096 131072 8388608\n-net.core.somaxconn=4096\n; note\n\n")
    assert stage_state.sysctl_keys([str(tmp_path / "*.conf"), str(tmp_path / "none.conf")]) == [
        "net.core.somaxconn", "net.ipv4.tcp_rmem"]
    items = stage_state.fingerprint([], [], [], [str(conf)])
    assert set(items) == {"sysctl:net.core.somaxconn", "sysctl:net.ipv4.tcp_rmem"}


def test_default_route_interfaces_come_from_both_route_tables(tmp_path):
    (tmp_path / "route").write_text(
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t01001BC6\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "eth1\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
    (tmp_path / "ipv6_route").write_text(
        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
        "fe800000000000000000000000000001 00000400 00000001 00000000 00000003 ens5\n"
        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
        "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo\n")
    assert stage_state.default_route_netdevs(str(tmp_path)) == ["ens5", "eth0"]
    assert stage_state.default_route_netdevs(str(tmp_path / "none")) == []


def test_named_interfaces_are_used_as_given():
    assert stage_state.choose_netdevs(["eth1", "eth0", "eth1"]) == ["eth0", "eth1"]

"""Start-up and shutdown: SIGTERM stops cleanly (exit 0, XDP detached, pins and stats socket gone),
set-up failures exit with their documented codes, and XDP attached by the server does its part."""

import json
import os
import signal
import socket
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import PIN_ROOT
from test_server_support import (
    EXIT_OK,
    EXIT_SETUP,
    EXIT_XDP,
    PORT,
    SERVER,
    exchange,
    running_server,
    start_server,
    worker_cpus,
    write_config,
)

from fastpath import wire


def _xdp_attached(ns) -> bool:
    return "prog/xdp" in ns.run(["ip", "-d", "link", "show", ns.iface]).stdout


def test_sigterm_answers_what_was_received_and_exits_zero(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    packets = [wire.packet(wire.Type.INPUT, session_id=i, seq=i) for i in range(20)]
    with running_server(srv) as server:
        assert len(exchange(cli, (srv.ipv4, PORT), packets)) == 20
        code, stderr = server.stop(signal.SIGTERM)
        assert code == EXIT_OK, stderr
        assert "stopping" in stderr
        assert not server.stats_socket.exists()
        # The files were written one last time, after the workers stopped.
        final = json.loads(server.stats_json.read_text())
        assert final["totals"]["rx_packets"] == final["totals"]["tx_packets"] == 20
        assert "fastpath_server_tx_packets_total" in server.textfile.read_text()


def test_sigint_also_stops_cleanly(netns_pair):
    with running_server(netns_pair.server) as server:
        code, stderr = server.stop(signal.SIGINT)
    assert code == EXIT_OK, stderr


def test_xdp_attached_at_start_is_reported_and_gone_after_sigterm(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    pin_dir = PIN_ROOT / srv.iface
    with running_server(srv, xdp_interface=srv.iface, xdp_mode="pass") as server:
        stats = server.stats()
        assert stats["xdp_mode"] == "native"
        assert _xdp_attached(srv)
        assert pin_dir.is_dir()
        # Echo still goes through user space with XDP passing to the stack.
        assert len(exchange(cli, (srv.ipv4, PORT), [wire.packet(wire.Type.INPUT, payload=b"p")])) == 1
        assert server.stats()["xdp"]["counters"]["pass"] >= 1
        code, stderr = server.stop()
    assert code == EXIT_OK, stderr
    assert not _xdp_attached(srv)
    assert not pin_dir.exists()


def test_xdp_in_generic_mode_when_the_driver_refuses_native_and_the_reason_is_logged(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    cli.run(["ip", "link", "set", cli.iface, "mtu", "9000"])  # veth then refuses native XDP (ERANGE)
    with running_server(srv, xdp_interface=srv.iface, xdp_mode="pass") as server:
        stats = server.stats()
        assert stats["xdp_mode"] == "generic"
        assert "Peer MTU is too large to set XDP" in stats["xdp"]["native_refused"], stats["xdp"]
        assert len(exchange(cli, (srv.ipv4, PORT), [wire.packet(wire.Type.INPUT, payload=b"g")])) == 1
        code, stderr = server.stop()
    assert code == EXIT_OK, stderr
    assert f"the driver refused native XDP on {srv.iface}: " in stderr and "Peer MTU" in stderr
    assert ", xdp generic," in stderr
    assert not _xdp_attached(srv)


def test_ping_is_answered_by_xdp_while_the_server_is_stopped(netns_pair):
    """With the XDP ping fast path on, pongs come back even while user space cannot run (SIGSTOP)."""
    srv, cli = netns_pair.server, netns_pair.client
    pings = [wire.packet(wire.Type.PING, session_id=5, seq=i, send_ts_ns=i) for i in range(10)]
    with running_server(srv, xdp_interface=srv.iface, xdp_mode="pass", xdp_ping="on") as server:
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            replies = exchange(cli, (srv.ipv4, PORT), pings, timeout=2)
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        assert server.stats()["totals"]["rx_packets"] == 0  # user space saw none of them
    assert len(replies) == 10
    for r in map(wire.Header.unpack, replies):
        assert r.type == wire.Type.PONG
        assert r.flags & wire.Flag.XDP and r.flags & wire.Flag.REPLY


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs for two workers")
def test_cpumap_steering_agrees_with_the_reuseport_program(netns_pair):
    """XDP redirects each session to its worker's CPU; the socket chosen there is that worker's."""
    srv, cli = netns_pair.server, netns_pair.client
    with running_server(srv, workers=worker_cpus(2), xdp_interface=srv.iface, xdp_mode="cpumap") as server:
        for session in range(6):
            before = [w["rx_packets"] for w in server.stats()["workers"]]
            packets = [wire.packet(wire.Type.INPUT, session_id=session, seq=i) for i in range(8)]
            assert len(exchange(cli, (srv.ipv4, PORT), packets, sources=8)) == 8
            after = [w["rx_packets"] for w in server.stats()["workers"]]
            delta = [a - b for a, b in zip(after, before, strict=True)]
            assert delta[session % 2] == 8 and delta[1 - session % 2] == 0, f"session {session}"
        assert server.stats()["xdp"]["counters"]["redirect"] >= 6 * 8


def test_xdp_attach_failure_exits_4_and_leaves_the_other_program_alone(netns_pair, tmp_path):
    srv = netns_pair.server
    srv.xdp("pass", srv.iface)  # someone else's program is already there
    try:
        proc = start_server(srv, tmp_path, listen_address=srv.ipv4, port=PORT, workers=worker_cpus(1),
                            xdp_interface=srv.iface, xdp_mode="pass")
        _stdout, stderr = proc.communicate(timeout=20)
        assert proc.returncode == EXIT_XDP, stderr
        assert "Traceback" not in stderr and stderr.strip()
        assert _xdp_attached(srv)
    finally:
        srv.run(["ip", "link", "set", "dev", srv.iface, "xdp", "off"], check=False)


def test_port_already_taken_exits_3_with_a_hint(netns_pair, tmp_path):
    srv = netns_pair.server
    holder = srv.popen([sys.executable, "-c",
                        "import socket,sys,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                        f"s.bind(('{srv.ipv4}', {PORT})); print('bound', flush=True); time.sleep(30)"])
    assert holder.stdout.readline().strip() == "bound"
    proc = start_server(srv, tmp_path, listen_address=srv.ipv4, port=PORT, workers=worker_cpus(1))
    _stdout, stderr = proc.communicate(timeout=20)
    srv.stop(holder)
    assert proc.returncode == EXIT_SETUP
    assert "is not free" in stderr and "another fastpath-server" in stderr


def test_listen_address_not_on_this_host_exits_3(netns_pair, tmp_path):
    srv = netns_pair.server
    proc = start_server(srv, tmp_path, listen_address="198.19.254.254", port=PORT, workers=worker_cpus(1))
    _stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == EXIT_SETUP
    assert "198.19.254.254:7777" in stderr and "Cannot assign requested address" in stderr


def test_tells_systemd_it_is_ready_only_once_it_serves(netns_pair, tmp_path):
    """With $NOTIFY_SOCKET set (systemd's Type=notify), the server sends READY=1 once XDP is attached
    and every worker runs, after its stats file is written; a unit with Type=notify relies on it."""
    srv = netns_pair.server
    workdir = Path(tempfile.mkdtemp(prefix="fpntf"))  # Unix socket paths must stay short
    notify_path = workdir / "notify"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify_path))
    listener.settimeout(10)
    stats_json = workdir / "stats.json"
    proc = None
    try:
        # The namespace shares the file system: the server reaches the socket by its path.
        conf = write_config(workdir / "server.conf", listen_address=srv.ipv4, port=PORT,
                            workers=worker_cpus(), stats_json=stats_json)
        proc = srv.popen([SERVER, "-c", conf], env={**os.environ, "NOTIFY_SOCKET": str(notify_path)})
        message = listener.recv(256).decode()
        assert "READY=1" in message.splitlines(), message
        assert stats_json.exists()  # written before READY
        assert proc.poll() is None
    finally:
        listener.close()
        if proc is not None and proc.poll() is None:
            srv.stop(proc)
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()

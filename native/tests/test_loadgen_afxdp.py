"""fastpath-loadgen --afxdp on a real 4-queue veth: frames built and sent through AF_XDP sockets, replies
redirected into them by fastpath's XDP program on the client's end; counters, RTT and JSON as without it.
"""

from __future__ import annotations

import json

import pytest
from conftest import LOADGEN
from test_server_support import PORT, running_server, worker_cpus


def udp_delivered(ns) -> int:
    """Datagrams the namespace's UDP stack (v4 and v6) delivered or dropped for a full socket."""
    total = 0
    text = ns.run(["cat", "/proc/net/snmp"]).stdout
    head, values = (ln.split() for ln in text.splitlines() if ln.startswith("Udp:"))
    row = dict(zip(head, values, strict=True))
    total += int(row["InDatagrams"]) + int(row["RcvbufErrors"])
    for line in ns.run(["cat", "/proc/net/snmp6"]).stdout.splitlines():
        name, value = line.split()
        if name in ("Udp6InDatagrams", "Udp6RcvbufErrors"):
            total += int(value)
    return total


def _loadgen(cli, srv_addr: str, server_mac: str, *args: str):
    # The fixture's XDP_PASS program holds the client's end; the generator brings its own program.
    cli.xdp("detach-any", cli.iface)
    return cli.run([LOADGEN, "--afxdp", cli.iface, "--dst-mac", server_mac, "--dst", srv_addr,
                    "--port", str(PORT), "--quiet", *args], check=False, timeout=60)


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_every_input_answered_and_counted_like_the_socket_path(netns_pair, family):
    srv, cli = netns_pair.server, netns_pair.client
    addr = srv.ipv4 if family == "ipv4" else srv.ipv6
    with running_server(srv, listen_address=addr, workers=worker_cpus(1)) as server:
        before = udp_delivered(cli)
        res = _loadgen(cli, addr, srv.mac, "--duration", "1", "--rate", "2000", "--threads", "4",
                       "--flows", "4", "--max-loss", "0")
        stats = server.stats()
        # Every queue had a socket: no reply went through the client's UDP stack.
        assert udp_delivered(cli) == before
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["sent"] >= 1900
    assert summary["received"] == summary["sent"] == stats["totals"]["rx_packets"]
    assert summary["bad_replies"] == 0
    assert 0 < summary["rtt_us"]["p50"] <= summary["rtt_us"]["p99"]


def test_pings_answered_by_xdp_on_the_server_are_counted_as_xdp_replies(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    with running_server(srv, xdp_mode="pass", xdp_interface=srv.iface, workers=worker_cpus(1)):
        res = _loadgen(cli, srv.ipv4, srv.mac, "--mode", "ping", "--duration", "0.5", "--rate", "2000",
                       "--threads", "4", "--flows", "4", "--max-loss", "0")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["received"] == summary["xdp_replies"] == summary["sent"] >= 900


def test_afxdp_at_both_ends(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    with running_server(srv, xdp_mode="afxdp", xdp_interface=srv.iface, xdp_ping="off",
                        workers=worker_cpus(2), afxdp_queues="0-3") as server:
        res = _loadgen(cli, srv.ipv4, srv.mac, "--duration", "1", "--rate", "5000", "--threads", "4",
                       "--flows", "8", "--sessions", "64", "--max-loss", "0")
        stats = server.stats()
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["received"] == summary["sent"] == stats["totals"]["tx_packets"] >= 4500
    assert stats["xdp"]["counters"]["redirect"] == summary["sent"]  # every request through AF_XDP


def test_bad_options_refused(netns_pair):
    cli = netns_pair.client
    res = cli.run([LOADGEN, "--afxdp", cli.iface, "--dst", "198.19.0.1"], check=False)
    assert res.returncode == 2 and "--dst-mac" in res.stderr
    res = cli.run([LOADGEN, "--afxdp", cli.iface, "--dst-mac", "02:00:00:00:00:01", "--dst", "198.19.0.1",
                   "--flows", "9", "--sessions", "64"], check=False)
    assert res.returncode == 2 and "--flows" in res.stderr

"""Relay mode: each datagram forwarded, byte for byte, to every upstream (the relay fan-out)."""

import pytest
from test_server_support import PORT, collecting, exchange, running_server, wait_for_stats

from fastpath import wire


@pytest.mark.parametrize("reply_op", ["auto", "sendmsg"])
def test_every_packet_reaches_every_upstream_unchanged(netns_pair, reply_op):
    srv, cli = netns_pair.server, netns_pair.client
    upstreams = [(cli.ipv4, 9001), (cli.ipv4, 9002), (cli.ipv4, 9003)]
    packets = [wire.packet(t, session_id=40 + i, seq=i, payload=b"r" * i)
               for i, t in enumerate([wire.Type.RELAY, wire.Type.INPUT, wire.Type.STATE] * 10)]
    upstream_list = ",".join(f"{ip}:{port}" for ip, port in upstreams)
    with running_server(srv, mode="relay", upstreams=upstream_list, reply_op=reply_op) as server:
        with collecting(cli, upstreams, expect=len(packets) * len(upstreams)) as got:
            # Nothing comes back to the sender in relay mode.
            assert exchange(cli, (srv.ipv4, PORT), packets, expect=0, timeout=0.5) == []
        stats = server.stats()

    for ip, port in upstreams:
        assert sorted(got[f"{ip}:{port}"]) == sorted(packets), f"upstream {ip}:{port}"
    assert stats["mode"] == "relay"
    assert stats["totals"]["rx_packets"] == len(packets)
    assert stats["totals"]["tx_packets"] == len(packets) * len(upstreams)
    assert stats["totals"]["tx_bytes"] == sum(map(len, packets)) * len(upstreams)


def test_relay_over_ipv6(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    upstreams = [(cli.ipv6, 9011), (cli.ipv6, 9012)]
    packets = [wire.packet(wire.Type.RELAY, session_id=i, seq=i, payload=b"six") for i in range(10)]
    upstream_list = ",".join(f"[{ip}]:{port}" for ip, port in upstreams)
    with (running_server(srv, listen_address=srv.ipv6, mode="relay", upstreams=upstream_list),
          collecting(cli, upstreams, expect=len(packets) * len(upstreams)) as got):
        exchange(cli, (srv.ipv6, PORT), packets, expect=0, timeout=0.5)
    for ip, port in upstreams:
        assert sorted(got[f"{ip}:{port}"]) == sorted(packets)


def test_invalid_packets_are_not_relayed(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    upstream = (cli.ipv4, 9021)
    good = wire.packet(wire.Type.RELAY, session_id=1, payload=b"ok")
    bad = b"\x00" * 40
    with running_server(srv, mode="relay", upstreams=f"{upstream[0]}:{upstream[1]}") as server:
        with collecting(cli, [upstream], expect=2, timeout=1.5) as got:
            exchange(cli, (srv.ipv4, PORT), [bad, good, bad], expect=0, timeout=0.3)
        stats = wait_for_stats(server, lambda s: s["totals"]["rx_packets"] >= 3)
    assert got[f"{upstream[0]}:{upstream[1]}"] == [good]
    assert stats["totals"]["drops"]["magic"] == 2

"""xdp_mode = afxdp on a real 4-queue veth: the XDP program redirects valid fastpath frames into each
queue's AF_XDP socket, the worker answers them from its UMEM on the same queue. Echo and ping answered
over IPv4 and IPv6, a VLAN tag kept, malformed and fuzzed frames dropped by reason (by the XDP program,
or by the worker's own checks for what only the stack used to check: checksums), the server still
serving; four workers on four queues with each session on one worker; bad settings refused.
"""

from __future__ import annotations

import json
import random
import struct

import pytest
from test_server_support import PORT, check_config, exchange, running_server, wait_for_stats, worker_cpus
from test_xdp_packets import RAW_SENDER, csum, parse_reply, udp_frame

from fastpath import wire


def afxdp(srv, **keys):
    """running_server in AF_XDP mode on srv's veth end; xdp_ping off unless asked, so user space answers."""
    settings = {"xdp_mode": "afxdp", "xdp_interface": srv.iface, "xdp_ping": "off",
                "workers": worker_cpus(2), "afxdp_queues": "0-3"}
    settings.update(keys)
    return running_server(srv, **settings)


def _inputs(n: int, type_: int = wire.Type.INPUT, session: int = 500) -> list[bytes]:
    return [wire.packet(type_, session_id=session + i, seq=i, payload=bytes([i % 256]) * (i % 37),
                        send_ts_ns=10_000 + i) for i in range(n)]


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_inputs_and_pings_answered_from_the_umem(netns_pair, family):
    srv, cli = netns_pair.server, netns_pair.client
    addr = srv.ipv4 if family == "ipv4" else srv.ipv6
    requests = _inputs(40) + _inputs(10, wire.Type.PING, session=900)
    with afxdp(srv, listen_address=addr) as server:
        replies = exchange(cli, (addr, PORT), requests)
        stats = wait_for_stats(server, lambda s: s["totals"]["tx_packets"] == len(requests))
    assert len(replies) == len(requests)
    by_seq = {(wire.Header.unpack(r).session_id, wire.Header.unpack(r).seq): r for r in replies}
    for req in requests:
        q = wire.Header.unpack(req)
        reply = by_seq[(q.session_id, q.seq)]
        r = wire.Header.unpack(reply)
        assert len(reply) == len(req)  # in place: never larger
        assert r.type == (wire.Type.STATE if q.type == wire.Type.INPUT else wire.Type.PONG)
        assert r.flags == wire.Flag.REPLY  # by the worker, not XDP_TX
        assert (r.send_ts_ns, r.payload_len) == (q.send_ts_ns, q.payload_len)
        assert reply[wire.HDR_LEN:] == req[wire.HDR_LEN:]
    assert stats["totals"]["rx_packets"] == len(requests)
    assert stats["totals"]["rx_bytes"] == stats["totals"]["tx_bytes"] == sum(map(len, requests))
    assert sum(stats["totals"]["drops"].values()) == 0
    assert stats["xdp"]["counters"]["redirect"] == len(requests), stats["xdp"]

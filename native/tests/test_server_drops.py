"""Malformed, truncated and oversized datagrams: dropped, counted by reason, never answered, server alive."""

import struct

import pytest
from test_server_support import PORT, exchange, running_server, wait_for_stats, worker_cpus

from fastpath import wire

GOOD = wire.packet(wire.Type.INPUT, session_id=3, seq=1, payload=b"hello")


def _with(offset: int, fmt: str, value: int, base: bytes = GOOD) -> bytes:
    """GOOD with one header field overwritten."""
    data = bytearray(base)
    struct.pack_into(fmt, data, offset, value)
    return bytes(data)


CASES = {
    "empty": (b"", "short"),
    "shorter than the header": (GOOD[:20], "short"),
    "wrong magic": (_with(wire.OFFSETS["magic"], "!I", 0xDEADBEEF), "magic"),
    "unknown version": (_with(wire.OFFSETS["version"], "!B", 2), "version"),
    "type zero": (_with(wire.OFFSETS["type"], "!B", 0), "type"),
    "type beyond the last": (_with(wire.OFFSETS["type"], "!B", wire.TYPE_MAX + 1), "type"),
    "truncated: payload_len says more than arrived": (
        _with(wire.OFFSETS["payload_len"], "!I", 200), "length"),
    "payload_len says less than arrived": (GOOD + b"extra", "length"),
    "oversized: payload above the maximum": (
        wire.packet(wire.Type.INPUT, payload=b"o" * (wire.MAX_PAYLOAD + 1)), "length"),
    "oversized: larger than a receive buffer": (
        _with(wire.OFFSETS["payload_len"], "!I", 4000, GOOD[:32] + b"b" * 4000), "length"),
    "a reply (REPLY flag) is not answered": (
        wire.packet(wire.Type.INPUT, flags=wire.Flag.REPLY, payload=b"loop"), "type"),
    "a state message is not a request": (wire.packet(wire.Type.STATE, payload=b"s"), "type"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_datagram_is_dropped_counted_by_reason_and_the_server_keeps_answering(netns_pair, name):
    srv, cli = netns_pair.server, netns_pair.client
    bad, reason = CASES[name]
    with running_server(srv) as server:
        assert exchange(cli, (srv.ipv4, PORT), [bad, bad, bad], expect=0, timeout=0.3) == []
        stats = wait_for_stats(server, lambda s: s["totals"]["rx_packets"] >= 3)
        assert stats["totals"]["drops"][reason] == 3
        assert sum(stats["totals"]["drops"].values()) == 3
        assert stats["totals"]["tx_packets"] == 0
        assert stats["totals"]["rx_packets"] == 3
        # Alive and well: a good packet is still answered.
        assert len(exchange(cli, (srv.ipv4, PORT), [GOOD])) == 1


def test_drops_appear_in_the_prometheus_textfile_by_reason(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    cpu = worker_cpus(1)
    with running_server(srv, workers=cpu) as server:
        exchange(cli, (srv.ipv4, PORT), [b"tiny", b"tiny", _with(0, "!I", 1)], expect=0, timeout=0.3)
        wait_for_stats(server, lambda s: s["totals"]["rx_packets"] >= 3)  # all three seen before it stops
        code, _output = server.stop()
        text = server.textfile.read_text()
    assert code == 0
    assert f'fastpath_server_drops_total{{worker="0",cpu="{cpu}",reason="short"}} 2' in text
    assert f'fastpath_server_drops_total{{worker="0",cpu="{cpu}",reason="magic"}} 1' in text
    assert f'fastpath_server_rx_packets_total{{worker="0",cpu="{cpu}"}} 3' in text

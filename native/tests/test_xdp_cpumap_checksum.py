"""Steering by cpumap must not launder a bad UDP checksum (issue 6).

A frame redirected into a cpumap becomes a new skb on the target CPU, and the XDP program completes
the *partial* checksums local senders leave on veth before redirecting. Neither may turn a datagram
whose checksum is simply wrong into one the stack accepts: it must still be dropped by the kernel's
UDP checksum check (UdpInCsumErrors / Udp6InCsumErrors) and never answered, while a correct datagram
sent the same way, steered the same way, is answered (so the path under test does deliver).

Frames are written with AF_PACKET on the client's veth end: a socket cannot send a wrong checksum.
"""

from __future__ import annotations

import json
import struct

import pytest
from conftest import Netns, start_responder
from test_xdp_packets import PORT, RAW_SENDER, parse_reply, stats, udp_frame

from fastpath import wire

GOOD_SPORT, BAD_SPORT = 41001, 41002


def csum_errors(ns: Netns, v6: bool) -> int:
    """The kernel's UDP checksum error counter of ns, IPv4 or IPv6."""
    if v6:
        for line in ns.run(["cat", "/proc/net/snmp6"]).stdout.splitlines():
            name, value = line.split()
            if name == "Udp6InCsumErrors":
                return int(value)
        raise AssertionError("no Udp6InCsumErrors in /proc/net/snmp6")
    text = ns.run(["cat", "/proc/net/snmp"]).stdout
    rows = [ln.split() for ln in text.splitlines() if ln.startswith("Udp:")]
    return int(dict(zip(rows[0], rows[1], strict=True))["InCsumErrors"])


def corrupt_udp_checksum(frame: bytes, v6: bool) -> bytes:
    """The same frame with a UDP checksum that is wrong, but neither 0 ("none") nor partial-looking."""
    at = 14 + (40 if v6 else 20) + 6
    (check,) = struct.unpack("!H", frame[at:at + 2])
    bad = check ^ 0x5A5A
    return frame[:at] + struct.pack("!H", bad) + frame[at + 2:]


@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_cpumap_redirect_keeps_corrupt_udp_checksums_dropped(netns_pair, v6):
    srv, cli = netns_pair.server, netns_pair.client
    srv.xdp("attach", srv.iface, "--steer", "cpumap", "--workers", "0-1")
    try:
        responder = start_responder(srv, PORT)
        # Sessions 1 and 2: one steered to each worker CPU, so both cpumap entries are exercised.
        bad = corrupt_udp_checksum(udp_frame(cli, srv, wire.packet(wire.Type.INPUT, session_id=1, seq=1),
                                             v6=v6, sport=BAD_SPORT), v6)
        good = udp_frame(cli, srv, wire.packet(wire.Type.INPUT, session_id=2, seq=1), v6=v6, sport=GOOD_SPORT)
        errors_before, xdp_before = csum_errors(srv, v6), stats(srv)

        got = json.loads(cli.python(RAW_SENDER, cli.iface, json.dumps([bad.hex(), good.hex()]), "1.0"))

        answered = set()
        for r in got:
            frame = bytes.fromhex(r["frame"])
            if struct.unpack("!H", frame[12:14])[0] not in (0x0800, 0x86DD):
                continue  # ARP / neighbour discovery
            _pseudo, udp, _ip, _is_v6 = parse_reply(frame)
            if len(udp) >= 8 and struct.unpack("!H", udp[:2])[0] == PORT:
                answered.add(struct.unpack("!H", udp[2:4])[0])
        xdp_after = stats(srv)
        # Both were valid fastpath datagrams and both went through the cpumap, not XDP_PASS.
        assert xdp_after["counters"]["redirect"] - xdp_before["counters"]["redirect"] == 2
        assert xdp_after["counters"]["pass"] == xdp_before["counters"]["pass"]
        # The stack still judged the checksum after the redirect: one error, the bad one unanswered.
        assert csum_errors(srv, v6) - errors_before == 1
        assert answered == {GOOD_SPORT}
        assert responder.poll() is None
    finally:
        srv.xdp("detach", srv.iface)

"""The XDP program on a real veth: drops counted by reason, pings answered by XDP_TX, VLAN, IPv4/IPv6.

Well-formed IP/UDP packets come from ordinary sockets in the client namespace; frames the stack would
never build (a truncated datagram, a VLAN tag on a kernel without 8021q) are written with AF_PACKET.
"""

from __future__ import annotations

import json
import signal
import socket
import struct

import pytest
from conftest import LOADGEN, Netns, start_responder, wait_stopped

from fastpath import wire

PORT = 7777

# Sends hex datagrams over UDP to (addr, port), then waits for replies; prints the reply count.
UDP_SENDER = r"""
import json, socket, sys
addr, port, datagrams, expect = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(2.0)
for d in datagrams:
    s.sendto(bytes.fromhex(d), (addr, port))
got = []
try:
    while len(got) < expect:
        got.append(s.recv(2048).hex())
except socket.timeout:
    pass
print(json.dumps(got))
"""

# Writes raw frames on an interface, then captures UDP frames from PORT for a moment. Prints each as
# {"frame": hex, "vlan": id or null}; the kernel moves a received VLAN tag into packet auxdata.
RAW_SENDER = r"""
import json, select, socket, struct, sys, time
iface, frames, wait = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((iface, 0))
s.setsockopt(263, 8, 1)  # SOL_PACKET, PACKET_AUXDATA
for f in frames:
    s.send(bytes.fromhex(f))
out, end = [], time.monotonic() + wait
while time.monotonic() < end:
    if not select.select([s], [], [], max(0.0, end - time.monotonic()))[0]:
        break
    data, anc, _, addr = s.recvmsg(4096, socket.CMSG_SPACE(20))
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    vlan = None
    for level, kind, blob in anc:
        if level == 263 and kind == 8:
            status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", blob[:20])
            if status & 0x10:  # TP_STATUS_VLAN_VALID
                vlan = tci & 0xFFF
    out.append({"frame": data.hex(), "vlan": vlan})
print(json.dumps(out))
"""


def stats(ns: Netns) -> dict:
    return json.loads(ns.xdp("stats", ns.iface, "--json").stdout)


def send_udp(client: Netns, addr: str, datagrams: list[bytes], expect: int = 0) -> list[bytes]:
    out = client.python(UDP_SENDER, addr, str(PORT), json.dumps([d.hex() for d in datagrams]), str(expect))
    return [bytes.fromhex(h) for h in json.loads(out)]


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


def udp_frame(src: Netns, dst: Netns, payload: bytes, v6: bool = False, vlan: int | None = None,
              udp_len: int | None = None, sport: int = 40000) -> bytes:
    """An Ethernet frame carrying UDP to PORT with correct IP and UDP checksums (udp_len may lie)."""
    length = udp_len if udp_len is not None else 8 + len(payload)
    if v6:
        s_ip, d_ip = socket.inet_pton(socket.AF_INET6, src.ipv6), socket.inet_pton(socket.AF_INET6, dst.ipv6)
        pseudo = s_ip + d_ip + struct.pack("!IxxxB", length, 17)
    else:
        s_ip, d_ip = socket.inet_aton(src.ipv4), socket.inet_aton(dst.ipv4)
        pseudo = s_ip + d_ip + struct.pack("!xBH", 17, length)
    udp = struct.pack("!HHHH", sport, PORT, length, 0) + payload
    check = (~csum(pseudo + udp)) & 0xFFFF or 0xFFFF
    udp = udp[:6] + struct.pack("!H", check) + udp[8:]
    if v6:
        l3 = struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + s_ip + d_ip
        ethertype = 0x86DD
    else:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, s_ip, d_ip)
        l3 = hdr[:10] + struct.pack("!H", (~csum(hdr)) & 0xFFFF) + hdr[12:]
        ethertype = 0x0800
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return mac_bytes(dst.mac) + mac_bytes(src.mac) + tag + struct.pack("!H", ethertype) + l3 + udp


def parse_reply(frame: bytes) -> tuple[bytes, bytes, bytes, bool]:
    """(pseudo header, udp datagram, ip header, is_v6) of an untagged reply frame."""
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype == 0x86DD:
        ip = frame[14:54]
        udp_len = struct.unpack("!H", ip[4:6])[0]
        udp = frame[54:54 + udp_len]
        return ip[8:40] + struct.pack("!IxxxB", udp_len, 17), udp, ip, True
    ip = frame[14:34]
    udp_len = struct.unpack("!H", frame[38:40])[0]
    udp = frame[34:34 + udp_len]
    return ip[12:20] + struct.pack("!xBH", 17, udp_len), udp, ip, False


@pytest.fixture
def attached(netns_pair):
    srv = netns_pair.server
    srv.xdp("attach", srv.iface, "--ping", "--port", str(PORT))
    yield netns_pair
    srv.xdp("detach", srv.iface, check=False)


def test_malformed_truncated_and_oversized_dropped_and_counted_by_reason(attached):
    srv, cli = attached.server, attached.client
    responder = start_responder(srv, PORT)
    good = wire.packet(wire.Type.INPUT, session_id=1, seq=1, payload=b"abc")
    cases = {
        "short": [b"", b"FPTH", good[:31]],
        "magic": [b"XXXX" + good[4:]],
        "version": [good[:4] + b"\x02" + good[5:]],
        "type": [wire.Header(0).pack(), wire.Header(wire.TYPE_MAX + 1).pack()],
        "length": [
            good + b"extra",  # payload_len smaller than what came
            good[:-1],  # payload_len larger than what came
            wire.Header(wire.Type.INPUT, payload_len=wire.MAX_PAYLOAD + 1).pack()
            + bytes(wire.MAX_PAYLOAD + 1),
            # The largest that crosses a 1500-byte MTU unfragmented over IPv6 too (fragments pass unjudged).
            wire.Header(wire.Type.INPUT, payload_len=1408).pack() + bytes(1408),
        ],
    }
    before = stats(srv)
    for addr in (srv.ipv4, srv.ipv6):
        replies = send_udp(cli, addr, [d for ds in cases.values() for d in ds], expect=0)
        assert replies == []
    # A datagram whose UDP length claims more than the frame carries: only a raw frame can say that.
    truncated = udp_frame(cli, srv, good, udp_len=8 + len(good) + 40)
    cli.python(RAW_SENDER, cli.iface, json.dumps([truncated.hex()]), "0.2")
    after = stats(srv)

    expected = {reason: 2 * len(ds) for reason, ds in cases.items()}
    expected["short"] += 1
    for reason in ("short", "magic", "version", "type", "length"):
        assert after["drops"][reason] - before["drops"][reason] == expected[reason], reason
    assert after["counters"]["drop"] - before["counters"]["drop"] == sum(expected.values())
    assert after["counters"]["valid"] == before["counters"]["valid"]

    # The user-space path is alive and untouched: a valid input still reaches it and is answered.
    replies = send_udp(cli, srv.ipv4, [good], expect=1)
    assert [wire.Header.unpack(r).type for r in replies] == [wire.Type.STATE]
    assert stats(srv)["counters"]["pass"] - after["counters"]["pass"] == 1
    assert responder.poll() is None


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_ping_answered_by_xdp_while_the_port_owner_is_stopped(attached, family):
    srv, cli = attached.server, attached.client
    owner = start_responder(srv, PORT)
    owner.send_signal(signal.SIGSTOP)
    try:
        wait_stopped(owner.pid)  # user space cannot be answering from here on
        addr = srv.ipv4 if family == "ipv4" else srv.ipv6
        res = cli.run([LOADGEN, "--dst", addr, "--mode", "ping", "--duration", "1", "--rate", "2000",
                       "--quiet", "--max-loss", "0"], check=False)
        summary = json.loads(res.stdout)
        assert res.returncode == 0, res.stderr
        assert summary["sent"] >= 1900
        assert summary["received"] == summary["xdp_replies"] == summary["sent"]
        assert summary["bad_replies"] == 0
        assert stats(srv)["counters"]["tx"] >= summary["sent"]
    finally:
        owner.send_signal(signal.SIGCONT)


def test_without_the_fast_path_a_stopped_owner_answers_nothing(netns_pair):
    """The control for the test above: the replies there come from XDP, not from anywhere else."""
    srv, cli = netns_pair.server, netns_pair.client
    srv.xdp("attach", srv.iface)  # no --ping
    owner = start_responder(srv, PORT)
    owner.send_signal(signal.SIGSTOP)
    try:
        wait_stopped(owner.pid)
        res = cli.run([LOADGEN, "--dst", srv.ipv4, "--mode", "ping", "--duration", "0.5", "--rate", "1000",
                       "--quiet", "--max-loss", "0"], check=False)
        summary = json.loads(res.stdout)
        assert res.returncode == 3
        assert summary["received"] == 0 and summary["failed"] == ["max_loss"]
        assert stats(srv)["counters"]["pass"] >= summary["sent"] > 0
    finally:
        owner.send_signal(signal.SIGCONT)
        srv.xdp("detach", srv.iface)


@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_vlan_tagged_ping_gets_a_tagged_pong_with_correct_checksums(attached, v6):
    srv, cli = attached.server, attached.client
    ping = wire.packet(wire.Type.PING, session_id=42, seq=9, payload=b"odd-length!", send_ts_ns=5)
    frame = udp_frame(cli, srv, ping, v6=v6, vlan=100, sport=41000)
    before = stats(srv)
    got = json.loads(cli.python(RAW_SENDER, cli.iface, json.dumps([frame.hex()]), "1.0"))
    replies = [r for r in got if r["vlan"] == 100]
    assert len(replies) == 1, got
    pseudo, udp, ip, is_v6 = parse_reply(bytes.fromhex(replies[0]["frame"]))
    assert is_v6 == v6
    sport, dport = struct.unpack("!HH", udp[:4])
    assert (sport, dport) == (PORT, 41000)
    assert csum(pseudo + udp) == 0xFFFF  # a full, correct UDP checksum
    if not v6:
        assert csum(ip) == 0xFFFF
        assert socket.inet_ntoa(ip[12:16]) == srv.ipv4 and socket.inet_ntoa(ip[16:20]) == cli.ipv4
    h = wire.Header.unpack(udp[8:])
    assert (h.type, h.session_id, h.seq, h.send_ts_ns) == (wire.Type.PONG, 42, 9, 5)
    assert h.flags == wire.Flag.REPLY | wire.Flag.XDP
    assert udp[8 + wire.HDR_LEN:] == b"odd-length!"  # a reply never carries more than the request
    assert stats(srv)["counters"]["tx"] - before["counters"]["tx"] == 1


def test_other_traffic_passes_untouched(attached):
    srv, cli = attached.server, attached.client
    before = stats(srv)
    cli.run(["ping", "-c", "2", "-i", "0.2", "-W", "2", srv.ipv4])
    after = stats(srv)
    assert after["counters"]["other"] - before["counters"]["other"] >= 2
    assert after["counters"]["drop"] == before["counters"]["drop"]


def test_rate_limit_drops_what_exceeds_the_burst(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    srv.xdp("attach", srv.iface, "--ping", "--ratelimit", "10", "--burst", "20")
    try:
        pings = [wire.packet(wire.Type.PING, session_id=1, seq=i) for i in range(100)]
        replies = send_udp(cli, srv.ipv4, pings, expect=100)
        s = stats(srv)
        # Sent within a few ms: the burst (20) passes, plus at most a token or two of refill.
        assert 20 <= len(replies) <= 22
        assert s["drops"]["ratelimit"] == 100 - len(replies)
    finally:
        srv.xdp("detach", srv.iface)


def test_cpumap_steering_redirects_every_valid_packet_and_the_stack_still_answers(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    srv.xdp("attach", srv.iface, "--steer", "cpumap", "--workers", "0-1")
    try:
        start_responder(srv, PORT)
        inputs = [wire.packet(wire.Type.INPUT, session_id=s, seq=1) for s in range(20)]
        replies = send_udp(cli, srv.ipv4, inputs, expect=20)
        s = stats(srv)
        assert len(replies) == 20
        assert s["counters"]["redirect"] == s["counters"]["valid"] == 20
        assert s["counters"]["redirect_miss"] == s["counters"]["pass"] == 0
    finally:
        srv.xdp("detach", srv.iface)


def udp_in_v4(ns: Netns) -> int:
    """IPv4 datagrams that reached UDP in ns: delivered to a socket or dropped by a full one."""
    text = ns.run(["cat", "/proc/net/snmp"]).stdout
    head, values = (ln.split() for ln in text.splitlines() if ln.startswith("Udp:"))
    row = dict(zip(head, values, strict=True))
    return int(row["InDatagrams"]) + int(row["RcvbufErrors"])


def test_a_gso_send_seen_whole_in_generic_mode_is_passed_to_the_stack_not_dropped(netns_pair):
    """In generic mode (what a veth behind a bridge in a container gets, as on the lab) a UDP GSO
    send reaches the XDP program as one frame: one UDP header over several fastpath datagrams. It
    must hand such a frame to the stack (which cuts it into datagrams), counted as `multi`, not drop
    it for its length. (Native XDP on veth cuts the GSO skb before the program runs.)"""
    srv, cli = netns_pair.server, netns_pair.client
    srv.xdp("attach", srv.iface, "--generic", "--port", str(PORT))
    responder = start_responder(srv)
    try:
        before, udp_before = stats(srv), udp_in_v4(srv)
        res = cli.run([LOADGEN, "--quiet", "--gso", "--dst", srv.ipv4, "--port", str(PORT), "--rate", "0",
                       "--duration", "0.3", "--size", "100", "--linger-ms", "100"], check=False, timeout=30)
        assert res.returncode == 0, res.stderr
        summary = json.loads(res.stdout)
        after = stats(srv)
    finally:
        responder.send_signal(signal.SIGTERM)
        responder.wait(timeout=5)
        srv.xdp("detach", srv.iface, check=False)
    assert summary["gso_sent"] > summary["sent"] // 2, summary  # the sends really were GSO sends
    assert after["drops"]["length"] == before["drops"]["length"]
    assert after["counters"]["multi"] > before["counters"]["multi"]
    assert udp_in_v4(srv) - udp_before == summary["sent"]  # every datagram reached UDP
    assert summary["received"] > 0 and summary["bad_replies"] == 0

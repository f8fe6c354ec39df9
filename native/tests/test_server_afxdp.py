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
import tempfile

import pytest
from test_server_support import (
    PORT,
    SERVER,
    build_server,
    collecting,
    exchange,
    running_server,
    wait_for_stats,
    worker_cpus,
)
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


def _raw(cli, frames: list[bytes], wait: float = 0.5) -> list[dict]:
    return json.loads(cli.python(RAW_SENDER, cli.iface, json.dumps([f.hex() for f in frames]), str(wait)))


def test_malformed_datagrams_are_dropped_by_reason_and_the_server_keeps_serving(netns_pair):
    """The packet cases of test_xdp_packets.py, now with the AF_XDP worker behind the XDP program."""
    srv, cli = netns_pair.server, netns_pair.client
    good = wire.packet(wire.Type.INPUT, session_id=1, seq=1, payload=b"abc")
    cases = {
        "short": [b"", b"FPTH", good[:31]],
        "magic": [b"XXXX" + good[4:]],
        "version": [good[:4] + b"\x02" + good[5:]],
        "type": [wire.Header(0).pack(), wire.Header(wire.TYPE_MAX + 1).pack()],
        "length": [good + b"extra", good[:-1],
                   wire.Header(wire.Type.INPUT, payload_len=wire.MAX_PAYLOAD + 1).pack()
                   + bytes(wire.MAX_PAYLOAD + 1),
                   wire.Header(wire.Type.INPUT, payload_len=1408).pack() + bytes(1408)],
    }
    with afxdp(srv) as server:
        for addr in (srv.ipv4, srv.ipv6):
            assert exchange(cli, (addr, PORT), [d for ds in cases.values() for d in ds], expect=0,
                            timeout=0.3) == []
        _raw(cli, [udp_frame(cli, srv, good, udp_len=8 + len(good) + 40)], 0.2)  # UDP length > frame
        stats = server.stats()
        replies = exchange(cli, (srv.ipv4, PORT), [good])
    expected = {reason: 2 * len(ds) for reason, ds in cases.items()}
    expected["short"] += 1
    assert {r: stats["xdp"]["drops"][r] for r in expected} == expected
    assert stats["xdp"]["counters"]["valid"] == stats["xdp"]["counters"]["redirect"] == 0
    assert [wire.Header.unpack(r).type for r in replies] == [wire.Type.STATE]


def _udp_reply(captured: dict) -> bytes | None:
    """The captured frame if it is an untagged UDP datagram from the server's port, else None."""
    frame = bytes.fromhex(captured["frame"])
    if frame[12:14] == b"\x08\x00" and len(frame) >= 42 and frame[23] == 17:
        sport = frame[34:36]
    elif frame[12:14] == b"\x86\xdd" and len(frame) >= 62 and frame[20] == 17:
        sport = frame[54:56]
    else:
        return None
    return frame if struct.unpack("!H", sport)[0] == PORT else None


def _corrupt(frame: bytes, offset: int, value: int) -> bytes:
    data = bytearray(frame)
    data[offset] ^= value
    return bytes(data)


def test_bad_checksums_only_the_stack_used_to_catch_are_dropped_by_the_worker(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    good = wire.packet(wire.Type.INPUT, session_id=2, seq=1, payload=b"checksum")
    v4, v6 = udp_frame(cli, srv, good), udp_frame(cli, srv, good, v6=True)
    bad = [
        _corrupt(v4, 14 + 20 + 6, 0x01),  # UDP checksum
        _corrupt(v4, 14 + 10, 0x01),      # IPv4 header checksum
        _corrupt(v6, 14 + 40 + 6, 0x01),  # UDP checksum over IPv6
        v6[:14 + 40 + 6] + b"\0\0" + v6[14 + 40 + 8:],  # IPv6 forbids "no checksum"
    ]
    with afxdp(srv) as server:
        got = _raw(cli, bad + [v4, v6], 0.5)
        stats = wait_for_stats(server, lambda s: s["totals"]["rx_packets"] == 6)
    answered = [f for f in map(_udp_reply, got) if f]
    assert stats["totals"]["drops"]["checksum"] == 4
    assert stats["totals"]["tx_packets"] == 2
    for frame in answered:
        pseudo, udp, ip, is_v6 = parse_reply(frame)
        assert csum(pseudo + udp) == 0xFFFF
        assert is_v6 or csum(ip) == 0xFFFF
        assert wire.Header.unpack(udp[8:]).type == wire.Type.STATE
    assert len(answered) == 2


@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_vlan_tagged_ping_answered_by_the_worker_with_its_tag(netns_pair, v6):
    srv, cli = netns_pair.server, netns_pair.client
    ping = wire.packet(wire.Type.PING, session_id=42, seq=9, payload=b"odd-length!", send_ts_ns=5)
    with afxdp(srv):
        got = _raw(cli, [udp_frame(cli, srv, ping, v6=v6, vlan=100, sport=41000)], 1.0)
    replies = [r for r in got if r["vlan"] == 100]
    assert len(replies) == 1, got
    pseudo, udp, ip, is_v6 = parse_reply(bytes.fromhex(replies[0]["frame"]))
    assert is_v6 == v6
    assert struct.unpack("!HH", udp[:4]) == (PORT, 41000)
    assert csum(pseudo + udp) == 0xFFFF
    assert v6 or csum(ip) == 0xFFFF
    h = wire.Header.unpack(udp[8:])
    assert (h.type, h.session_id, h.seq, h.send_ts_ns, h.flags) == (wire.Type.PONG, 42, 9, 5, wire.Flag.REPLY)
    assert udp[8 + wire.HDR_LEN:] == b"odd-length!"


def test_fuzzed_frames_never_answered_wrongly_and_the_server_keeps_serving(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    rng = random.Random(16)
    base = [udp_frame(cli, srv, wire.packet(wire.Type.INPUT, session_id=s, seq=s, payload=bytes(s % 50)),
                      v6=bool(s % 2)) for s in range(20)]
    fuzzed = []
    for _fuzz in range(300):
        frame = bytearray(rng.choice(base))
        for _flip in range(rng.randrange(1, 4)):
            frame[rng.randrange(14, len(frame))] = rng.getrandbits(8)  # keep the MACs: it must arrive
        fuzzed.append(bytes(frame[: rng.choice([len(frame), rng.randrange(14, len(frame) + 1)])]))
    with afxdp(srv) as server:
        got = _raw(cli, fuzzed, 1.0)
        stats = server.stats()
        after = exchange(cli, (srv.ipv4, PORT), _inputs(5))
    total = stats["totals"]
    # Every frame that reached the worker was either answered or dropped for a reason.
    assert total["rx_packets"] == total["tx_packets"] + sum(total["drops"].values())
    assert total["rx_packets"] >= stats["xdp"]["counters"]["redirect"]
    answered = [f for f in map(_udp_reply, got) if f]
    assert len(answered) == total["tx_packets"]
    for frame in answered:
        pseudo, udp, _ip, _v6 = parse_reply(frame)
        assert csum(pseudo + udp) == 0xFFFF  # whatever was answered was a valid request
        assert wire.check(udp[8:]) == wire.DropReason.NONE
        assert wire.Header.unpack(udp[8:]).type == wire.Type.STATE
    assert len(after) == 5


def test_four_workers_on_four_queues_each_session_on_one_worker(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    per_session = 20
    with afxdp(srv, workers=worker_cpus(2), afxdp_queues="0-3") as server:
        seen_workers = set()
        for source in range(8):
            before = [w["rx_packets"] for w in server.stats()["workers"]]
            replies = exchange(cli, (srv.ipv4, PORT), _inputs(per_session, session=source * 100))
            assert len(replies) == per_session
            stats = wait_for_stats(server, lambda s, b=before: sum(
                w["rx_packets"] for w in s["workers"]) == sum(b) + per_session)
            deltas = [w["rx_packets"] - b for w, b in zip(stats["workers"], before, strict=True)]
            assert sorted(deltas) == [0, 0, 0, per_session], deltas  # one source socket, one worker
            seen_workers.add(deltas.index(per_session))
        assert stats["workers_count"] == 4
        assert stats["xdp"]["counters"]["redirect_miss"] == 0
        code, err = server.stop()
    assert code == 0, err
    # The start-up line names each worker's queue and why veth runs in copy mode.
    assert "AF_XDP workers" in err and "queues 0 (CPU" in err and ", 3 (CPU" in err
    assert "copy mode (the driver refused zero-copy" in err or "copy mode (XDP runs in generic" in err
    assert len(seen_workers) > 1  # the sessions really spread over the queues


def test_bad_settings_are_refused_naming_the_setting(netns_pair):
    srv = netns_pair.server

    def check(**keys) -> str:
        build_server()
        settings = {"xdp_mode": "afxdp", "xdp_interface": srv.iface, "workers": worker_cpus(1), **keys}
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
            conf.write("".join(f"{k} = {v}\n" for k, v in settings.items()))
            conf.flush()
            res = srv.run([SERVER, "--check-config", "-c", conf.name], check=False)
        assert res.returncode == 2, res.stdout + res.stderr
        return res.stderr

    assert "workers: 5 AF_XDP workers" in check(afxdp_queues="0-4")
    assert "afxdp_queues: queue 7" in check(afxdp_queues="7")
    assert "buffer_size: 3072" in check(buffer_size=3072)
    srv.run(["ip", "link", "set", srv.iface, "mtu", "3000"])
    assert "xdp_interface" in check(buffer_size=2048) and "MTU 3000" in check(buffer_size=2048)


def test_relay_forwards_every_datagram_from_the_umem_to_every_upstream(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    upstreams = [(cli.ipv4, 9101), (cli.ipv4, 9102)]
    packets = [wire.packet(wire.Type.RELAY, session_id=60 + i, seq=i, payload=b"u" * i) for i in range(30)]
    with afxdp(srv, mode="relay", upstreams=",".join(f"{ip}:{port}" for ip, port in upstreams)) as server:
        with collecting(cli, upstreams, expect=len(packets) * len(upstreams)) as got:
            assert exchange(cli, (srv.ipv4, PORT), packets, expect=0, timeout=0.5) == []
        stats = server.stats()
    for ip, port in upstreams:
        assert sorted(got[f"{ip}:{port}"]) == sorted(packets), f"upstream {ip}:{port}"
    assert stats["totals"]["rx_packets"] == len(packets)
    assert stats["totals"]["tx_packets"] == len(packets) * len(upstreams)
    assert stats["xdp"]["counters"]["redirect"] == len(packets)  # they came through AF_XDP


def test_a_queue_without_a_worker_is_answered_from_the_udp_socket(netns_pair):
    """One worker on queue 0 of 4: what arrives on the other queues is passed to the stack
    (redirect_miss) and answered from the worker's UDP socket; nothing is lost either way."""
    srv, cli = netns_pair.server, netns_pair.client
    requests = _inputs(40)
    with afxdp(srv, workers=worker_cpus(1), afxdp_queues="0") as server:
        replies = exchange(cli, (srv.ipv4, PORT), requests, sources=8)
        stats = wait_for_stats(server, lambda s: s["totals"]["tx_packets"] == len(requests))
    assert len(replies) == len(requests)
    xdp = stats["xdp"]["counters"]
    assert xdp["redirect"] + xdp["redirect_miss"] == len(requests)
    assert xdp["redirect_miss"] > 0  # 8 source ports over 4 queues: some missed queue 0

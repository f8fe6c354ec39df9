"""Echo mode: every input answered with a state message of the same size, fields echoed, REPLY set."""

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_server_support import PORT, exchange, running_server, wait_for_file, worker_cpus

from fastpath import wire


def _requests(n: int, type_: int = wire.Type.INPUT) -> list[bytes]:
    return [wire.packet(type_, session_id=1000 + i, seq=i, payload=bytes([i % 256]) * (i % 40),
                        send_ts_ns=123_456_789_000 + i) for i in range(n)]


@pytest.mark.parametrize("reply_op", ["auto", "sendmsg"])
@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_each_input_is_answered_by_a_state_reply_of_the_same_size(netns_pair, family, reply_op):
    srv, cli = netns_pair.server, netns_pair.client
    addr = srv.ipv4 if family == "ipv4" else srv.ipv6
    requests = _requests(50)
    with running_server(srv, listen_address=addr, reply_op=reply_op) as server:
        replies = exchange(cli, (addr, PORT), requests)
        stats = server.stats()

    assert len(replies) == len(requests)
    by_seq = {wire.Header.unpack(r).seq: r for r in replies}
    for req in requests:
        q = wire.Header.unpack(req)
        reply = by_seq[q.seq]
        r = wire.Header.unpack(reply)
        assert len(reply) <= len(req)  # never larger than the request (no amplification)
        assert r.type == wire.Type.STATE
        assert r.flags & wire.Flag.REPLY
        assert not r.flags & wire.Flag.XDP  # made by user space, not the XDP program
        assert (r.session_id, r.seq, r.send_ts_ns, r.payload_len) == (
            q.session_id, q.seq, q.send_ts_ns, q.payload_len)
        assert reply[wire.HDR_LEN:] == req[wire.HDR_LEN:]
    assert stats["totals"]["rx_packets"] == stats["totals"]["tx_packets"] == len(requests)
    assert stats["totals"]["rx_bytes"] == sum(map(len, requests))
    assert sum(stats["totals"]["drops"].values()) == 0


def test_ping_is_answered_with_pong_when_xdp_is_off(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    with running_server(srv) as server:
        replies = exchange(cli, (srv.ipv4, PORT), _requests(5, wire.Type.PING))
        assert server.stats()["xdp_mode"] == "off"
    assert len(replies) == 5
    assert {wire.Header.unpack(r).type for r in replies} == {wire.Type.PONG}


def test_a_backlog_is_answered_in_batches_of_at_most_batch_sends(netns_pair):
    """Stop the server, let a backlog build in its socket, resume it: all answered, sent in batches."""
    srv, cli = netns_pair.server, netns_pair.client
    n, batch = 3000, 64
    requests = [wire.packet(wire.Type.INPUT, session_id=7, seq=i, payload=b"s" * 64) for i in range(n)]
    with running_server(srv, workers=worker_cpus(1), batch=batch) as server:
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            with ThreadPoolExecutor(1) as pool:
                sent = server.workdir / "sent"
                pending = pool.submit(exchange, cli, (srv.ipv4, PORT), requests, timeout=3, sent_marker=sent)
                wait_for_file(sent)  # the whole backlog is queued before the server resumes
                os.kill(server.proc.pid, signal.SIGCONT)
                replies = pending.result()
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        total = server.stats()["totals"]
    assert len(replies) == n
    assert sorted(wire.Header.unpack(r).seq for r in replies) == list(range(n))
    assert total["tx_packets"] == total["sends_submitted"] == n
    assert total["mean_batch"] == pytest.approx(n / total["send_batches"], abs=0.01)
    # The backlog arrives as a flood of completions: sends leave many per submit, never more than batch.
    assert 8 <= total["mean_batch"] <= batch


def test_buffer_ring_exhaustion_is_counted_and_the_receive_rearmed(netns_pair):
    """64 buffers and a backlog of 600: the ring runs dry, is refilled as sends complete, nothing lost."""
    srv, cli = netns_pair.server, netns_pair.client
    n = 600
    requests = [wire.packet(wire.Type.INPUT, session_id=9, seq=i, payload=b"e" * 32) for i in range(n)]
    with running_server(srv, workers=worker_cpus(1), buffers=64, batch=16) as server:
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            with ThreadPoolExecutor(1) as pool:
                sent = server.workdir / "sent"
                pending = pool.submit(exchange, cli, (srv.ipv4, PORT), requests, timeout=3, sent_marker=sent)
                wait_for_file(sent)
                os.kill(server.proc.pid, signal.SIGCONT)
                replies = pending.result()
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        total = server.stats()["totals"]
    assert len(replies) == n
    assert total["bufring_exhausted"] >= 1
    assert total["drops"]["nobuf"] == 0  # the datagrams waited in the socket: none was lost
    assert total["recv_rearms"] >= total["bufring_exhausted"]
    assert total["socket_drops"] == 0


@pytest.mark.parametrize(("reply_op", "says"), [
    ("auto", "replies by IORING_OP_SEND with an address"),  # this kernel (6.18) takes the address
    ("sendmsg", "replies by IORING_OP_SENDMSG (reply_op = sendmsg)"),
])
def test_the_start_up_line_says_how_replies_are_sent(netns_pair, reply_op, says):
    if tuple(map(int, os.uname().release.split(".")[:2])) < (6, 1):
        pytest.skip("IORING_OP_SEND takes a destination address from Linux 6.1")
    with running_server(netns_pair.server, reply_op=reply_op) as server:
        # Printed once every worker is up, before the stats socket answers.
        lines = []
        while not any("workers on CPUs" in ln for ln in lines):
            lines.append(server.proc.stderr.readline())
            assert lines[-1], f"no start-up line: {lines}"
    assert lines[-1].rstrip().endswith(says), lines[-1]

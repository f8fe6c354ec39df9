"""Reuseport steering: a session always lands on worker session_id % workers, whatever its source port."""

import os

import pytest
from test_server_support import PORT, exchange, running_server, wait_for_stats, worker_cpus

from fastpath import wire

pytestmark = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs for two workers")


def _rx_per_worker(server) -> list[int]:
    return [w["rx_packets"] for w in server.stats()["workers"]]


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_each_session_lands_on_one_worker_from_many_source_ports(netns_pair, family):
    srv, cli = netns_pair.server, netns_pair.client
    addr = srv.ipv4 if family == "ipv4" else srv.ipv6
    per_session = 16
    with running_server(srv, listen_address=addr, workers=worker_cpus(2)) as server:
        assert server.stats()["steer"] is True
        for session in range(12):
            before = _rx_per_worker(server)
            packets = [wire.packet(wire.Type.INPUT, session_id=session, seq=i) for i in range(per_session)]
            # 16 source ports: without steering the kernel's 4-tuple hash would spread them.
            replies = exchange(cli, (addr, PORT), packets, sources=per_session)
            after = _rx_per_worker(server)
            assert len(replies) == per_session
            delta = [a - b for a, b in zip(after, before, strict=True)]
            expected = [0, 0]
            expected[session % 2] = per_session
            assert delta == expected, f"session {session}"


def test_without_the_steering_program_a_session_is_spread_by_source_port(netns_pair):
    """The control: the same traffic with steer = off lands on both workers."""
    srv, cli = netns_pair.server, netns_pair.client
    packets = [wire.packet(wire.Type.INPUT, session_id=0, seq=i) for i in range(32)]
    with running_server(srv, workers=worker_cpus(2), steer="off") as server:
        exchange(cli, (srv.ipv4, PORT), packets, sources=32)
        rx = _rx_per_worker(server)
        assert server.stats()["steer"] is False
    # 32 random source ports all hashing to one of two sockets: a chance of 2 in 2^32.
    assert sum(rx) == 32 and min(rx) > 0


def test_packets_that_are_not_ours_still_reach_a_worker_and_are_counted(netns_pair):
    """The program falls back to the kernel's hash for datagrams it cannot read a session from."""
    srv, cli = netns_pair.server, netns_pair.client
    with running_server(srv, workers=worker_cpus(2)) as server:
        exchange(cli, (srv.ipv4, PORT), [b"short", b"X" * 64], expect=0, timeout=0.3)
        drops = wait_for_stats(server, lambda s: s["totals"]["rx_packets"] >= 2)["totals"]["drops"]
    assert drops["short"] == 1 and drops["magic"] == 1

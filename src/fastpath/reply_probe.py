# SPDX-License-Identifier: Apache-2.0
"""Send a steady stream of fastpath INPUT packets and tell when replies stopped and came back.

    python -m fastpath.reply_probe --dst ADDR [--port 7777] [--rate 1000] [--duration 5]

Each packet carries its sequence number; an echo server answers it with a STATE message of the same
sequence. At the end one JSON document goes to stdout: what was sent and answered, and every
*outage*, a run of consecutive unanswered packets, with the CLOCK_MONOTONIC send times of its first
lost packet and of the first answered packet after it. CLOCK_MONOTONIC is shared by every process on
the machine (network namespaces included), so a caller can put its own events (a kill) on the same
time line. The loss window is the outage's length in send time: how long a client saw no service.

It measures, it does not load: a separate load generator (fastpath-loadgen) provides the load.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import select
import socket
import sys
import time

from fastpath import wire

# Replies still in flight when sending stops are waited for this long.
LINGER_S = 0.5
SESSION_ID = 0x70726F6265  # "probe": apart from the load generator's sessions


def outages(send_times: list[float], answered: set[int], end: float) -> list[dict]:
    """Runs of consecutive unanswered sequence numbers, in send order. A run that reaches the end of
    the stream is open: it never came back while the probe ran, and its length runs to `end`."""
    found, start = [], None
    for seq, sent in enumerate(send_times):
        if seq not in answered and start is None:
            start = seq
        elif seq in answered and start is not None:
            found.append(_outage(send_times, start, seq, sent, closed=True))
            start = None
    if start is not None:
        found.append(_outage(send_times, start, len(send_times), end, closed=False))
    return found


def _outage(send_times: list[float], first: int, after: int, resumed_at: float, closed: bool) -> dict:
    return {"first_lost_s": send_times[first], "resumed_s": resumed_at if closed else None,
            "length_s": resumed_at - send_times[first], "lost": after - first, "closed": closed}


def probe(dst: str, port: int, rate: float, duration: float) -> dict:
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.connect((dst, port))  # UDP: only fixes the peer, so replies from elsewhere are not counted
    sock.setblocking(False)
    interval = 1.0 / rate
    send_times: list[float] = []
    answered: set[int] = set()

    def drain(wait: float) -> None:
        if not select.select([sock], [], [], max(wait, 0.0))[0]:
            return
        while True:
            try:
                data = sock.recv(2048)
            except BlockingIOError:
                return
            except ConnectionRefusedError:  # ICMP port unreachable while nothing listens
                continue
            if wire.check(data) == wire.DropReason.NONE:
                answered.add(wire.Header.unpack(data).seq)

    start = time.monotonic()
    while (now := time.monotonic()) < start + duration:
        due = start + len(send_times) * interval
        if now >= due:
            seq = len(send_times)
            send_times.append(now)
            # Refused (an earlier ICMP) while the server restarts: counted as lost.
            with contextlib.suppress(OSError):
                sock.send(wire.packet(wire.Type.INPUT, SESSION_ID, seq, b"", time.monotonic_ns()))
        drain(start + len(send_times) * interval - time.monotonic())
    end = time.monotonic()
    linger = end + LINGER_S
    while time.monotonic() < linger:
        drain(linger - time.monotonic())
    sock.close()
    return {"sent": len(send_times), "answered": len(answered), "rate": rate, "start_s": start,
            "end_s": end, "outages": outages(send_times, answered, end)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastpath.reply_probe",
                                     description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--dst", required=True)
    parser.add_argument("--port", type=int, default=wire.DEFAULT_PORT)
    parser.add_argument("--rate", type=float, default=1000.0, help="packets/s (default 1000)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds (default 5)")
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535 or not 1 <= args.rate <= 100000 or not 0 < args.duration <= 3600:
        parser.error("--port 1-65535, --rate 1-100000, --duration 0-3600")
    json.dump(probe(args.dst, args.port, args.rate, args.duration), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures for the native integration tests: real network namespaces joined by a real veth pair.

Every test gets its own pair of namespaces (server side "s", client side "c") with unique names, a
veth pair with 4 rx / 4 tx queues, IPv4 from 198.19.0.0/16 and IPv6 from the benchmarking range
2001:2::/48, and an XDP_PASS program on the client end (VLAN-tagged frames are written with AF_PACKET
by the tests: kernels without 8021q, like this one, cannot make VLAN interfaces). veth
delivers frames the server end sends with XDP_TX only while its peer runs an XDP program.

Processes are started inside a namespace with `nsenter --net` (not `ip netns exec`, which remounts
/sys and hides /sys/fs/bpf, where the XDP maps are pinned), tracked, and stopped by PID at teardown.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

NATIVE = Path(__file__).resolve().parent.parent
BUILD = NATIVE / "build"
XDP_CLI = BUILD / "fastpath-xdp"
LOADGEN = BUILD / "fastpath-loadgen"
PIN_ROOT = Path("/sys/fs/bpf/fastpath")

# Short and unique per run: interface names must fit in 15 characters.
RUN_ID = uuid.uuid4().hex[:4]
_pair_numbers = itertools.count(1)


def _ip(*argv: str) -> None:
    subprocess.run(["ip", *argv], check=True, capture_output=True, text=True, timeout=30)


@dataclass
class Netns:
    """One side of a pair: a namespace and its veth end."""

    name: str
    iface: str
    ipv4: str
    ipv6: str
    procs: list[subprocess.Popen] = field(default_factory=list)

    def argv(self, argv: Sequence[str | os.PathLike]) -> list[str]:
        return ["nsenter", f"--net=/run/netns/{self.name}", "--", *map(str, argv)]

    def run(self, argv: Sequence[str | os.PathLike], check: bool = True, timeout: float = 60,
            **kwargs) -> subprocess.CompletedProcess:
        """Run to completion inside the namespace; output captured as text."""
        return subprocess.run(self.argv(argv), check=check, timeout=timeout, capture_output=True,
                              text=True, **kwargs)

    def popen(self, argv: Sequence[str | os.PathLike], **kwargs) -> subprocess.Popen:
        """Start in the background inside the namespace. nsenter execs, so the PID is the program's."""
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        kwargs.setdefault("text", True)
        proc = subprocess.Popen(self.argv(argv), **kwargs)
        self.procs.append(proc)
        return proc

    def python(self, code: str, *args: str, timeout: float = 60) -> str:
        """Run a Python snippet inside the namespace (sockets bound there); returns its stdout."""
        return self.run([sys.executable, "-c", code, *args], timeout=timeout).stdout

    @property
    def mac(self) -> str:
        return json.loads(self.run(["ip", "-j", "link", "show", self.iface]).stdout)[0]["address"]

    def xdp(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run build/fastpath-xdp inside the namespace."""
        return self.run([XDP_CLI, *args], check=check)

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Send sig to proc's PID, wait, SIGKILL it if it ignores that; returns its exit status."""
        if proc.poll() is None:
            os.kill(proc.pid, sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        return proc.returncode

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGCONT)  # a stopped process cannot act on SIGKILL's wait
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait(timeout=10)
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()


@dataclass
class NetnsPair:
    server: Netns
    client: Netns
    number: int


def _side(number: int, role: str, host: int) -> Netns:
    # "fpt", never "fp" and a digit: those names belong to the lab fleet's hosts.
    base = f"fpt{RUN_ID}{number}{role}"
    return Netns(
        name=f"{base}ns",
        iface=base,
        ipv4=f"198.19.{number % 250}.{host}",
        ipv6=f"2001:2:0:{number:x}::{host}",
    )


def _remove_pins(iface: str) -> None:
    """Last resort after a failed test: pins survive their interface (bpffs is global)."""
    pin_dir = PIN_ROOT / iface
    if pin_dir.is_dir():
        for pin in pin_dir.iterdir():
            pin.unlink()
        pin_dir.rmdir()


def _new_pair(number: int) -> NetnsPair:
    return NetnsPair(server=_side(number, "s", 1), client=_side(number, "c", 2), number=number)


def _build_pair(pair: NetnsPair) -> None:
    server, client = pair.server, pair.client
    for side in (server, client):
        _ip("netns", "add", side.name)
    _ip("link", "add", server.iface, "numrxqueues", "4", "numtxqueues", "4", "netns", server.name,
        "type", "veth", "peer", "name", client.iface, "numrxqueues", "4", "numtxqueues", "4",
        "netns", client.name)
    for side in (server, client):
        ns = ["-n", side.name]
        _ip(*ns, "link", "set", "lo", "up")
        _ip(*ns, "link", "set", side.iface, "up")
        _ip(*ns, "addr", "add", f"{side.ipv4}/24", "dev", side.iface)
        _ip(*ns, "addr", "add", f"{side.ipv6}/64", "dev", side.iface, "nodad")
    client.xdp("pass", client.iface)
    # Resolve neighbours now, so no test's first packets wait in (or fall out of) an ARP/ND queue.
    client.run(["ping", "-c", "1", "-W", "2", server.ipv4])
    client.run(["ping", "-c", "1", "-W", "2", server.ipv6])


def wait_stopped(pid: int, timeout: float = 5.0) -> None:
    """SIGSTOP is delivered asynchronously: wait until /proc says the process is stopped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(") ", 1)[1][0] in "Tt":
                return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not stop within {timeout} s")


def _destroy_pair(pair: NetnsPair) -> None:
    for side in (pair.server, pair.client):
        side.stop_all()
    for side in (pair.server, pair.client):
        subprocess.run(["ip", "netns", "del", side.name], capture_output=True, timeout=30, check=False)
        _remove_pins(side.iface)


# A user-space fastpath responder for tests: INPUT -> STATE with an empty payload (never larger than
# the request), PING -> PONG without FP_F_XDP; invalid headers are ignored. Prints "ready" once bound.
RESPONDER = r"""
import socket, sys
from fastpath import wire
sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
sock.bind(("::", int(sys.argv[1])))
print("ready", flush=True)
answer = {wire.Type.INPUT: wire.Type.STATE, wire.Type.PING: wire.Type.PONG}
while True:
    data, peer = sock.recvfrom(2048)
    if wire.check(data) != wire.DropReason.NONE:
        continue
    h = wire.Header.unpack(data)
    if h.type in answer:
        reply = wire.packet(answer[h.type], h.session_id, h.seq, b"", h.send_ts_ns, wire.Flag.REPLY)
        sock.sendto(reply, peer)
"""


def start_responder(ns: Netns, port: int = 7777) -> subprocess.Popen:
    """Start RESPONDER in ns and wait until its socket is bound."""
    env = {**os.environ, "PYTHONPATH": str(NATIVE.parent / "src")}
    proc = ns.popen([sys.executable, "-c", RESPONDER, str(port)], env=env)
    line = proc.stdout.readline()
    why = proc.stderr.read() if proc.poll() is not None else ""
    assert line.strip() == "ready", f"responder did not start: {line!r} {why}"
    return proc


@pytest.fixture(scope="session")
def native_build() -> Path:
    """Build native/ once per session (a no-op when `make -C native test` already did)."""
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces and BPF")
    # Only what these fixtures need, so a half-written neighbour (the server) cannot break them.
    targets = [str(XDP_CLI.relative_to(NATIVE))]
    if (NATIVE / "loadgen" / "main.c").exists():
        targets.append(str(LOADGEN.relative_to(NATIVE)))
    res = subprocess.run(["make", "-C", str(NATIVE), "-j2", *targets], capture_output=True, text=True,
                         timeout=600, check=False)
    if res.returncode != 0:
        pytest.fail(f"building native/ failed:\n{res.stdout}\n{res.stderr}", pytrace=False)
    return BUILD


@pytest.fixture
def netns_pair(native_build: Path) -> Iterator[NetnsPair]:
    """Two namespaces joined by a 4-queue veth pair; everything removed afterwards."""
    pair = _new_pair(next(_pair_numbers))
    try:
        _build_pair(pair)
        yield pair
    finally:
        _destroy_pair(pair)  # also after a half-built pair: each step ignores what does not exist

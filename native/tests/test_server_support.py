"""Helpers for the fastpath-server integration tests (this module holds no tests itself).

Two halves:
- in the test process: build the server, write its config, run it inside the server namespace of
  a `netns_pair` (conftest.py), read its stats from the Unix socket, stop it by PID;
- run as a script inside the client namespace (`python test_server_support.py exchange|collect`,
  JSON on stdin, JSON on stdout): send datagrams and gather the answers, or listen on ports and
  gather what arrives. Sockets must be opened inside the namespace, hence a separate process.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

NATIVE = Path(__file__).resolve().parent.parent
SERVER = NATIVE / "build" / "fastpath-server"
THIS = Path(__file__).resolve()
PORT = 7777

# Exit codes documented in native/server/README.md.
EXIT_OK, EXIT_RUNTIME, EXIT_CONFIG, EXIT_SETUP, EXIT_XDP = 0, 1, 2, 3, 4


@functools.cache
def build_server() -> Path:
    """Build build/fastpath-server once per session (make is incremental)."""
    res = subprocess.run(["make", "-C", str(NATIVE), "-j2", "build/fastpath-server"], capture_output=True,
                         text=True, timeout=600, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"building fastpath-server failed:\n{res.stdout}\n{res.stderr}")
    return SERVER


def worker_cpus(count: int = 2) -> str:
    """A cpulist of up to `count` CPUs this process may use (the server refuses others)."""
    cpus = sorted(os.sched_getaffinity(0))[:count]
    return ",".join(map(str, cpus))


def write_config(path: Path, **keys: object) -> Path:
    path.write_text("".join(f"{k} = {v}\n" for k, v in keys.items()))
    return path


def check_config(text: str | None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `fastpath-server --check-config` on a config given as text (None: no file)."""
    build_server()
    with tempfile.TemporaryDirectory(prefix="fpsrv") as tmp:
        argv = [str(SERVER), "--check-config"]
        if text is not None:
            conf = Path(tmp) / "server.conf"
            conf.write_text(text)
            argv += ["-c", str(conf)]
        clean_env = {k: v for k, v in os.environ.items() if not k.startswith("FASTPATH_")}
        return subprocess.run(argv, capture_output=True, text=True, timeout=30,
                              env={**clean_env, **(env or {})}, check=False)


def read_stats(sock_path: str | Path, timeout: float = 5.0) -> dict:
    """One JSON document from the server's stats socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(sock_path))
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return json.loads(b"".join(chunks))


class RunningServer:
    """A fastpath-server process inside a namespace, with its config and stats paths."""

    def __init__(self, ns, proc: subprocess.Popen, workdir: Path):
        self.ns = ns
        self.proc = proc
        self.workdir = workdir
        self.stats_socket = workdir / "stats.sock"
        self.textfile = workdir / "stats.prom"
        self.stats_json = workdir / "stats.json"

    def stats(self) -> dict:
        return read_stats(self.stats_socket)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> tuple[int, str]:
        """Signal the server by PID and wait; returns (exit status, stderr)."""
        code = self.ns.stop(self.proc, sig=sig, timeout=timeout)
        return code, self.proc.stderr.read() if self.proc.stderr else ""


def start_server(ns, workdir: Path, **keys: object) -> subprocess.Popen:
    """Start fastpath-server in ns with a config of `keys`; does not wait for it."""
    build_server()
    conf = write_config(workdir / "server.conf", **keys)
    return ns.popen([SERVER, "-c", conf])


@contextlib.contextmanager
def running_server(ns, **keys: object) -> Iterator[RunningServer]:
    """Run fastpath-server in ns until the block ends; the block may stop it itself.

    Defaults: listen on ns's IPv4 address, port 7777, two workers (or as many CPUs as we have),
    stats on a Unix socket and in a textfile under a fresh short directory (Unix socket paths are
    limited to 107 bytes, so not under pytest's long tmp_path).
    """
    workdir = Path(tempfile.mkdtemp(prefix="fpsrv"))
    settings: dict[str, object] = {
        "listen_address": ns.ipv4, "port": PORT, "workers": worker_cpus(),
        "stats_socket": workdir / "stats.sock", "stats_textfile": workdir / "stats.prom",
        "stats_json": workdir / "stats.json", "stats_interval_ms": 200,
    }
    settings.update(keys)
    proc = start_server(ns, workdir, **settings)
    srv = RunningServer(ns, proc, workdir)
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"fastpath-server exited with {proc.returncode}: {proc.stderr.read()}")
            with contextlib.suppress(OSError, ValueError):
                srv.stats()
                break
            if time.monotonic() > deadline:
                raise AssertionError("fastpath-server did not answer on its stats socket within 10 s")
            time.sleep(0.05)
        yield srv
    finally:
        if proc.poll() is None:
            ns.stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


def exchange(ns, dest: tuple[str, int], packets: list[bytes], expect: int | None = None,
             timeout: float = 2.0, sources: int = 1, pace_s: float = 0.0,
             sent_marker: Path | None = None) -> list[bytes]:
    """From inside ns, send packets to dest and return the datagrams that come back.

    `sources` spreads the packets round-robin over that many sockets (source ports). Waits until
    `expect` replies (default: one per packet) have arrived or `timeout` has passed since the last.
    `sent_marker`, when given, is a file created once every packet has been sent (see wait_for_file).
    """
    job = {"dest": list(dest), "packets": [p.hex() for p in packets], "timeout": timeout,
           "expect": len(packets) if expect is None else expect, "sources": sources, "pace_s": pace_s,
           "sent_marker": str(sent_marker) if sent_marker else None}
    out = ns.run([sys.executable, THIS, "exchange"], input=json.dumps(job), timeout=60 + timeout).stdout
    return [bytes.fromhex(r) for r in json.loads(out)["replies"]]


def wait_for_file(path: Path, timeout: float = 60.0) -> None:
    """Wait until path exists: an event, not a guess at how long the other side takes."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear within {timeout:.0f} s")
        time.sleep(0.02)


def wait_for_stats(server: RunningServer, done, timeout: float = 30.0) -> dict:
    """Poll the server's stats until done(stats) holds; returns them. For counters that the server
    updates as it works: read them when the work is done, not after a fixed pause."""
    deadline = time.monotonic() + timeout
    while True:
        stats = server.stats()
        if done(stats):
            return stats
        if time.monotonic() > deadline:
            raise AssertionError(f"server stats never reached the expected state: {stats}")
        time.sleep(0.05)


@contextlib.contextmanager
def collecting(ns, addrs: list[tuple[str, int]], expect: int, timeout: float = 3.0) -> Iterator[dict]:
    """Listen on addrs inside ns during the block; afterwards the dict maps "ip:port" to datagrams."""
    job = {"addrs": [list(a) for a in addrs], "expect": expect, "timeout": timeout}
    proc = ns.popen([sys.executable, THIS, "collect"], stdin=subprocess.PIPE)
    proc.stdin.write(json.dumps(job))
    proc.stdin.close()
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    result: dict[str, list[bytes]] = {}
    yield result
    out = proc.stdout.read()  # stdin is already closed, so not communicate()
    assert proc.wait(timeout=60 + timeout) == 0, proc.stderr.read()
    result.update({k: [bytes.fromhex(d) for d in v] for k, v in json.loads(out).items()})


# ------------------------------- run inside a namespace -------------------------------


def _family(ip: str) -> int:
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def _exchange(job: dict) -> dict:
    dest = tuple(job["dest"])
    socks = [socket.socket(_family(dest[0]), socket.SOCK_DGRAM) for _source in range(job["sources"])]
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.setblocking(False)
    replies: list[str] = []

    def drain(wait: float) -> None:
        ready, _writable, _errored = select.select(socks, [], [], wait)
        for s in ready:
            while True:
                try:
                    replies.append(s.recv(65536).hex())
                except BlockingIOError:
                    break

    for i, hexpkt in enumerate(job["packets"]):
        socks[i % len(socks)].sendto(bytes.fromhex(hexpkt), dest)
        if job["pace_s"]:
            time.sleep(job["pace_s"])
        drain(0)
    if job.get("sent_marker"):
        Path(job["sent_marker"]).write_text("sent\n")
    last = time.monotonic()
    while len(replies) < job["expect"] and time.monotonic() - last < job["timeout"]:
        before = len(replies)
        drain(0.05)
        if len(replies) != before:
            last = time.monotonic()
    if job["expect"] == 0:  # nothing expected: still listen a while, so a stray answer is seen
        drain(job["timeout"])
    for s in socks:
        s.close()
    return {"replies": replies}


def _collect(job: dict) -> dict:
    socks = {}
    for ip, port in job["addrs"]:
        s = socket.socket(_family(ip), socket.SOCK_DGRAM)
        s.bind((ip, port))
        s.setblocking(False)
        socks[s] = f"{ip}:{port}"
    got: dict[str, list[str]] = {name: [] for name in socks.values()}
    print("ready", flush=True)
    deadline = time.monotonic() + job["timeout"]
    while sum(map(len, got.values())) < job["expect"] and time.monotonic() < deadline:
        ready, _writable, _errored = select.select(list(socks), [], [], 0.05)
        for s in ready:
            with contextlib.suppress(BlockingIOError):
                while True:
                    got[socks[s]].append(s.recv(65536).hex())
    return got


if __name__ == "__main__":
    actions = {"exchange": _exchange, "collect": _collect}
    print(json.dumps(actions[sys.argv[1]](json.load(sys.stdin))))

# SPDX-License-Identifier: Apache-2.0
"""Benchmark: the fastpath dataplane against its peers, side by side, in one run (issues 6 and 16).

Run as root after `make -C native && make -C bench`:

    .venv/bin/python bench/bench_dataplane.py            # full run (~5 min), rewrites docs/PERFORMANCE.md
    .venv/bin/python bench/bench_dataplane.py --quick    # functional check of the bench (~2 min), no doc

Where: its own pair of network namespaces joined by a veth pair (4 queues each way), 198.19.251.1
(server) and .2 (client), named fpb<random>s/c (the lab's are fp<instance>-*, the native tests'
fpt*). Everything is pinned: the server (whichever one) on CPU 1, the load generator on CPU 0. On a
2-core machine they still share the machine's softirq work and memory bandwidth, which is why CPU
time per packet is printed next to every rate.

What it measures, each server run in turn with the same load generator (fastpath-loadgen, 16
sockets, 64-byte INPUT datagrams, on CPU 0):
- loss-free echo rate (highest offered rate with loss < 0.1%) and server CPU per reply of
  fastpath-server (1 worker), bench/baselines/naive_echo (recvfrom/sendto), bench/baselines/mmsg_echo
  (recvmmsg/sendmmsg) and fastpath-server with xdp_mode = afxdp (one AF_XDP worker per queue on
  its own CPU where the machine has CPUs to spare: on 2 CPUs one queue and one worker; and, as in
  the first measurement, 4 queues with their 4 workers on the one server CPU);
  all of it twice: replies received by the generator's sockets, then replies absorbed at the
  client's veth end by an XDP program (bench/bpf/reply_sink.bpf.c) that counts and drops them, so
  that each server pays only for its own receive and send; that pass counts replies from the
  program's counters, and the generator only sends;
- ping answered by the XDP fast path vs by the server's socket (xdp_ping off);
- the generator's packets/s per CPU-second (default sendmmsg, `--gso`, `--afxdp`) vs
  `iperf3 -u -b 0 -l 64`;
- fastpath-server's peak RSS with its defaults (all CPUs as workers) under flat-out load.
Targets are printed as met / not met; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NATIVE_BUILD = REPO / "native/build"
SERVER = NATIVE_BUILD / "fastpath-server"
LOADGEN = NATIVE_BUILD / "fastpath-loadgen"
XDP_CLI = NATIVE_BUILD / "fastpath-xdp"
NAIVE = REPO / "bench/build/naive_echo"
MMSG = REPO / "bench/build/mmsg_echo"
UDP_SINK = REPO / "bench/build/udp_sink"
REPLY_SINK = REPO / "bench/build/reply_sink.bpf.o"
BPFFS = Path("/sys/fs/bpf")
DOC = REPO / "docs/PERFORMANCE.md"

SERVER_IP, CLIENT_IP = "198.19.251.1", "198.19.251.2"
PORT = 7777
IPERF_PORT = 5299
SERVER_CPU, CLIENT_CPU = 1, 0
VETH_QUEUES = 4
LOSS_FREE_PCT = 0.1
# The machine is shared: wait for a quieter moment before a full run (issue 6's method).
MAX_LOAD, LOAD_WAIT_S, LOAD_TRIES = 1.5, 90, 3
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


class BenchError(Exception):
    """A set-up failure with a message for the operator (no traceback)."""


@dataclass
class Netns:
    name: str
    iface: str
    procs: list[subprocess.Popen] = field(default_factory=list)

    def argv(self, argv: Sequence[str | os.PathLike]) -> list[str]:
        # nsenter, not `ip netns exec`: the latter remounts /sys and hides /sys/fs/bpf (XDP pins).
        return ["nsenter", f"--net=/run/netns/{self.name}", "--", *map(str, argv)]

    def run(self, argv: Sequence[str | os.PathLike], timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(argv), capture_output=True, text=True, timeout=timeout, check=False)

    def popen(self, argv: Sequence[str | os.PathLike]) -> subprocess.Popen:
        proc = subprocess.Popen(self.argv(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        return proc


def ip(*argv: str) -> None:
    res = subprocess.run(["ip", *argv], capture_output=True, text=True, timeout=30, check=False)
    if res.returncode:
        raise BenchError(f"ip {' '.join(argv)} failed: {res.stderr.strip()}")


def stop(proc: subprocess.Popen, timeout: float = 10) -> int:
    """SIGTERM by PID, wait, SIGKILL if ignored. nsenter execs, so the PID is the program's."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
    return proc.returncode


@contextlib.contextmanager
def netns_pair() -> Iterator[tuple[Netns, Netns]]:
    tag = uuid.uuid4().hex[:5]
    server, client = Netns(f"fpb{tag}s", f"fpb{tag}s"), Netns(f"fpb{tag}c", f"fpb{tag}c")
    made: list[Netns] = []
    try:
        for side in (server, client):
            ip("netns", "add", side.name)
            made.append(side)
        nq = str(VETH_QUEUES)
        ip("link", "add", server.iface, "numrxqueues", nq, "numtxqueues", nq, "netns", server.name,
           "type", "veth", "peer", "name", client.iface, "numrxqueues", nq, "numtxqueues", nq,
           "netns", client.name)
        for side, addr in ((server, SERVER_IP), (client, CLIENT_IP)):
            ip("-n", side.name, "link", "set", "lo", "up")
            ip("-n", side.name, "link", "set", side.iface, "up")
            ip("-n", side.name, "addr", "add", f"{addr}/24", "dev", side.iface)
        # XDP_TX'd pongs reach the client's veth end only while it runs an XDP program (LAB.md).
        res = client.run([XDP_CLI, "pass", client.iface])
        if res.returncode:
            raise BenchError(f"fastpath-xdp pass on the client veth failed: {res.stderr.strip()}")
        client.run(["ping", "-c", "1", "-W", "2", SERVER_IP])  # resolve ARP before any timed run
        yield server, client
    finally:
        for side in made:
            for proc in side.procs:
                stop(proc)
        if made:
            client.run([XDP_CLI, "detach-any", client.iface])
        for side in made:
            subprocess.run(["ip", "netns", "del", side.name], capture_output=True, timeout=30, check=False)
            pins = Path("/sys/fs/bpf/fastpath") / side.iface
            if pins.is_dir():
                shutil.rmtree(pins, ignore_errors=True)


def checked(side: Netns, argv: Sequence[str | os.PathLike], what: str) -> str:
    res = side.run(argv)
    if res.returncode:
        raise BenchError(f"{what} failed: {(res.stderr or res.stdout).strip()[-400:]}")
    return res.stdout


@contextlib.contextmanager
def veth_queues(server: Netns, client: Netns, n: int) -> Iterator[None]:
    """Both ends of the veth down to n rx and n tx queues, back to VETH_QUEUES after.

    veth hands a frame to the peer's rx queue of the same number as the sender's tx queue, and
    the peer's XDP program sees it only if that rx queue exists: both ends change together, the
    server's tx queues first (the client's XDP program needs an rx queue for each of them)."""
    def channels(count: int) -> list[tuple[Netns, list[str]]]:
        c = str(count)
        return [(server, ["tx", c]), (client, ["rx", c, "tx", c]), (server, ["rx", c])]

    for side, args in channels(n):
        checked(side, ["ethtool", "-L", side.iface, *args], f"ethtool -L {side.iface} {' '.join(args)}")
    try:
        yield
    finally:
        for side, args in reversed(channels(VETH_QUEUES)):
            checked(side, ["ethtool", "-L", side.iface, *args], f"ethtool -L {side.iface} {' '.join(args)}")


@dataclass
class ReplySink:
    """bench/bpf/reply_sink.bpf.c on the client's veth end: counts and drops the server's replies."""
    pins: Path

    def replies(self) -> int:
        res = subprocess.run(["bpftool", "-j", "map", "lookup", "pinned", str(self.pins / "sink_counts"),
                              "key", "0", "0", "0", "0"], capture_output=True, text=True, timeout=30,
                             check=False)
        try:
            entry = json.loads(res.stdout)
            return sum(v["value"] for v in entry["formatted"]["values"])  # one counter per CPU
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise BenchError(f"bpftool could not read the reply sink's counters: {res.stderr.strip()}") \
                from exc


@contextlib.contextmanager
def reply_sink(client: Netns) -> Iterator[ReplySink]:
    """Load the sink (the kernel's verifier checks it), point it at PORT, put it on the client's end
    in place of the XDP_PASS program; on the way out, the other way round and its pins removed."""
    pins = BPFFS / f"{client.name}-sink"  # the namespace's name is unique to this run
    pins.mkdir()
    detached = False
    try:
        res = subprocess.run(["bpftool", "prog", "load", str(REPLY_SINK), str(pins / "prog"), "type", "xdp",
                              "pinmaps", str(pins)], capture_output=True, text=True, timeout=60, check=False)
        if res.returncode:
            raise BenchError(f"loading {REPLY_SINK.name} failed: {res.stderr.strip()[-800:]}")
        port = list(PORT.to_bytes(4, sys.byteorder))  # the map's value is a host-order u32
        res = subprocess.run(["bpftool", "map", "update", "pinned", str(pins / "sink_port"), "key", "0", "0",
                              "0", "0", "value", *map(str, port)], capture_output=True, text=True,
                             timeout=30, check=False)
        if res.returncode:
            raise BenchError(f"setting the reply sink's port failed: {res.stderr.strip()}")
        checked(client, [XDP_CLI, "detach-any", client.iface], "fastpath-xdp detach-any on the client")
        detached = True
        checked(client, ["bpftool", "net", "attach", "xdpdrv", "pinned", pins / "prog", "dev", client.iface],
                "attaching the reply sink (native XDP) to the client's veth end")
        yield ReplySink(pins)
    finally:
        if detached:  # whatever holds the client's end now goes, and the XDP_PASS program comes back
            client.run(["bpftool", "net", "detach", "xdpdrv", "dev", client.iface])
            checked(client, [XDP_CLI, "pass", client.iface], "fastpath-xdp pass on the client veth")
        shutil.rmtree(pins, ignore_errors=True)


def proc_cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(") ", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def ksoftirqd_ticks(cpu: int) -> int:
    """CPU ticks of ksoftirqd/<cpu>. Softirq work the kernel defers to it (under load) is still work
    that a sender's packets caused on that CPU, but it is charged to ksoftirqd, not to the sender."""
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError):
                if (d / "comm").read_text().strip() == f"ksoftirqd/{cpu}":
                    return proc_cpu_ticks(int(d.name))
    return 0


def proc_hwm_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


@dataclass
class Trial:
    rate: int          # offered pps (0 = flat out)
    summary: dict      # the load generator's JSON
    server_cpu_ns: float  # server CPU time per reply: its process (softirq it ran counts too) + ksoftirqd

    @property
    def loss(self) -> float:
        return self.summary["loss_pct"]

    @property
    def loss_free(self) -> bool:
        # The generator must also have really offered the rate (a paced sender can fall behind).
        offered_ok = self.rate == 0 or self.summary["sent_pps"] >= 0.97 * self.rate
        return self.summary["received"] > 0 and self.loss < LOSS_FREE_PCT and offered_ok


def run_loadgen(client: Netns, server_pid: int, rate: int, duration: float, mode: str = "input",
                sink: ReplySink | None = None) -> Trial:
    """One trial. With a sink the generator only sends (its sockets see no reply): the replies, their
    rate and the loss come from the sink's counter over the trial (the generator's linger included)."""
    argv = [LOADGEN, "--dst", SERVER_IP, "--port", str(PORT), "--mode", mode, "--rate", str(rate),
            "--duration", str(duration), "--cpus", str(CLIENT_CPU), "--quiet"]
    t0 = proc_cpu_ticks(server_pid) + ksoftirqd_ticks(SERVER_CPU) if server_pid else 0
    r0 = sink.replies() if sink else 0
    res = client.run(argv, timeout=duration + 30)
    r1 = sink.replies() if sink else 0
    t1 = proc_cpu_ticks(server_pid) + ksoftirqd_ticks(SERVER_CPU) if server_pid else 0
    try:
        summary = json.loads(res.stdout)
    except json.JSONDecodeError as exc:
        raise BenchError(f"fastpath-loadgen exited {res.returncode} without a summary: "
                         f"{res.stderr[-400:]}") from exc
    if sink:
        if summary["received"]:
            print(f"  warning: {summary['received']} replies reached the generator past the reply sink",
                  file=sys.stderr)
        absorbed, sent = r1 - r0, summary["sent"]
        summary = {**summary, "generator_received": summary["received"], "received": absorbed,
                   "received_pps": absorbed / summary["elapsed_s"] if summary["elapsed_s"] else 0.0,
                   "loss_pct": 100.0 * (sent - min(absorbed, sent)) / sent if sent else 100.0}
    return Trial(rate, summary, (t1 - t0) * (1e9 / CLK_TCK) / max(summary["received"], 1))


@dataclass
class Sweep:
    name: str
    best: Trial | None
    flat_out: Trial
    rss_bytes: int
    trials: int


def sweep(client: Netns, server_pid: int, name: str, duration: float, mode: str = "input",
          precision: float = 0.05, sink: ReplySink | None = None) -> Sweep:
    """Binary search for the highest offered rate with loss < 0.1%, bounded by the flat-out send rate."""
    flat = run_loadgen(client, server_pid, 0, duration, mode, sink)
    count = 1
    if flat.loss_free:
        best = flat  # it answered everything the generator could send: the generator is the limit
    else:
        lo, hi, best = 0, int(flat.summary["sent_pps"]), None
        mid = max(int(flat.summary["received_pps"]), 1000)  # start where replies came back flat out
        while hi - lo > precision * hi and count < 12:
            trial = run_loadgen(client, server_pid, mid, duration, mode, sink)
            count += 1
            if trial.loss_free:
                lo, best = mid, trial
            else:
                hi = mid
            mid = (lo + hi) // 2
            why = ("ok" if trial.loss_free else "lossy" if trial.loss >= LOSS_FREE_PCT
                   else "generator fell behind")
            print(f"  {name}: {trial.rate} pps offered, {trial.summary['sent_pps']:.0f} sent, "
                  f"loss {trial.loss:.3f}% -> {why}", flush=True)
    return Sweep(name, best, flat, proc_hwm_bytes(server_pid), count)


def wait_ready(proc: subprocess.Popen, ready_file: Path | None, what: str) -> None:
    """Baselines print "ready" once bound; fastpath-server writes its stats file once running."""
    deadline = time.monotonic() + 10
    if ready_file is None:
        line = proc.stdout.readline().strip()
        if line != "ready":
            code = proc.wait(timeout=5)
            raise BenchError(f"{what} did not start (exit {code}): {proc.stderr.read()[-400:]}")
        return
    while not ready_file.exists():
        if proc.poll() is not None:
            raise BenchError(f"{what} exited {proc.returncode}: {proc.stderr.read()[-400:]}")
        if time.monotonic() > deadline:
            raise BenchError(f"{what} wrote no stats within 10 s")
        time.sleep(0.05)


@contextlib.contextmanager
def fastpath_server(server: Netns, workdir: Path, **keys: object) -> Iterator[subprocess.Popen]:
    stats = workdir / f"stats-{uuid.uuid4().hex[:6]}.json"
    settings = {"listen_address": SERVER_IP, "port": PORT, "stats_json": f'"{stats}"', **keys}
    conf = workdir / "server.conf"
    conf.write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
    proc = server.popen([SERVER, "-c", conf])
    try:
        wait_ready(proc, stats, "fastpath-server")
        yield proc
    finally:
        code = stop(proc)
        if code != 0:
            print(f"  warning: fastpath-server exited {code}: {proc.stderr.read()[-400:]}", file=sys.stderr)


@contextlib.contextmanager
def baseline(server: Netns, binary: Path) -> Iterator[subprocess.Popen]:
    proc = server.popen([binary, "--bind", SERVER_IP, "--port", str(PORT), "--cpu", str(SERVER_CPU)])
    try:
        wait_ready(proc, None, binary.name)
        yield proc
    finally:
        stop(proc)


def iperf3_pps_per_core(server: Netns, client: Netns, duration: float) -> dict:
    """iperf3 -u -b 0 -l 64 from the client CPU: packets sent per second and per CPU-second."""
    srv = server.popen(["iperf3", "-s", "-1", "-B", SERVER_IP, "-p", str(IPERF_PORT), "-A", str(SERVER_CPU)])
    try:
        time.sleep(0.3)  # iperf3 -s prints nothing machine-readable when ready; it binds at once
        k0 = ksoftirqd_ticks(CLIENT_CPU)
        res = client.run(["iperf3", "-u", "-b", "0", "-l", "64", "-c", SERVER_IP, "-p", str(IPERF_PORT),
                          "-t", str(max(1, int(duration))), "-A", str(CLIENT_CPU), "-J"],
                         timeout=duration + 30)
        ksoft = (ksoftirqd_ticks(CLIENT_CPU) - k0) / CLK_TCK
    finally:
        stop(srv)
    try:
        doc = json.loads(res.stdout)
        summ = doc["end"]["sum"]
        secs = summ["seconds"]
        pps = summ["packets"] / secs
        cpu_frac = doc["end"]["cpu_utilization_percent"]["host_total"] / 100.0 + ksoft / secs
    except (json.JSONDecodeError, KeyError, ZeroDivisionError) as exc:
        raise BenchError(f"iperf3 gave no usable JSON (exit {res.returncode}): {res.stdout[-400:]}") from exc
    return {"pps": pps, "cpu_frac": cpu_frac, "pps_per_core": pps / max(cpu_frac, 1e-9),
            "lost_percent": summ.get("lost_percent"), "ksoftirqd_frac": ksoft / secs}


def udp_delivered(side: Netns) -> int:
    """Datagrams the namespace's UDP stack took in: read by a socket, or dropped at a full one."""
    text = side.run(["cat", "/proc/net/snmp"]).stdout
    lines = [ln.split() for ln in text.splitlines() if ln.startswith("Udp:")]
    row = dict(zip(*lines, strict=True))
    return int(row["InDatagrams"]) + int(row["RcvbufErrors"])


def server_mac(server: Netns) -> str:
    res = server.run(["ip", "-j", "link", "show", "dev", server.iface])
    try:
        return json.loads(res.stdout)[0]["address"]
    except (json.JSONDecodeError, IndexError, KeyError) as exc:
        raise BenchError(f"no MAC address for {server.iface}: {res.stderr.strip()}") from exc


def loadgen_send_only(server: Netns, client: Netns, duration: float, sender: str) -> dict:
    """fastpath-loadgen flat out to bench/build/udp_sink, which reads every datagram (one recv each)
    on the server CPU and answers nothing: the same kind of receiver as `iperf3 -s`, so both senders
    pay for the same receive on veth (enqueue and wake-up), not for a drop at a full socket.
    `--afxdp` brings its own XDP program to the client's end: the XDP_PASS program makes way."""
    extra = ["--gso"] if sender == "gso" else []  # "sendmmsg": the generator's default
    if sender == "afxdp":
        extra = ["--afxdp", client.iface, "--dst-mac", server_mac(server), "--flows", "8"]
        checked(client, [XDP_CLI, "detach-any", client.iface], "fastpath-xdp detach-any on the client")
    sink = server.popen([UDP_SINK, "--bind", SERVER_IP, "--port", str(PORT), "--cpu", str(SERVER_CPU)])
    try:
        wait_ready(sink, None, "udp_sink")
        argv = [LOADGEN, "--dst", SERVER_IP, "--port", str(PORT), "--rate", "0", "--duration", str(duration),
                "--cpus", str(CLIENT_CPU), "--quiet", *extra]
        d0, k0 = udp_delivered(server), ksoftirqd_ticks(CLIENT_CPU)
        res = client.run(argv, timeout=duration + 30)
        ksoft = (ksoftirqd_ticks(CLIENT_CPU) - k0) / CLK_TCK
        delivered = udp_delivered(server) - d0
    finally:
        stop(sink)
        if sender == "afxdp":
            checked(client, [XDP_CLI, "pass", client.iface], "fastpath-xdp pass on the client veth")
    try:
        s = json.loads(res.stdout)
    except json.JSONDecodeError as exc:
        raise BenchError(f"fastpath-loadgen {' '.join(extra)} exited {res.returncode} without a summary: "
                         f"{res.stderr[-400:]}") from exc
    cpu = s["cpu_s"]["user"] + s["cpu_s"]["sys"] + ksoft
    frac = cpu / s["elapsed_s"] if s["elapsed_s"] else 0.0
    return {"pps": s["sent_pps"], "cpu_frac": frac, "pps_per_core": s["sent_pps"] / max(frac, 1e-9),
            "gso_sent": s.get("gso_sent", 0), "sent": s["sent"], "ksoftirqd_frac": ksoft / s["elapsed_s"],
            "delivered_pct": 100.0 * delivered / s["sent"] if s["sent"] else 0.0}


def wait_for_quiet(quick: bool) -> list[float]:
    """The 1-minute load average at each look: wait while above MAX_LOAD, LOAD_TRIES times at most."""
    seen = [os.getloadavg()[0]]
    while not quick and seen[-1] > MAX_LOAD and len(seen) <= LOAD_TRIES:
        print(f"load average {seen[-1]:.2f} > {MAX_LOAD}: waiting {LOAD_WAIT_S} s "
              f"({len(seen)}/{LOAD_TRIES})", flush=True)
        time.sleep(LOAD_WAIT_S)
        seen.append(os.getloadavg()[0])
    return seen


def machine() -> dict:
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "kernel": platform.release(), "cpu": model,
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")}


def fmt_rate(trial: Trial | None) -> str:
    return f"{trial.summary['received_pps']:,.0f}" if trial else "none"


def sweep_row(sw: Sweep) -> list[str]:
    t, flat = sw.best, sw.flat_out
    flat_cells = [f"{flat.summary['received_pps']:,.0f}", f"{flat.server_cpu_ns:,.0f}"]
    if t is None:
        return [sw.name, "none (loss at every rate)", *flat_cells, "", "", f"{sw.rss_bytes / 2**20:.1f}"]
    limited = " (all the generator sent)" if flat.loss_free else ""
    return [sw.name, fmt_rate(t) + limited, *flat_cells, f"{t.server_cpu_ns:,.0f}",
            f"{t.summary['cpu_ns_per_packet']:,.0f}", f"{sw.rss_bytes / 2**20:.1f}"]


def ratio(a: Sweep, b: Sweep) -> float | None:
    if a.best is None or b.best is None:
        return None
    return a.best.summary["received_pps"] / b.best.summary["received_pps"]


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def compare(label: str, a: Sweep, b: Sweep, target: float) -> str:
    """A table row: rate ratio, server CPU per packet of each, and whether the target was shown.

    When `a` answered everything the generator could send, its rate is only a lower bound: a ratio
    under the target then proves nothing either way, and the verdict says so instead of "NOT met".
    """
    r = ratio(a, b)
    cpu = (f"; server CPU {a.best.server_cpu_ns:,.0f} vs {b.best.server_cpu_ns:,.0f} ns/pkt"
           if a.best and b.best else "")
    if (r or 0) >= target:
        result = verdict(True)
    elif a.flat_out.loss_free:
        # a answered everything the generator could send: its rate is a lower bound, so is the ratio.
        result = "not shown: fastpath answered all the generator sent (lower bound)"
    else:
        result = verdict(False)
    return f"| {label} | {r or 0:.2f}x{cpu} | >= {target:g}x | {result} |"


def cpu_compare(label: str, a: Sweep, b: Sweep, target: float) -> str:
    """A table row: server CPU per reply of a over b's, at each one's loss-free rate (the verdict's),
    and flat out (issue 16's table: both servers at the generator's full rate); lower is better."""
    fa, fb = a.flat_out.server_cpu_ns, b.flat_out.server_cpu_ns
    flat = f"; flat out {fa / fb:.2f}x ({fa:,.0f} vs {fb:,.0f} ns)" if fb else ""
    if a.best is None or b.best is None or not b.best.server_cpu_ns:
        return f"| {label} | none at a loss-free rate{flat} | <= {target:g}x | NOT met |"
    r = a.best.server_cpu_ns / b.best.server_cpu_ns
    return (f"| {label} | {r:.2f}x at the loss-free rates ({a.best.server_cpu_ns:,.0f} vs "
            f"{b.best.server_cpu_ns:,.0f} ns){flat} | <= {target:g}x | {verdict(r <= target)} |")


@dataclass
class Results:
    """Everything one run measured; `render` turns it into the page's "Latest run"."""
    echo: dict[str, Sweep]       # by server key, replies through the client's sockets
    absorbed: dict[str, Sweep]   # the same servers, replies absorbed at the client by reply_sink
    ping: list[Sweep]
    senders: dict[str, dict]     # fastpath-loadgen send-only, by send path
    iperf: dict
    rss_default: int
    afxdp_label: str             # which AF_XDP configuration the ratios use, and why


SENDER_LABELS = {"gso": "`--gso` (opt-in)", "sendmmsg": "default (sendmmsg)",
                 "afxdp": "`--afxdp` (copy mode)"}


def sweep_table(sweeps: list[Sweep]) -> list[str]:
    head = ["server", "loss-free pps", "flat-out replies/s", "server CPU ns/reply, flat out",
            "server CPU ns/reply, loss-free", "generator CPU ns/pkt, loss-free", "server peak RSS MiB"]
    return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            + ["| " + " | ".join(sweep_row(sw)) + " |" for sw in sweeps])


def pass_comparisons(p: dict[str, Sweep], where: str) -> list[str]:
    """Issue 6's and issue 16's echo targets, for one pass."""
    return [
        compare(f"fastpath / naive recvfrom-sendto, {where}", p["fast"], p["naive"], 2),
        compare(f"fastpath / recvmmsg-sendmmsg, {where}", p["fast"], p["mmsg"], 1.3),
        compare(f"fastpath afxdp / recvmmsg-sendmmsg, loss-free rate, {where}", p["afxdp"], p["mmsg"], 2),
        cpu_compare(f"fastpath afxdp / recvmmsg-sendmmsg, server CPU per reply, {where}", p["afxdp"],
                    p["mmsg"], 0.5),
    ]


def sender_row(name: str, s: dict, iperf: dict) -> str:
    r = s["pps_per_core"] / iperf["pps_per_core"] if iperf["pps_per_core"] else 0.0
    return (f"| generator {SENDER_LABELS[name]} pps per core / iperf3 -u -b 0 -l 64 | "
            f"{s['pps_per_core']:,.0f} / {iperf['pps_per_core']:,.0f} = {r:.2f}x | >= 2x | "
            f"{verdict(r >= 2)} |")


def render(m: dict, res: Results, duration: float, loads: list[float], load_after: float,
           not_measured: str) -> str:
    xdp, sock = res.ping
    r_xdp = ratio(xdp, sock)
    xdp_replies = xdp.flat_out.summary.get("xdp_replies", 0)
    waited = (f" (above {MAX_LOAD}: waited, looked {len(loads)} times: "
              + ", ".join(f"{x:.2f}" for x in loads) + ")") if len(loads) > 1 else ""
    ran_anyway = " — still above it, ran anyway" if loads[-1] > MAX_LOAD else ""
    gen, iperf = res.senders, res.iperf
    sends = "; ".join(
        f"{SENDER_LABELS[k]} {s['pps']:,.0f} pps using {s['cpu_frac']:.2f} of a CPU = "
        f"{s['pps_per_core']:,.0f} per core, {s['delivered_pct']:.1f}% of it delivered to the receiver's UDP"
        + (f" ({s['gso_sent']:,} of {s['sent']:,} datagrams in UDP GSO sends)" if k == "gso" else "")
        for k, s in gen.items())
    out = [
        *([f"**{not_measured}**", ""] if not_measured else []),
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}; run {m['date']}; "
        f"{duration:g} s per trial.",
        "",
        f"Load average (1 min) before the run: {loads[-1]:.2f}{waited}{ran_anyway}; after: {load_after:.2f} "
        "(the bench's own two busy CPUs count in that one).",
        "",
        f"AF_XDP server in the ratios: {res.afxdp_label}.",
        "",
        "Replies received by the generator's sockets:",
        "",
        *sweep_table([*res.echo.values(), *res.ping]),
        "",
        "Replies absorbed at the client's veth end by XDP (bench/bpf/reply_sink.bpf.c: counted, dropped; "
        "rates from its counters, the generator only sends):",
        "",
        *sweep_table(list(res.absorbed.values())),
        "",
        "| comparison | measured | target | verdict |",
        "|---|---|---|---|",
        *pass_comparisons(res.echo, "sockets"),
        *pass_comparisons(res.absorbed, "replies absorbed by XDP"),
        f"| XDP ping fast path, flat out | loss {xdp.flat_out.loss:.3f}% at "
        f"{xdp.flat_out.summary['sent_pps']:,.0f} pps sent, {xdp_replies:,} pongs by XDP "
        f"| answers everything the generator sends (loss < 0.1%) | {verdict(xdp.flat_out.loss_free)} |",
        f"| XDP ping / socket ping (loss-free rates) | {r_xdp or 0:.2f}x | (reported) | |",
        *(sender_row(k, s, iperf) for k, s in gen.items()),
        f"| fastpath-server peak RSS with defaults, flat-out load | {res.rss_default / 2**20:.1f} MiB "
        f"| <= 64 MiB | {verdict(0 < res.rss_default <= 64 * 2**20)} |",
        "",
        f"Send-only, flat out, to a reading receiver: fastpath-loadgen {sends}; "
        f"iperf3 {iperf['pps']:,.0f} pps using {iperf['cpu_frac']:.2f} of a CPU. "
        f"(CPU here includes ksoftirqd/{CLIENT_CPU}: "
        + ", ".join(f"{s['ksoftirqd_frac']:.2f}" for s in gen.values())
        + f" and {iperf['ksoftirqd_frac']:.2f} of a CPU in these runs.)",
    ]
    return "\n".join(out) + "\n"


DOC_HEAD = """# Performance

Written by `bench/bench_dataplane.py` (run as root: `make -C native && make -C bench &&
.venv/bin/python bench/bench_dataplane.py`, about 5 minutes plus up to 4.5 minutes of waiting for
a quiet machine); rerun it to refresh this page. `--quick` (1-second trials) and `--no-wait` check
that the bench works end to end on a busy machine: their output says it is not a measurement and
they leave this page alone. Nothing here is a test: the targets of issues 6 and 16 are printed as
met or NOT met, as measured. Where the time goes: `bench/profile_dataplane.py` (see "Profile" below).

## How it was measured

- Two network namespaces made for the run (`fpb<random>s`/`c`) joined by a veth pair (4 queues each
  way), addresses 198.19.251.1/.2; an XDP_PASS program on the client end (veth needs it for XDP_TX'd
  pongs to arrive).
- **The generator and the server share this machine's 2 CPUs**: every server is pinned to CPU 1 and
  `fastpath-loadgen` (1 thread, 64 sessions over 16 source ports, 64-byte INPUT datagrams) to CPU 0,
  but on veth the receive path of a datagram runs in the softirq of the CPU that sent it: the
  server's CPU also pays for the client's receive of every reply, the generator's CPU for the server
  side's receive of every request. The machine is shared with other work: the bench waits (up to 3
  times 90 s) for a 1-minute load average of 1.5 or less and records it before and after.
- The generator sends each socket's batch (32 datagrams, all to the one server address) with one
  sendmmsg, its default; runs on 2026-11-22 from 06:20 to 06:50 UTC sent by UDP GSO (`--gso`, now
  opt-in: see "GSO became opt-in" in the notes).
- **Two passes over every echo server.** First as it always was: the replies go back through the
  client's stack to the generator's sockets. Then with the replies absorbed at the client's veth end
  by an XDP program (`bench/bpf/reply_sink.bpf.c`, built by `make -C bench`, loaded with bpftool, so
  checked by the kernel's verifier): it counts each fastpath reply from the server's port in a
  per-CPU map and drops it, and passes everything else (ARP among it). On veth the client's receive
  of a reply runs on the server's CPU inside the server's send; with the sink that receive is one
  XDP_DROP, so each server pays only for its own receive and send (issue 16's method). In that pass
  the generator only sends (its sockets get no reply), and replies, rates and loss come from the
  sink's counter, read with `bpftool map lookup` before and after each trial.
- `fastpath-server afxdp`: `xdp_mode = afxdp`, copy mode (veth has no zero-copy), `xdp_ping = off`,
  one AF_XDP worker per queue, each worker on a CPU of its own where the machine has one to spare:
  every CPU but the generator's, at most 4. On this 2-CPU machine that leaves CPU 1 alone, so the
  bench cuts both ends of the veth to 1 queue (`ethtool -L`; a frame on a queue without a worker
  would miss the AF_XDP socket) and runs 1 worker on CPU 1, the same one CPU as every other server;
  that is the configuration in the afxdp ratios. A second row keeps the first measurement's shape for
  comparison: 4 queues, 4 workers, all on CPU 1. On veth the server side's XDP program, and the
  copy of each request into the UMEM, run in the softirq of the generator's CPU (see above): that
  part of the afxdp server's receive is not in its CPU column.
- **loss-free pps**: the replies/s at the highest offered rate with loss < 0.1% (binary search from
  the flat-out send rate, to within 5%). When the flat-out run itself is loss-free, the server answered
  everything the generator could send and the generator was the limit.
- **CPU ns/reply, ns/pkt**: CPU time (user+system, `/proc/<pid>/stat`) over replies received, for
  the server process (flat out, and at the loss-free rate: the verdicts use the latter) and for the
  generator (its own JSON; per datagram sent in the absorbed pass). This kernel
  has no `CONFIG_IRQ_TIME_ACCOUNTING`, so softirq work is charged to the task it interrupted: each
  side's number includes the veth delivery its sends caused (checked with `profile_dataplane.py`:
  the softirq share of `/proc/stat` matches the softirq share of the perf samples inside the
  processes). Softirq work the kernel defers to
  ksoftirqd (under load) is not charged to anyone's process, so since 2026-11-22 the bench adds
  ksoftirqd's time on the server's CPU to the server's number and on the generator's CPU to both
  senders' numbers in the iperf3 comparison.
- fastpath-server runs with 1 worker (`workers = 1`) for the comparison with the single-threaded
  baselines, and otherwise its defaults (queue depth 1024, batch 64, 4 MiB socket buffers, steering on);
  the baselines use the same 4 MiB buffers. The RSS target is checked separately with the server's
  defaults (one worker per CPU) under flat-out load.
- Ping: fastpath-server with XDP attached on its veth (`xdp_mode = pass`), `xdp_ping = on` (the XDP
  program answers with XDP_TX) vs `xdp_ping = off` (the worker's socket answers).
- Generator vs iperf3: packets sent per CPU-second of the sender, both pinned to CPU 0, both sending
  64-byte datagrams flat out to a receiver on CPU 1 that reads every datagram and answers nothing:
  `iperf3 -u -b 0 -l 64` to `iperf3 -s`, and `fastpath-loadgen --rate 0` to `bench/build/udp_sink`
  (one blocking recv per datagram, as iperf3's server), three times: by its default (sendmmsg), with
  `--gso`, and with `--afxdp` (frames through an AF_XDP socket on the client's veth queue 0, copy
  mode, 8 source ports; its own XDP program takes the client's end for that run). The share of each
  sender's datagrams that reached the receiver's UDP stack (`/proc/net/snmp` in the server's
  namespace) is printed beside it. Until 2026-11-22 the generator's receiver was a socket nobody
  read, where the kernel drops at the door: cheaper for the sender than iperf3's reading receiver,
  so that comparison flattered the generator; both now pay for the same receive.

## Latest run

"""


NOTES = "## Notes"


def kept_notes() -> str:
    """The hand-written reading of the results (from "## Notes" on) survives a rerun."""
    text = DOC.read_text() if DOC.exists() else ""
    return "\n" + text[text.index(NOTES):] if NOTES in text else ""


def afxdp_cpus() -> list[int]:
    """CPUs for the AF_XDP workers, one queue each: every CPU but the generator's, at most one per
    veth queue. On a 2-CPU machine that is CPU 1 alone: one queue, one worker."""
    return sorted(c for c in os.sched_getaffinity(0) if c != CLIENT_CPU)[:VETH_QUEUES]


@contextlib.contextmanager
def afxdp_server(server: Netns, client: Netns, workdir: Path, cpus: list[int],
                 queues: int) -> Iterator[subprocess.Popen]:
    """fastpath-server with xdp_mode = afxdp, one worker per queue on `queues` queues, the workers
    taking `cpus` in turn; the veth is cut to `queues` queues so that no frame lands on a queue
    without a worker."""
    narrowed = veth_queues(server, client, queues) if queues < VETH_QUEUES else contextlib.nullcontext()
    with narrowed, fastpath_server(server, workdir, workers=",".join(map(str, cpus)),
                                   xdp_interface=server.iface, xdp_mode="afxdp", xdp_ping="off",
                                   afxdp_queues="0" if queues == 1 else f"0-{queues - 1}") as proc:
        yield proc


def echo_servers(server: Netns, client: Netns, workdir: Path) -> list[tuple[str, str, Callable]]:
    """(key, label, start) of every echo server, in the order they run; start() is a context manager."""
    cpus = afxdp_cpus()
    spread = (f"1 queue, 1 worker on CPU {cpus[0]}" if len(cpus) == 1
              else f"{len(cpus)} queues, one worker each on CPUs {','.join(map(str, cpus))}")
    return [
        ("fast", "fastpath-server", lambda: fastpath_server(server, workdir, workers=SERVER_CPU)),
        ("naive", "naive recvfrom/sendto", lambda: baseline(server, NAIVE)),
        ("mmsg", "recvmmsg/sendmmsg", lambda: baseline(server, MMSG)),
        ("afxdp", f"fastpath-server afxdp ({spread})",
         lambda: afxdp_server(server, client, workdir, cpus, len(cpus))),
        ("afxdp4", f"fastpath-server afxdp ({VETH_QUEUES} queues, {VETH_QUEUES} workers on CPU {SERVER_CPU})",
         lambda: afxdp_server(server, client, workdir, [SERVER_CPU], VETH_QUEUES)),
    ]


def echo_pass(server: Netns, client: Netns, workdir: Path, duration: float, precision: float,
              sink: ReplySink | None) -> dict[str, Sweep]:
    results = {}
    for key, label, start in echo_servers(server, client, workdir):
        print(f"echo{', replies absorbed by XDP' if sink else ''}: {label}", flush=True)
        with start() as proc:
            results[key] = sweep(client, proc.pid, label, duration, precision=precision, sink=sink)
    return results


def run_all(duration: float, precision: float) -> Results:
    with netns_pair() as (server, client), tempfile.TemporaryDirectory(prefix="fpbench") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o755)
        echo = echo_pass(server, client, workdir, duration, precision, None)
        with reply_sink(client) as sink:
            absorbed = echo_pass(server, client, workdir, duration, precision, sink)
        ping: list[Sweep] = []
        for label, on in (("ping, XDP fast path", "on"), ("ping, server socket", "off")):
            print(f"{label}", flush=True)
            with fastpath_server(server, workdir, workers=SERVER_CPU, xdp_interface=server.iface,
                                 xdp_mode="pass", xdp_ping=on) as proc:
                ping.append(sweep(client, proc.pid, label, duration, mode="ping", precision=precision))
        print("fastpath-server with defaults: peak RSS under flat-out load", flush=True)
        with fastpath_server(server, workdir) as proc:
            run_loadgen(client, proc.pid, 0, duration)
            rss_default = proc_hwm_bytes(proc.pid)
        print("iperf3 -u -b 0 -l 64", flush=True)
        iperf = iperf3_pps_per_core(server, client, duration)
        senders = {}
        for sender in ("gso", "sendmmsg", "afxdp"):
            print(f"fastpath-loadgen send-only, flat out: {SENDER_LABELS[sender]}", flush=True)
            senders[sender] = loadgen_send_only(server, client, duration, sender)
    cpus = afxdp_cpus()
    left = ("this machine leaves one CPU: one queue, one worker" if len(cpus) == 1
            else "the workers take the others (more CPUs than the single-threaded baselines have)")
    why = f"one worker per queue, each on a CPU of its own; the generator has CPU {CLIENT_CPU}, so {left}"
    return Results(echo, absorbed, ping, senders, iperf, rss_default, f"{echo['afxdp'].name}: {why}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--quick", action="store_true",
                        help="1-second trials, coarse search, no waiting for a quiet machine: a functional "
                             "check of the bench, not a measurement; does not write the doc")
    parser.add_argument("--no-wait", action="store_true",
                        help="do not wait for a quiet machine: a functional check, labelled as not a "
                             "measurement; does not write the doc")
    parser.add_argument("--duration", type=float, default=None, help="seconds per trial (default 3, quick 1)")
    parser.add_argument("--no-doc", action="store_true", help=f"do not rewrite {DOC.relative_to(REPO)}")
    args = parser.parse_args()
    duration = args.duration or (1.0 if args.quick else 3.0)
    if not 0.5 <= duration <= 20:
        parser.error("--duration must be from 0.5 to 20 seconds (the whole bench stays bounded)")
    precision = 0.2 if args.quick else 0.05
    if os.geteuid() != 0:
        print("bench_dataplane.py needs root (network namespaces, XDP)", file=sys.stderr)
        return 2
    needed = (SERVER, LOADGEN, XDP_CLI, NAIVE, MMSG, UDP_SINK, REPLY_SINK)
    missing = [str(p) for p in needed if not p.exists()]
    missing += [tool for tool in ("iperf3", "bpftool", "ethtool") if not shutil.which(tool)]
    if missing:
        print(f"missing: {', '.join(missing)}; run `make -C native && make -C bench` "
              "(and `apt-get install iperf3 bpftool ethtool`)", file=sys.stderr)
        return 2
    if (os.cpu_count() or 1) < 2:
        print("needs at least 2 CPUs (server and generator pinned apart)", file=sys.stderr)
        return 2
    not_measured = ""
    if args.quick or args.no_wait:
        flag = "--quick" if args.quick else "--no-wait"
        not_measured = (f"FUNCTIONAL CHECK ({flag}), NOT A MEASUREMENT: no wait for a quiet machine"
                        + (", 1-second trials and a coarse search" if args.quick else ""))
        print(not_measured, flush=True)
    loads = wait_for_quiet(args.quick or args.no_wait)
    if loads[-1] > MAX_LOAD:
        print(f"load average {loads[-1]:.2f} > {MAX_LOAD}: the machine is busy, rates will be low",
              flush=True)
    started = time.monotonic()
    try:
        results = run_all(duration, precision)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    table = render(machine(), results, duration, loads, os.getloadavg()[0], not_measured)
    print()
    print(table)
    print(f"(bench took {time.monotonic() - started:.0f} s)")
    if not not_measured and not args.no_doc:
        DOC.write_text(DOC_HEAD + table + kept_notes())
        print(f"wrote {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

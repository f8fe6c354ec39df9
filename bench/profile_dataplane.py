# SPDX-License-Identifier: Apache-2.0
"""Profile the dataplane benchmark's workloads: where every CPU's time goes (issue 6, Performance).

Run as root after `make -C native && make -C bench` (about 15 s per workload):

    .venv/bin/python bench/profile_dataplane.py                  # every workload, flat out (~1.5 min)
    .venv/bin/python bench/profile_dataplane.py fastpath naive   # some of them
    .venv/bin/python bench/profile_dataplane.py --rate 40000     # offered rate instead of flat out

Same namespaces, pinning and load generator as bench_dataplane.py (server on CPU 1, generator on
CPU 0). While the generator runs, `perf record -e cpu-clock -a -g` samples both CPUs (the software
clock: this VM has no hardware counters); every sample is then put in one bucket by its call chain:
idle, user space, the kernel's receive path run as softirq (veth NAPI and XDP, IP, UDP enqueue,
waking the reader), the UDP/IP send path and veth_xmit, the receive system calls, io_uring, the
scheduler, system call entry and exit. Around the same window it reads the kernel's counters that
say why packets are lost: UDP RcvbufErrors/SndbufErrors/InCsumErrors in both namespaces, softnet
drops and squeezes, /proc/stat's per-CPU softirq time and the ksoftirqd threads' CPU time.

Prints Markdown tables; nothing is written to the docs (copy what matters by hand).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_dataplane as bd  # noqa: E402  (the bench's namespaces, servers and generator)

WARMUP_S = 1.0
# perf's sampling rate. Idle time takes no cpu-clock samples on this VM, so CPU-seconds are counted
# from this nominal rate, not from the number of samples a CPU happened to take.
PERF_HZ = 1999

# Call-chain buckets, checked in this order; the first whose test matches a sample takes it.
# Names are kernel functions as perf resolves them (kallsyms); a sample matches when any frame does.
SOFTIRQ = {"handle_softirqs", "__do_softirq", "net_rx_action", "do_softirq", "run_ksoftirqd"}
WAKEUP = {"try_to_wake_up", "__wake_up_common", "__wake_up_sync_key", "sock_def_readable",
          "io_poll_wake", "__io_req_task_work_add", "io_req_local_work_add", "ep_poll_callback",
          "wake_up_process"}
UDP_RX = {"__udp4_lib_rcv", "udp_rcv", "udp_queue_rcv_skb", "__udp_enqueue_schedule_skb",
          "udp_unicast_rcv_skb", "__udp6_lib_rcv"}
IP_RX = {"ip_rcv", "ip_rcv_finish", "ip_local_deliver", "ip_list_rcv", "__netif_receive_skb",
         "__netif_receive_skb_core", "__netif_receive_skb_list_core", "netif_receive_skb_list_internal",
         "process_backlog", "ipv6_rcv", "gro_receive_skb", "napi_gro_receive", "dev_gro_receive",
         "napi_complete_done", "gro_normal_list", "__napi_poll"}
VETH_RX = {"veth_poll", "veth_xdp_rcv", "veth_xdp_rcv_skb", "veth_xdp_rcv_one"}
SEND_DEV = {"veth_xmit", "dev_queue_xmit", "__dev_queue_xmit", "dev_hard_start_xmit", "ip_finish_output2",
            "neigh_resolve_output", "ip6_finish_output2", "__netif_rx", "netif_rx", "enqueue_to_backlog"}
SEND_UDP = {"udp_sendmsg", "udpv6_sendmsg", "udp_send_skb", "ip_make_skb", "ip_append_data",
            "ip_route_output_flow", "ip_send_skb", "ip_output", "__sys_sendmmsg", "__sys_sendto",
            "____sys_sendmsg", "__sys_sendmsg", "io_sendmsg", "sock_sendmsg", "__sock_sendmsg"}
RECV = {"udp_recvmsg", "__skb_recv_udp", "__skb_try_recv_from_queue", "skb_copy_datagram_iter",
        "__sys_recvmmsg", "__sys_recvfrom", "do_recvmmsg", "____sys_recvmsg", "io_recvmsg",
        "io_recvmsg_multishot", "sock_recvmsg", "inet_recvmsg", "skb_consume_udp"}
SCHED = {"schedule", "__schedule", "schedule_hrtimeout_range", "finish_task_switch",
         "finish_task_switch.isra.0", "pick_next_task_fair", "do_nanosleep"}
POLL = {"do_sys_poll", "__x64_sys_ppoll", "do_poll", "__x64_sys_poll", "do_select", "ep_poll"}
ENTRY = {"entry_SYSCALL_64", "entry_SYSCALL_64_after_hwframe", "do_syscall_64", "syscall_exit_to_user_mode",
         "syscall_return_via_sysret", "entry_SYSRETQ_unsafe_stack", "exit_to_user_mode_prepare",
         "__x64_sys_io_uring_enter", "entry_SYSCALL_64_safe_stack", "srso_return_thunk",
         "srso_safe_ret", "retbleed_return_thunk", "x64_sys_call"}
IDLE = {"do_idle", "cpu_startup_entry", "default_idle", "default_idle_call", "pv_native_safe_halt",
        "cpuidle_idle_call", "acpi_idle_enter", "native_safe_halt", "arch_cpu_idle"}
COPY_LEAF = re.compile(r"copy|memcpy|memmove|csum_partial|rep_movs|clear_user|memset")


@dataclass
class Sample:
    cpu: int
    comm: str
    pid: int
    frames: list[str]  # symbols, leaf first
    user: bool         # the leaf is in user space


def _io_uring(frames: set[str]) -> bool:
    return any(f.startswith(("io_", "__io_", "tctx_task_work")) for f in frames)


def bucket(s: Sample, ours: bool = True) -> str:
    """The one bucket a sample's call chain falls in (see the module docstring).

    Softirq work is bucketed by what it does whatever task it interrupted (it is our packets'
    work); anything else done by processes that are not part of the workload is "other processes".
    """
    fr = set(s.frames)
    if s.comm.startswith("swapper") and not fr & SOFTIRQ:
        return "idle"
    if not s.user and (fr & SOFTIRQ or s.comm.startswith("ksoftirqd")):
        for name, test in (("wake the reader", WAKEUP), ("UDP enqueue", UDP_RX), ("IP, netif, GRO", IP_RX),
                           ("veth NAPI + XDP", VETH_RX)):
            if fr & test:
                return f"softirq: {name}"
        if any(f.startswith("bpf_prog_") for f in fr):
            return "softirq: veth NAPI + XDP"
        return "softirq: loop itself, timers, RCU"
    if not ours:
        return "other processes"
    if s.user:
        return "user space"
    leaf_copy = bool(s.frames and COPY_LEAF.search(s.frames[0]))
    checks: list[tuple[str, Callable[[set[str]], bool]]] = [
        ("send: veth_xmit, qdisc, neighbour", lambda f: bool(f & SEND_DEV)),
        ("send: UDP/IP (skb, route, copy)", lambda f: bool(f & SEND_UDP)),
        ("recv syscalls: dequeue + copy", lambda f: bool(f & RECV)),
        ("scheduler, sleep", lambda f: bool(f & SCHED)),
        ("io_uring (submit, CQEs, task work)", _io_uring),
        ("poll/ppoll", lambda f: bool(f & POLL)),
        ("syscall entry/exit", lambda f: bool(f & ENTRY)),
    ]
    for name, test in checks:
        if test(fr):
            return name + (" [copy]" if leaf_copy and name.startswith(("send", "recv")) else "")
    return "other kernel"


HEADER = re.compile(r"^(\S.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]")


def read_samples(data: Path) -> list[Sample]:
    """Parse `perf script` output: a header line per sample, then its call chain, leaf first."""
    res = subprocess.run(["perf", "script", "-i", str(data), "-F", "comm,pid,tid,cpu,ip,sym,dso"],
                         capture_output=True, text=True, timeout=300, check=False)
    samples: list[Sample] = []
    cur: Sample | None = None
    for line in res.stdout.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            m = HEADER.match(line)
            if m:
                cur = Sample(int(m.group(4)), m.group(1), int(m.group(2)), [], True)
                samples.append(cur)
            continue
        if cur is None:
            continue
        parts = line.split(None, 1)
        rest = parts[1] if len(parts) > 1 else ""
        sym = rest.rsplit(" (", 1)[0].split("+0x")[0].strip()
        if not cur.frames:
            cur.user = "[kernel.kallsyms]" not in rest
        cur.frames.append(sym)
    return samples


# ----- kernel counters read around the perf window -----

def snmp_udp(ns: bd.Netns) -> dict[str, int]:
    text = ns.run(["cat", "/proc/net/snmp"]).stdout
    lines = [ln.split() for ln in text.splitlines() if ln.startswith("Udp:")]
    return dict(zip(lines[0][1:], map(int, lines[1][1:]), strict=True)) if len(lines) >= 2 else {}


def softnet() -> list[list[int]]:
    with open("/proc/net/softnet_stat") as f:
        return [[int(x, 16) for x in ln.split()] for ln in f]


def cpu_stat() -> dict[str, list[int]]:
    with open("/proc/stat") as f:
        return {ln.split()[0]: list(map(int, ln.split()[1:])) for ln in f if re.match(r"cpu\d", ln)}


def ksoftirqd_ticks() -> dict[str, int]:
    out: dict[str, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError):
                if (d / "comm").read_text().startswith("ksoftirqd"):
                    out[(d / "comm").read_text().strip()] = bd.proc_cpu_ticks(int(d.name))
    return out


@dataclass
class Counters:
    udp_server: dict[str, int]
    udp_client: dict[str, int]
    softnet: list[list[int]]
    cpu: dict[str, list[int]]
    ksoftirqd: dict[str, int]
    when: float = field(default_factory=time.monotonic)


def counters(server: bd.Netns, client: bd.Netns) -> Counters:
    return Counters(snmp_udp(server), snmp_udp(client), softnet(), cpu_stat(), ksoftirqd_ticks())


# ----- one workload -----

@dataclass
class Workload:
    name: str
    start: Callable[[bd.Netns, bd.Netns, Path], contextlib.AbstractContextManager]
    loadgen: bool = True   # False: the workload is its own sender (iperf3)
    loadgen_args: tuple[str, ...] = ()


@contextlib.contextmanager
def nothing(server: bd.Netns, client: bd.Netns, workdir: Path) -> Iterator[None]:
    yield None


@contextlib.contextmanager
def sink(server: bd.Netns, client: bd.Netns, workdir: Path) -> Iterator[subprocess.Popen]:
    """The bench's send-only receiver: reads every datagram, answers nothing (like iperf3 -s)."""
    proc = server.popen([bd.UDP_SINK, "--bind", bd.SERVER_IP, "--port", str(bd.PORT),
                         "--cpu", str(bd.SERVER_CPU)])
    try:
        bd.wait_ready(proc, None, "udp_sink")
        yield proc
    finally:
        bd.stop(proc)


def workloads(server_extra: dict) -> dict[str, Workload]:
    return {
        "fastpath": Workload("fastpath-server (1 worker)", lambda s, c, w: bd.fastpath_server(
            s, w, workers=bd.SERVER_CPU, **server_extra)),
        "fastpath-cpumap": Workload("fastpath-server (1 worker), XDP steering by cpumap", lambda s, c, w:
                                    bd.fastpath_server(s, w, workers=bd.SERVER_CPU, xdp_interface=s.iface,
                                                       xdp_mode="cpumap", **server_extra)),
        "naive": Workload("naive recvfrom/sendto", lambda s, c, w: bd.baseline(s, bd.NAIVE)),
        "mmsg": Workload("recvmmsg/sendmmsg", lambda s, c, w: bd.baseline(s, bd.MMSG)),
        "sendonly": Workload("fastpath-loadgen --gso send-only, UDP GSO (to udp_sink)", sink,
                             loadgen_args=("--gso",)),
        "sendonly-mmsg": Workload("fastpath-loadgen send-only, sendmmsg (to udp_sink)", sink),
        "iperf3": Workload("iperf3 -u -b 0 -l 64 (send-only)", nothing, loadgen=False),
    }


def start_sender(wl: Workload, server: bd.Netns, client: bd.Netns, rate: int, secs: float
                 ) -> tuple[subprocess.Popen, subprocess.Popen | None]:
    if wl.loadgen:
        argv = [bd.LOADGEN, "--dst", bd.SERVER_IP, "--port", str(bd.PORT), "--rate", str(rate),
                "--duration", str(secs), "--cpus", str(bd.CLIENT_CPU), "--quiet", *wl.loadgen_args]
        return client.popen(argv), None
    srv = server.popen(["iperf3", "-s", "-1", "-B", bd.SERVER_IP, "-p", str(bd.IPERF_PORT),
                        "-A", str(bd.SERVER_CPU)])
    time.sleep(0.3)
    cli = client.popen(["iperf3", "-u", "-b", "0", "-l", "64", "-c", bd.SERVER_IP, "-p", str(bd.IPERF_PORT),
                        "-t", str(int(secs + 0.999)), "-A", str(bd.CLIENT_CPU), "-J"])
    return cli, srv


@dataclass
class Run:
    samples: list[Sample]
    before: Counters
    after: Counters
    summary: dict            # the generator's JSON (empty for iperf3)
    roles: dict[int, str]    # pid -> "server" / "generator"


def profile(wl: Workload, server: bd.Netns, client: bd.Netns, workdir: Path, rate: int, secs: float) -> Run:
    data = workdir / "perf.data"
    roles: dict[int, str] = {}
    with wl.start(server, client, workdir) as srv_proc:
        # The sender outlasts the counter window (perf takes a moment to start and to stop), so
        # every counter delta and sample is taken under load.
        sender, extra = start_sender(wl, server, client, rate, secs + WARMUP_S + 3.0)
        for proc, role in ((srv_proc, "server"), (extra, "server"), (sender, "generator")):
            if proc is not None:
                roles[proc.pid] = role
        try:
            time.sleep(WARMUP_S)
            before = counters(server, client)
            rec = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(PERF_HZ), "-a", "-g",
                                  "-o", str(data),
                                  "--", "sleep", str(secs)], capture_output=True, text=True,
                                 timeout=secs + 60, check=False)
            after = counters(server, client)
            if rec.returncode:
                raise bd.BenchError(f"perf record failed: {rec.stderr.strip()[-300:]}")
            out, _err = sender.communicate(timeout=secs + 60)
        finally:
            bd.stop(sender)
            if extra:
                bd.stop(extra)
    try:
        summary = json.loads(out)
    except json.JSONDecodeError:
        summary = {}
    return Run(read_samples(data), before, after, summary, roles)


# ----- tables -----

def pct(n: int, total: int) -> str:
    return f"{100.0 * n / total:.1f}" if total else "0"


def process_name(comm: str) -> str:
    return re.sub(r"/\d+$", "", comm)  # ksoftirqd/1 -> ksoftirqd, per CPU anyway


def delta(a: dict[str, int], b: dict[str, int], key: str) -> int:
    return a.get(key, 0) - b.get(key, 0)


def report(name: str, run: Run, secs: float) -> str:
    samples, b, a, summary = run.samples, run.before, run.after, run.summary
    ncpu = max((s.cpu for s in samples), default=0) + 1
    per_cpu = [[s for s in samples if s.cpu == c] for c in range(ncpu)]
    per_role = {role: [s for s in samples if run.roles.get(s.pid) == role]
                for role in ("server", "generator")}
    hz = PERF_HZ
    dt = a.when - b.when
    arrived = delta(a.udp_server, b.udp_server, "InDatagrams") + delta(a.udp_server, b.udp_server, "InErrors")
    replies = delta(a.udp_client, b.udp_client, "InDatagrams")
    out = [f"### {name}", ""]
    if summary:
        out.append(f"Generator (whole run, warm-up included): sent {summary.get('sent_pps', 0):,.0f} pps, "
                   f"replies {summary.get('received_pps', 0):,.0f}/s, "
                   f"loss {summary.get('loss_pct', 0):.2f}%.")
    out.append(f"In the perf window ({dt:.1f} s): {arrived / dt:,.0f} datagrams/s reached the server "
               f"namespace, {replies / dt:,.0f} replies/s reached the client namespace.")
    for role, ss in per_role.items():
        cpu_s = len(ss) / hz
        per = replies if role == "server" else arrived
        what = "reply" if role == "server" else "datagram sent"
        if ss and per:
            out.append(f"- {role}: {cpu_s / secs:.2f} of a CPU, {cpu_s * 1e9 / (per * secs / dt):,.0f} ns "
                       f"per {what} (perf samples, softirq it ran included)")
    out += ["", "| CPU | who ran (% of the CPU's samples) |", "|---|---|"]
    for c, ss in enumerate(per_cpu):
        by = Counter(process_name(s.comm) for s in ss)
        out.append(f"| {c} | " + ", ".join(f"{k} {pct(v, len(ss))}" for k, v in by.most_common(6)) + " |")
    cols = [(f"CPU {c} %", ss) for c, ss in enumerate(per_cpu)]
    cols += [(f"{role} %", ss) for role, ss in per_role.items() if ss]
    counts = [Counter(bucket(s, s.pid in run.roles) for s in ss) for _name, ss in cols]
    names = sorted({k for bc in counts for k in bc}, key=lambda k: -sum(bc[k] for bc in counts))
    out += ["", "| bucket | " + " | ".join(c for c, _samples in cols) + " |", "|---|" + "---|" * len(cols)]
    for k in names:
        cells = " | ".join(pct(bc[k], len(ss)) for bc, (_name, ss) in zip(counts, cols, strict=True))
        out.append(f"| {k} | {cells} |")
    out.append("")
    for role, ss in per_role.items():
        leaves = Counter(s.frames[0] for s in ss if s.frames and not s.user)
        top = ", ".join(f"{k} {pct(v, len(ss))}" for k, v in leaves.most_common(10))
        out.append(f"- {role}: top kernel leaves (% of its samples): {top}")
    keys = ("InDatagrams", "RcvbufErrors", "SndbufErrors", "InErrors", "InCsumErrors")
    for side, now, was in (("server", a.udp_server, b.udp_server), ("client", a.udp_client, b.udp_client)):
        out.append(f"- UDP counters, {side} namespace, per s: "
                   + ", ".join(f"{k} {delta(now, was, k) / dt:,.0f}" for k in keys))
    sn = [[x - y for x, y in zip(ra, rb, strict=False)] for ra, rb in zip(a.softnet, b.softnet, strict=False)]
    out.append("- softnet_stat per CPU (processed, dropped, time_squeeze): "
               + "; ".join(f"CPU {i}: {r[0]:,}, {r[1]:,}, {r[2]:,}" for i, r in enumerate(sn)))
    stat = []
    for cpu in sorted(a.cpu):
        d = [x - y for x, y in zip(a.cpu[cpu], b.cpu[cpu], strict=False)]
        tot = sum(d[:8]) or 1
        stat.append(f"{cpu} user {pct(d[0] + d[1], tot)}%, system {pct(d[2], tot)}%, "
                    f"softirq {pct(d[6], tot)}%, idle {pct(d[3] + d[4], tot)}%")  # iowait is idle too
    out.append("- /proc/stat: " + "; ".join(stat))
    ks = {k: (a.ksoftirqd.get(k, 0) - b.ksoftirqd.get(k, 0)) / bd.CLK_TCK / dt for k in a.ksoftirqd}
    out.append("- ksoftirqd, share of a CPU: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(ks.items())))
    return "\n".join(out) + "\n"


def main() -> int:
    wl_all = workloads({})
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("which", nargs="*", help=f"workloads, of: {' '.join(wl_all)} (default: all)")
    parser.add_argument("--rate", type=int, default=0, help="offered pps (default 0: flat out)")
    parser.add_argument("--seconds", type=float, default=3.0, help="perf window per workload (default 3)")
    parser.add_argument("--server-option", action="append", default=[], metavar="KEY=VALUE",
                        help="extra fastpath-server config line (repeatable), e.g. sqpoll=on")
    args = parser.parse_args()
    if not 0.5 <= args.seconds <= 20 or not 0 <= args.rate <= 10_000_000:
        parser.error("--seconds must be 0.5-20 and --rate 0-10000000")
    unknown = [w for w in args.which if w not in wl_all]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(wl_all)}")
    extra = {}
    for kv in args.server_option:
        if "=" not in kv:
            parser.error(f"--server-option {kv!r}: expected KEY=VALUE")
        k, v = kv.split("=", 1)
        extra[k.strip()] = v.strip()
    if os.geteuid() != 0:
        print("profile_dataplane.py needs root (namespaces, XDP, perf -a)", file=sys.stderr)
        return 2
    if not all(p.exists() for p in (bd.SERVER, bd.LOADGEN, bd.XDP_CLI, bd.NAIVE, bd.MMSG, bd.UDP_SINK)):
        print("run `make -C native && make -C bench` first", file=sys.stderr)
        return 2
    chosen = workloads(extra)
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    try:
        with bd.netns_pair() as (server, client), tempfile.TemporaryDirectory(prefix="fpprof") as tmp:
            workdir = Path(tmp)
            os.chmod(workdir, 0o755)
            for key in args.which or list(chosen):
                wl = chosen[key]
                run = profile(wl, server, client, workdir, args.rate, args.seconds)
                print(report(wl.name, run, args.seconds), flush=True)
    except bd.BenchError as exc:
        print(f"profile failed: {exc}", file=sys.stderr)
        return 1
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

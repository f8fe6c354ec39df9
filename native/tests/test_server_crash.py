"""A crashed fastpath-server leaves nothing that stops the next one: SIGKILL, while serving under
load or in the middle of start-up, and the kernel has already detached its XDP program (a bpf_link
the process held) by the time the process is reaped; a new start serves at once with the program
attached exactly once. fastpath's own program left attached by netlink (what earlier versions did)
is replaced; anyone else's is still refused.

These tests play systemd's part themselves (start again right after the kill). The same under real
systemd, with its restart delay and the 2 s bound, is tests/integration/test_crash_restore.py.
"""

import json
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

from conftest import LOADGEN, NATIVE, PIN_ROOT
from test_server_support import (
    EXIT_XDP,
    PORT,
    SERVER,
    running_server,
    start_server,
    worker_cpus,
    write_config,
)

PROBE_RATE = 1000  # packets/s: 1 ms resolution on the loss window
LOAD_RATE = 20000  # packets/s from the load generator beside the probe


def attached_programs(ns) -> list[int]:
    """Ids of every XDP program attached to ns's interface (native, generic, offload)."""
    [link] = json.loads(ns.run(["ip", "-j", "-d", "link", "show", ns.iface]).stdout)
    xdp = link.get("xdp") or {}
    if "attached" in xdp:
        return [a["prog"]["id"] for a in xdp["attached"]]
    return [xdp["prog"]["id"]] if "prog" in xdp else []


def pinned_prog_id(ns) -> int:
    out = ns.run(["bpftool", "-j", "prog", "show", "pinned", PIN_ROOT / ns.iface / "prog"]).stdout
    return json.loads(out)["id"]


def assert_attached_once_and_pinned(ns) -> int:
    ids = attached_programs(ns)
    assert len(ids) == 1, f"expected one XDP program on {ns.iface}, found {ids}"
    assert ids[0] == pinned_prog_id(ns), "the attached program is not the one the server pinned"
    return ids[0]


def start_probe(ns, dst: str, duration: float):
    env = {**os.environ, "PYTHONPATH": str(NATIVE.parent / "src")}
    return ns.popen([sys.executable, "-m", "fastpath.reply_probe", "--dst", dst, "--port", str(PORT),
                     "--rate", str(PROBE_RATE), "--duration", str(duration)], env=env)


def start_load(ns, dst: str, duration: float):
    return ns.popen([LOADGEN, "--quiet", "--dst", dst, "--port", str(PORT), "--rate", str(LOAD_RATE),
                     "--duration", str(duration), "--sessions", "64", "--flows", "8"])


def outage_after(result: dict, moment: float) -> dict:
    """The first outage the probe saw that had not ended by `moment` (CLOCK_MONOTONIC, shared with
    the probe on the same kernel)."""
    for outage in result["outages"]:
        if outage["closed"] and outage["resumed_s"] < moment:
            continue
        return outage
    raise AssertionError(f"the probe saw no outage after t={moment:.3f}: {result['outages']}")


def wait_answering(server, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while server.stats()["totals"]["rx_packets"] == 0:
        assert time.monotonic() < deadline, "the server answered nothing"
        time.sleep(0.05)


def test_sigkill_under_load_releases_xdp_and_the_next_start_serves(netns_pair, capsys):
    srv, cli = netns_pair.server, netns_pair.client
    xdp = {"xdp_interface": srv.iface, "xdp_mode": "pass", "xdp_ping": "on"}
    probe = start_probe(cli, srv.ipv4, duration=6)
    load = start_load(cli, srv.ipv4, duration=6)
    with running_server(srv, **xdp) as first:
        old_id = assert_attached_once_and_pinned(srv)
        wait_answering(first)
        killed_at = time.monotonic()
        os.kill(first.proc.pid, signal.SIGKILL)
        first.proc.wait(timeout=10)
        # Reaped, and the kernel has already let go: no one had to detach anything.
        assert attached_programs(srv) == []
        with running_server(srv, **xdp):
            new_id = assert_attached_once_and_pinned(srv)
            assert new_id != old_id
            result = json.loads(probe.communicate(timeout=30)[0])
    load.wait(timeout=30)
    outage = outage_after(result, killed_at)
    assert outage["closed"], f"replies never came back after the kill: {outage}"
    with capsys.disabled():
        print(f"\n  SIGKILL under load, restarted at once: no replies for {outage['length_s'] * 1000:.0f} ms "
              f"({outage['lost']} of {result['sent']} probe packets)")


def test_sigkill_during_start_up_after_the_attach_leaves_nothing_attached(netns_pair, tmp_path, capsys):
    """Killed between attaching XDP (its pins appear right after) and telling systemd READY=1."""
    srv = netns_pair.server
    pin = PIN_ROOT / srv.iface / "prog"
    workdir = Path(tempfile.mkdtemp(prefix="fpcr"))  # Unix socket paths must stay short
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(workdir / "notify"))
    notify.setblocking(False)
    conf = write_config(workdir / "server.conf", listen_address=srv.ipv4, port=PORT, workers=worker_cpus(),
                        xdp_interface=srv.iface, xdp_mode="pass", stats_json=workdir / "stats.json")
    landed = None
    try:
        for attempt in range(1, 31):
            env = {**os.environ, "NOTIFY_SOCKET": str(workdir / "notify")}
            proc = srv.popen([SERVER, "-c", conf], env=env)
            while not pin.exists() and proc.poll() is None:
                pass  # spin: the window between the pins and READY is a few milliseconds
            ready = _ready_sent(notify)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            _ready_sent(notify)  # drop a READY sent after we looked
            assert attached_programs(srv) == [], f"attempt {attempt}: a program outlived its server"
            if not ready and pin.exists():
                landed = attempt
                break
            pin.unlink(missing_ok=True)
        assert landed, "no kill landed between the attach and READY in 30 attempts"
        # The dead server's pins are still there; the next start replaces them and serves.
        with running_server(srv, xdp_interface=srv.iface, xdp_mode="pass"):
            assert_attached_once_and_pinned(srv)
    finally:
        notify.close()
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()
    with capsys.disabled():
        print(f"\n  SIGKILL after the XDP attach and before READY=1: attempt {landed}")


def _ready_sent(sock: socket.socket) -> bool:
    ready = False
    while True:
        try:
            ready |= b"READY=1" in sock.recv(256)
        except BlockingIOError:
            return ready


def kill_leaving_stale_pins(ns) -> int:
    """Run a server with XDP, SIGKILL it: its pins stay (nothing attached). Returns the pinned id."""
    with running_server(ns, xdp_interface=ns.iface, xdp_mode="pass") as server:
        stale = assert_attached_once_and_pinned(ns)
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=10)
    assert attached_programs(ns) == [] and pinned_prog_id(ns) == stale
    return stale


def test_a_foreign_program_is_still_refused_beside_fastpaths_stale_pins(netns_pair, tmp_path):
    srv = netns_pair.server
    kill_leaving_stale_pins(srv)
    srv.xdp("pass", srv.iface)  # someone else's program
    foreign = attached_programs(srv)
    try:
        proc = start_server(srv, tmp_path, listen_address=srv.ipv4, port=PORT, workers=worker_cpus(1),
                            xdp_interface=srv.iface, xdp_mode="pass")
        _out, stderr = proc.communicate(timeout=20)
        assert proc.returncode == EXIT_XDP, stderr
        assert f"another XDP program is attached (id {foreign[0]}), not fastpath's" in stderr
        assert "detach it first" in stderr
        assert attached_programs(srv) == foreign  # left alone
    finally:
        srv.run(["ip", "link", "set", "dev", srv.iface, "xdp", "off"], check=False)


def test_fastpaths_own_program_left_attached_by_netlink_is_replaced(netns_pair):
    """What a crash left behind before this version: the program attached by netlink, pinned, no owner."""
    srv = netns_pair.server
    stale = kill_leaving_stale_pins(srv)
    srv.run(["bpftool", "net", "attach", "xdpdrv", "pinned", PIN_ROOT / srv.iface / "prog", "dev", srv.iface])
    assert attached_programs(srv) == [stale]
    with running_server(srv, xdp_interface=srv.iface, xdp_mode="pass") as server:
        new = assert_attached_once_and_pinned(srv)
        code, stderr = server.stop()
    assert new != stale
    assert code == 0, stderr
    assert f"replaced fastpath's own XDP program (id {stale})" in stderr
    assert attached_programs(srv) == []


def test_a_program_the_cli_attached_stays_and_the_server_leaves_it_alone(netns_pair, tmp_path):
    srv = netns_pair.server
    srv.xdp("attach", srv.iface)  # the CLI exits; its pinned link keeps the program attached
    assert (PIN_ROOT / srv.iface / "link").exists()
    held = assert_attached_once_and_pinned(srv)
    proc = start_server(srv, tmp_path, listen_address=srv.ipv4, port=PORT, workers=worker_cpus(1),
                        xdp_interface=srv.iface, xdp_mode="pass")
    _out, stderr = proc.communicate(timeout=20)
    assert proc.returncode == EXIT_XDP, stderr
    assert "kept there by the link pinned at" in stderr and f"fastpath-xdp detach {srv.iface}" in stderr
    assert attached_programs(srv) == [held]
    srv.xdp("detach", srv.iface)
    assert attached_programs(srv) == [] and not (PIN_ROOT / srv.iface).exists()

"""fastpath-loadgen against a real responder in a namespace: counts, pacing, RTT, JSON, exit codes."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import LOADGEN, start_responder


def loadgen(ns, *args: str, timeout: float = 60):
    res = ns.run([LOADGEN, "--quiet", *args], check=False, timeout=timeout)
    return res, (json.loads(res.stdout) if res.stdout.strip() else None)


def test_input_mode_counts_every_state_reply_and_reports_ordered_percentiles(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    start_responder(srv)
    res, s = loadgen(cli, "--dst", srv.ipv4, "--duration", "1", "--rate", "2000", "--sessions", "10",
                     "--flows", "4", "--size", "100", "--max-loss", "1")
    assert res.returncode == 0, res.stderr
    assert s["mode"] == "input" and s["flows"] == 4 and s["size"] == 100
    assert 1900 <= s["sent"] <= 2100  # paced: 2000/s for 1 s
    assert s["received"] == s["sent"] - round(s["sent"] * s["loss_pct"] / 100)
    assert s["xdp_replies"] == 0 and s["bad_replies"] == 0
    rtt = s["rtt_us"]
    assert 0 < rtt["min"] <= rtt["p50"] <= rtt["p99"] <= rtt["p999"] <= rtt["max"]
    assert s["failed"] == [] and s["exit_code"] == 0


def test_progress_line_every_second_on_stderr_and_summary_on_stdout(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    start_responder(srv)
    res = cli.run([LOADGEN, "--dst", srv.ipv6, "--duration", "2", "--rate", "500"], check=False)
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("fastpath-loadgen: t=")]
    assert [ln.split()[1] for ln in lines] == ["t=1s", "t=2s"]
    assert all("sent=" in ln and "received=" in ln and "loss=" in ln for ln in lines)
    assert json.loads(res.stdout)["target"] == srv.ipv6


def test_two_pinned_threads_flat_out_stop_by_themselves(netns_pair):
    srv, cli = netns_pair.server, netns_pair.client
    start_responder(srv)
    res, s = loadgen(cli, "--dst", srv.ipv4, "--duration", "1", "--threads", "2", "--cpus", "0-1",
                     "--sessions", "8", "--linger-ms", "100")
    # It exited by itself (no signal, inside loadgen()'s timeout) after sending for its duration: the
    # generator's own clock, not the test's, so a slow or busy machine cannot fail it.
    assert res.returncode == 0, res.stderr
    assert s["duration_s"] == 1.0 and s["elapsed_s"] >= 1.0
    assert s["threads"] == 2 and s["sent"] > 1000 and s["received"] > 0


@pytest.mark.parametrize(
    ("args", "code", "failed"),
    [
        (["--max-loss", "0"], 3, ["max_loss"]),
        (["--min-rate", "100000000"], 4, ["min_rate"]),
        (["--max-p99-us", "1"], 5, ["max_p99_us"]),
    ],
)
def test_missed_thresholds_give_distinct_exit_codes(netns_pair, args, code, failed):
    srv, cli = netns_pair.server, netns_pair.client
    if code != 3:  # for the loss case nobody listens, so every packet is lost
        start_responder(srv)
    res, s = loadgen(cli, "--dst", srv.ipv4, "--duration", "0.5", "--rate", "1000", *args)
    assert res.returncode == code, res.stderr
    assert s["failed"] == failed and s["exit_code"] == code


@pytest.mark.parametrize(
    "args",
    [
        [],  # no --dst
        ["--dst", "not-an-address"],
        ["--dst", "198.19.0.1", "--rate", "-5"],
        ["--dst", "198.19.0.1", "--rate", "1e3"],
        ["--dst", "198.19.0.1", "--duration", "0"],
        ["--dst", "198.19.0.1", "--duration", "3601"],
        ["--dst", "198.19.0.1", "--duration", "nan"],
        ["--dst", "198.19.0.1", "--size", "31"],
        ["--dst", "198.19.0.1", "--size", "1433"],
        ["--dst", "198.19.0.1", "--threads", "65"],
        ["--dst", "198.19.0.1", "--cpus", "0-99999"],
        ["--dst", "198.19.0.1", "--max-loss", "101"],
        ["--dst", "198.19.0.1", "--port", "65536"],
        ["--dst", "198.19.0.1", "--mode", "flood"],
        ["--dst", "198.19.0.1", "--bogus"],
    ],
)
def test_bad_arguments_exit_2_with_a_message(native_build, args):
    res = subprocess.run([str(LOADGEN), *args], capture_output=True, text=True, check=False, timeout=10)
    assert res.returncode == 2
    assert res.stderr.startswith("fastpath-loadgen: ") and res.stdout == ""


def udp_in(ns, v6: bool) -> int:
    """Datagrams that reached UDP in ns: delivered to a socket or dropped by a full one."""
    if v6:
        rows = dict(ln.split() for ln in ns.run(["cat", "/proc/net/snmp6"]).stdout.splitlines())
        return int(rows["Udp6InDatagrams"]) + int(rows["Udp6RcvbufErrors"])
    text = ns.run(["cat", "/proc/net/snmp"]).stdout
    head, values = (ln.split() for ln in text.splitlines() if ln.startswith("Udp:"))
    row = dict(zip(head, values, strict=True))
    return int(row["InDatagrams"]) + int(row["RcvbufErrors"])


@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("gso", [True, False], ids=["gso", "sendmmsg"])
def test_flat_out_every_datagram_sent_arrives_as_one_datagram(netns_pair, v6, gso):
    """GSO sends a batch as one skb: the server side must still see exactly `sent` datagrams."""
    srv, cli = netns_pair.server, netns_pair.client
    start_responder(srv)
    before = udp_in(srv, v6)
    res, s = loadgen(cli, "--dst", srv.ipv6 if v6 else srv.ipv4, "--duration", "0.3", "--size", "100",
                     "--linger-ms", "50", *(["--gso"] if gso else []))
    assert res.returncode == 0, res.stderr
    assert s["sent"] > 1000 and s["send_errors"] == 0
    assert udp_in(srv, v6) - before == s["sent"]
    assert s["received"] > 0 and s["bad_replies"] == 0  # the replies that came were well-formed
    if gso:
        assert s["gso_sent"] > s["sent"] // 2  # flat out, batches leave as GSO sends
    else:
        assert s["gso_sent"] == 0

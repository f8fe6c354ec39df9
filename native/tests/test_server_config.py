"""Configuration: every bad value refused with exit code 2 and a message naming the key; the
environment overrides the file; --check-config prints what will be used and where it came from."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_server_support import EXIT_CONFIG, EXIT_OK, SERVER, build_server, check_config

ALLOWED = set(os.sched_getaffinity(0))


def _cpus(cpulist: str) -> set[int]:
    cpus: set[int] = set()
    for item in cpulist.split(","):
        lo, _sep, hi = item.partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


def _effective(out: str) -> dict[str, tuple[str, str]]:
    """--check-config output as {key: (value, origin)}."""
    result = {}
    for line in out.splitlines():
        if line.startswith("#"):
            continue
        key, rest = line.split(" = ", 1)
        value, origin = rest.rsplit("  # ", 1)
        result[key] = (value, origin)
    return result


def test_defaults_are_valid_and_documented_in_the_output():
    res = check_config(None)
    assert res.returncode == EXIT_OK, res.stderr
    eff = _effective(res.stdout)
    assert eff["port"] == ("7777", "default")
    assert eff["queue_depth"] == ("1024", "default")
    assert eff["batch"] == ("64", "default")
    assert eff["sndbuf"] == ("4M", "default") and eff["rcvbuf"] == ("4M", "default")
    assert eff["mode"] == ("echo", "default")
    assert _cpus(eff["workers"][0]) == ALLOWED  # the CPUs this process may run on
    assert res.stdout.rstrip().endswith("# configuration OK")


def test_file_values_are_used_and_the_environment_overrides_them():
    text = "# a comment\n\nport = 9000\nmode = relay\nupstreams = [2001:2::4]:9001, [2001:2::5]:9002\n" \
           "listen_address = ::\nrcvbuf = 8MiB\nbatch = 32\n"
    res = check_config(text, env={"FASTPATH_BATCH": "16"})
    assert res.returncode == EXIT_OK, res.stderr
    eff = _effective(res.stdout)
    assert eff["port"][0] == "9000" and eff["port"][1].endswith("server.conf")
    assert eff["batch"] == ("16", "environment")
    assert eff["rcvbuf"][0] == "8MiB"
    assert eff["upstreams"][0] == "[2001:2::4]:9001, [2001:2::5]:9002"


BAD = {
    # key: (value, words the message must contain)
    "port": [("0", "out of range 1-65535"), ("65536", "out of range"), ("-1", "not a number"),
             ("80x", "trailing characters"), ("", "not a number"), ("99999999999999999999999", "too large")],
    "queue_depth": [("7", "out of range 8-32768"), ("1e3", "trailing")],
    "batch": [("0", "out of range 1-4096")],
    "buffers": [("1000", "not a power of two"), ("32", "out of range")],
    "buffer_size": [("1000", "out of range"), ("2000", "not a multiple of 64")],
    "sndbuf": [("4X", "trailing"), ("2G", "out of range")],
    "rcvbuf": [("100", "out of range")],
    "busy_poll_us": [("2000000", "out of range")],
    "workers": [("", "empty cpulist"), ("3-1", "runs backwards"), ("0,0", "listed twice"),
                ("99999", "expected a CPU number"), ("0-1:2/4", "unexpected ':'"), ("a", "expected a CPU")],
    "mode": [("mirror", "not echo or relay")],
    "listen_address": [("localhost", "not a numeric IPv4 or IPv6"), ("300.1.1.1", "not a numeric")],
    "steer": [("maybe", "not on/off")],
    "xdp_mode": [("fast", "not off, pass, cpumap or afxdp")],
    "xdp_pin_root": [("relative/dir", "not an absolute path")],
    "rate_limit_pps": [("1000000000", "out of range")],
    "stats_interval_ms": [("10", "out of range 100-60000")],
    "reply_op": [("send", "not auto or sendmsg")],
}


@pytest.mark.parametrize(("key", "value", "words"),
                         [(k, v, w) for k, cases in BAD.items() for v, w in cases])
def test_bad_value_in_the_file_is_refused_naming_file_line_and_key(key, value, words):
    res = check_config(f"# rendered by the dataplane role\n{key} = {value}\n")
    assert res.returncode == EXIT_CONFIG
    assert f"server.conf:2: {key}:" in res.stderr
    assert words in res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""


@pytest.mark.parametrize(("key", "value", "words"),
                         [("port", "0", "out of range"), ("workers", "x", "expected")])
def test_bad_value_in_the_environment_is_refused_naming_the_variable(key, value, words):
    res = check_config("", env={f"FASTPATH_{key.upper()}": value})
    assert res.returncode == EXIT_CONFIG
    assert f"environment FASTPATH_{key.upper()}: {key}:" in res.stderr and words in res.stderr


@pytest.mark.parametrize(("text", "words"), [
    ("colour = blue\n", "unknown key 'colour'"),
    ("port = 1\nport = 2\n", "key 'port' set twice"),
    ("just words\n", "expected 'key = value'"),
    ('stats_socket = "/run/x\n', "unterminated quote"),
    ("mode = relay\n", "needs at least one address in upstreams"),
    ("upstreams = 198.19.0.2:9\n", "mode = echo"),
    ("mode = relay\nupstreams = 198.19.0.2\n", "not address:port"),
    ("mode = relay\nupstreams = 198.19.0.2:0\n", "out of range 1-65535"),
    ("mode = relay\nupstreams = [2001:2::1]:9\n", "same address family"),
    ("mode = relay\nupstreams = " + ",".join(f"198.19.0.2:{p}" for p in range(1, 18)) + "\n", "more than 16"),
    ("queue_depth = 64\nbatch = 128\n", "must not exceed queue_depth"),
    ("xdp_mode = pass\n", "needs xdp_interface"),
    ("xdp_mode = pass\nxdp_interface = nosuchif9\n", "no interface named 'nosuchif9'"),
    ("x" * 5000 + "\n", "longer than"),
])
def test_inconsistent_or_malformed_file_is_refused(text, words):
    res = check_config(text)
    assert res.returncode == EXIT_CONFIG
    assert words in res.stderr
    assert "Traceback" not in res.stderr


def test_missing_file_and_bad_usage_exit_2():
    build_server()
    missing = subprocess.run([str(SERVER), "-c", "/nonexistent/server.conf", "--check-config"],
                             capture_output=True, text=True, timeout=30, check=False)
    assert missing.returncode == EXIT_CONFIG and "cannot open config file" in missing.stderr
    for argv in (["--bogus"], ["extra-arg"]):
        res = subprocess.run([str(SERVER), *argv], capture_output=True, text=True, timeout=30, check=False)
        assert res.returncode == EXIT_CONFIG and "usage:" in res.stderr


def test_a_worker_cpu_outside_the_allowed_set_is_refused():
    res = check_config(f"workers = {max(os.sched_getaffinity(0)) + 1}\n")
    assert res.returncode == EXIT_CONFIG
    assert "not one this process may run on" in res.stderr


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=-5, max_value=70000))
def test_port_accepted_exactly_in_1_to_65535(port):
    res = check_config(f"port = {port}\n")
    assert (res.returncode == EXIT_OK) == (1 <= port <= 65535), res.stderr


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=70000))
def test_buffers_accepted_exactly_as_powers_of_two_in_range(n):
    res = check_config(f"buffers = {n}\n")
    assert (res.returncode == EXIT_OK) == (64 <= n <= 32768 and n & (n - 1) == 0), res.stderr


def _keys_def():
    """config_keys.def read by the controller's reader (plugins/plugin_utils/server_keys.py): the
    same table the dataplane role checks with, so this proves the server and the role agree."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))
    from ansible_collections.fastpath.host.plugins.plugin_utils.server_keys import load_keys_def
    return load_keys_def()


@pytest.mark.parametrize("key", sorted(_keys_def().ranges))
def test_every_range_in_config_keys_def_is_the_one_the_server_enforces(key):
    rng = _keys_def().ranges[key]
    # batch <= queue_depth is checked across keys: keep the other one out of the way.
    base = {"batch": "queue_depth = 32768\n", "queue_depth": "batch = 1\n"}.get(key, "")
    for value in (rng.min, rng.max):
        res = check_config(f"{base}{key} = {value}\n")
        assert res.returncode == EXIT_OK, (key, value, res.stderr)
    for value in ([rng.min - 1] if rng.min else []) + [rng.max + 1]:
        res = check_config(f"{base}{key} = {value}\n")
        assert res.returncode == EXIT_CONFIG and f"out of range {rng.min}-{rng.max}" in res.stderr, (key, value)
    inside = rng.min + 1 if rng.max > rng.min + 64 else None
    if rng.rule and inside is not None:  # pow2 and cache-line keys refuse min + 1 (in range, off the rule)
        res = check_config(f"{base}{key} = {inside}\n")
        assert res.returncode == EXIT_CONFIG and key in res.stderr, (key, inside)


def test_the_limits_in_config_keys_def_are_the_ones_the_server_enforces():
    limits = _keys_def().limits
    most = limits["FP_MAX_UPSTREAMS"]
    ups = ",".join(f"198.19.0.2:{p}" for p in range(1, most + 2))
    res = check_config(f"mode = relay\nqueue_depth = 32768\nupstreams = {ups}\n")
    assert res.returncode == EXIT_CONFIG and f"more than {most} upstreams" in res.stderr
    ok = ",".join(f"198.19.0.2:{p}" for p in range(1, most + 1))
    assert check_config(f"mode = relay\nqueue_depth = 32768\nupstreams = {ok}\n").returncode == EXIT_OK
    res = check_config(f"workers = 0-{limits['FP_MAX_WORKERS']}\n")
    assert res.returncode == EXIT_CONFIG and f"more than {limits['FP_MAX_WORKERS']} CPUs" in res.stderr

"""Attach and detach: the mode actually used is reported, pins appear and disappear, errors are clear."""

import json

from conftest import PIN_ROOT


def test_attach_reports_native_mode_pins_maps_and_detach_removes_them(netns_pair):
    srv = netns_pair.server
    out = json.loads(srv.xdp("attach", srv.iface, "--ping").stdout)
    assert out == {"ifname": srv.iface, "mode": "native", "pin_dir": str(PIN_ROOT / srv.iface),
                   "native_refused": ""}
    # "link" keeps the program attached after the CLI exits (a server holds its link in an fd instead).
    assert sorted(p.name for p in (PIN_ROOT / srv.iface).iterdir()) == [
        "fp_config", "fp_counters", "fp_cpumap", "fp_drops", "fp_ratelimit", "link", "prog"]
    assert "xdp" in srv.run(["ip", "link", "show", srv.iface]).stdout

    srv.xdp("detach", srv.iface)
    assert not (PIN_ROOT / srv.iface).exists()
    assert "prog/xdp" not in srv.run(["ip", "-d", "link", "show", srv.iface]).stdout


def test_generic_mode_when_forced(netns_pair):
    srv = netns_pair.server
    out = json.loads(srv.xdp("attach", srv.iface, "--generic").stdout)
    assert out["mode"] == "generic"
    assert "xdpgeneric" in srv.run(["ip", "link", "show", srv.iface]).stdout
    srv.xdp("detach", srv.iface)
    assert "xdpgeneric" not in srv.run(["ip", "link", "show", srv.iface]).stdout


def test_native_refused_by_the_driver_falls_back_to_generic_and_says_why(netns_pair):
    """veth refuses native XDP while its peer's MTU is beyond what one page per frame holds; the
    fallback must happen and carry the driver's own reason, and native must return once it allows."""
    srv, cli = netns_pair.server, netns_pair.client
    cli.run(["ip", "link", "set", cli.iface, "mtu", "9000"])
    res = srv.xdp("attach", srv.iface)
    out = json.loads(res.stdout)
    assert out["mode"] == "generic"
    assert "Peer MTU is too large to set XDP" in out["native_refused"], out
    assert "Numerical result out of range" in out["native_refused"], out  # ERANGE, veth's errno
    assert f"refused native XDP on {srv.iface}: " in res.stderr and "Peer MTU" in res.stderr
    assert "xdpgeneric" in srv.run(["ip", "link", "show", srv.iface]).stdout
    srv.xdp("detach", srv.iface)
    # The probe that read the driver's reason left nothing attached in native mode either.
    assert "prog/xdp" not in srv.run(["ip", "-d", "link", "show", srv.iface]).stdout

    cli.run(["ip", "link", "set", cli.iface, "mtu", "1500"])
    res = srv.xdp("attach", srv.iface)
    assert json.loads(res.stdout)["mode"] == "native" and json.loads(res.stdout)["native_refused"] == ""
    assert "refused" not in res.stderr
    srv.xdp("detach", srv.iface)


def test_second_attach_refused_as_busy_and_first_left_alone(netns_pair):
    srv = netns_pair.server
    srv.xdp("attach", srv.iface)
    second = srv.xdp("attach", srv.iface, check=False)
    assert second.returncode == 6
    assert "already attached" in second.stderr or "detach it first" in second.stderr
    assert json.loads(srv.xdp("stats", srv.iface, "--json").stdout)["mode"] == "native"
    srv.xdp("detach", srv.iface)


def test_unknown_interface_and_bad_numbers_exit_with_distinct_codes(netns_pair):
    srv = netns_pair.server
    missing = srv.xdp("attach", "nosuchif0", check=False)
    assert missing.returncode == 3
    assert "not found in this network namespace" in missing.stderr
    for bad in (["--port", "0"], ["--port", "70000"], ["--port", "-1"], ["--ratelimit", "1x"],
                ["--steer", "sideways"], ["--workers", "0-99999"], ["--qsize", "0"]):
        res = srv.xdp("attach", srv.iface, *bad, check=False)
        assert res.returncode == 2, bad
        assert "invalid" in res.stderr, bad
        assert "Traceback" not in res.stderr
    nothing = srv.xdp("stats", srv.iface, check=False)
    assert nothing.returncode == 8
    assert "is fastpath XDP attached" in nothing.stderr

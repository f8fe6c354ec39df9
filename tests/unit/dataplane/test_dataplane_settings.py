"""The dataplane role's input check (plugins/plugin_utils/dataplane_settings.py and its filter): the
server's ranges come from native/server/config_keys.def, the file config.c includes, read here from
the collection itself, and every message names the Ansible variable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.filter.dataplane_settings import (
    dataplane_afxdp_check,
    dataplane_settings_check,
    dataplane_xdp_interface,
)
from ansible_collections.fastpath.host.plugins.plugin_utils.dataplane_settings import check_settings
from ansible_collections.fastpath.host.plugins.plugin_utils.server_keys import (
    KEYS_DEF,
    KeysDefError,
    load_keys_def,
    parse_keys_def,
)

REPO = Path(__file__).resolve().parents[3]
DEFAULTS = yaml.safe_load((REPO / "roles/dataplane/defaults/main.yml").read_text())
KEYS = load_keys_def()


def check(online="0-3", plan="", **changes):
    return check_settings({**DEFAULTS, **changes}, online, plan, KEYS)


def problems(**changes):
    return check(**changes)["problems"]


def test_the_table_is_the_one_config_c_includes():
    assert KEYS_DEF == REPO / "native/server/config_keys.def"
    assert '#include "config_keys.def"' in (REPO / "native/server/config.c").read_text()
    assert KEYS.limits == {"FP_MAX_WORKERS": 64, "FP_MAX_UPSTREAMS": 16}
    assert {k: (r.min, r.max) for k, r in KEYS.ranges.items()}["port"] == (1, 65535)
    # every server range has a role variable of the same name, so none goes unchecked
    assert all(f"dataplane_{key}" in DEFAULTS for key in KEYS.ranges)


def test_the_role_defaults_pass():
    result = check()
    assert result == {"workers": "1,2,3", "workers_source": "online CPUs but CPU 0", "nworkers": 3,
                      "problems": []}


def test_a_range_changed_in_config_keys_def_changes_the_check():
    """Edit the real file's text (not a copy kept in the tests) and the controller follows it."""
    text = KEYS_DEF.read_text()
    assert "FP_RANGE(port, 1, 65535, FP_COUNT, FP_ANY)" in text
    narrower = parse_keys_def(text.replace("FP_RANGE(port, 1, 65535,", "FP_RANGE(port, 1, 8000,"))
    settings = {**DEFAULTS, "dataplane_port": 9000}
    assert check_settings(settings, "0-3", "", KEYS)["problems"] == []
    assert check_settings(settings, "0-3", "", narrower)["problems"] == [
        "dataplane_port must be from 1 to 8000, got 9000"]
    fewer = parse_keys_def(text.replace("FP_LIMIT(FP_MAX_WORKERS, 64)", "FP_LIMIT(FP_MAX_WORKERS, 2)"))
    assert check_settings(DEFAULTS, "0-3", "", fewer)["problems"] == [
        "online CPUs but CPU 0: the server runs at most 2 workers"]


def test_the_filter_reads_the_file_from_a_given_path_too(tmp_path):
    edited = tmp_path / "config_keys.def"
    edited.write_text(KEYS_DEF.read_text().replace("FP_RANGE(batch, 1, 4096,", "FP_RANGE(batch, 2, 4096,"))
    assert check_settings({**DEFAULTS, "dataplane_batch": 1}, "0-3", "", load_keys_def(edited))[
        "problems"] == ["dataplane_batch must be from 2 to 4096, got 1"]


@pytest.mark.parametrize("line", [
    "FP_RANGE(port, 1, 65535, FP_COUNT)",  # a column short
    "FP_RANGE(port, 1, 65535, FP_LITRES, FP_ANY)",  # no such unit
    "FP_RANGE(port, one, 65535, FP_COUNT, FP_ANY)",
    "FP_LIMIT(FP_MAX_WORKERS, 0x40)",  # decimal only
])
def test_an_entry_out_of_shape_is_refused_naming_its_line(line):
    with pytest.raises(KeysDefError, match=r"config_keys.def:3: not an FP_LIMIT or FP_RANGE entry"):
        parse_keys_def("/* a\n comment */\n" + line + "\nFP_RANGE(batch, 1, 4096, FP_COUNT, FP_ANY)\n")


def test_a_file_without_ranges_is_refused():
    with pytest.raises(KeysDefError, match="no FP_RANGE entries"):
        parse_keys_def("/* FP_RANGE(port, 1, 2, FP_COUNT, FP_ANY) only in a comment */\n")


@pytest.mark.parametrize(("changes", "message"), [
    ({"dataplane_port": 70000}, "dataplane_port must be from 1 to 65535, got 70000"),
    ({"dataplane_port": "70000"}, "dataplane_port must be from 1 to 65535, got 70000"),  # -e port=70000
    ({"dataplane_port": "80x"}, "dataplane_port must be from 1 to 65535, got 80x"),
    ({"dataplane_port": True}, "dataplane_port must be from 1 to 65535, got True"),
    ({"dataplane_queue_depth": 7, "dataplane_batch": 1},
     "dataplane_queue_depth must be from 8 to 32768, got 7"),
    ({"dataplane_batch": 0}, "dataplane_batch must be from 1 to 4096, got 0"),
    ({"dataplane_buffers": 1000}, "dataplane_buffers must be a power of two from 64 to 32768, got 1000"),
    ({"dataplane_buffers": 65536}, "dataplane_buffers must be a power of two from 64 to 32768, got 65536"),
    ({"dataplane_buffer_size": 2000},
     "dataplane_buffer_size must be a multiple of 64 from 1536 to 65536 bytes, got 2000"),
    ({"dataplane_sndbuf": 4095}, "dataplane_sndbuf must be from 4096 to 1073741824 bytes, got 4095"),
    ({"dataplane_rcvbuf": 2 ** 31}, "dataplane_rcvbuf must be from 4096 to 1073741824 bytes, got 2147483648"),
    ({"dataplane_busy_poll_us": 1000001}, "dataplane_busy_poll_us must be from 0 to 1000000, got 1000001"),
    ({"dataplane_rate_limit_pps": -1}, "dataplane_rate_limit_pps must be from 0 to 100000000, got -1"),
    ({"dataplane_stats_interval_ms": 99}, "dataplane_stats_interval_ms must be from 100 to 60000, got 99"),
    ({"dataplane_restart_throttle": -1},
     "dataplane_restart_throttle must be 0 (all at once) or more, got -1"),
    ({"dataplane_restart_delay_ms": 60001}, "dataplane_restart_delay_ms must be from 0 to 60000, got 60001"),
    ({"dataplane_build_jobs": 0}, "dataplane_build_jobs must be from 1 to 256, got 0"),
    ({"dataplane_start_timeout": 3601}, "dataplane_start_timeout must be from 1 to 3600, got 3601"),
    ({"dataplane_listen_address": "localhost"},
     'dataplane_listen_address must be an IPv4 or IPv6 address, got "localhost"'),
    ({"dataplane_stats_textfile": "stats.prom"},
     'dataplane_stats_textfile must be an absolute path or empty, got "stats.prom"'),
])
def test_one_bad_value_gives_one_message_naming_the_variable(changes, message):
    assert problems(**changes) == [message]


def test_the_edges_of_each_range_pass():
    for key, rng in KEYS.ranges.items():
        for value in (rng.min, rng.max):
            extra = {"dataplane_queue_depth": 32768} if key == "batch" else \
                {"dataplane_batch": 1} if key == "queue_depth" else {}
            assert problems(**{f"dataplane_{key}": value, **extra}) == [], (key, value)


def test_every_problem_is_reported_at_once():
    found = problems(dataplane_port=0, dataplane_buffers=3, dataplane_worker_cpus="9")
    assert len(found) == 3 and found[0].startswith("dataplane_worker_cpus: CPU(s) 9")


def test_batch_must_fit_the_queue_and_a_relay_batch_per_upstream():
    assert problems(dataplane_batch=128, dataplane_queue_depth=64) == [
        "dataplane_batch (128) must not exceed dataplane_queue_depth (64)"]
    relay = {"dataplane_mode": "relay", "dataplane_upstreams": ["198.18.0.2:9", "198.18.0.3:9"]}
    assert problems(**relay, dataplane_batch=64, dataplane_queue_depth=128) == []
    assert problems(**relay, dataplane_batch=65, dataplane_queue_depth=128) == [
        "dataplane_batch (65) x the number of upstreams (2) must not exceed dataplane_queue_depth (128) "
        "(relay sends each packet once per upstream)"]


def test_mode_and_upstreams_must_agree():
    assert problems(dataplane_mode="relay") == [
        "dataplane_mode is relay but dataplane_upstreams is empty: give at least one address"]
    assert problems(dataplane_upstreams=["198.18.0.2:9"]) == [
        "dataplane_upstreams is set but dataplane_mode is echo: set the mode to relay or empty the list"]


def test_upstreams_are_ip_literals_with_ports_and_at_most_the_servers_limit():
    relay = {"dataplane_mode": "relay", "dataplane_batch": 1}
    assert problems(**relay, dataplane_upstreams=["198.18.2.50", "[2001:db8::1]:7", "host:9"]) == [
        'dataplane_upstreams must be "address:port" or "[ipv6]:port" with IP literals (the server resolves '
        "no names); not: 198.18.2.50, host:9"]
    assert problems(**relay, dataplane_upstreams=["198.18.0.2:70000"]) == [
        "dataplane_upstreams: every port must be from 1 to 65535"]
    assert problems(**relay, dataplane_upstreams=["198.18.0.2:0"]) == [
        "dataplane_upstreams: every port must be from 1 to 65535"]
    many = [f"198.18.0.2:{p}" for p in range(1, 18)]
    assert problems(**relay, dataplane_upstreams=many) == [
        "dataplane_upstreams: the server relays to at most 16 upstreams"]
    assert problems(**relay, dataplane_upstreams=many[:16]) == []


def test_workers_come_from_the_operator_then_the_plan_then_the_online_cpus():
    assert check(dataplane_worker_cpus=" 3,1 ", plan="2")["workers"] == "1,3"
    planned = check(plan="2-3")
    assert (planned["workers"], planned["workers_source"]) == ("2,3", "cpu_partition_plan.workers")
    assert check(online="0")["workers"] == "0"  # one CPU: it serves too
    assert check(online="0-2,4\n")["workers"] == "1,2,4"


@pytest.mark.parametrize(("online", "changes", "plan", "message"), [
    ("0-1", {"dataplane_worker_cpus": "0,63"}, "",
     "dataplane_worker_cpus: CPU(s) 63 are not online on this host (online: 0-1)"),
    ("0-3", {"dataplane_worker_cpus": "one"}, "",
     'dataplane_worker_cpus must be a cpulist such as "1-3,6" naming at least one CPU, got "one"'),
    ("0-3", {"dataplane_worker_cpus": "3-1"}, "",
     'dataplane_worker_cpus must be a cpulist such as "1-3,6" naming at least one CPU, got "3-1"'),
    # the kernel's stride form: module_utils' parser reads it, the server does not
    ("0-7", {"dataplane_worker_cpus": "0-7:2/4"}, "",
     'dataplane_worker_cpus must be a cpulist such as "1-3,6" naming at least one CPU, got "0-7:2/4"'),
    ("0-3", {}, "5", "cpu_partition_plan.workers: CPU(s) 5 are not online on this host (online: 0-3)"),
    ("0-99", {"dataplane_worker_cpus": "0-64"}, "",
     "dataplane_worker_cpus: the server runs at most 64 workers"),
])
def test_bad_worker_cpus_are_named_by_where_they_came_from(online, changes, plan, message):
    assert check(online=online, plan=plan, **changes)["problems"] == [message]


def test_unreadable_online_cpus_are_reported():
    assert "cannot read the online CPUs (/sys/devices/system/cpu/online)" in check(online="")["problems"]


def test_the_filter_uses_the_collections_file_and_refuses_a_non_dict():
    result = dataplane_settings_check({**DEFAULTS, "dataplane_port": 0}, "0-1\n")
    assert result["problems"] == ["dataplane_port must be from 1 to 65535, got 0"]
    assert result["workers"] == "1"
    with pytest.raises(AnsibleFilterError, match="expected a dict"):
        dataplane_settings_check(["dataplane_port"], "0-1")


ROUTES = '[{"dst": "default", "gateway": "198.18.6.1", "dev": "eth0", "flags": []}]'
LINKS = ('[{"ifname": "lo", "link_type": "loopback"}, {"ifname": "eth0", "link_type": "ether"}, '
         '{"ifname": "eth1", "link_type": "ether"}]')
ONE_LINK = '[{"ifname": "lo", "link_type": "loopback"}, {"ifname": "ens5", "link_type": "ether"}]'


@pytest.mark.parametrize(("wanted", "mode", "routes", "links", "chosen"), [
    ("eth1", "pass", ROUTES, LINKS, "eth1"),  # the operator's, whatever the routes say
    ("", "off", ROUTES, LINKS, ""),  # no XDP: no interface
    ("", "pass", ROUTES, LINKS, "eth0"),  # the default route's
    ("", "cpumap", "[]", ONE_LINK, "ens5"),  # no default route: the one interface there is
    ("", "pass", "[]", LINKS, ""),  # no route and two interfaces: the role asks for one
    ("", "pass", "", "", ""),  # the commands were skipped
    ("", "pass", "not json", ONE_LINK, "ens5"),
    ("", "pass", '[{"dst": "default", "gateway": "198.18.6.1"}]', ONE_LINK, "ens5"),  # a route without dev
])
def test_the_xdp_interface_is_the_operators_then_the_default_routes_then_the_only_one(
        wanted, mode, routes, links, chosen):
    assert dataplane_xdp_interface(wanted, mode, routes, links) == chosen


# xdp_mode afxdp against the interface (fastpath.host.dataplane_afxdp_check), as validate.yml asks.
SETTLED = {"workers": "1,2", "workers_source": "the cpu_partition plan (1,2)", "nworkers": 2, "problems": []}


@pytest.mark.parametrize("rx_queues", [2, 4])
@pytest.mark.parametrize("buffer_size", [2048, "4096"])
def test_afxdp_passes_with_a_queue_per_worker_and_a_umem_frame_size(rx_queues, buffer_size):
    assert dataplane_afxdp_check(SETTLED, "eth0", rx_queues, buffer_size) == []


def test_afxdp_refuses_more_workers_than_rx_queues_naming_where_the_workers_came_from():
    [problem] = dataplane_afxdp_check(SETTLED, "eth0", "1", 2048)
    assert problem == ("the cpu_partition plan (1,2) gives 2 workers but eth0 has 1 rx queues (one worker "
                       "per queue): use fewer workers or more channels (nic_tuning)")


@pytest.mark.parametrize("buffer_size", [1024, 3000, 8192, "big"])
def test_afxdp_refuses_a_buffer_size_that_is_no_umem_frame(buffer_size):
    [problem] = dataplane_afxdp_check(SETTLED, "eth0", 2, buffer_size)
    assert problem == f"dataplane_buffer_size must be 2048 or 4096 (an AF_XDP frame), got {buffer_size}"


def test_afxdp_reports_both_problems_at_once():
    assert len(dataplane_afxdp_check(SETTLED, "eth0", 1, 1024)) == 2


@pytest.mark.parametrize("settled, queues", [("x", 2), (SETTLED, "many")])
def test_afxdp_check_refuses_inputs_of_the_wrong_kind(settled, queues):
    with pytest.raises(AnsibleFilterError, match="dataplane_afxdp_check"):
        dataplane_afxdp_check(settled, "eth0", queues, 2048)

"""fastpath-textfile (module_utils/host_textfile.py) on the driver fixture trees.

The host-side writer must give the very textfile the controller's renderer gives for the same host
(one renderer, not two); the server's own counters go in after it unchanged, and only when every
name in them is the server's; the file is replaced in one step. Each output is read by
prometheus_client's parser (what Prometheus's Python tooling uses) and by the strict one here.
"""

import os
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from promtext import parse, series
from report_docs import driver_trees, host_data, tree

from ansible_collections.fastpath.host.plugins.module_utils import host_textfile
from ansible_collections.fastpath.host.plugins.module_utils.report_doc import HostDoc
from ansible_collections.fastpath.host.plugins.module_utils.report_textfile import render_textfile

# When it was read differs by nature; the warning count too here, because Ansible keeps module
# warnings in one process-wide list that report_docs' in-process module runs add up across tests.
UNCOMPARED = ("fastpath_report_collected_timestamp_seconds", "fastpath_report_warnings")
# As fastpath-server writes it (native/server/stats.c), one worker on CPU 1.
SERVER_TEXT = (
    "# HELP fastpath_server_info The server's mode and the XDP mode attached.\n"
    "# TYPE fastpath_server_info gauge\n"
    'fastpath_server_info{mode="echo",xdp_mode="native"} 1\n'
    "# HELP fastpath_server_rx_packets_total Datagrams received.\n"
    "# TYPE fastpath_server_rx_packets_total counter\n"
    'fastpath_server_rx_packets_total{worker="0",cpu="1"} 16000\n'
)


def comparable(text: str) -> dict:
    fams = parse(text)
    for name in UNCOMPARED:
        fams.pop(name)
    return fams


def run(tmp_path, root, *extra) -> tuple[int, str]:
    out = tmp_path / "fastpath.prom"
    rc = host_textfile.main(["--out", str(out), "--root", str(root), "--host", "h",
                             "--server-textfile", str(tmp_path / "none.prom"),
                             "--server-stats", str(tmp_path / "none.json"), *extra])
    return rc, out.read_text() if out.exists() else ""


@pytest.mark.parametrize("name", driver_trees())
def test_the_host_writes_what_the_controller_renders_for_the_same_tree(tmp_path, name):
    rc, text = run(tmp_path, tree(name))
    assert rc == 0
    controller = render_textfile(HostDoc.from_data(host_data(tree(name), host="h")))
    assert comparable(text) == comparable(controller)
    names = {f.name for f in text_string_to_metric_families(text)}
    assert {"fastpath_nic_queue_info", "fastpath_softnet_processed", "fastpath_cpus_online"} <= names


def test_the_servers_counters_follow_as_the_server_wrote_them(tmp_path):
    doc = host_textfile.collect(host_textfile.HostFS(str(tree("virtio_net"))), "h")
    text = host_textfile.render(doc, SERVER_TEXT)
    assert text.endswith(SERVER_TEXT)
    fams = parse(text)
    assert series(fams, "fastpath_server_rx_packets_total") == [({"worker": "0", "cpu": "1"}, 16000.0)]
    assert series(fams, "fastpath_report_warnings") == [({}, float(len(doc["warnings"])))]
    parsed = {f.name: f for f in text_string_to_metric_families(text)}
    assert parsed["fastpath_server_rx_packets"].type == "counter"


@pytest.mark.parametrize("bad, reason", [
    ("fastpath_nic_info 1\n", "not a fastpath_server_ metric"),
    ("# TYPE fastpath_cpus_online gauge\n", "not a fastpath_server_ metric"),
    ("fastpath_server_info 1", "without a newline"),
    ("garbage\n", "not a fastpath_server_ metric"),
])
def test_a_server_file_that_is_not_the_servers_is_left_out_and_counted(bad, reason):
    doc = host_textfile.collect(host_textfile.HostFS(str(tree("virtio_net"))), "h")
    assert reason in host_textfile.server_text(bad)[1]
    text = host_textfile.render(doc, bad)
    reason = host_textfile.server_text(bad)[1]
    assert text == render_textfile(HostDoc.from_data({**doc, "warnings": [*doc["warnings"], reason]}))
    assert series(parse(text), "fastpath_report_warnings") == [({}, float(len(doc["warnings"]) + 1))]


def test_the_workers_in_the_servers_stats_reach_the_layout_finding(tmp_path):
    stats = tmp_path / "stats.json"
    stats.write_text('{"workers": [{"worker": 0, "cpu": 1}]}')
    out = tmp_path / "out.prom"
    assert host_textfile.main(["--out", str(out), "--root", str(tree("virtio_net")), "--host", "h",
                               "--server-stats", str(stats), "--server-textfile", str(tmp_path / "x")]) == 0
    layout = "dataplane worker(s) receive on CPUs that serve its queue IRQs"
    found = [s["what"] for s, _v in series(parse(out.read_text()), "fastpath_finding") if layout in s["what"]]
    assert set(found) == {f"eth1: 1 {layout}", f"eth10: 1 {layout}"}


def test_the_file_is_replaced_in_one_step_and_no_temporary_file_stays(tmp_path):
    out = tmp_path / "fastpath.prom"
    out.write_text("old\n")
    inode = out.stat().st_ino
    rc, text = run(tmp_path, tree("mlx5"))
    assert rc == 0 and text != "old\n"
    assert out.stat().st_ino != inode, "written in place, not renamed over"
    assert sorted(os.listdir(tmp_path)) == ["fastpath.prom"]
    assert oct(out.stat().st_mode & 0o777) == "0o644"


def test_a_directory_that_cannot_be_written_fails_with_exit_1_and_says_why(tmp_path, capsys):
    rc = host_textfile.main(["--out", str(tmp_path / "missing" / "f.prom"), "--root", str(tree("mlx5"))])
    assert rc == 1
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--root", "/"], ["--out", "/x", "--irq-cpus", "3-1"],
                                  ["--out", "/x", "--layout", "diagonal"]])
def test_bad_arguments_exit_2(argv):
    assert host_textfile.main(argv) == 2


def test_the_zip_the_role_installs_holds_every_module_the_command_imports():
    """host_metrics copies __host_metrics_modules to the host; one missing is an ImportError there."""
    repo = Path(__file__).resolve().parents[3]
    role_vars = yaml.safe_load((repo / "roles/host_metrics/vars/main.yml").read_text())
    listed = set(role_vars["__host_metrics_modules"])
    base, needed, todo = repo / "plugins/module_utils", set(), ["host_textfile"]
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo += re.findall(r"plugins\.module_utils\.(\w+) import", (base / f"{name}.py").read_text())
    assert listed == needed

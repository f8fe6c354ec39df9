"""Each host's textfile, from the host-model modules run on the driver fixture trees, parsed strictly."""

import json
from pathlib import Path

import pytest
from promtext import parse, series
from report_docs import driver_trees, host_data, tree

from ansible_collections.fastpath.host.plugins.module_utils.report_doc import HostDoc
from ansible_collections.fastpath.host.plugins.module_utils.report_textfile import render_textfile

QUEUE_INFO = "fastpath_nic_queue_info"
SMOKE_FIXTURES = Path(__file__).resolve().parents[1] / "smoke" / "fixtures"
CPU_LABELS = {"cpu", "package", "core", "node", "online", "isolated", "nohz_full"}


def textfile(data: dict) -> dict:
    return parse(render_textfile(HostDoc.from_data(data)))


@pytest.mark.parametrize("name", driver_trees())
def test_every_driver_tree_gives_a_valid_textfile_that_matches_the_host_model(name):
    data = host_data(tree(name))
    fams = textfile(data)
    queue_info = {(s["device"], s["direction"], s["queue"]): s for s, _value in series(fams, QUEUE_INFO)}
    for device, nic in data["interfaces"].items():
        for direction, mask in (("rx", "rps_cpus"), ("tx", "xps_cpus")):
            for q in nic["queues"][direction]:
                labels = queue_info.pop((device, direction, str(q["index"])))
                assert labels["irq"] == ("" if q.get("irq") is None else str(q["irq"]))
                assert labels["cpus"] == (q[mask] or "")
    assert queue_info == {}, "queues in the textfile that the host model does not have"
    # Keyed by device too: mlx4's two ports share their PCI function's IRQs, each port lists them.
    # CPUs where an IRQ never fired are left out (absent = 0).
    counts = {(s["device"], s["irq"], s["cpu"]): v for s, v in series(fams, "fastpath_irq_interrupts_total")}
    for device, nic in data["interfaces"].items():
        for irq in nic["irqs"]:
            for cpu, n in irq["per_cpu"].items():
                assert counts.pop((device, str(irq["irq"]), cpu), 0) == n
    assert counts == {}
    dropped = {s["cpu"]: v for s, v in series(fams, "fastpath_softnet_dropped_total")}
    assert dropped == {str(r["cpu"]): r["dropped"] for r in data["cpus"]["softnet"]}
    assert sum(v for _labels, v in series(fams, "fastpath_finding")) == len(data["findings"])


def test_mlx5_ports_keep_their_own_irqs_and_the_cpu_topology_is_labelled():
    fams = textfile(host_data(tree("mlx5")))
    by_device = {}
    for labels, _value in series(fams, "fastpath_irq_affinity_info"):
        by_device.setdefault(labels["device"], set()).add(labels["irq"])
    assert len(by_device) == 2
    a, b = list(by_device.values())
    assert a and b and not a & b
    cpus = [labels for labels, _value in series(fams, "fastpath_cpu_info")]
    assert cpus and all(set(c) == CPU_LABELS for c in cpus)
    speed = {s["device"]: v for s, v in series(fams, "fastpath_nic_speed_bytes")}
    assert speed["ens1f0np0"] == 25000 * 125000


def test_hostile_names_from_a_host_stay_inside_their_labels():
    data = host_data(tree("virtio_net"))
    nic = next(iter(data["interfaces"].values()))
    nic["irqs"][0]["name"] = 'x"} 1\n# TYPE fastpath_pwned gauge\nfastpath_pwned 1 \\'
    data["interfaces"] = {'eth0"\n': nic}
    data["findings"] = [{"severity": "high", "what": "a\nb", "evidence": "", "fix": ""}] * 2
    fams = textfile(data)
    assert "fastpath_pwned" not in fams
    assert {s["device"] for s, _value in series(fams, "fastpath_nic_info")} == {'eth0"\n'}
    assert series(fams, "fastpath_finding") == [({"severity": "high", "what": "a\nb"}, 2.0)]


def test_a_document_with_nothing_readable_still_renders():
    fams = textfile({"host": "empty", "cpus": None, "interfaces": None, "irqs": None})
    assert series(fams, "fastpath_report_warnings") == [({}, 0.0)]
    assert "fastpath_nic_info" not in fams


def test_the_servers_workers_reach_nic_info_and_a_worker_on_an_irq_cpu_is_counted():
    """fastpath-server's stats captured from a real run (worker 0 on CPU 1), on the untuned virtio_net
    tree where a queue IRQ of each NIC is delivered to CPU 1: the layout finding, per NIC."""
    server = json.loads((SMOKE_FIXTURES / "server-stats-after.json").read_text())
    assert [w["cpu"] for w in server["workers"]] == [1]
    layout = "dataplane worker(s) receive on CPUs that serve its queue IRQs"
    split = host_data(tree("virtio_net"), server=server)
    found = [f for f in split["findings"] if layout in f["what"]]
    assert sorted(f["interface"] for f in found) == ["eth1", "eth10"]
    counted = {s["what"]: v for s, v in series(textfile(split), "fastpath_finding")}
    assert counted["eth1: 1 " + layout] == 1
    shared = host_data(tree("virtio_net"), server=server, nic_args={"layout": "shared"})
    assert not [f for f in shared["findings"] if layout in f["what"]]

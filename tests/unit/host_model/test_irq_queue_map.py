"""The IRQ <-> queue map on fixture trees of every supported driver, two NICs each."""

import re

import host_trees
import pytest
from conftest import tree

from ansible_collections.fastpath.host.plugins.module_utils.commands import CommandRunner
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS
from ansible_collections.fastpath.host.plugins.module_utils.nic_model import read_interfaces

# driver tree -> (the two NICs, {queue-kind: name pattern for queue {q} of NIC {nic}/{bdf}})
CASES = {
    "mlx5": (("ens1f0np0", "ens1f1np1"), {"txrx": r"mlx5_comp{q}@pci:{bdf}"}),
    "ice": (("eth1", "eth10"), {"txrx": r"ice-{nic}-TxRx-{q}"}),
    "i40e": (("eth1", "eth10"), {"txrx": r"i40e-{nic}-TxRx-{q}"}),
    "iavf": (("eth1", "eth10"), {"txrx": r"iavf-{nic}-TxRx-{q}"}),
    "idpf": (("eth1", "eth10"), {"txrx": r"idpf-{nic}-TxRx-{q}"}),
    "ixgbe": (("eth1", "eth10"), {"txrx": r"{nic}-TxRx-{q}"}),
    "ixgbe_no_msi_irqs": (("eth1", "eth10"), {"txrx": r"{nic}-TxRx-{q}"}),
    "igb": (("eth1", "eth10"), {"txrx": r"{nic}-TxRx-{q}"}),
    "bnxt_en": (("eth1", "eth10"), {"txrx": r"{nic}-TxRx-{q}"}),
    "ena": (("eth1", "eth10"), {"txrx": r"{nic}-Tx-Rx-{q}"}),
    "sfc": (("eth1", "eth10"), {"txrx": r"{nic}-{q}"}),
    "mana": (("eth1", "eth10"), {"txrx": r"mana_q{q}@pci:{bdf}"}),
    "virtio_net": (("eth1", "eth10"), {"rx": r"{vdev}-input\.{q}", "tx": r"{vdev}-output\.{q}"}),
    # gve: 8 notify blocks; tx queue q is block q, rx queue q is block 4 + q.
    "gve": (("eth1", "eth10"), {"tx": r"gve-ntfy-blk{q}@pci:{bdf}", "rx": r"gve-ntfy-blk{q4}@pci:{bdf}"}),
}


def model(name):
    fs = HostFS(tree(name))
    return read_interfaces(fs, CommandRunner(fs)), fs.warnings


@pytest.mark.parametrize("driver", sorted(CASES))
def test_every_queue_gets_the_irq_its_driver_named_for_it(driver):
    nics, _warnings = model(driver)
    names, patterns = CASES[driver]
    for nic in names:
        info = nics[nic]
        by_irq = {i["irq"]: i for i in info["irqs"]}
        for kind in ("rx", "tx"):
            pattern = patterns.get(kind) or patterns["txrx"]
            assert len(info["queues"][kind]) == 4
            for q in info["queues"][kind]:
                assert q["irq"] is not None, f"{driver} {nic} {kind}-{q['index']} has no IRQ"
                want = pattern.format(
                    nic=re.escape(nic),
                    q=q["index"],
                    q4=q["index"] + 4,
                    bdf=re.escape(info["bus_info"] or ""),
                    vdev=info["virtio_device"],
                )
                assert re.fullmatch(want, by_irq[q["irq"]]["name"]), (nic, kind, by_irq[q["irq"]]["name"])


@pytest.mark.parametrize("driver", sorted(set(CASES) - {"mana"}))
def test_two_nics_of_one_driver_never_share_an_irq(driver):
    nics, _warnings = model(driver)
    first, second = (nics[n] for n in CASES[driver][0])
    assert {i["irq"] for i in first["irqs"]}.isdisjoint({i["irq"] for i in second["irqs"]})
    assert first["irqs"] and second["irqs"]


def test_eth1_never_takes_eth10_irqs_even_without_msi_irqs():
    nics, _warnings = model("ixgbe_no_msi_irqs")
    assert nics["eth1"]["msi_irqs"] is None
    assert all(i["name"] == "eth1" or i["name"].startswith("eth1-") for i in nics["eth1"]["irqs"])
    assert {i["name"] for i in nics["eth1"]["irqs"] if i["kind"] == "other"} == {"eth1"}


def test_non_queue_vectors_are_kind_other():
    expected_other = {
        "mlx5": "mlx5_async4@pci:",
        "ice": ":misc",
        "i40e": ":misc",
        "iavf": ":mbx",
        "idpf": "idpf-Mailbox-0",
        "ena": "ena-mgmnt@pci:",
        "gve": "gve-mgmnt@pci:",
        "virtio_net": "-config",
        "mana": "mana_hwc@pci:",
    }
    for driver, marker in expected_other.items():
        nics, _warnings = model(driver)
        nic = nics[CASES[driver][0][0]]
        others = [i["name"] for i in nic["irqs"] if i["kind"] == "other"]
        assert len(others) == 1 and marker in others[0], (driver, others)


def test_virtio_irqs_come_from_the_pci_function_above_virtiok():
    nics, _warnings = model("virtio_net")
    eth1 = nics["eth1"]
    assert eth1["driver"] == "virtio_net" and eth1["virtio_device"] == "virtio1"
    assert eth1["bus_info"] == "0000:00:03.0"
    assert len(eth1["msi_irqs"]) == 9
    assert {i["kind"] for i in eth1["irqs"]} == {"rx", "tx", "other"}


def test_mlx4_ports_share_the_function_and_claim_no_queue(tmp_path):
    nics, warnings = model("mlx4")
    assert [i["irq"] for i in nics["eth1"]["irqs"]] == [i["irq"] for i in nics["eth10"]["irqs"]]
    assert all(q["irq"] is None for q in nics["eth1"]["queues"]["rx"])
    assert any("mlx4 assigns completion vectors" in w for w in warnings)


def test_mana_vports_share_the_queue_vectors_of_their_function():
    nics, _warnings = model("mana")
    assert [q["irq"] for q in nics["eth1"]["queues"]["rx"]] == [
        q["irq"] for q in nics["eth10"]["queues"]["rx"]
    ]


def test_every_driver_tree_is_covered():
    assert {p.name for p in host_trees.root().iterdir()} - {"broken"} == set(CASES) | {"mlx4"}

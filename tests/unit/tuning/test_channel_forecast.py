"""Check mode's IRQ plan after a channel change (issue 15, Deliver 3), on the driver fixture trees.

The real run changes the channels, reads the NIC again and plans. Here the "after" NIC is the
fixture tree changed the way the driver changes it (ice frees the IRQs of removed channels;
virtio_net keeps a vector per virtqueue), read by nic_info like the real run reads it; check mode's
plan, made from the tree as it is before with the forecast, must pin exactly the same IRQs to the
same CPUs. Planning from the NIC as it is (what check mode did) pins IRQs the change takes away.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from report_docs import run_module, tree  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.channel_forecast import (  # noqa: E402
    after_channels,
)
from ansible_collections.fastpath.host.plugins.module_utils.partition import plan_partition  # noqa: E402

IF = "eth1"


def facts(root: Path) -> tuple[dict, dict]:
    cpus = run_module("cpu_info", {"root": str(root)})["cpus"]
    nic = run_module("nic_info", {"root": str(root), "interfaces": [IF]})["interfaces"][IF]
    return cpus, nic


def changed_like_the_driver(src: Path, dst: Path, keep: int, freed: list[int]) -> Path:
    """The tree after `ethtool -L IF combined KEEP`: queues beyond KEEP gone, `freed` IRQs gone
    from /proc/interrupts, /proc/irq and the device's msi_irqs."""
    shutil.copytree(src, dst, symlinks=True)
    queues = dst / "sys/class/net" / IF / "queues"
    for q in queues.iterdir():
        if int(q.name.split("-")[1]) >= keep:
            shutil.rmtree(q)
    interrupts = dst / "proc/interrupts"
    lines = interrupts.read_text().splitlines(keepends=True)
    numbers = {str(i) for i in freed}
    interrupts.write_text("".join(ln for ln in lines if ln.split(":")[0].strip() not in numbers))
    for irq in freed:
        shutil.rmtree(dst / f"proc/irq/{irq}")
        for entry in dst.glob(f"sys/**/msi_irqs/{irq}"):
            entry.unlink() if entry.is_file() or entry.is_symlink() else shutil.rmtree(entry)
    return dst


def queue_irqs(nic: dict) -> dict[int, int]:
    return {i["irq"]: i["queue"] for i in nic["irqs"] if i["kind"] != "other"}


@pytest.mark.parametrize("driver, irqs_freed", [("ice", True), ("virtio_net", False)])
def test_check_mode_plans_the_irqs_the_channel_change_leaves(tmp_path, driver, irqs_freed):
    before_root = tree(driver)
    cpus, before = facts(before_root)
    gone = [irq for irq, q in queue_irqs(before).items() if q >= 2]
    assert gone, "the tree needs queue IRQs beyond queue 1"
    after_root = changed_like_the_driver(before_root, tmp_path / driver, 2, gone if irqs_freed else [])
    _cpus, after = facts(after_root)
    real = plan_partition(cpus, after, max_queues=2)
    forecast = after_channels(before, {"combined": 2})
    predicted = plan_partition(cpus, forecast, max_queues=2)
    assert predicted["irq_affinity"] == real["irq_affinity"]
    assert (predicted["xps_cpus"], predicted["rps_cpus"]) == (real["xps_cpus"], real["rps_cpus"])
    assert [q["index"] for q in forecast["queues"]["rx"]] == [q["index"] for q in after["queues"]["rx"]]
    assert forecast["forecast"]["irqs_stay"] is not irqs_freed
    naive = plan_partition(cpus, before, max_queues=2)
    if irqs_freed:
        # What check mode did before: pin IRQs the change frees (the real run never sees them).
        assert set(naive["irq_affinity"]) - set(real["irq_affinity"]) == {str(i) for i in gone}
    else:
        assert naive["irq_affinity"] == real["irq_affinity"]


def test_queues_a_change_adds_are_named_with_their_irqs_unknown(tmp_path):
    """Back up from 2 channels to 4 on ice: the new queues' IRQs do not exist before the change, so
    the forecast pins the IRQs it knows and names the queues whose IRQs the real run pins."""
    cpus, full = facts(tree("ice"))
    gone = [irq for irq, q in queue_irqs(full).items() if q >= 2]
    _cpus, two = facts(changed_like_the_driver(tree("ice"), tmp_path / "ice2", 2, gone))
    forecast = after_channels(two, {"combined": 4})
    assert forecast["forecast"]["irqs_unknown"] == ["rx-2", "rx-3", "tx-2", "tx-3"]
    predicted = plan_partition(cpus, forecast, max_queues=4)["irq_affinity"]
    real = plan_partition(cpus, full, max_queues=4)["irq_affinity"]
    assert set(real) - set(predicted) == {str(i) for i in gone}
    assert {k: v for k, v in real.items() if k in predicted} == predicted


def test_the_channels_it_has_already_forecast_the_nic_as_it_is():
    nic = run_module("nic_info", {"root": str(tree("mlx5"))})["interfaces"]["ens1f0np0"]
    forecast = after_channels(nic, {"combined": nic["channels"]["combined"]})
    assert forecast["queues"] == nic["queues"] and forecast["irqs"] == nic["irqs"]
    assert forecast["forecast"]["irqs_unknown"] == []

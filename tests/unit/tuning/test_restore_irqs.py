"""IRQ affinities are restored by queue, not by IRQ number, on a copy of the ixgbe fixture tree
(eth1: TxRx queues 0-3 on IRQs 27-30, link IRQ 31; 8 CPUs).

A reboot, a channel change or a driver reset re-requests the vectors, and the same queue can come
back under another number: here queue 0 and queue 3 swap IRQs 27 and 30, and every affinity is
reset to the kernel's default, as after a boot. Restored by number, queue 3's operator setting
would land on queue 0's IRQ; by queue, each goes where it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import host_trees
import pytest
from fake_host import run_module

from ansible_collections.fastpath.host.plugins.modules import (
    fastpath_restore,
    fastpath_snapshot,
    irq_affinity,
)

# The operator's own pinning before fastpath: queue N on CPU N, the link IRQ on CPU 7.
PRIOR = {27: "0", 28: "1", 29: "2", 30: "3", 31: "7"}


@pytest.fixture
def host(tmp_path) -> Path:
    root = tmp_path / "host"
    shutil.copytree(host_trees.tree("ixgbe"), root, symlinks=True)
    for irq, cpus in PRIOR.items():
        (root / f"proc/irq/{irq}/smp_affinity_list").write_text(cpus + "\n")
    return root


def affinity(root: Path, irq: int) -> str:
    return (root / f"proc/irq/{irq}/smp_affinity_list").read_text().strip()


def tune(root: Path) -> dict:
    return run_module(irq_affinity.main, {"root": str(root), "interface": "eth1",
                                          "irqs": {"27": "4", "28": "5", "29": "6", "30": "6", "31": "0"}})


def renumber(root: Path, swap: dict[str, str]) -> None:
    """The driver re-requested its vectors in another order (IRQ names moved between numbers),
    and the boot reset every affinity."""
    path = root / "proc/interrupts"
    lines = []
    for line in path.read_text().splitlines():
        for old, new in swap.items():
            if line.endswith(old):
                line = line[: -len(old)] + new
                break
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")
    for irq in PRIOR:
        (root / f"proc/irq/{irq}/smp_affinity_list").write_text("0-7\n")


def test_recorded_by_queue_and_put_back_on_that_queues_new_irq(host):
    assert tune(host)["changed"]
    renumber(host, {"eth1-TxRx-0": "eth1-TxRx-3", "eth1-TxRx-3": "eth1-TxRx-0"})
    out = run_module(fastpath_restore.main, {"root": str(host)})
    assert not out.get("failed"), out
    # Queue 0 is IRQ 30 now and gets queue 0's CPU; queue 3 is IRQ 27 and gets queue 3's.
    assert {irq: affinity(host, irq) for irq in PRIOR} == {27: "3", 28: "1", 29: "2", 30: "0", 31: "7"}
    labels = {r["label"] for r in out["results"] if r["status"] == "changed"}
    assert "irq_affinity eth1:txrx-0 (IRQ 30, was 27)" in labels
    assert "irq_affinity eth1:eth1 (IRQ 31)" in labels  # the link IRQ, which serves no queue, by name
    again = run_module(fastpath_restore.main, {"root": str(host)})
    assert not again["changed"]


def test_a_queue_that_is_gone_is_skipped_with_the_reason(host):
    tune(host)
    renumber(host, {"eth1-TxRx-3": "unrelated-device"})  # fewer channels after the reboot
    out = run_module(fastpath_restore.main, {"root": str(host)})
    [skipped] = [r for r in out["results"] if r["status"] == "skipped"]
    assert skipped["key"] == "eth1:txrx-3"
    assert "eth1 has no IRQ for txrx queue 3 now (recorded as IRQ 30)" in skipped["reason"]
    assert affinity(host, 30) == "0-7"  # not given queue 3's setting: it is not queue 3's IRQ any more


def test_without_an_interface_irqs_are_recorded_by_number_as_before(host):
    run_module(irq_affinity.main, {"root": str(host), "irqs": {"27": "4"}})
    snapshot = run_module(fastpath_snapshot.main, {"root": str(host), "state": "show"})
    assert [(e["key"], e.get("identity")) for e in snapshot["entries"]] == [("27", None)]
    run_module(fastpath_restore.main, {"root": str(host)})
    assert affinity(host, 27) == "0"

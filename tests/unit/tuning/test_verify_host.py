"""verify_host on a copy of the ixgbe fixture tree (eth1: 4 TxRx queues on IRQs 27-30; 8 CPUs): a
NIC not yet as its saved plan says differs, setting by setting; once fastpath-reapply applied the
plan nothing differs; a sysctl persisted by tune and changed since is named; verify writes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import host_trees
import pytest

from ansible_collections.fastpath.host.plugins.module_utils import reapply
from ansible_collections.fastpath.host.plugins.module_utils.verify import verify_host

PLAN = {"version": 2, "interface": "eth1", "ethtool": {}, "queue_cpus": ["2", "3", "4", "5"],
        "housekeeping": "0", "xps_cpus": {"0": "0-2", "1": "1,3", "2": "4,6", "3": "5,7"},
        "rps_cpus": {"0": "", "1": "", "2": "", "3": ""}, "rps_flow_cnt": {"0": 0, "1": 0, "2": 0, "3": 0}}
HOST_PLAN = {"version": 1, "host": "srv1", "plan": {"workers": "6-7"},
             "inputs": {"cpu_partition_slice": True}}


@pytest.fixture
def host(tmp_path) -> Path:
    root = tmp_path / "host"
    shutil.copytree(host_trees.tree("ixgbe"), root, symlinks=True)
    (root / "var/lib/fastpath/reapply").mkdir(parents=True)
    (root / "var/lib/fastpath/reapply/nic-eth1.json").write_text(json.dumps(PLAN))
    (root / "var/lib/fastpath/plan.json").write_text(json.dumps(HOST_PLAN))
    return root


def tree(root: Path) -> dict:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_an_untuned_nic_differs_setting_by_setting_and_nothing_is_written(host):
    before = tree(host)
    out = verify_host(root=str(host), slice_cpus="6-7")
    differing = {d["setting"] for d in out["differences"]}
    assert {"irq_affinity 27", "sysfs eth1/tx-1/xps_cpus"} <= differing
    irq = next(d for d in out["differences"] if d["setting"] == "irq_affinity 27")
    assert (irq["desired"], irq["live"]) == ("2", "0-7")
    assert tree(host) == before


def test_after_the_reapply_nothing_differs(host):
    reapply.reapply("eth1", root=str(host))
    out = verify_host(root=str(host), slice_cpus="6-7")
    assert out["differences"] == []
    assert any(c["setting"] == "fastpath.slice AllowedCPUs" and c["status"] == "ok" for c in out["checks"])


def test_a_slice_and_a_sysctl_that_moved_are_named(host):
    reapply.reapply("eth1", root=str(host))
    conf = host / "etc/sysctl.d/60-fastpath.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    live = (host / "proc/sys/net/core/rmem_max").read_text().strip()
    conf.write_text(f"# Managed by fastpath\nnet.core.rmem_max = {int(live) + 1}\n")
    out = verify_host(root=str(host), sysctl_files=["/etc/sysctl.d/60-fastpath.conf"], slice_cpus="7")
    assert {(d["setting"], d["desired"], d["live"]) for d in out["differences"]} == {
        ("fastpath.slice AllowedCPUs", "6-7", "7"), ("net.core.rmem_max", str(int(live) + 1), live)}


def test_no_plan_on_the_host_is_a_difference(host):
    (host / "var/lib/fastpath/plan.json").unlink()
    out = verify_host(root=str(host), slice_cpus=None)
    assert out["plan"] is None
    assert out["differences"][0]["setting"] == "/var/lib/fastpath/plan.json"

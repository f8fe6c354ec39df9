"""fastpath-reapply after a reboot, on a copy of the ixgbe fixture tree (eth1: 4 TxRx queues on IRQs
27-30; 8 CPUs), with a stand-in ethtool: the channels the plan set are put back first, and the IRQs
pinned are those the channel change left (read after it, so a re-request's new numbers are used);
a queue beyond the plan never keeps its IRQ on a worker CPU; the saved NAPI values are put back; a
refused flow hash is a skip and a failing ethtool a failure, with the rest still applied."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import host_trees
import pytest

from ansible_collections.fastpath.host.plugins.module_utils import reapply

# Two planned queues on CPUs 2 and 3; the driver came back from the reboot with 4.
PLAN = {
    "version": 2,
    "interface": "eth1",
    "ethtool": {"channels": {"combined": 2}, "rx_flow_hash": {"udp4": "sdfn"}},
    "queue_cpus": ["2", "3"],
    "housekeeping": "0",
    "xps_cpus": {"0": "0-2", "1": "3"},
    "rps_cpus": {"0": "", "1": ""},
    "rps_flow_cnt": {"0": 0, "1": 0},
}


class FakeEthtool:
    """ethtool -l/-L/-n/-N over one NIC's state. -L renumbers the IRQs as a driver's re-request does
    (eth1-TxRx-N moves from IRQ 27+N to IRQ 40+N), so a pinning computed before it would miss."""

    def __init__(self, root: Path, combined: int = 4, flow_hash_refused: bool = False,
                 set_fails: bool = False):
        self.root, self.combined = root, combined
        self.flow_hash_refused, self.set_fails = flow_hash_refused, set_fails
        self.calls: list[list[str]] = []

    def __call__(self, argv: list[str]) -> tuple[int, str, str]:
        self.calls.append(argv)
        flag = argv[1]
        if flag == "-l":
            return 0, self._channels(), ""
        if flag == "-L":
            if self.set_fails:
                return 1, "", "netlink error: Device or resource busy"
            self.combined = int(argv[argv.index("combined") + 1])
            self._re_request_irqs()
            return 0, "", ""
        if flag in ("-n", "-N"):
            if self.flow_hash_refused:
                return 1, "", "Cannot get RX network flow hashing options: Operation not supported"
            return 0, ("UDP over IPV4 flows use these fields for computing Hash flow key:\n"
                       "IP SA\nIP DA\nL4 bytes 0 & 1 [TCP/UDP src port]\n"
                       "L4 bytes 2 & 3 [TCP/UDP dst port]\n"), ""
        raise AssertionError(f"unexpected ethtool call {argv}")

    def _channels(self) -> str:
        return ("Channel parameters for eth1:\nPre-set maximums:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\t1\n"
                "Combined:\t4\nCurrent hardware settings:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\t1\n"
                f"Combined:\t{self.combined}\n")

    def _re_request_irqs(self) -> None:
        interrupts = self.root / "proc/interrupts"
        msi = self.root / "sys/class/net/eth1/device/msi_irqs"
        lines = []
        for line in interrupts.read_text().splitlines():
            for q in range(4):
                if line.endswith(f"eth1-TxRx-{q}"):
                    old = line.split(":", 1)[0].strip()
                    new = str(40 + q)
                    line = line.replace(f"{old}:", f"{new}:", 1)
                    src, dst = self.root / f"proc/irq/{old}", self.root / f"proc/irq/{new}"
                    shutil.copytree(src, dst)
                    (dst / "smp_affinity_list").write_text("0-7\n")  # the default affinity
                    (msi / old).rename(msi / new)
            lines.append(line)
        interrupts.write_text("\n".join(lines) + "\n")


@pytest.fixture
def host(tmp_path) -> Path:
    root = tmp_path / "host"
    shutil.copytree(host_trees.tree("ixgbe"), root, symlinks=True)
    plans = root / "var/lib/fastpath/reapply"
    plans.mkdir(parents=True)
    (plans / "nic-eth1.json").write_text(json.dumps(PLAN))
    return root


def affinity(root: Path, irq: int) -> str:
    return (root / f"proc/irq/{irq}/smp_affinity_list").read_text().strip()


def test_channels_first_then_the_irqs_that_exist_after_it(host):
    ethtool = FakeEthtool(host)
    out = reapply.reapply("eth1", root=str(host), run=ethtool)
    assert ["ethtool", "-L", "eth1", "combined", "2"] in ethtool.calls
    assert ethtool.combined == 2
    labels = [r["label"] for r in out["results"] if r["status"] == "changed"]
    assert labels[0] == "ethtool eth1/channels"
    # The IRQs under their new numbers: queues 0 and 1 on their CPUs.
    assert affinity(host, 40) == "2" and affinity(host, 41) == "3"
    # Queues 2 and 3 are beyond the plan: on housekeeping, never on a worker CPU.
    assert affinity(host, 42) == "0" and affinity(host, 43) == "0"
    assert not out["skipped"]
    snap = json.loads((host / "var/lib/fastpath/snapshot.json").read_text())["entries"]
    assert snap["ethtool:eth1/channels"]["value"] == {"combined": 4}


def test_a_second_run_changes_nothing(host):
    ethtool = FakeEthtool(host)
    reapply.reapply("eth1", root=str(host), run=ethtool)
    out = reapply.reapply("eth1", root=str(host), run=ethtool)
    assert not out["changed"]
    assert {r["status"] for r in out["results"]} <= {"ok", "skipped"}


def test_check_mode_says_the_channels_would_change_and_sets_nothing(host):
    ethtool = FakeEthtool(host)
    out = reapply.reapply("eth1", root=str(host), run=ethtool, check_mode=True)
    channels = out["results"][0]
    assert (channels["status"], channels["before"], channels["after"]) == (
        "changed", "combined=4", "combined=2")
    assert ethtool.combined == 4 and not any(c[1] == "-L" for c in ethtool.calls)
    assert affinity(host, 27) == "0-7"


def test_a_refused_flow_hash_is_a_skip_and_the_rest_applies(host, capsys):
    ethtool = FakeEthtool(host, flow_hash_refused=True)
    out = reapply.reapply("eth1", root=str(host), run=ethtool)
    flow = next(r for r in out["results"] if r["key"] == "eth1/rx_flow_hash")
    assert flow["status"] == "skipped" and "Operation not supported" in flow["reason"]
    assert affinity(host, 40) == "2"


def test_a_failing_channel_change_fails_the_run_and_still_pins_the_queues(host, monkeypatch, capsys):
    ethtool = FakeEthtool(host, set_fails=True)
    monkeypatch.setattr(reapply, "run_command", ethtool)
    monkeypatch.setattr(reapply.reapply, "__kwdefaults__", {"root": "/", "check_mode": False,
                                                            "run": ethtool})
    rc = reapply.main(["eth1", "--root", str(host)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "failed ethtool eth1/channels: ethtool -L eth1 combined 2 failed: netlink error" in out
    # All four queues still serve: two on their CPUs, the two beyond the plan on housekeeping.
    assert [affinity(host, irq) for irq in (27, 28, 29, 30)] == ["2", "3", "0", "0"]


def test_saved_napi_values_are_put_back(host):
    (host / "sys/class/net/eth1/napi_defer_hard_irqs").write_text("0\n")
    (host / "sys/class/net/eth1/gro_flush_timeout").write_text("0\n")
    (host / "var/lib/fastpath/reapply/napi-eth1.json").write_text(json.dumps(
        {"version": 1, "interface": "eth1", "napi_defer_hard_irqs": 2, "gro_flush_timeout": 200000}))
    out = reapply.reapply("eth1", root=str(host), run=FakeEthtool(host))
    assert (host / "sys/class/net/eth1/napi_defer_hard_irqs").read_text().strip() == "2"
    assert (host / "sys/class/net/eth1/gro_flush_timeout").read_text().strip() == "200000"
    changed = [r["label"] for r in out["results"] if r["status"] == "changed"]
    # Channels, then NAPI, then the IRQs, then the masks.
    assert changed.index("ethtool eth1/channels") < changed.index("sysfs eth1/napi_defer_hard_irqs")
    assert changed.index("sysfs eth1/gro_flush_timeout") < min(
        i for i, label in enumerate(changed) if label.startswith("irq_affinity"))


@pytest.mark.parametrize("saved", ["{bad", json.dumps({"version": 3}),
                                   json.dumps({"version": 1, "gro_flush_timeout": -1})])
def test_a_broken_napi_file_is_refused_by_name_before_anything_changes(host, saved):
    (host / "var/lib/fastpath/reapply/napi-eth1.json").write_text(saved)
    ethtool = FakeEthtool(host)
    with pytest.raises(reapply.PlanFileError, match="napi-eth1.json"):
        reapply.reapply("eth1", root=str(host), run=ethtool)
    assert ethtool.calls == [] and affinity(host, 27) == "0-7"

"""fastpath-reapply on a copy of the ixgbe fixture tree (eth1: 4 TxRx queues on IRQs 27-30, link
IRQ 31; 8 CPUs): it puts a reset queue mask back, pins IRQs by queue even after they were re-requested
under other numbers, says so when nothing changes, and refuses a missing or broken plan by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import host_trees
import pytest

from ansible_collections.fastpath.host.plugins.module_utils import reapply
from ansible_collections.fastpath.host.plugins.module_utils.cpulist import parse_mask
from ansible_collections.fastpath.host.plugins.module_utils.link_watch import (
    IFF_LOWER_UP,
    IFF_UP,
    RTM_NEWLINK,
    link_is_up,
    parse_link_messages,
)

PLAN = {
    "version": 2,
    "interface": "eth1",
    "ethtool": {},
    "queue_cpus": ["2", "3", "4", "5"],
    "housekeeping": "0",
    "xps_cpus": {"0": "0-2", "1": "1,3", "2": "4,6", "3": "5,7"},
    "rps_cpus": {"0": "6-7", "1": "6-7", "2": "6-7", "3": "6-7"},
    "rps_flow_cnt": {"0": 4096, "1": 4096, "2": 4096, "3": 4096},
}


@pytest.fixture
def host(tmp_path) -> Path:
    root = tmp_path / "host"
    shutil.copytree(host_trees.tree("ixgbe"), root, symlinks=True)
    (root / "var/lib/fastpath/reapply").mkdir(parents=True)
    (root / "var/lib/fastpath/reapply/nic-eth1.json").write_text(json.dumps(PLAN))
    return root


def run(root: Path, *args: str, capsys) -> tuple[int, str, str]:
    rc = reapply.main([*args, "--root", str(root)])
    out = capsys.readouterr()
    return rc, out.out, out.err


def affinity(root: Path, irq: int) -> str:
    return (root / f"proc/irq/{irq}/smp_affinity_list").read_text().strip()


def queue_file(root: Path, rel: str) -> str:
    return (root / "sys/class/net/eth1/queues" / rel).read_text().strip()


def test_first_run_applies_the_plan_by_queue(host, capsys):
    rc, out, _err = run(host, "eth1", capsys=capsys)
    assert rc == 0
    assert [affinity(host, irq) for irq in (27, 28, 29, 30)] == ["2", "3", "4", "5"]
    assert affinity(host, 31) == "0"  # the link IRQ (no queue) to housekeeping
    assert affinity(host, 32) == "0-7"  # eth10's IRQs are not eth1's
    assert parse_mask(queue_file(host, "tx-1/xps_cpus")) == {1, 3}
    assert parse_mask(queue_file(host, "rx-3/rps_cpus")) == {6, 7}
    assert queue_file(host, "rx-0/rps_flow_cnt") == "4096"
    assert "changed irq_affinity 27: 0-7 -> 2" in out
    assert out.strip().endswith("eth1: 17 setting(s) changed")


def test_second_run_changes_nothing_and_says_so(host, capsys):
    run(host, "eth1", capsys=capsys)
    before = {p: p.read_bytes() for p in host.rglob("*") if p.is_file() and "snapshot" not in p.name}
    rc, out, _err = run(host, "eth1", capsys=capsys)
    assert rc == 0
    assert out.strip() == "eth1: nothing to change, all 17 settings already hold"
    assert {p: p.read_bytes() for p in before} == before


def test_a_reset_queue_mask_is_put_back_and_only_it(host, capsys):
    run(host, "eth1", capsys=capsys)
    (host / "sys/class/net/eth1/queues/tx-2/xps_cpus").write_text("00\n")  # what a queue reset leaves
    rc, out, _err = run(host, "eth1", capsys=capsys)
    assert rc == 0
    assert parse_mask(queue_file(host, "tx-2/xps_cpus")) == {4, 6}
    assert out.splitlines() == ["changed sysfs eth1/tx-2/xps_cpus: (none) -> 4,6",
                                "eth1: 1 setting(s) changed"]


def test_re_requested_irqs_are_pinned_by_queue_not_by_number(host, capsys):
    run(host, "eth1", capsys=capsys)
    # The driver re-requested its vectors in another order: queue 0 is now IRQ 30, queue 3 IRQ 27.
    interrupts = host / "proc/interrupts"
    text = interrupts.read_text()
    swap = {"eth1-TxRx-0": "eth1-TxRx-3", "eth1-TxRx-3": "eth1-TxRx-0"}
    text = "\n".join(_swap_names(line, swap) for line in text.splitlines()) + "\n"
    interrupts.write_text(text)
    rc, out, _err = run(host, "eth1", capsys=capsys)
    assert rc == 0
    assert affinity(host, 30) == "2" and affinity(host, 27) == "5"
    assert "eth1: 2 setting(s) changed" in out


def test_check_mode_reports_and_writes_nothing(host, capsys):
    rc, out, _err = run(host, "eth1", "--check", capsys=capsys)
    assert rc == 0
    assert "would change irq_affinity 27: 0-7 -> 2" in out
    assert affinity(host, 27) == "0-7"
    assert not (host / "var/lib/fastpath/snapshot.json").exists()  # check mode records nothing


def test_prior_values_go_to_the_snapshot_for_restore(host, capsys):
    run(host, "eth1", capsys=capsys)
    snap = json.loads((host / "var/lib/fastpath/snapshot.json").read_text())["entries"]
    # Keyed by queue, not by IRQ number: a re-request or a reboot gives the queue another number.
    irq = snap["irq_affinity:eth1:txrx-0"]
    assert irq["value"] == "0-7"
    assert irq["identity"] == {"key": "eth1:txrx-0", "interface": "eth1", "queue": 0, "kind": "txrx",
                               "name": "eth1-TxRx-0", "irq": 27}
    assert snap["sysfs:eth1/rx-0/rps_flow_cnt"]["value"] == "0"


def test_no_plan_fails_with_the_file_named(host, capsys):
    rc, _out, err = run(host, "eth10", capsys=capsys)
    assert rc == 2
    plan = f"{host}/var/lib/fastpath/reapply/nic-eth10.json"
    assert f"{plan} does not exist: role nic_tuning has not tuned eth10" in err


@pytest.mark.parametrize(("plan", "message"), [
    ("{not json", "cannot read"),
    (json.dumps({"version": 9}), "is not a fastpath NIC plan (version 2)"),
    (json.dumps({"version": 2, "queue_cpus": []}),
     "lacks housekeeping, xps_cpus, rps_cpus, rps_flow_cnt, ethtool"),
    (json.dumps({**PLAN, "ethtool": {"channel": {"combined": 2}}}), "ethtool must map some of channels"),
    (json.dumps({**PLAN, "queue_cpus": ["two"]}), "nic-eth1.json: "),
])
def test_a_broken_plan_fails_cleanly_and_changes_nothing(host, capsys, plan, message):
    (host / "var/lib/fastpath/reapply/nic-eth1.json").write_text(plan)
    rc, out, err = run(host, "eth1", capsys=capsys)
    assert rc == 2 and out == ""
    assert err.startswith("fastpath-reapply: ") and message in err
    assert affinity(host, 27) == "0-7"


def test_an_interface_that_is_gone_is_named(host, capsys):
    plans = host / "var/lib/fastpath/reapply"
    shutil.copy(plans / "nic-eth1.json", plans / "nic-eth9.json")
    rc, _out, err = run(host, "eth9", capsys=capsys)
    assert rc == 2 and "interface eth9 does not exist (yet)" in err


def test_a_path_is_not_an_interface_name(host, capsys):
    rc, _out, err = run(host, "../../etc/passwd", capsys=capsys)
    assert rc == 2 and "is not an interface name" in err


def _swap_names(line: str, swap: dict) -> str:
    for old, new in swap.items():
        if line.endswith(old):
            return line[: -len(old)] + new
    return line


def _newlink(index: int, flags: int, msg_type: int = RTM_NEWLINK) -> bytes:
    import struct

    body = struct.pack("=BxHiII", 0, 1, index, flags, 0) + b"\0" * 6  # 6 bytes of attributes: padded
    return struct.pack("=IHHII", 16 + len(body), msg_type, 0, 0, 0) + body + b"\0" * 2


def test_link_messages_are_parsed_with_netlink_alignment():
    data = _newlink(3, IFF_UP) + _newlink(4, IFF_UP | IFF_LOWER_UP) + _newlink(5, 0, msg_type=17)
    assert parse_link_messages(data) == [(3, IFF_UP), (4, IFF_UP | IFF_LOWER_UP)]
    assert not link_is_up(IFF_UP) and link_is_up(IFF_UP | IFF_LOWER_UP)
    assert parse_link_messages(b"\0" * 20) == []  # a zero length never loops

"""The snapshot (first value wins, atomic, check mode writes nothing) and the plan-then-apply core."""

import errno
import json

import pytest
from fake_host import build

from ansible_collections.fastpath.host.plugins.module_utils import settings as settings_mod
from ansible_collections.fastpath.host.plugins.module_utils.settings import apply_settings, cpu_mask, plain
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import (
    SnapshotError,
    open_snapshot,
    snapshot_path,
)


def test_first_recorded_value_wins(tmp_path):
    with open_snapshot(str(tmp_path)) as snap:
        assert snap.record("sysctl", "net.core.rmem_max", "212992")
    with open_snapshot(str(tmp_path)) as snap:
        assert not snap.record("sysctl", "net.core.rmem_max", "16777216")
    data = json.loads((tmp_path / "var/lib/fastpath/snapshot.json").read_text())
    assert data["entries"]["sysctl:net.core.rmem_max"]["value"] == "212992"


def test_read_only_open_creates_nothing(tmp_path):
    with open_snapshot(str(tmp_path), write=False) as snap:
        snap.record("sysctl", "net.core.rmem_max", "1")
    assert not (tmp_path / "var").exists()


def test_unknown_kind_is_refused(tmp_path):
    with (
        open_snapshot(str(tmp_path)) as snap,
        pytest.raises(SnapshotError, match="unknown snapshot kind 'bogus'"),
    ):
        snap.record("bogus", "k", "v")


def test_corrupt_snapshot_is_a_clear_error(tmp_path):
    path = tmp_path / "var/lib/fastpath/snapshot.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(SnapshotError, match="cannot read .*snapshot.json"), open_snapshot(str(tmp_path)):
        pass
    path.write_text('{"version": 99, "entries": {}}')
    with pytest.raises(SnapshotError, match="is not a fastpath snapshot"), open_snapshot(str(tmp_path)):
        pass


def test_archive_moves_the_snapshot_aside(tmp_path):
    with open_snapshot(str(tmp_path)) as snap:
        snap.record("sysctl", "a.b", "1")
    with open_snapshot(str(tmp_path)) as snap:
        dest = snap.archive()
    assert dest and "snapshot.restored-" in dest
    assert not (tmp_path / "var/lib/fastpath/snapshot.json").exists()


def _rps(root, cpus="1-2"):
    path = str(root / "sys/class/net/ens4/queues/rx-0/rps_cpus")
    return cpu_mask("sysfs", "ens4/rx-0/rps_cpus", path, cpus)


def test_apply_writes_reads_back_records_and_is_idempotent(tmp_path):
    build(tmp_path)
    first = apply_settings([_rps(tmp_path)], root=str(tmp_path))
    assert first["changed"]
    assert (
        tmp_path / "sys/class/net/ens4/queues/rx-0/rps_cpus"
    ).read_text() == "6\n"  # the kernel accepts a short mask
    assert first["results"][0]["before"] == "" and first["results"][0]["after"] == "1-2"
    assert first["diff"] == {
        "before": "sysfs ens4/rx-0/rps_cpus = \n",
        "after": "sysfs ens4/rx-0/rps_cpus = 1-2\n",
    }
    second = apply_settings([_rps(tmp_path)], root=str(tmp_path))
    assert not second["changed"] and second["results"][0]["status"] == "ok"
    with open_snapshot(str(tmp_path), write=False) as snap:
        assert snap.get("sysfs", "ens4/rx-0/rps_cpus")["value"] == "00000000"


def test_second_tune_with_other_values_keeps_the_first_snapshot(tmp_path):
    build(tmp_path)
    apply_settings([_rps(tmp_path, "1")], root=str(tmp_path))
    apply_settings([_rps(tmp_path, "2-3")], root=str(tmp_path))
    with open_snapshot(str(tmp_path), write=False) as snap:
        assert snap.get("sysfs", "ens4/rx-0/rps_cpus")["value"] == "00000000"


def test_check_mode_reports_the_change_and_writes_nothing(tmp_path):
    build(tmp_path)
    out = apply_settings([_rps(tmp_path)], root=str(tmp_path), check_mode=True)
    assert out["changed"] and out["results"][0]["after"] == "1-2"
    assert (tmp_path / "sys/class/net/ens4/queues/rx-0/rps_cpus").read_text() == "00000000\n"
    assert not snapshot_path(str(tmp_path)).startswith(str(tmp_path / "nope"))
    assert not (tmp_path / "var").exists()


def test_masks_compare_as_sets_whatever_their_width(tmp_path):
    build(tmp_path, nr_cpus=72)  # three 32-bit groups
    (tmp_path / "sys/class/net/ens4/queues/tx-0/xps_cpus").write_text("00,00000000,00000003\n")
    path = str(tmp_path / "sys/class/net/ens4/queues/tx-0/xps_cpus")
    out = apply_settings([cpu_mask("sysfs", "ens4/tx-0/xps_cpus", path, "0-1")], root=str(tmp_path))
    assert not out["changed"]


def test_missing_file_is_skipped_with_the_reason(tmp_path):
    s = plain(
        "sysctl", "net.core.busy_poll", str(tmp_path / "proc/sys/net/core/busy_poll"), 50, missing="absent"
    )
    out = apply_settings([s], root=str(tmp_path))
    assert out["results"][0] == {**out["results"][0], "status": "skipped", "reason": "absent"}
    assert not out["changed"]


def test_refused_write_is_skipped_and_other_errors_fail(tmp_path, monkeypatch):
    build(tmp_path)

    def refuse(path, text):
        raise OSError(errno.EIO, "Input/output error", path)

    monkeypatch.setattr(settings_mod, "write_text", refuse)
    path = str(tmp_path / "proc/irq/41/smp_affinity_list")
    s = settings_mod.cpu_list("irq_affinity", "41", path, "3", refusals={errno.EIO: "managed"})
    assert apply_settings([s], root=str(tmp_path))["results"][0]["status"] == "skipped"
    s.refusals = {}
    result = apply_settings([s], root=str(tmp_path))["results"][0]
    assert result["status"] == "failed" and "(EIO)" in result["reason"]


def test_value_that_does_not_read_back_fails(tmp_path, monkeypatch):
    build(tmp_path)
    monkeypatch.setattr(settings_mod, "write_text", lambda path, text: None)  # the kernel ignored it
    s = plain("sysctl", "net.core.rmem_max", str(tmp_path / "proc/sys/net/core/rmem_max"), 4194304)
    result = apply_settings([s], root=str(tmp_path))["results"][0]
    assert result["status"] == "failed" and "reads back '212992'" in result["reason"]

"""The restore engine on fake roots: the steps' order and reasons, units stopped while their files
exist (the defect of issue 13), files and directories back exactly or gone, accounts, packages only
when asked and only fastpath's, the boot loader and the reboot note, XDP pins, a restore killed
halfway and run again, and check mode agreeing with the run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fake_system import FakeSystem

from ansible_collections.fastpath.host.plugins.module_utils import restore_order
from ansible_collections.fastpath.host.plugins.module_utils.restore import restore_entries
from ansible_collections.fastpath.host.plugins.module_utils.restore_accounts import account_state
from ansible_collections.fastpath.host.plugins.module_utils.restore_context import Context
from ansible_collections.fastpath.host.plugins.module_utils.restore_files import dir_state, file_state
from ansible_collections.fastpath.host.plugins.module_utils.restore_packages import simulated
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import open_snapshot

UNIT = "etc/systemd/system/fastpath-reapply@.service"
REAPPLY = "fastpath-reapply@eth0.service"
NO_FILE = {"exists": False, "content": None}
NO_UNIT = {"present": False, "enabled": False, "active": False}
XDP_CLI = "/opt/fastpath/bin/fastpath-xdp"
RULE = "etc/udev/rules.d/90-fastpath-reapply-eth0.rules"


def entry(kind: str, key: str, value, scope: str = "tune") -> dict:
    return {"kind": kind, "key": key, "value": value, "scope": scope}


def write(root: Path, rel: str, text: str = "x\n", mode: int = 0o644) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def restore(root: Path, entries: list[dict], system: FakeSystem, **kw) -> dict[str, dict]:
    results = restore_entries(entries, root=str(root), run=system, **kw)
    return {r["label"]: r for r in results}


# ------------------------------------------------------------------ order


def test_the_order_follows_every_stated_dependency():
    steps = restore_order.STEPS
    for step, before in restore_order.AFTER.items():
        for earlier, why in before.items():
            assert steps.index(earlier) < steps.index(step), f"{step} after {earlier}: {why}"
    assert set(steps) == set(restore_order.AFTER)
    assert len(restore_order.reasons()) == sum(map(len, restore_order.AFTER.values()))


@pytest.mark.parametrize(("earlier", "later"), [
    ("stop", "files"),        # a unit is stopped and disabled while its file exists
    ("triggers", "nic"),      # the udev rule would re-apply masks to re-created queues
    ("xdp", "nic"),           # an XDP detach rebuilds rings on some drivers
    ("nic", "kernel"),        # channels re-create queues and re-request IRQs
    ("stop", "accounts"),     # userdel refuses a user with running processes
    ("files", "dirs"), ("files", "reload"), ("reload", "start"), ("files", "boot"),
    ("files", "restart"), ("reload", "restart"), ("start", "restart"),
])
def test_steps_that_depend_on_each_other_run_in_that_order(earlier, later):
    assert restore_order.STEPS.index(earlier) < restore_order.STEPS.index(later)


def test_entries_go_to_their_steps_and_dirs_deepest_first():
    absent = {"exists": False}
    entries = [entry("dir", "/opt/fastpath", absent), entry("dir", "/opt/fastpath/lib/bpf", absent),
               entry("dir", "/opt/fastpath/lib", absent), entry("file", "/" + RULE, NO_FILE),
               entry("service", "irqbalance.service", {"present": True, "enabled": True, "active": True}),
               entry("service", "fastpath-server.service", NO_UNIT),
               entry("group", "fastpath", absent), entry("user", "fastpath", absent)]
    steps = dict(restore_order.in_order(entries))
    order = {step: [e["key"] for e in es] for step, es in steps.items()}
    assert order["dirs"] == ["/opt/fastpath/lib/bpf", "/opt/fastpath/lib", "/opt/fastpath"]
    assert order["triggers"] == ["/" + RULE]
    assert order["stop"] == ["fastpath-server.service"] and order["start"] == ["irqbalance.service"]
    assert [e["kind"] for e in steps["accounts"]] == ["user", "group"]


# ------------------------------------------------------------------ units


def test_restore_right_after_tune_stops_and_disables_the_unit_before_its_file_goes(tmp_path):
    """Issue 13: the unit's state was recorded after its file was written (present, disabled,
    inactive); the file went first and `systemctl disable` then failed on every restore."""
    system = FakeSystem(tmp_path)
    write(tmp_path, UNIT)
    write(tmp_path, RULE)
    system.enabled.add("fastpath-reapply@eth0.service")
    system.active.add("fastpath-reapply@eth0.service")
    entries = [entry("service", REAPPLY, {"present": True, "enabled": False, "active": False}),
               entry("file", "/" + UNIT, NO_FILE), entry("file", "/" + RULE, NO_FILE)]
    results = restore(tmp_path, entries, system)
    assert all(r["status"] != "failed" for r in results.values()), results
    assert results["service fastpath-reapply@eth0.service"]["steps"] == ["stop", "disable"]
    assert not (tmp_path / UNIT).exists() and not (tmp_path / RULE).exists()
    stop = system.log.index(["systemctl", "stop", "fastpath-reapply@eth0.service"])
    assert stop < system.log.index(["systemctl", "daemon-reload"])
    # Run again: the unit is absent now, which is as good as disabled and stopped.
    system.log.clear()
    again = restore(tmp_path, entries, system)
    assert {r["status"] for r in again.values()} == {"ok"}
    assert again["service fastpath-reapply@eth0.service"]["after"] == "absent"
    assert system.ran("systemctl", "disable") == []


def test_a_service_fastpath_stopped_is_enabled_then_started_after_its_files(tmp_path):
    system = FakeSystem(tmp_path)
    write(tmp_path, "etc/systemd/system/irqbalance.service")
    write(tmp_path, "etc/default/irqbalance", "IRQBALANCE_BANNED_CPULIST=1-3\n")
    entries = [entry("service", "irqbalance.service", {"present": True, "enabled": True, "active": True}),
               entry("file", "/etc/default/irqbalance", {"exists": True, "content": "#\n"})]
    restore(tmp_path, entries, system)
    assert system.log[-2:] == [["systemctl", verb, "irqbalance.service"] for verb in ("enable", "start")]
    assert (tmp_path / "etc/default/irqbalance").read_text() == "#\n"


IRQBALANCE_FILES = ["/etc/default/irqbalance", "/etc/systemd/system/irqbalance.service.d/60-fastpath.conf"]


def banned_irqbalance(root: Path, system: FakeSystem) -> list[dict]:
    """irqbalance kept running with fastpath's ban (cpu_partition_irqbalance: ban): its environment
    file edited and a drop-in added, both recorded before; the unit recorded running."""
    write(root, "etc/systemd/system/irqbalance.service")  # the package's unit, where the fake looks
    write(root, "etc/default/irqbalance", "IRQBALANCE_BANNED_CPULIST=1-3\n")
    write(root, IRQBALANCE_FILES[1][1:], "[Service]\n")
    system.enabled.add("irqbalance.service")
    system.active.add("irqbalance.service")
    running = {"present": True, "enabled": True, "active": True, "restart_after": IRQBALANCE_FILES}
    return [entry("service", "irqbalance.service", running),
            entry("file", IRQBALANCE_FILES[0], {"exists": True, "content": "#\n"}),
            entry("file", IRQBALANCE_FILES[1], NO_FILE)]


def test_a_running_service_whose_files_were_put_back_is_restarted_after_the_reload(tmp_path):
    system = FakeSystem(tmp_path)
    results = restore(tmp_path, banned_irqbalance(tmp_path, system), system)
    assert results["systemctl restart irqbalance.service"]["status"] == "changed", results
    assert system.ran("systemctl", "restart") == [["systemctl", "restart", "irqbalance.service"]]
    assert system.log.index(["systemctl", "daemon-reload"]) < system.log.index(
        ["systemctl", "restart", "irqbalance.service"])
    assert (tmp_path / "etc/default/irqbalance").read_text() == "#\n"
    # Run again: nothing to put back, so nothing restarted.
    system.log.clear()
    again = restore(tmp_path, banned_irqbalance_after(tmp_path), system)
    assert "systemctl restart irqbalance.service" not in again and system.ran("systemctl", "restart") == []


def banned_irqbalance_after(root: Path) -> list[dict]:
    """The same records, read again after the restore put the files back."""
    running = {"present": True, "enabled": True, "active": True, "restart_after": IRQBALANCE_FILES}
    return [entry("service", "irqbalance.service", running),
            entry("file", IRQBALANCE_FILES[0], file_state(str(root / IRQBALANCE_FILES[0][1:]))),
            entry("file", IRQBALANCE_FILES[1], NO_FILE)]


def test_a_service_the_restore_starts_is_not_restarted_too(tmp_path):
    system = FakeSystem(tmp_path)
    entries = banned_irqbalance(tmp_path, system)
    system.active.discard("irqbalance.service")  # stopped since: the restore starts it
    results = restore(tmp_path, entries, system)
    assert results["service irqbalance.service"]["steps"] == ["start"]
    assert system.ran("systemctl", "restart") == []


def test_check_mode_says_it_would_restart_and_restarts_nothing(tmp_path):
    system = FakeSystem(tmp_path)
    results = restore(tmp_path, banned_irqbalance(tmp_path, system), system, check_mode=True)
    assert results["systemctl restart irqbalance.service"]["status"] == "changed"
    assert system.ran("systemctl", "restart") == []


def test_a_unit_a_crash_left_failed_is_reset(tmp_path):
    system = FakeSystem(tmp_path)
    write(tmp_path, "etc/systemd/system/fastpath-server.service")
    system.failed.add("fastpath-server.service")
    results = restore(tmp_path, [entry("service", "fastpath-server.service",
                                       {"present": False, "enabled": False, "active": False})], system)
    assert results["service fastpath-server.service"]["steps"] == ["reset-failed"]


# ------------------------------------------------------------------ files and directories


def test_a_file_comes_back_with_its_bytes_mode_and_owner_and_a_new_one_goes(tmp_path):
    binary = write(tmp_path, "opt/old.bin", "", 0o750)
    binary.write_bytes(b"\x7fELF\x00\xff")
    conf = write(tmp_path, "etc/irqbalance.conf", "old\n", 0o600)
    recorded = [entry("file", "/opt/old.bin", file_state(str(binary))),
                entry("file", "/etc/irqbalance.conf", file_state(str(conf))),
                entry("file", "/etc/new.conf", file_state(str(tmp_path / "etc/new.conf")))]
    assert recorded[0]["value"]["encoding"] == "base64"
    binary.write_bytes(b"other")
    conf.write_text("tuned\n")
    conf.chmod(0o644)
    write(tmp_path, "etc/new.conf")
    results = restore(tmp_path, recorded, FakeSystem(tmp_path))
    assert {r["status"] for r in results.values()} == {"changed"}
    assert binary.read_bytes() == b"\x7fELF\x00\xff" and oct(binary.stat().st_mode & 0o777) == "0o750"
    assert conf.read_text() == "old\n" and oct(conf.stat().st_mode & 0o777) == "0o600"
    assert not (tmp_path / "etc/new.conf").exists()
    assert {r["status"] for r in restore(tmp_path, recorded, FakeSystem(tmp_path)).values()} == {"ok"}


def test_directories_fastpath_made_go_once_empty_and_others_are_left_with_a_reason(tmp_path):
    for d in ("opt/fastpath/lib/bpf", "opt/fastpath/src/build", "etc/udev/rules.d"):
        (tmp_path / d).mkdir(parents=True)
    write(tmp_path, "opt/fastpath/lib/bpf/x.bpf.o")
    write(tmp_path, "opt/fastpath/src/build/a.o")  # the build tree's content was never recorded
    write(tmp_path, "etc/udev/rules.d/10-operator.rules")  # the operator's, written after fastpath's
    absent = {"exists": False}
    entries = [entry("file", "/opt/fastpath/lib/bpf/x.bpf.o", {"exists": False, "content": None}),
               entry("dir", "/opt/fastpath", absent), entry("dir", "/opt/fastpath/lib", absent),
               entry("dir", "/opt/fastpath/lib/bpf", absent),
               entry("dir", "/opt/fastpath/src", {"exists": False, "tree": True}),
               entry("dir", "/etc/udev", absent), entry("dir", "/etc/udev/rules.d", absent)]
    check = restore(tmp_path, entries, FakeSystem(tmp_path), check_mode=True)
    assert (tmp_path / "opt/fastpath/lib/bpf/x.bpf.o").exists()
    results = restore(tmp_path, entries, FakeSystem(tmp_path))
    assert {k: r["status"] for k, r in check.items()} == {k: r["status"] for k, r in results.items()}
    assert not (tmp_path / "opt/fastpath").exists()
    assert results["dir /etc/udev/rules.d"]["status"] == "skipped"
    assert "10-operator.rules" in results["dir /etc/udev/rules.d"]["reason"]
    assert (tmp_path / "etc/udev/rules.d/10-operator.rules").exists()


def test_a_directory_that_existed_gets_its_mode_back(tmp_path):
    bpffs = tmp_path / "sys/fs/bpf"
    bpffs.mkdir(parents=True, mode=0o700)
    recorded = entry("dir", "/sys/fs/bpf", dir_state(str(bpffs)))
    bpffs.chmod(0o701)  # what the unit's helper does
    results = restore(tmp_path, [recorded], FakeSystem(tmp_path))
    assert results["dir /sys/fs/bpf"]["status"] == "changed"
    assert bpffs.stat().st_mode & 0o777 == 0o700


# ------------------------------------------------------------------ accounts, packages, boot, XDP


def test_accounts_fastpath_added_are_removed_and_check_mode_says_so(tmp_path):
    write(tmp_path, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
    write(tmp_path, "etc/group", "root:x:0:\n")
    before = [entry("group", "fastpath", account_state("group", "fastpath", str(tmp_path)), "dataplane"),
              entry("user", "fastpath", account_state("user", "fastpath", str(tmp_path)), "dataplane")]
    added = "fastpath:x:999:997::/nonexistent:/usr/sbin/nologin\n"
    write(tmp_path, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n" + added)
    write(tmp_path, "etc/group", "root:x:0:\nfastpath:x:997:\n")
    system = FakeSystem(tmp_path)
    check = restore(tmp_path, before, system, check_mode=True)
    done = restore(tmp_path, before, system)
    # userdel took the group along; groupdel is not needed, and both runs call the group changed.
    assert system.log == [["userdel", "fastpath"]]
    assert [r["status"] for r in check.values()] == [r["status"] for r in done.values()] == ["changed"] * 2
    assert "fastpath" not in (tmp_path / "etc/passwd").read_text() + (tmp_path / "etc/group").read_text()


def test_apt_simulation_lines_name_what_it_would_do():
    out = ("NOTE: simulation\nInst libbpf1 (1:1.1.2-0+deb12u1 Debian:12 [amd64])\n"
           "Inst bpftool (7.1.0 Debian:12 [amd64])\nConf bpftool (7.1.0 Debian:12 [amd64])\n"
           "Purg zlib1g-dev:amd64 [1:1.2.13]\n")
    assert simulated(out, ("Inst",)) == ["libbpf1", "bpftool"]
    assert simulated(out, ("Remv", "Purg")) == ["zlib1g-dev:amd64"]


def packages(*names: str, installed_before: tuple[str, ...] = ()) -> list[dict]:
    return [entry("package", n, {"installed": n in installed_before}, "dataplane") for n in names]


def test_packages_are_kept_unless_asked_and_then_only_fastpaths_are_purged(tmp_path):
    system = FakeSystem(tmp_path, installed={"bpftool", "libbpf1", "make"})
    entries = packages("bpftool", "libbpf1", "make", installed_before=("make",))
    kept = restore(tmp_path, entries, system)
    assert {r["status"] for r in kept.values()} == {"kept"} and system.log == []
    purged = restore(tmp_path, entries, system, packages=True)
    assert system.ran("purge", "-s") == [["apt-get", "-s", "-q", "purge", "bpftool", "libbpf1"]]
    assert system.ran("purge", "-y") == [["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q",
                                          "purge", "bpftool", "libbpf1"]]
    assert purged["package make"]["status"] == "ok" and system.installed == {"make"}
    assert {r["status"] for r in restore(tmp_path, entries, system, packages=True).values()} == {"ok"}


def test_no_package_is_purged_when_apt_would_take_one_fastpath_did_not_install(tmp_path):
    both = ["bpftool", "operators-tool"]
    system = FakeSystem(tmp_path, installed=set(both), apt_would_remove=both)
    results = restore(tmp_path, packages("bpftool"), system, packages=True)
    assert results["package bpftool"]["status"] == "skipped"
    assert "operators-tool" in results["package bpftool"]["reason"]
    assert system.installed == {"bpftool", "operators-tool"} and not system.ran("-y")


def test_the_boot_drop_in_goes_grub_is_regenerated_and_a_reboot_is_pending(tmp_path):
    dropin = "etc/default/grub.d/60-fastpath.cfg"
    write(tmp_path, dropin, 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT nohz_full=2-3"\n')
    write(tmp_path, "usr/sbin/update-grub", "#!/bin/sh\n", 0o755)
    write(tmp_path, "proc/cmdline", "root=/dev/vda nohz_full=2-3\n")
    system, ctx = FakeSystem(tmp_path), Context()
    entries = [entry("file", "/" + dropin, {"exists": False, "content": None})]
    results = restore(tmp_path, entries, system, context=ctx)
    assert results["boot loader configuration"]["status"] == "changed"
    assert system.ran("/usr/sbin/update-grub") and not (tmp_path / dropin).exists()
    assert ctx.reboot_pending and "reboot pending" in ctx.notes[0]
    # Killed after the drop-in went and before update-grub: the rerun still regenerates.
    system.log.clear()
    rerun_ctx = Context()
    rerun = restore(tmp_path, entries, system, context=rerun_ctx)
    assert rerun["boot loader configuration"]["status"] == "ok"
    assert system.ran("/usr/sbin/update-grub") and rerun_ctx.reboot_pending


def test_stale_xdp_pins_are_removed_through_fastpath_xdp(tmp_path):
    write(tmp_path, "opt/fastpath/bin/fastpath-xdp", "", 0o755)
    write(tmp_path, "sys/fs/bpf/fastpath/eth0/prog")
    xdp = entry("xdp", "eth0", {"cli": XDP_CLI, "pin_root": "/sys/fs/bpf/fastpath"}, "dataplane")
    bin_file = entry("file", XDP_CLI, NO_FILE, "dataplane")
    system = FakeSystem(tmp_path)
    results = restore(tmp_path, [bin_file, xdp], system)
    assert results["xdp eth0"]["status"] == "changed"
    assert system.log == [[XDP_CLI, "detach", "eth0", "--pin-root", "/sys/fs/bpf/fastpath"]]
    assert not (tmp_path / "sys/fs/bpf/fastpath/eth0").exists() and not (tmp_path / XDP_CLI[1:]).exists()


# ------------------------------------------------------------------ killed, then run again


def test_a_restore_killed_halfway_is_completed_by_the_next(tmp_path):
    write(tmp_path, UNIT)
    write(tmp_path, RULE)
    write(tmp_path, "proc/sys/net/core/optmem_max", "131072\n")
    write(tmp_path, "etc/sysctl.d/60-fastpath.conf")
    entries = [entry("service", REAPPLY, NO_UNIT), entry("file", "/" + UNIT, NO_FILE),
               entry("file", "/" + RULE, NO_FILE), entry("file", "/etc/sysctl.d/60-fastpath.conf", NO_FILE),
               entry("sysctl", "net.core.optmem_max", "65536")]
    system = FakeSystem(tmp_path)
    system.enabled.add("fastpath-reapply@eth0.service")
    system.active.add("fastpath-reapply@eth0.service")
    system.fail_after = 5  # the unit's state read and the unit stopped; killed as it was to be disabled
    with pytest.raises(KeyboardInterrupt):
        restore(tmp_path, entries, system)
    assert (tmp_path / UNIT).exists() and "fastpath-reapply@eth0.service" not in system.active
    system.fail_after = None
    results = restore(tmp_path, entries, system)
    assert all(r["status"] in ("ok", "changed") for r in results.values()), results
    assert not (tmp_path / UNIT).exists() and not system.enabled
    assert (tmp_path / "proc/sys/net/core/optmem_max").read_text().strip() == "65536"


# ------------------------------------------------------------------ the snapshot's scopes


def test_a_plain_restore_leaves_the_dataplanes_records_and_archives_the_rest(tmp_path):
    root = str(tmp_path)
    with open_snapshot(root) as snap:
        snap.record("sysctl", "net.core.optmem_max", "65536")
        snap.record("user", "fastpath", {"exists": False, "entry": None}, scope="dataplane")
    with open_snapshot(root) as snap:
        tune = snap.in_scopes(("tune",))
        assert [e["key"] for e in tune] == ["net.core.optmem_max"]
        archive = snap.archive(tune)
    with open_snapshot(root) as snap:
        assert list(snap.entries) == ["user:fastpath"]
    assert list(json.loads(Path(archive).read_text())["entries"]) == ["sysctl:net.core.optmem_max"]
    with open_snapshot(root) as snap:
        snap.archive()
    assert not os.path.exists(os.path.join(root, "var/lib/fastpath/snapshot.json"))

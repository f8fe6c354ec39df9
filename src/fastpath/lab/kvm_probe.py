"""Is KVM usable here? Only a guest kernel that really boots under it says so.

On some machines /dev/kvm opens and KVM_CREATE_VM succeeds, yet a guest hangs in early boot (see
LAB.md). So the probe boots the VM image's kernel under KVM with no root device: a kernel that gets
through early boot panics "VFS: Unable to mount root fs", reboots at once (panic=-1) and QEMU exits
(-no-reboot). That within PROBE_SECONDS means KVM; anything else means TCG. The answer is cached per
machine boot and kernel, so only the first `up` after a reboot of the machine pays for it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

from . import paths, qemu

PROBE_SECONDS = 20.0
# Printed by a kernel that came through early boot and found no root file system.
BOOTED_MARKERS = ("VFS: Unable to mount root fs", "Kernel panic")


def _cache_key(kernel: Path) -> str:
    boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return hashlib.sha256(boot_id.encode() + kernel.read_bytes()).hexdigest()[:16]


def accel(kernel: Path) -> str:
    """'kvm' or 'tcg'; FASTPATH_LAB_ACCEL=kvm|tcg overrides the probe."""
    forced = os.environ.get("FASTPATH_LAB_ACCEL", "").strip()
    if forced in ("kvm", "tcg"):
        return forced
    cache = paths.STATE_ROOT / "kvm-probe.json"
    key = _cache_key(kernel)
    try:
        cached = json.loads(cache.read_text())
        if cached.get("key") == key:
            return cached["accel"]
    except (OSError, ValueError, KeyError):
        pass
    result = "kvm" if boots_under_kvm(kernel) else "tcg"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "accel": result}) + "\n")
    return result


def boots_under_kvm(kernel: Path, seconds: float = PROBE_SECONDS) -> bool:
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    with tempfile.TemporaryDirectory(prefix="fastpath-kvm-probe-") as tmp:
        console = Path(tmp) / "console.log"
        argv = [qemu.BINARY, *qemu.accel_args("kvm"), "-smp", "1", "-m", "256", "-nodefaults",
                "-display", "none", "-monitor", "none", "-serial", f"file:{console}", "-no-reboot",
                "-kernel", str(kernel), "-append", "console=ttyS0 panic=-1 root=/dev/nonexistent"]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        text = console.read_text(errors="replace") if console.exists() else ""
    return any(marker in text for marker in BOOTED_MARKERS)

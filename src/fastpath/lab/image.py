"""The lab image: a debootstrapped Debian 12 root filesystem with everything the roles need, built once.

Lab hosts have no internet, so every package a role installs later is baked in here. The cache key
is a short hash of the recipe below: change the package list and the next `fastpath lab image`
builds a new image beside the old one. A build happens in a temporary directory that is renamed into
place only when complete, so a half-built image is never used.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import paths
from .errors import EXIT_BUILD, EXIT_USAGE, LabError
from .run import run

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"

# What the roles install or run on a lab host; keep in step with the roles' package lists.
PACKAGES = (
    "systemd", "systemd-sysv", "dbus", "python3", "python3-apt", "openssh-server", "iproute2",
    "ethtool", "procps", "iputils-ping", "irqbalance", "clang", "llvm", "gcc", "make", "pkg-config",
    "libbpf-dev", "libelf-dev", "zlib1g-dev", "liburing-dev", "bpftool", "xdp-tools", "iperf3",
    "ca-certificates", "sudo",
)
# Units that would fight the lab: networking is set up from outside the host, there is no console
# to log in on, nothing may touch the machine's real IRQs behind the roles' backs, and timers must
# not start apt or disk jobs in the middle of a benchmark.
MASKED_UNITS = (
    "systemd-networkd.service", "systemd-networkd.socket", "systemd-networkd-wait-online.service",
    "getty.target", "console-getty.service", "getty@tty1.service",
    "apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer", "fstrim.timer",
    "systemd-timesyncd.service",
)
DISABLED_UNITS = ("irqbalance.service",)
# Vendor sysctl.d files that set global sysctls (kernel.pid_max, fs.protected_*): from a lab host they
# would rewrite the machine's own values at every boot. Masked with /dev/null links in /etc/sysctl.d.
MASKED_SYSCTL_FILES = ("50-pid-max.conf", "99-protect-links.conf")
# sshd for key-only root logins; host keys are made per host at first boot (see host.py).
SSHD_CONFIG = """\
# fastpath lab: key-only root logins, no DNS lookups that would stall without a resolver.
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
"""
# systemd does not mount bpffs inside a container and refuses a .mount unit for an API file system
# ("Cannot create mount unit for API file system /sys/fs/bpf"), so a oneshot service mounts it:
# XDP programs pin their maps there.
BPFFS_SERVICE = "fastpath-bpffs.service"
BPFFS_UNIT = """\
[Unit]
Description=Mount the BPF file system, where fastpath pins its XDP maps
DefaultDependencies=no
ConditionPathIsMountPoint=!/sys/fs/bpf
Before=sysinit.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/mount -t bpf -o nosuid,nodev,noexec,mode=700 bpf /sys/fs/bpf

[Install]
WantedBy=sysinit.target
"""
# Bump when the build steps change in a way the package list does not show.
RECIPE_FORMAT = 1


def apt_mirror(sources_dir: Path = Path("/etc/apt")) -> str:
    """The Debian mirror this machine's apt uses for the main archive (deb822 or one-line format)."""
    candidates = sorted((sources_dir / "sources.list.d").glob("*.sources"))
    for path in candidates:
        for stanza in path.read_text(errors="replace").split("\n\n"):
            fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.MULTILINE))
            if SUITE in fields.get("Suites", "").split() and "deb" in fields.get("Types", "").split():
                return fields.get("URIs", "").split()[0] if fields.get("URIs") else DEFAULT_MIRROR
    for path in [sources_dir / "sources.list", *sorted((sources_dir / "sources.list.d").glob("*.list"))]:
        if not path.is_file():
            continue
        for line in path.read_text(errors="replace").splitlines():
            words = re.sub(r"\[[^]]*\]", "", line).split()
            if len(words) >= 3 and words[0] == "deb" and words[2] == SUITE:
                return words[1]
    return DEFAULT_MIRROR


def recipe(mirror: str, suite: str = SUITE) -> dict:
    return {
        "format": RECIPE_FORMAT, "suite": suite, "variant": "minbase", "mirror": mirror,
        "packages": sorted(PACKAGES), "masked": sorted(MASKED_UNITS),
        "masked_sysctl": sorted(MASKED_SYSCTL_FILES), "disabled": sorted(DISABLED_UNITS),
        "sshd_config": SSHD_CONFIG, "bpffs_unit": BPFFS_UNIT,
    }


def recipe_hash(rec: dict) -> str:
    return hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()[:12]


def image_dir(mirror: str | None = None, suite: str = SUITE) -> Path:
    """The cache directory of the image the current recipe describes (it may not exist yet)."""
    return paths.IMAGE_CACHE / recipe_hash(recipe(mirror or apt_mirror(), suite))


def rootfs(suite: str = SUITE) -> Path:
    """The root filesystem of the current image; a clear error if it has not been built."""
    root = image_dir(suite=suite) / "rootfs"
    if not (root / "usr/lib/systemd/systemd").exists() and not (root / "lib/systemd/systemd").exists():
        raise LabError(
            f"no lab image at {root.parent}: build it first with `fastpath lab image` (or `make lab-image`); "
            "it takes a few minutes once", EXIT_USAGE)
    return root


def _stage(number: int, total: int, text: str) -> None:
    print(f"[{number}/{total}] {text}", flush=True)


def _in_chroot(root: Path, argv: list[str], timeout: float = 1800) -> None:
    """Run argv inside root with its own /proc, in throwaway mount and PID namespaces, so no mount
    can leak into the machine and every process started by a package script dies with it."""
    run(["unshare", "--fork", "--pid", f"--mount-proc={root}/proc", "chroot", str(root), *argv],
        env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        timeout=timeout, exit_code=EXIT_BUILD)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _configure(root: Path, mirror: str) -> None:
    """Set the image up for life as a lab host (units masked, sshd, an unset machine id)."""
    _in_chroot(root, ["systemctl", "mask", *MASKED_UNITS])
    _in_chroot(root, ["systemctl", "disable", *DISABLED_UNITS])
    _write(root / "etc/systemd/system" / BPFFS_SERVICE, BPFFS_UNIT)
    _in_chroot(root, ["systemctl", "enable", BPFFS_SERVICE])
    for name in MASKED_SYSCTL_FILES:
        (root / "etc/sysctl.d" / name).unlink(missing_ok=True)
        (root / "etc/sysctl.d" / name).symlink_to("/dev/null")
    _write(root / "etc/ssh/sshd_config.d/fastpath-lab.conf", SSHD_CONFIG)
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()  # each host gets its own keys when it is made
    # An empty machine-id lets systemd give every host its own at boot.
    _write(root / "etc/machine-id", "", 0o444)
    (root / "var/lib/dbus/machine-id").unlink(missing_ok=True)
    (root / "etc/hostname").unlink(missing_ok=True)
    (root / "usr/sbin/policy-rc.d").unlink(missing_ok=True)
    _in_chroot(root, ["apt-get", "clean"])


def build(rebuild: bool = False, in_use: dict[str, list[int]] | None = None, suite: str = SUITE) -> Path:
    """Build the image for the current recipe unless it is cached; return its directory.

    in_use maps image directories to the lab instances running on them: those are never replaced
    or pruned under a running host.
    """
    in_use = in_use or {}
    mirror = apt_mirror()
    rec = recipe(mirror, suite)
    final = paths.IMAGE_CACHE / recipe_hash(rec)
    paths.IMAGE_CACHE.mkdir(parents=True, exist_ok=True)
    with open(paths.IMAGE_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if final.exists() and not rebuild:
            print(f"lab image {final} is ready (cached)", flush=True)
            return final
        if final.exists() and str(final) in in_use:
            users = ", ".join(map(str, in_use[str(final)]))
            raise LabError(f"cannot rebuild {final}: lab instance(s) {users} run on it; "
                           "take them down first with `fastpath lab down --instance N`", EXIT_USAGE)
        work = Path(tempfile.mkdtemp(prefix=f".build-{final.name}-", dir=paths.IMAGE_CACHE))
        work.chmod(0o755)
        try:
            _build_into(work, rec, mirror)
            if final.exists():
                old = final.with_name(f".old-{final.name}-{os.getpid()}")
                final.rename(old)
                work.rename(final)
                shutil.rmtree(old)
            else:
                work.rename(final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        _prune(final, in_use)
    print(f"lab image {final} is ready", flush=True)
    return final


def _suite_of(directory: Path) -> str:
    try:
        return json.loads((directory / "recipe.json").read_text()).get("suite", SUITE)
    except (OSError, ValueError):
        return SUITE


def _prune(keep: Path, in_use: dict[str, list[int]]) -> None:
    """Remove images of older recipes of the same suite that no lab instance runs on (each is close
    to 1 GB); another suite's image (the VM tier's Debian 13) is not an older recipe."""
    for old in paths.IMAGE_CACHE.iterdir():
        if (re.fullmatch(r"[0-9a-f]{12}", old.name) and old != keep and str(old) not in in_use
                and _suite_of(old) == _suite_of(keep)):
            print(f"removing the image of an older recipe: {old}", flush=True)
            shutil.rmtree(old)


def _build_into(work: Path, rec: dict, mirror: str) -> None:
    started = time.monotonic()
    root = work / "rootfs"
    total = 4
    suite = rec["suite"]
    _stage(1, total, f"debootstrap --variant=minbase {suite} from {mirror} (about a minute)")
    debs = paths.IMAGE_CACHE / "debs"
    debs.mkdir(exist_ok=True)
    debs = debs / suite if suite != SUITE else debs  # one suite's .debs never mix with another's
    debs.mkdir(exist_ok=True)
    run(["debootstrap", "--variant=minbase", f"--cache-dir={debs}", suite, str(root), mirror],
        timeout=1800, exit_code=EXIT_BUILD, hint=f"is {mirror} reachable?")
    _stage(2, total, f"installing {len(PACKAGES)} packages the roles need (a few minutes)")
    security = mirror.rstrip("/") + "-security" if mirror.rstrip("/").endswith("/debian") else None
    sources = f"deb {mirror} {suite} main\ndeb {mirror} {suite}-updates main\n"
    if security:
        sources += f"deb {security} {suite}-security main\n"
    _write(root / "etc/apt/sources.list", sources)
    # Package scripts must not try to start services inside the chroot.
    _write(root / "usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", 0o755)
    _in_chroot(root, ["apt-get", "update", "-q"])
    _in_chroot(root, ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES])
    _stage(3, total, "configuring units, sshd and machine id")
    _configure(root, mirror)
    _stage(4, total, "recording the recipe")
    _write(work / "recipe.json", json.dumps(rec, indent=2, sort_keys=True) + "\n")
    print(f"built in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)

"""The VM image (Debian 12 or 13): the lab image of that suite plus a Debian kernel and initramfs,
as a raw ext4 disk QEMU boots.

Built from a copy of the lab's root filesystem (so a VM has every package a lab host has) with
`linux-image-amd64` and `initramfs-tools` installed in a chroot. QEMU boots the kernel and initrd
directly (-kernel/-initrd), so the image needs no bootloader. Each VM runs on a qcow2 overlay of
the raw disk, so the base is never written. The cache key hashes the lab image's recipe and the VM
steps below: a change to either builds a new image beside the old one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import shutil
import tempfile
import time
from pathlib import Path

from . import image, paths
from .errors import EXIT_BUILD, EXIT_USAGE, LabError
from .run import run

DISTROS = ("bookworm", "trixie")  # Debian 12 and 13
DEFAULT_DISTRO = "bookworm"
VM_PACKAGES = ("linux-image-amd64", "initramfs-tools")
# A VM has its own kernel and network: networkd brings up its NIC (the lab image masks it because
# a netns host's network is made from outside), and irqbalance runs as on any Debian VM, so the
# roles meet it as they would in a cloud.
UNMASKED_UNITS = ("systemd-networkd.service", "systemd-networkd.socket")
ENABLED_UNITS = ("systemd-networkd.service", "irqbalance.service", "fastpath-vm-identity.service")
DISK_SIZE = "4G"
# Each VM is told who it is on the kernel command line (fastpath.name, .ip, .gw, .mac, .key,
# .hosts), because all of them share one read-only base disk. This unit writes that identity into
# the VM's own overlay at every boot, before the network and sshd start; host keys are made once,
# at first boot, so they are the VM's own and survive its reboots.
IDENTITY_SCRIPT = r"""#!/bin/sh
# fastpath lab: give this VM the identity the lab put on its kernel command line.
set -eu
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^fastpath\.$1=//p" | tail -n 1; }
name=$(arg name); ip=$(arg ip); gw=$(arg gw); mac=$(arg mac); key=$(arg key); hosts=$(arg hosts)
[ -n "$name" ] || { echo "fastpath-vm-identity: no fastpath.name= on the kernel command line" >&2; exit 1; }
echo "$name" > /etc/hostname
hostname "$name"
mkdir -p /etc/systemd/network
cat > /etc/systemd/network/10-fastpath-lab.network <<EOF
[Match]
MACAddress=$mac

[Network]
Address=$ip
Gateway=$gw
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
mkdir -p -m 700 /root/.ssh
echo "$key" | base64 -d > /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
{
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
  echo "$hosts" | tr ',' '\n' | sed -n 's/^\([^=]*\)=\(.*\)$/\2\t\1/p'
} > /etc/hosts
ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1 || ssh-keygen -A
"""
IDENTITY_UNIT = """\
[Unit]
Description=Write the identity the fastpath lab gave this VM (name, address, SSH keys)
DefaultDependencies=no
After=local-fs.target
Before=network-pre.target systemd-networkd.service ssh.service sysinit.target
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/fastpath-vm-identity

[Install]
WantedBy=sysinit.target
"""
FSTAB = "/dev/vda / ext4 defaults,errors=remount-ro 0 1\n"
# Bump when the build steps change in a way the constants above do not show.
RECIPE_FORMAT = 1


def validate_distro(distro: str) -> str:
    if distro not in DISTROS:
        raise LabError(f"unknown distro {distro!r}: choose one of {', '.join(DISTROS)}", EXIT_USAGE)
    return distro


def recipe(distro: str, lab_recipe: dict) -> dict:
    return {"format": RECIPE_FORMAT, "distro": distro, "lab": lab_recipe, "packages": sorted(VM_PACKAGES),
            "unmasked": sorted(UNMASKED_UNITS), "enabled": sorted(ENABLED_UNITS), "disk_size": DISK_SIZE,
            "identity_script": IDENTITY_SCRIPT, "identity_unit": IDENTITY_UNIT, "fstab": FSTAB}


def cache_root() -> Path:
    return paths.IMAGE_CACHE.parent / "vm-image"


def image_dir(distro: str = DEFAULT_DISTRO) -> Path:
    rec = recipe(validate_distro(distro), image.recipe(image.apt_mirror(), distro))
    digest = hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()[:12]
    return cache_root() / f"{distro}-{digest}"


def ready(directory: Path) -> bool:
    return all((directory / f).is_file() for f in ("disk.raw", "vmlinuz", "initrd.img", "recipe.json"))


def require(distro: str = DEFAULT_DISTRO) -> Path:
    """The current VM image directory; a clear error when it has not been built."""
    directory = image_dir(distro)
    if not ready(directory):
        raise LabError(f"no VM image for {distro} at {directory}: build it first with "
                       f"`fastpath lab image --kind vm --distro {distro}` (or `make lab-image LAB_KIND=vm`)",
                       EXIT_USAGE)
    return directory


def build(distro: str = DEFAULT_DISTRO, rebuild: bool = False,
          in_use: dict[str, list[int]] | None = None) -> Path:
    """Build the VM image unless cached (the lab image first, if that is missing); return its directory."""
    in_use = in_use or {}
    validate_distro(distro)
    lab_dir = image.build(in_use=in_use, suite=distro)
    final = image_dir(distro)
    cache_root().mkdir(parents=True, exist_ok=True)
    with open(cache_root() / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready(final) and not rebuild:
            print(f"VM image {final} is ready (cached)", flush=True)
            return final
        if final.exists() and str(final) in in_use:
            users = ", ".join(map(str, in_use[str(final)]))
            raise LabError(f"cannot rebuild {final}: lab instance(s) {users} run on it; take them down first",
                           EXIT_USAGE)
        work = Path(tempfile.mkdtemp(prefix=f".build-{final.name}-", dir=cache_root()))
        try:
            _build_into(work, lab_dir / "rootfs", recipe(distro, image.recipe(image.apt_mirror(), distro)))
            shutil.rmtree(final, ignore_errors=True)
            work.rename(final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        _prune(final, distro, in_use)
    print(f"VM image {final} is ready", flush=True)
    return final


def _prune(keep: Path, distro: str, in_use: dict[str, list[int]]) -> None:
    """Remove this distro's images of older recipes that no lab instance runs on."""
    for old in cache_root().iterdir():
        if re.fullmatch(rf"{distro}-[0-9a-f]{{12}}", old.name) and old != keep and str(old) not in in_use:
            print(f"removing the VM image of an older recipe: {old}", flush=True)
            shutil.rmtree(old)


def _build_into(work: Path, lab_rootfs: Path, rec: dict) -> None:
    started = time.monotonic()
    root = work / "rootfs"
    print(f"[1/4] copying the lab image {lab_rootfs.parent}", flush=True)
    run(["cp", "-a", str(lab_rootfs), str(root)], timeout=900, exit_code=EXIT_BUILD)
    print(f"[2/4] installing {', '.join(VM_PACKAGES)} (a few minutes)", flush=True)
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    image._in_chroot(root, ["apt-get", "update", "-q"])
    image._in_chroot(root, ["apt-get", "install", "-y", "-q", "--no-install-recommends", *VM_PACKAGES])
    print("[3/4] configuring networkd, irqbalance and the identity unit", flush=True)
    script = root / "usr/local/sbin/fastpath-vm-identity"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(IDENTITY_SCRIPT)
    script.chmod(0o755)
    (root / "etc/systemd/system/fastpath-vm-identity.service").write_text(IDENTITY_UNIT)
    (root / "etc/fstab").write_text(FSTAB)
    image._in_chroot(root, ["systemctl", "unmask", *UNMASKED_UNITS])
    image._in_chroot(root, ["systemctl", "enable", *ENABLED_UNITS])
    policy.unlink()
    image._in_chroot(root, ["apt-get", "clean"])
    kernels = sorted((root / "boot").glob("vmlinuz-*"))
    initrds = sorted((root / "boot").glob("initrd.img-*"))
    if not kernels or not initrds:
        raise LabError(f"the VM image has no kernel or initrd under {root}/boot", EXIT_BUILD)
    shutil.copy2(kernels[-1], work / "vmlinuz")
    shutil.copy2(initrds[-1], work / "initrd.img")
    print(f"[4/4] making the {DISK_SIZE} ext4 disk", flush=True)
    run(["mkfs.ext4", "-q", "-F", "-L", "fastpath-root", "-d", str(root), str(work / "disk.raw"), DISK_SIZE],
        timeout=900, exit_code=EXIT_BUILD)
    shutil.rmtree(root)
    (work / "recipe.json").write_text(json.dumps(rec, indent=2, sort_keys=True) + "\n")
    print(f"built in {time.monotonic() - started:.0f} s", flush=True)

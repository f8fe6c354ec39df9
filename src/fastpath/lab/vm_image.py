"""The VM image (Debian 12 or 13): the lab image of that suite plus a Debian kernel and initramfs,
and GRUB, as a raw ext4 disk QEMU boots.

Built from a copy of the lab's root filesystem (so a VM has every package a lab host has) with
`linux-image-amd64`, `initramfs-tools` and GRUB installed in a chroot. A VM boots as a cloud VM does,
through GRUB and the guest's own /boot/grub/grub.cfg, so boot arguments written by `update-grub` in
the guest (cpu_partition's drop-in) reach its next boot. The disk has no partition table and no
boot sector: QEMU loads GRUB itself (-kernel grub.lnx, GRUB's core image behind its Linux-style
header lnxboot.img), and GRUB reads the disk through the BIOS. Each VM runs on a qcow2 overlay of
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
VM_PACKAGES = ("linux-image-amd64", "initramfs-tools", "grub-pc-bin", "grub2-common")
# GRUB's core image: what it needs to read the disk through the BIOS and boot Linux; the rest of
# its modules are copied to /boot/grub/i386-pc, where the guest's generated grub.cfg loads them.
GRUB_MODULES = ("biosdisk", "ext2", "part_msdos", "normal", "linux", "search", "search_fs_uuid",
                "configfile", "serial", "terminal", "echo", "test", "gzio")
GRUB_EARLY_CONFIG = """serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set root=(hd0)
configfile /boot/grub/grub.cfg
"""
# What every lab VM boots with, for update-grub in the guest: the console on the serial port (where
# the lab's boot wait reads it) and the NIC named eth0 (net.ifnames=0). Sourced before
# cpu_partition's 60-fastpath.cfg, which appends to GRUB_CMDLINE_LINUX_DEFAULT.
GRUB_DEFAULTS = """# fastpath lab VM image: boot at once, on the serial console.
GRUB_TIMEOUT=0
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_CMDLINE_LINUX="console=ttyS0 panic=10 net.ifnames=0"
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_DISABLE_OS_PROBER=true
GRUB_DISABLE_RECOVERY=true
"""
# A VM has its own kernel and network: networkd brings up its NIC (the lab image masks it because
# a netns host's network is made from outside), and irqbalance runs as on any Debian VM, so the
# roles meet it as they would in a cloud.
UNMASKED_UNITS = ("systemd-networkd.service", "systemd-networkd.socket")
ENABLED_UNITS = ("systemd-networkd.service", "irqbalance.service", "fastpath-vm-identity.service")
DISK_SIZE = "4G"
# Each VM is told who it is (fastpath.name, .ip, .gw, .mac, .key, .hosts) through QEMU's fw_cfg,
# because all of them share one read-only base disk and the kernel command line is the guest's own
# (GRUB's). This unit writes that identity into the VM's own overlay at every boot, before the
# network and sshd start; host keys are made once, at first boot, so they are the VM's own and
# survive its reboots.
IDENTITY_SCRIPT = r"""#!/bin/sh
# fastpath lab: give this VM the identity the lab put on its kernel command line.
set -eu
identity=/sys/firmware/qemu_fw_cfg/by_name/opt/fastpath/identity/raw
modprobe qemu_fw_cfg 2>/dev/null || true
for _ in $(seq 50); do [ -r "$identity" ] && break; sleep 0.2; done
[ -r "$identity" ] || { echo "fastpath-vm-identity: no $identity (QEMU -fw_cfg)" >&2; exit 1; }
arg() { tr ' ' '\n' < "$identity" | sed -n "s/^fastpath\.$1=//p" | tail -n 1; }
name=$(arg name); ip=$(arg ip); gw=$(arg gw); mac=$(arg mac); key=$(arg key); hosts=$(arg hosts)
[ -n "$name" ] || { echo "fastpath-vm-identity: no fastpath.name= in $identity" >&2; exit 1; }
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
# The initramfs holds only what mounts the root disk: GRUB reads it through the BIOS, sector by
# sector under TCG, and Debian's default (most modules, 36 MB) took minutes to load on a busy
# machine. Everything else (virtio_net, qemu_fw_cfg ...) loads from the root file system.
INITRAMFS_MODULES = ("virtio_pci", "virtio_blk", "ext4")
# Bump when the build steps change in a way the constants above do not show.
RECIPE_FORMAT = 2


def validate_distro(distro: str) -> str:
    if distro not in DISTROS:
        raise LabError(f"unknown distro {distro!r}: choose one of {', '.join(DISTROS)}", EXIT_USAGE)
    return distro


def recipe(distro: str, lab_recipe: dict) -> dict:
    return {"format": RECIPE_FORMAT, "distro": distro, "lab": lab_recipe, "packages": sorted(VM_PACKAGES),
            "unmasked": sorted(UNMASKED_UNITS), "enabled": sorted(ENABLED_UNITS), "disk_size": DISK_SIZE,
            "identity_script": IDENTITY_SCRIPT, "identity_unit": IDENTITY_UNIT, "fstab": FSTAB,
            "grub_modules": sorted(GRUB_MODULES), "grub_early_config": GRUB_EARLY_CONFIG,
            "grub_defaults": GRUB_DEFAULTS,
            "initramfs_modules": list(INITRAMFS_MODULES)}


def cache_root() -> Path:
    return paths.IMAGE_CACHE.parent / "vm-image"


def image_dir(distro: str = DEFAULT_DISTRO) -> Path:
    rec = recipe(validate_distro(distro), image.recipe(image.apt_mirror(), distro))
    digest = hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()[:12]
    return cache_root() / f"{distro}-{digest}"


def ready(directory: Path) -> bool:
    return all((directory / f).is_file() for f in ("disk.raw", "grub.lnx", "vmlinuz", "recipe.json"))


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
    print(f"[1/5] copying the lab image {lab_rootfs.parent}", flush=True)
    run(["cp", "-a", str(lab_rootfs), str(root)], timeout=900, exit_code=EXIT_BUILD)
    print(f"[2/5] installing {', '.join(VM_PACKAGES)} (a few minutes)", flush=True)
    initramfs = root / "etc/initramfs-tools"
    (initramfs / "conf.d").mkdir(parents=True, exist_ok=True)
    (initramfs / "conf.d/fastpath-lab.conf").write_text("MODULES=list\n")
    (initramfs / "modules").write_text("".join(f"{m}\n" for m in INITRAMFS_MODULES))
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    image._in_chroot(root, ["apt-get", "update", "-q"])
    image._in_chroot(root, ["apt-get", "install", "-y", "-q", "--no-install-recommends", *VM_PACKAGES])
    print("[3/5] configuring networkd, irqbalance and the identity unit", flush=True)
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
    # The KVM probe boots this kernel on its own (kvm_probe.py).
    shutil.copy2(kernels[-1], work / "vmlinuz")
    print("[4/5] installing GRUB: its modules on the disk, its core image beside it", flush=True)
    _install_grub(root, work, kernels[-1].name, initrds[-1].name)
    print(f"[5/5] making the {DISK_SIZE} ext4 disk", flush=True)
    run(["mkfs.ext4", "-q", "-F", "-L", "fastpath-root", "-d", str(root), str(work / "disk.raw"), DISK_SIZE],
        timeout=900, exit_code=EXIT_BUILD)
    shutil.rmtree(root)
    (work / "recipe.json").write_text(json.dumps(rec, indent=2, sort_keys=True) + "\n")
    print(f"built in {time.monotonic() - started:.0f} s", flush=True)


def _install_grub(root: Path, work: Path, kernel: str, initrd: str) -> None:
    """GRUB's modules under /boot/grub, the lab's GRUB defaults, a first grub.cfg, and grub.lnx.

    The first grub.cfg is written here because grub-mkconfig cannot run in a chroot (grub-probe
    looks for the device under /); the first `update-grub` in the guest replaces it with the
    generated one, which then carries every drop-in under /etc/default/grub.d."""
    grub = root / "boot/grub"
    shutil.copytree(root / "usr/lib/grub/i386-pc", grub / "i386-pc", dirs_exist_ok=True)
    (root / "etc/default/grub.d").mkdir(parents=True, exist_ok=True)
    (root / "etc/default/grub.d/10-fastpath-lab.cfg").write_text(GRUB_DEFAULTS)
    (grub / "grub.cfg").write_text(
        "# Written by the fastpath lab's image build; `update-grub` in the VM replaces it.\n"
        "set timeout=0\n"
        f"linux /boot/{kernel} root=/dev/vda ro console=ttyS0 panic=10 net.ifnames=0\n"
        f"initrd /boot/{initrd}\n"
        "boot\n")
    (root / "tmp/grub-early.cfg").write_text(GRUB_EARLY_CONFIG)
    image._in_chroot(root, ["grub-mkimage", "-d", "/usr/lib/grub/i386-pc", "-O", "i386-pc",
                            "-o", "/tmp/grub-core.img", "-c", "/tmp/grub-early.cfg", "-p", "(hd0)/boot/grub",
                            *GRUB_MODULES])
    with open(work / "grub.lnx", "wb") as out:
        out.write((root / "usr/lib/grub/i386-pc/lnxboot.img").read_bytes())
        out.write((root / "tmp/grub-core.img").read_bytes())
    (root / "tmp/grub-early.cfg").unlink()
    (root / "tmp/grub-core.img").unlink()

"""The QEMU command line of a lab VM: one place, so the VM, the KVM probe and the tests agree."""

from __future__ import annotations

from pathlib import Path

BINARY = "qemu-system-x86_64"


def accel_args(accel: str) -> list[str]:
    """KVM where a guest really boots under it; else TCG, one host thread per vCPU (thread=multi)."""
    return ["-accel", "kvm", "-cpu", "host"] if accel == "kvm" else ["-accel", "tcg,thread=multi"]


def vm_argv(*, name: str, accel: str, vcpus: int, memory: int, queues: int, bootloader: Path,
            identity: Path, disk: Path, tap: str, mac: str, console: Path) -> list[str]:
    """A VM that boots GRUB (which boots the guest's kernel with the guest's own command line), root
    on a virtio disk, one multi-queue virtio-net NIC, its identity in fw_cfg (vm_image.py).

    vectors: one MSI-X vector per rx and per tx queue plus config and control (2Q + 2), so every
    queue gets an IRQ of its own, as on a cloud VM. The serial console goes to a file; there is no
    display and no monitor, and a guest reboot resets the VM inside the same QEMU process.
    """
    return [
        BINARY, "-name", name, *accel_args(accel), "-smp", str(vcpus), "-m", str(memory),
        "-nodefaults", "-display", "none", "-monitor", "none", "-vga", "none",
        "-serial", f"file:{console}",
        "-kernel", str(bootloader), "-fw_cfg", f"name=opt/fastpath/identity,file={identity}",
        "-drive", f"file={disk},if=virtio,format=qcow2",
        "-netdev", f"tap,id=n0,ifname={tap},script=no,downscript=no,queues={queues}",
        "-device", f"virtio-net-pci,netdev=n0,mac={mac},mq=on,vectors={2 * queues + 2}",
    ]

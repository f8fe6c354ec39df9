"""cpu_partition's irqbalance policy script (ban mode), rendered from its template and run by sh the
way irqbalance runs it (`script <device dir> <irq>`), on sysfs trees laid out as the kernel lays them
out: virtio-net's net device one level below the PCI device that owns its MSI-X IRQs
(0000:00:03.0/virtio0/net/ens3), mlx5's directly on it (0000:00:05.0/net/ens5), and irqbalance's
own argument for an IRQ without a device, the sysfs root."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import jinja2
import pytest

TEMPLATE = Path(__file__).resolve().parents[3] / "roles/cpu_partition/templates/fastpath-irqbalance-policy.j2"


def sysfs(root: Path) -> Path:
    """Two NICs (virtio-net ens3, mlx5 ens5) and a virtio disk, each PCI device with its bus link."""
    devices = root / "devices/pci0000:00"
    for bdf, net in (("0000:00:03.0", "virtio0/net/ens3"), ("0000:00:05.0", "net/ens5"),
                     ("0000:00:04.0", None)):
        (devices / bdf / "msi_irqs").mkdir(parents=True)
        (root / "bus/pci/devices").mkdir(parents=True, exist_ok=True)
        (root / "bus/pci/devices" / bdf).symlink_to(f"../../../devices/pci0000:00/{bdf}")
        if net:
            netdev = devices / bdf / net
            netdev.mkdir(parents=True)
            # /sys/class/net/IF/device points at the device the net device belongs to
            (netdev / "device").symlink_to("../../../virtio0" if "virtio" in net else "../..")
            (root / "class/net").mkdir(parents=True, exist_ok=True)
            (root / "class/net" / netdev.name).symlink_to(os.path.relpath(netdev, root / "class/net"))
    return root


def policy(tmp_path: Path, interface: str) -> Path:
    script = tmp_path / f"policy-{interface}"
    text = jinja2.Template(TEMPLATE.read_text()).render(cpu_partition_interface=interface)
    script.write_text(text)
    script.chmod(0o755)
    return script


def run(script: Path, root: Path, device: Path | str, irq: int = 40) -> str:
    proc = subprocess.run(["sh", "-c", f'exec {script} {device} {irq}'], capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], "FASTPATH_SYSFS": str(root)}, check=False)
    assert proc.returncode == 0, proc.stderr  # irqbalance expects a zero exit code
    return proc.stdout


@pytest.mark.parametrize(("interface", "own", "others"), [
    ("ens3", "0000:00:03.0", ["0000:00:05.0", "0000:00:04.0"]),
    ("ens5", "0000:00:05.0", ["0000:00:03.0", "0000:00:04.0"]),
])
def test_only_the_tuned_nics_own_irqs_are_banned(tmp_path, interface, own, others):
    root = sysfs(tmp_path / "sys")
    script = policy(tmp_path, interface)
    assert run(script, root, root / "bus/pci/devices" / own) == "ban=true\n"
    for bdf in others:
        assert run(script, root, root / "bus/pci/devices" / bdf) == "", bdf


def test_an_irq_without_a_device_is_never_banned(tmp_path):
    root = sysfs(tmp_path / "sys")
    # irqbalance passes the sysfs root for an IRQ with no device directory
    assert run(policy(tmp_path, "ens3"), root, root) == ""


def test_a_missing_interface_bans_nothing_and_still_exits_zero(tmp_path):
    root = sysfs(tmp_path / "sys")
    assert run(policy(tmp_path, "eth9"), root, root / "bus/pci/devices/0000:00:03.0") == ""

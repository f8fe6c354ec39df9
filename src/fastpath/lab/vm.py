"""One lab VM: its tap on the instance's bridge, its copy-on-write disk, and the QEMU process.

A VM takes a lab host's place (same name, group, address and MAC as its HostSpec) and runs on a
qcow2 overlay over the cached VM image, so it boots in seconds of disk work and `down` removes it
by deleting one file. Its identity reaches it through QEMU's fw_cfg (see vm_image.py).
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import fleet, net, paths, procs, qemu, ssh
from .errors import EXIT_BOOT, EXIT_USAGE, LabError
from .fleet import HostSpec
from .run import run
from .state import HostState

DEFAULT_VCPUS = 4
DEFAULT_MEMORY = 1536
MAX_VCPUS = 16
MIN_MEMORY, MAX_MEMORY = 512, 16384
MAX_QUEUES = 16


@dataclass(frozen=True)
class VmShape:
    """What every VM of a fleet is started with."""

    vcpus: int = DEFAULT_VCPUS
    memory: int = DEFAULT_MEMORY
    queues: int = 0  # 0: one queue per vCPU
    distro: str = "bookworm"

    @property
    def nic_queues(self) -> int:
        return self.queues or self.vcpus


def validate_shape(vcpus: int, memory: int, queues: int | None) -> VmShape:
    if not 1 <= vcpus <= MAX_VCPUS:
        raise LabError(f"--vcpus must be between 1 and {MAX_VCPUS}, got {vcpus}", EXIT_USAGE)
    if not MIN_MEMORY <= memory <= MAX_MEMORY:
        raise LabError(f"--memory must be between {MIN_MEMORY} and {MAX_MEMORY} MiB (a Debian guest "
                       f"needs at least {MIN_MEMORY}), got {memory}", EXIT_USAGE)
    if queues is not None and not 1 <= queues <= MAX_QUEUES:
        raise LabError(f"--queues must be between 1 and {MAX_QUEUES}, got {queues}", EXIT_USAGE)
    return VmShape(vcpus=vcpus, memory=memory, queues=queues or 0)


def vm_dir(instance: int, name: str) -> Path:
    return paths.instance_dir(instance) / name


def identity(spec: HostSpec, fleet_hosts: list[HostSpec]) -> str:
    """What the VM is told about itself: name, address, gateway, MAC, the lab's SSH key and its peers,
    as words the image's fastpath-vm-identity reads."""
    key = base64.b64encode(ssh.public_key().encode()).decode()
    hosts = ",".join(f"{h.name}={h.address}" for h in fleet_hosts)
    return (f"fastpath.name={spec.name} fastpath.ip={spec.address}/24 "
            f"fastpath.gw={fleet.gateway(spec.instance)} fastpath.mac={spec.mac} fastpath.key={key} "
            f"fastpath.hosts={hosts}\n")


def create_tap(spec: HostSpec) -> None:
    """A multi-queue tap named like the host's veth, on the instance's bridge."""
    run(["ip", "tuntap", "add", "dev", spec.veth, "mode", "tap", "multi_queue"])
    run(["ip", "link", "set", spec.veth, "master", fleet.bridge(spec.instance), "up"])


def boot(spec: HostSpec, image_dir: Path, shape: VmShape, accel: str,
         fleet_hosts: list[HostSpec]) -> HostState:
    """Make the VM's overlay disk and start QEMU in its own session; return its state."""
    base = vm_dir(spec.instance, spec.name)
    base.mkdir(parents=True, exist_ok=True)
    disk = base / "disk.qcow2"
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(image_dir / "disk.raw"),
         str(disk)])
    console = base / "console.log"
    console.touch()
    identity_file = base / "identity"
    identity_file.write_text(identity(spec, fleet_hosts))
    argv = qemu.vm_argv(name=f"fp{spec.instance}-{spec.name}", accel=accel, vcpus=shape.vcpus,
                        memory=shape.memory, queues=shape.nic_queues, bootloader=image_dir / "grub.lnx",
                        identity=identity_file, disk=disk, tap=spec.veth, mac=spec.mac, console=console)
    with open(base / "qemu.log", "ab") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True)
    hs = HostState.from_spec(spec)
    hs.netns, hs.kind, hs.accel = "", "vm", accel
    hs.vcpus, hs.memory, hs.queues = shape.vcpus, shape.memory, shape.nic_queues
    hs.pid, hs.pid_start = proc.pid, procs.start_time(proc.pid)
    hs.disk, hs.console_log, hs.image, hs.root = str(disk), str(console), str(image_dir), str(base)
    if not hs.pid_start:
        log = (base / "qemu.log").read_text(errors="replace").strip().splitlines()[-5:]
        raise LabError(f"{spec.name}: QEMU exited at once: " + " | ".join(log), EXIT_BOOT)
    return hs


def problems(hs: HostState) -> list[str]:
    found = []
    if not procs.alive(hs.pid, hs.pid_start):
        found.append(f"QEMU PID {hs.pid} is not running")
    if not hs.disk or not Path(hs.disk).exists():
        found.append(f"its disk {hs.disk or '(none)'} is missing")
    if not net.link_exists(hs.veth):
        found.append(f"tap {hs.veth} is missing")
    return found


def qemu_pids(instance: int, name: str) -> list[int]:
    """QEMU processes started for this VM (found by its directory in their arguments)."""
    return procs.find_by_cmdline(qemu.BINARY, f"{vm_dir(instance, name)}/")


def leftovers(spec: HostSpec) -> list[str]:
    found = [f"QEMU PID {p}" for p in qemu_pids(spec.instance, spec.name)]
    if net.link_exists(spec.veth):
        found.append(f"tap {spec.veth}")
    if vm_dir(spec.instance, spec.name).exists():
        found.append(f"directory {vm_dir(spec.instance, spec.name)}")
    return found


def teardown(instance: int, name: str, tap: str, pid: int = 0, pid_start: int = 0) -> None:
    """End QEMU by PID (and any found by the VM's directory), delete the tap, the disk and the logs."""
    targets = {pid: pid_start} if pid else {}
    for found in qemu_pids(instance, name):
        targets.setdefault(found, procs.start_time(found))
    killed = procs.terminate(targets, grace=10.0)
    if killed:
        pids = ", ".join(map(str, killed))
        print(f"{name}: QEMU PID(s) {pids} ignored SIGTERM and were killed", flush=True)
    if net.link_exists(tap):
        run(["ip", "link", "del", tap])
    shutil.rmtree(vm_dir(instance, name), ignore_errors=True)

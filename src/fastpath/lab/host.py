"""One lab host: its overlay root, its identity files, and the systemd-nspawn process that boots it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from . import cgroups, mounts, net, paths, procs, ssh
from .errors import EXIT_BOOT, LabError
from .fleet import HostSpec
from .run import run
from .state import HostState

# Flags measured to work here (see LAB.md): nspawn runs *inside* the namespace through nsenter, so the
# sysfs it mounts shows the host's own eth0; bpf and perf_event_open must pass the syscall filter for
# XDP; passive console because nobody is attached; no registration (there is no systemd on the machine).
NSPAWN_FLAGS = ["--boot", "--register=no", "--keep-unit", "--console=passive", "--capability=all",
                "--system-call-filter=bpf perf_event_open", "--link-journal=no"]
# Else /proc/sys is read-only inside and the sysctl roles cannot work.
NSPAWN_ENV = {"SYSTEMD_NSPAWN_API_VFS_WRITABLE": "yes"}


def host_dir(instance: int, name: str) -> Path:
    return paths.instance_dir(instance) / name


def prepare_root(spec: HostSpec, lower: Path, fleet_hosts: list[HostSpec]) -> Path:
    """Mount the host's overlay root over the image and give it its name, host key and our SSH key."""
    base = host_dir(spec.instance, spec.name)
    root = base / "root"
    mounts.mount_overlay(lower, base / "upper", base / "work", root)
    (root / "etc/hostname").write_text(spec.name + "\n")
    write_hosts_file(root, fleet_hosts)
    hostkey = root / "etc/ssh/ssh_host_ed25519_key"
    if not hostkey.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{spec.name}", "-f", str(hostkey)])
    dot_ssh = root / "root/.ssh"
    dot_ssh.mkdir(mode=0o700, exist_ok=True)
    (dot_ssh / "authorized_keys").write_text(ssh.public_key())
    (dot_ssh / "authorized_keys").chmod(0o600)
    return root


def write_hosts_file(root: Path, fleet_hosts: list[HostSpec]) -> None:
    """/etc/hosts naming every host of the fleet, so roles can address peers by name."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{h.address}\t{h.name}" for h in fleet_hosts]
    (root / "etc/hosts").write_text("\n".join(lines) + "\n")


def boot(spec: HostSpec, root: Path, root_image: Path) -> HostState:
    """Start systemd-nspawn for the host in its own session; return its state with PID and start time."""
    log = host_dir(spec.instance, spec.name) / "console.log"
    argv = ["nsenter", f"--net={net.NETNS_DIR / spec.netns}", "systemd-nspawn", *NSPAWN_FLAGS,
            f"--directory={root}", f"--machine={spec.machine}", f"--hostname={spec.name}"]
    own_cgroups = cgroups.create(spec.machine)
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True, env={**os.environ, **NSPAWN_ENV},
                                preexec_fn=lambda: cgroups.enter(own_cgroups))
    started = procs.start_time(proc.pid)
    hs = HostState.from_spec(spec)
    hs.pid, hs.pid_start, hs.root, hs.console_log = proc.pid, started, str(root), str(log)
    hs.image = str(root_image)
    if not started:
        raise LabError(f"{spec.name}: systemd-nspawn exited at once; see {console_tail(log)}", EXIT_BOOT)
    return hs


def console_tail(log: Path | str, lines: int = 8) -> str:
    try:
        tail = Path(log).read_text(errors="replace").strip().splitlines()[-lines:]
    except FileNotFoundError:
        return f"{log} (missing)"
    return f"{log}, which ends:\n    " + "\n    ".join(tail)


def wait_for_ssh(hosts: list[HostState], timeout: float, *, probe=ssh.reachable,
                 clock=time.monotonic, sleep=time.sleep) -> None:
    """Return when every host answers ssh with our key; a clear error naming the hosts otherwise.

    The deadline is absolute: each probe gets only the time left (never more than one probe's own
    limit), so a boot that answers quickly can never outrun a short timeout, and a slow one is given
    up on when the time is up, not one probe later. probe, clock and sleep are for the unit tests.
    """
    pending = list(hosts)
    deadline = clock() + timeout
    while pending:
        for hs in list(pending):
            if not procs.alive(hs.pid, hs.pid_start):
                what = "QEMU" if hs.kind == "vm" else "systemd-nspawn"
                raise LabError(f"{hs.name}: {what} (PID {hs.pid}) died while booting; console log "
                               f"{console_tail(hs.console_log)}", EXIT_BOOT)
            left = deadline - clock()
            if left <= 0:
                break
            if probe(hs.address, timeout=min(ssh.PROBE_TIMEOUT, left)):
                pending.remove(hs)
        if not pending:
            return
        left = deadline - clock()
        if left <= 0:
            raise _boot_timeout(pending, timeout)
        sleep(min(0.5, left))


def _boot_timeout(pending: list[HostState], timeout: float) -> LabError:
    """The error for hosts that did not answer in time: all of them named, the first one's console."""
    first = pending[0]
    names = ", ".join(f"{hs.name} ({hs.address})" for hs in pending)
    return LabError(f"{first.name}: sshd on {first.address} did not answer within {timeout:g} s "
                    f"(not answering: {names}); console log {console_tail(first.console_log)}", EXIT_BOOT)


def problems(hs: HostState) -> list[str]:
    """What is wrong with a host recorded as up; empty when it is healthy."""
    found = []
    if not procs.alive(hs.pid, hs.pid_start):
        found.append(f"nspawn PID {hs.pid} is not running")
    if not hs.root or not mounts.is_mounted(Path(hs.root)):
        found.append("its root filesystem is not mounted")
    if not net.netns_exists(hs.netns):
        found.append(f"netns {hs.netns} is missing")
    if not net.link_exists(hs.veth):
        found.append(f"veth {hs.veth} is missing")
    return found


def leftovers(spec: HostSpec) -> list[str]:
    """Pieces of a host that exist on the machine (used when no state records it)."""
    base = host_dir(spec.instance, spec.name)
    found = []
    if net.netns_exists(spec.netns):
        found.append(f"netns {spec.netns}")
    if net.link_exists(spec.veth):
        found.append(f"veth {spec.veth}")
    if mounts.mounted_under(base):
        found.append(f"a mount under {base}")
    if procs.find_by_cmdline("systemd-nspawn", f"--directory={base}/"):
        found.append("a systemd-nspawn process")
    if base.exists():
        found.append(f"directory {base}")
    found += [f"cgroup {d}" for d in cgroups.host_dirs(spec.machine) if d.exists()]
    return found


def teardown(instance: int, name: str, netns: str, veth: str, pid: int = 0, pid_start: int = 0) -> None:
    """Stop the host's nspawn (ours by PID, plus any found by its root path), unmount, delete net, files."""
    base = host_dir(instance, name)
    targets = {pid: pid_start} if pid else {}
    for found in procs.find_by_cmdline("systemd-nspawn", f"--directory={base}/"):
        targets.setdefault(found, procs.start_time(found))
    killed = procs.terminate(targets)
    if killed:
        pids = ", ".join(map(str, killed))
        print(f"{name}: nspawn PID(s) {pids} ignored SIGTERM and were killed", flush=True)
    # What outlived its nspawn (a SIGKILLed nspawn leaves the host's init and sshd running) is found
    # in the host's cgroups and namespace and ended too, before they go.
    machine = f"fp{instance}-{name}"
    orphans = procs.in_netns(net.NETNS_DIR / netns)
    orphans.update({pid: procs.start_time(pid) for pid in cgroups.pids(machine) if procs.start_time(pid)})
    if orphans:
        print(f"{name}: ending {len(orphans)} process(es) left in netns {netns} by an nspawn that died",
              flush=True)
        procs.terminate(orphans, grace=5.0)
    cgroups.remove(machine)
    mounts.unmount_all_under(base)
    net.delete_host_net(netns, veth)
    shutil.rmtree(base, ignore_errors=True)

"""A cgroup of its own for each lab host.

With no systemd on the machine, systemd-nspawn leaves itself in `/supervisor` and its payload in
`/payload` at the root of each cgroup hierarchy, so every lab host's systemd managed the same
`/payload/system.slice/...` directories: one host removing a finished unit's cgroup made another
host's start of that unit fail ("Failed at step CGROUP spawning ...: No such file or directory"),
and fastpath.slice was one cgroup for every host. Starting each nspawn inside
`fastpath-lab/<machine>` gives each host its own subtree; it also lists every process of the host,
so teardown can end what outlived its nspawn.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "fastpath-lab"


def hierarchies(root: Path = ROOT) -> list[Path]:
    """The cgroup hierarchies nspawn's payload lives in: the unified one (cgroup v2, or the hybrid
    layout's `unified/`) and the hybrid layout's named `systemd/` hierarchy."""
    if (root / "cgroup.controllers").exists():
        return [root]
    return [root / name for name in ("unified", "systemd") if (root / name / "cgroup.procs").exists()]


def host_dirs(machine: str, root: Path = ROOT) -> list[Path]:
    return [h / PARENT / machine for h in hierarchies(root)]


def create(machine: str, root: Path = ROOT) -> list[Path]:
    dirs = host_dirs(machine, root)
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    return dirs


def enter(dirs: list[Path]) -> None:
    """Move the calling process into dirs (run in the child between fork and exec)."""
    for d in dirs:
        (d / "cgroup.procs").write_text(str(os.getpid()))


def pids(machine: str, root: Path = ROOT) -> set[int]:
    """Every process in the host's cgroups, at any depth."""
    found: set[int] = set()
    for d in host_dirs(machine, root):
        if not d.is_dir():
            continue
        for procs_file in d.rglob("cgroup.procs"):
            with contextlib.suppress(OSError):
                found.update(int(p) for p in procs_file.read_text().split())
    return found


def remove(machine: str, root: Path = ROOT) -> None:
    """Remove the host's cgroups, deepest first; call once its processes are gone."""
    for d in host_dirs(machine, root):
        if not d.is_dir():
            continue
        for sub in sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                sub.rmdir()
        with contextlib.suppress(OSError):
            d.rmdir()

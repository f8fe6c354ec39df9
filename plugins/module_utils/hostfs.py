# SPDX-License-Identifier: Apache-2.0
"""Read /proc and /sys under a configurable root, collecting reasons instead of raising.

Every reader in the host model goes through HostFS so that tests can point it at a fixture tree
(like node_exporter's --path.procfs) and so that a missing or unreadable file becomes a line in
`warnings` with partial data, never a traceback. Stdlib only: this runs on the managed hosts.
"""

from __future__ import annotations

import os

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import (
    CpuSetError,
    format_cpulist,
    parse_mask,
)


class HostFS:
    """A read-only view of a host's /proc and /sys rooted at `root` ("/" for the live host)."""

    def __init__(self, root: str = "/"):
        self.root = root or "/"
        self.warnings: list[str] = []

    @property
    def live(self) -> bool:
        """True when reading the running host, so live-only sources (commands, netlink) apply."""
        return os.path.realpath(self.root) == "/"

    def path(self, rel: str) -> str:
        return os.path.join(self.root, rel.lstrip("/"))

    def warn(self, reason: str) -> None:
        if reason not in self.warnings:
            self.warnings.append(reason)

    def exists(self, rel: str) -> bool:
        return os.path.exists(self.path(rel))

    def read(self, rel: str, *, quiet: bool = False) -> str | None:
        """File text, or None with a warning naming the path and the OS reason.

        `quiet` skips the warning for files whose absence is normal (speed on a down link,
        xps_rxqs on old kernels); the caller then reports null for that one field.
        """
        try:
            with open(self.path(rel), encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError as e:
            if not quiet:
                self.warn(f"cannot read /{rel.lstrip('/')}: {e.strerror or e}")
            return None

    def read_line(self, rel: str, *, quiet: bool = False) -> str | None:
        text = self.read(rel, quiet=quiet)
        return None if text is None else text.strip()

    def read_mask(self, rel: str, *, quiet: bool = False) -> str | None:
        """A hex CPU mask file (smp_affinity, rps_cpus, xps_cpus ...) as a cpulist; None when the file is
        missing or holds no mask (a warning says which)."""
        text = self.read_line(rel, quiet=quiet)
        if text is None:
            return None
        try:
            return format_cpulist(parse_mask(text))
        except CpuSetError as e:
            self.warn(f"/{rel}: {e}")
            return None

    def read_int(self, rel: str, *, quiet: bool = False) -> int | None:
        text = self.read_line(rel, quiet=quiet)
        if text is None:
            return None
        try:
            return int(text, 0) if text.startswith("0x") else int(text)
        except ValueError:
            if not quiet:
                self.warn(f"/{rel.lstrip('/')} holds {text[:40]!r}, not a number")
            return None

    def listdir(self, rel: str, *, quiet: bool = False) -> list[str]:
        try:
            return sorted(os.listdir(self.path(rel)))
        except OSError as e:
            if not quiet:
                self.warn(f"cannot list /{rel.lstrip('/')}: {e.strerror or e}")
            return []

    def readlink_name(self, rel: str) -> str | None:
        """Last component of a symlink's target (a driver or device name), or None if absent."""
        try:
            return os.path.basename(os.readlink(self.path(rel)).rstrip("/"))
        except OSError:
            return None

    def realpath(self, rel: str) -> str | None:
        """Resolved path of `rel` relative to root (e.g. the PCI device behind a netdev)."""
        full = self.path(rel)
        if not os.path.exists(full):
            return None
        real = os.path.realpath(full)
        base = os.path.realpath(self.root)
        return "/" + os.path.relpath(real, base) if base != "/" else real

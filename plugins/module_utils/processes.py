# SPDX-License-Identifier: Apache-2.0
"""Find running processes by command name from /proc/<pid>/comm (no ps, works on fixture trees)."""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS


def pids_named(fs: HostFS, comm: str) -> list[int]:
    pids = []
    for entry in fs.listdir("proc", quiet=True):
        if entry.isdigit() and fs.read_line(f"proc/{entry}/comm", quiet=True) == comm:
            pids.append(int(entry))
    return pids

# SPDX-License-Identifier: Apache-2.0
"""What every restore step shares: where the host's tree is, whether to write, how to run a command,
and what earlier steps did that later ones depend on. Stdlib only: runs on the targets."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

# run(argv) -> (rc, stdout, stderr), with LANG=C; the module passes AnsibleModule.run_command.
Runner = Callable[[list[str]], tuple[int, str, str]]


@dataclass
class Context:
    root: str = "/"
    check_mode: bool = False
    run: Runner | None = None
    packages: bool = False  # remove the packages fastpath installed (restore_packages)
    # Paths the files and dirs steps removed (or, in check mode, would remove): a directory holding
    # only those is empty by the time it is its turn.
    removed: set[str] = field(default_factory=set)
    # Content a file had just before this restore removed or replaced it (the boot drop-in's
    # arguments: still in the running kernel's command line until the next boot).
    replaced: dict[str, str] = field(default_factory=dict)
    # Per interface: whether fastpath's XDP pins were there when the restore began.
    pinned_before: dict[str, bool] = field(default_factory=dict)
    # (kind, name) -> the account's state when the restore began.
    accounts_before: dict[tuple[str, str], dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reboot_pending: bool = False
    _nic_irqs: dict[str, list[dict]] = field(default_factory=dict)

    def host_path(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    def command(self, argv: list[str]) -> tuple[int, str, str]:
        if self.run is None:
            raise RuntimeError(f"no command runner to run {argv[0]}")
        return self.run(argv)

    def nic_irqs(self, ifname: str, read) -> list[dict]:
        """Today's IRQs of a NIC, read once per restore (after the NIC step renumbered them)."""
        if ifname not in self._nic_irqs:
            self._nic_irqs[ifname] = read(ifname)
        return self._nic_irqs[ifname]


def host_step(entries: list[dict], results: list[dict], prefixes: tuple[str, ...], key: str,
              label: str, after: str) -> tuple[set[str], dict] | None:
    """A host-wide step that follows the file entries under `prefixes` (unit files, boot drop-ins):
    None when the restore has none, else their keys and the step's result, "changed" when one of
    them changed in this run. The caller runs the step whenever there are such entries (a rerun
    after a kill must redo it) and updates the result if it fails or is skipped."""
    keys = {e["key"] for e in entries if e["kind"] == "file" and e["key"].startswith(prefixes)}
    if not keys:
        return None
    changed = any(r["status"] == "changed" for r in results if r["kind"] == "file" and r["key"] in keys)
    return keys, {"kind": "step", "key": key, "label": label, "status": "changed" if changed else "ok",
                  "after": after}


def path_of(kind: str, key: str, root: str = "/") -> str:
    """Where a snapshot key lives. sysfs keys are IF/rx-N/file, IF/tx-N/file or IF/file."""
    if kind == "sysctl":
        return os.path.join(root, "proc/sys", key.replace(".", "/"))
    if kind == "irq_affinity":
        return os.path.join(root, "proc/irq", key, "smp_affinity_list")
    if kind == "sysfs":
        parts = key.split("/")
        if len(parts) == 3:
            return os.path.join(root, "sys/class/net", parts[0], "queues", parts[1], parts[2])
        return os.path.join(root, "sys/class/net", *parts)
    if kind in ("file", "dir"):
        return os.path.join(root, key.lstrip("/"))
    raise ValueError(f"{kind} has no path")

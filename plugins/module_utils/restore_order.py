# SPDX-License-Identifier: Apache-2.0
"""The steps of a restore and the order they must run in, derived from what depends on what.

Each recorded entry belongs to one step (its kind decides, and for a service whether it is to be
stopped or started); a few steps act on the host as a whole (reloading systemd, regenerating the
boot loader). AFTER says, for each step, which steps must be done before it and why; the order is
that graph sorted (graphlib), so adding a step means stating its reasons, not finding a slot.
Stdlib only: runs on the targets.
"""

from __future__ import annotations

from graphlib import TopologicalSorter

# step -> {step it must follow: why}
AFTER: dict[str, dict[str, str]] = {
    "stop": {},
    "triggers": {
        "stop": "a unit is stopped and disabled while its file still exists",
    },
    "xdp": {
        "stop": "a running fastpath-server detaches its own program as it stops; what is left is a "
                "crashed server's",
    },
    "nic": {
        "stop": "fastpath-reapply would put fastpath's pinning back at the next link up",
        "triggers": "fastpath's udev rule would re-apply its masks to the queues a channel change "
                    "re-creates",
        "xdp": "detaching XDP makes some drivers (ixgbe, mlx5) rebuild their rings",
    },
    "kernel": {
        "nic": "a channel or ring change re-creates the queues and re-requests the IRQs, resetting "
               "masks and affinities restored before it",
    },
    "accounts": {
        "stop": "userdel refuses a user whose processes still run",
    },
    "files": {
        "stop": "a unit is stopped and disabled while its file still exists",
        "xdp": "fastpath-xdp, a file fastpath installed, does the detach",
        "accounts": "userdel and groupdel rewrite the account files' backups (/etc/passwd- ...), "
                    "which this step puts back",
    },
    "dirs": {
        "files": "a directory fastpath made goes once the files fastpath put in it are gone",
    },
    "reload": {
        "files": "systemd reads restored and removed unit files only when reloaded",
    },
    "packages": {
        "dirs": "the build tree that needed them is gone",
        "xdp": "fastpath-xdp, which the detach runs, links against libbpf",
    },
    "boot": {
        "files": "the boot loader's configuration is made from the restored drop-ins",
    },
    "start": {
        "reload": "a service starts from its restored unit file",
        "files": "a service starts with its restored configuration",
        "kernel": "a service (irqbalance) starts on the restored IRQ affinities",
    },
    "restart": {
        "start": "a service the restore has just started read its restored files already",
        "reload": "a service restarts from its restored unit file (a drop-in removed)",
        "files": "a running service (irqbalance, banned) restarts to read its restored configuration",
        "kernel": "irqbalance restarts on the restored IRQ affinities",
    },
}

STEPS: tuple[str, ...] = tuple(TopologicalSorter(AFTER).static_order())

_STEP_OF_KIND = {
    "ethtool": "nic", "sysfs": "kernel", "irq_affinity": "kernel", "sysctl": "kernel",
    "file": "files", "dir": "dirs", "user": "accounts", "group": "accounts", "package": "packages",
    "xdp": "xdp",
}
# Files whose presence makes the host re-apply fastpath's tuning by itself.
TRIGGER_DIRS = ("/etc/udev/rules.d/",)


def step_of(entry: dict) -> str:
    kind = entry["kind"]
    if kind == "service":
        value = entry["value"]
        return "start" if value.get("present", True) and value.get("active") else "stop"
    if kind == "file" and entry["key"].startswith(TRIGGER_DIRS):
        return "triggers"
    return _STEP_OF_KIND[kind]


def in_order(entries: list[dict]) -> list[tuple[str, list[dict]]]:
    """[(step, its entries in the order they run)] for every step, in dependency order."""
    by_step: dict[str, list[dict]] = {step: [] for step in STEPS}
    for entry in entries:
        by_step[step_of(entry)].append(entry)
    return [(step, sorted(by_step[step], key=_within(step))) for step in STEPS]


def _within(step: str):
    if step == "dirs":
        # Deepest first: a directory is empty only once the ones inside it are gone.
        return lambda e: (-e["key"].rstrip("/").count("/"), e["key"])
    if step == "accounts":
        # Users first: groupdel refuses a group that is still some user's primary group.
        return lambda e: (e["kind"] != "user", e["key"])
    return lambda e: (e["kind"], e["key"])


def reasons() -> list[str]:
    """The order with its reasons, one line per dependency (for documentation and tests)."""
    return [f"{step} after {before}: {why}" for step in STEPS for before, why in AFTER[step].items()]

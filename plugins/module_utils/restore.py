# SPDX-License-Identifier: Apache-2.0
"""Put back every value the snapshot recorded, step by step in the order restore_order derives.

Each entry is compared before anything is written, so a second restore changes nothing, and a
restore stopped halfway (the controller killed, the connection lost) is completed by running it
again: the snapshot is set aside only once every entry is back, and the steps that act on the host
as a whole (reloading systemd, regenerating the boot loader) run again on that rerun. Kernel files
and files are restored here; ethtool, systemctl, userdel, apt and fastpath-xdp need commands, so the
caller passes a `run(argv) -> (rc, out, err)`. Stdlib only: runs on the targets.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.restore_accounts import (
    note_before as note_account,
)
from ansible_collections.fastpath.host.plugins.module_utils.restore_accounts import (
    restore_account,
)
from ansible_collections.fastpath.host.plugins.module_utils.restore_boot import regenerate
from ansible_collections.fastpath.host.plugins.module_utils.restore_context import Context
from ansible_collections.fastpath.host.plugins.module_utils.restore_files import restore_dir, restore_file
from ansible_collections.fastpath.host.plugins.module_utils.restore_kernel import restore_kernel_file
from ansible_collections.fastpath.host.plugins.module_utils.restore_nic import restore_ethtool
from ansible_collections.fastpath.host.plugins.module_utils.restore_order import in_order
from ansible_collections.fastpath.host.plugins.module_utils.restore_packages import restore_packages
from ansible_collections.fastpath.host.plugins.module_utils.restore_units import (
    reload_systemd,
    restart_services,
    restore_service,
)
from ansible_collections.fastpath.host.plugins.module_utils.restore_xdp import note_before as note_pins
from ansible_collections.fastpath.host.plugins.module_utils.restore_xdp import restore_xdp

_RESTORERS = {
    "service": restore_service,
    "xdp": restore_xdp,
    "ethtool": restore_ethtool,
    "sysfs": restore_kernel_file,
    "irq_affinity": restore_kernel_file,
    "sysctl": restore_kernel_file,
    "user": restore_account,
    "group": restore_account,
    "file": restore_file,
    "dir": restore_dir,
}
_NOTE_BEFORE = {"xdp": note_pins, "user": note_account, "group": note_account}
# Steps that act on the host as a whole, given every entry and the results so far.
_HOST_STEPS = {"reload": reload_systemd, "boot": regenerate, "restart": restart_services}


def restore_entries(entries: list[dict], *, root: str = "/", check_mode: bool = False, run=None,
                    packages: bool = False, context: Context | None = None) -> list[dict]:
    """Restore each entry; one result per entry (and per host-wide step): status ok | changed |
    skipped | kept | failed, with before (now) and after (the recorded value). `context`, when
    given, collects the notes (a reboot pending) for the caller."""
    ctx = context or Context()
    ctx.root, ctx.check_mode, ctx.run, ctx.packages = root, check_mode, run, packages
    results: list[dict] = []
    # What a later entry needs to know of the host as it was before an earlier step changed it.
    for entry in entries:
        if entry["kind"] in _NOTE_BEFORE:
            _NOTE_BEFORE[entry["kind"]](entry, ctx)
    for step, step_entries in in_order(entries):
        if step == "packages":
            results += restore_packages(step_entries, ctx)
        elif step in _HOST_STEPS:
            results += _HOST_STEPS[step](entries, results, ctx)
        else:
            results += [_restore_one(entry, ctx) for entry in step_entries]
    return results


def _restore_one(entry: dict, ctx: Context) -> dict:
    result = {"kind": entry["kind"], "key": entry["key"], "label": f"{entry['kind']} {entry['key']}"}
    try:
        _RESTORERS[entry["kind"]](entry, result, ctx)
    except OSError as e:
        result.update(status="failed", reason=f"{e.filename or entry['key']}: {e.strerror}")
    return result

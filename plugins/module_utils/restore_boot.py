# SPDX-License-Identifier: Apache-2.0
"""After a boot-argument drop-in was restored: regenerate the boot loader's configuration, and say
that the running kernel keeps the old arguments until the next boot. Stdlib only: runs on targets."""

from __future__ import annotations

import os

from ansible_collections.fastpath.host.plugins.module_utils.restore_context import Context, host_step

BOOT_FILES = ("/etc/default/grub.d/", "/etc/default/grub")
# The arguments cpu_partition's drop-in sets; one of them on today's command line means the running
# kernel still isolates CPUs as fastpath asked.
BOOT_ARGS = ("isolcpus=", "nohz_full=", "rcu_nocbs=", "irqaffinity=")
GRUB_COMMANDS = ("usr/sbin/update-grub", "sbin/update-grub")


def regenerate(entries: list[dict], results: list[dict], ctx: Context) -> list[dict]:
    """Run update-grub when the restore touched a boot drop-in. Run again on a rerun too (it is
    harmless): a restore killed after the drop-in went and before this step would leave it undone."""
    step = host_step(entries, results, BOOT_FILES, "update-grub", "boot loader configuration", "regenerated")
    if step is None:
        return []
    keys, result = step
    changed = result["status"] == "changed"
    command = next((c for c in GRUB_COMMANDS if os.path.exists(ctx.host_path(c))), None)
    if command is None:
        result.update(status="skipped", reason="update-grub not found: regenerate the boot loader's "
                                               "configuration by hand")
    elif not ctx.check_mode:
        rc, _out, err = ctx.command(["/" + command])
        if rc != 0:
            result.update(status="failed", reason=f"update-grub: {err.strip()}")
    if changed or _kernel_still_has_args(ctx, keys):
        ctx.reboot_pending = True
        ctx.notes.append("reboot pending: the running kernel keeps the boot arguments fastpath set "
                         "(CPU isolation) until the next boot")
    return [result]


def _kernel_still_has_args(ctx: Context, keys: set[str]) -> bool:
    try:
        with open(ctx.host_path("proc/cmdline")) as f:
            cmdline = f.read().split()
    except OSError:
        return False
    # The drop-in's own arguments when this run removed it; a rerun after a kill no longer has the
    # file, and then any CPU isolation argument counts.
    words = " ".join(ctx.replaced.get(k, "") for k in keys).replace('"', " ").split()
    ours = {w for w in words if w.startswith(BOOT_ARGS)}
    return any(arg in ours or (not ours and arg.startswith(BOOT_ARGS)) for arg in cmdline)

# SPDX-License-Identifier: Apache-2.0
"""Detach fastpath's XDP program from an interface and remove its pins.

A server stopped cleanly has done this itself; one that crashed took its program with it (a
bpf_link) but left its pins, and an earlier version's crash left the program attached by netlink.
`fastpath-xdp detach` handles all three and never touches another program. The record names the
interface (key), the CLI and the pin root. Stdlib only: runs on the targets.
"""

from __future__ import annotations

import os

from ansible_collections.fastpath.host.plugins.module_utils.restore_context import Context

EXIT_NOTHING_PINNED = 8  # fastpath-xdp: nothing of ours pinned on that interface


def pin_dir(entry: dict, ctx: Context) -> str:
    return ctx.host_path(os.path.join(entry["value"]["pin_root"], entry["key"]))


def note_before(entry: dict, ctx: Context) -> None:
    """Called before any step runs: whether the pins were there when the restore began. A server the
    stop step stops cleanly removes its own, and that is still this restore's change."""
    ctx.pinned_before[entry["key"]] = os.path.isdir(pin_dir(entry, ctx))


def restore_xdp(entry: dict, result: dict, ctx: Context) -> None:
    ifname, recorded = entry["key"], entry["value"]
    pinned_before = ctx.pinned_before.get(ifname, os.path.isdir(pin_dir(entry, ctx)))
    nothing = "no fastpath program, no pins"
    pins = f"pins in {recorded['pin_root']}/{ifname}"
    result.update(after=nothing, before=pins if pinned_before else nothing)
    result["status"] = "changed" if pinned_before else "ok"
    if pinned_before:
        ctx.removed.add(pin_dir(entry, ctx))  # so the dirs step sees the pin root emptied, in check mode too
    if ctx.check_mode or not os.path.isdir(pin_dir(entry, ctx)):
        return  # nothing left: never there, or the server's stop took it away
    cli = ctx.host_path(recorded["cli"])
    if not os.path.exists(cli):
        result.update(status="failed", reason=f"{recorded['cli']} is gone, and with it the way to detach "
                                              f"only fastpath's program; detach it by hand and remove "
                                              f"{recorded['pin_root']}/{ifname}")
        return
    rc, _out, err = ctx.command([recorded["cli"], "detach", ifname, "--pin-root", recorded["pin_root"]])
    if rc not in (0, EXIT_NOTHING_PINNED):
        result.update(status="failed", reason=f"fastpath-xdp detach {ifname}: {err.strip()}")

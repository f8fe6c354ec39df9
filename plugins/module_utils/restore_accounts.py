# SPDX-License-Identifier: Apache-2.0
"""System users and groups: recorded from /etc/passwd and /etc/group, removed if fastpath added
them, put back (home, shell, primary group, comment) if fastpath changed one that was there.
Stdlib only: runs on the targets."""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.restore_context import Context

_FILES = {"user": "etc/passwd", "group": "etc/group"}
_DELETE = {"user": "userdel", "group": "groupdel"}


def account_state(kind: str, name: str, root: str = "/") -> dict:
    """{exists, entry}: the account's line of /etc/passwd or /etc/group (local accounts only)."""
    path = f"{root.rstrip('/')}/{_FILES[kind]}"
    try:
        with open(path) as f:
            for line in f:
                if line.split(":", 1)[0] == name:
                    return {"exists": True, "entry": line.rstrip("\n")}
    except FileNotFoundError:
        pass
    return {"exists": False, "entry": None}


def note_before(entry: dict, ctx: Context) -> None:
    """Called before any step runs. userdel also removes the user's own group: the group's entry
    then finds it gone, and that is still this restore's change, as check mode (which removes
    nothing) says."""
    ctx.accounts_before[(entry["kind"], entry["key"])] = account_state(entry["kind"], entry["key"], ctx.root)


def restore_account(entry: dict, result: dict, ctx: Context) -> None:
    kind, name, recorded = entry["kind"], entry["key"], entry["value"]
    now = account_state(kind, name, ctx.root)
    before = ctx.accounts_before.get((kind, name), now)
    result.update(before=before["entry"] or "(absent)", after=recorded["entry"] or "(absent)")
    if now == recorded:
        result["status"] = "changed" if before != recorded else "ok"
        return
    if not recorded["exists"]:
        argv = [_DELETE[kind], name]
    elif not now["exists"]:
        result.update(status="skipped", reason=f"{kind} {name} existed before fastpath and is gone now; "
                                               "fastpath does not make it again")
        return
    elif kind == "user":
        gid, gecos, home, shell = recorded["entry"].split(":")[3:7]
        argv = ["usermod", "-g", gid, "-c", gecos, "-d", home, "-s", shell, name]
    else:
        result.update(status="skipped", reason=f"group {name} existed before fastpath; its members "
                                               "changed since and are left as they are")
        return
    if not ctx.check_mode:
        rc, _out, err = ctx.command(argv)
        if rc != 0:
            result.update(status="failed", reason=f"{' '.join(argv)}: {err.strip()}")
            return
    result["status"] = "changed"

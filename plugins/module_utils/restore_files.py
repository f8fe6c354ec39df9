# SPDX-License-Identifier: Apache-2.0
"""Files and directories: how their state is recorded, and how a restore puts it back.

A file's record says whether it existed and, if so, its bytes (text, or base64 for a binary), mode
and owner; a restore writes exactly that back (temp file, then rename) or removes a file fastpath
created. A directory's record says whether it existed, with its mode and owner. One fastpath
created is removed when nothing is left in it but what this restore removed; one recorded as a
`tree` (the build tree: fastpath made it and everything in it) goes with its content. A directory
that existed keeps its content and gets its mode and owner back. Stdlib only: runs on the targets.
"""

from __future__ import annotations

import base64
import os
import shutil
import stat

from ansible_collections.fastpath.host.plugins.module_utils.restore_context import Context


def file_state(path: str) -> dict:
    """The record of a file as it is now."""
    try:
        st = os.lstat(path)
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {"exists": False, "content": None}
    try:
        content, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        content, encoding = base64.b64encode(data).decode("ascii"), "base64"
    return {"exists": True, "content": content, "encoding": encoding, **_meta(st)}


def dir_state(path: str, tree: bool = False) -> dict:
    """The record of a directory as it is now; `tree`: fastpath makes all that will be in it."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return {"exists": False, "tree": tree}
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(path)
    return {"exists": True, **_meta(st)}


def _meta(st: os.stat_result) -> dict:
    return {"mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid}


def _recorded_bytes(recorded: dict) -> bytes:
    if recorded.get("encoding") == "base64":
        return base64.b64decode(recorded["content"])
    return recorded["content"].encode("utf-8")


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def restore_file(entry: dict, result: dict, ctx: Context) -> None:
    path = ctx.host_path(entry["key"])
    recorded = entry["value"]
    now = _read_bytes(path)
    want = _recorded_bytes(recorded) if recorded["exists"] else None
    result.update(before=_show(now), after=_show(want))
    meta_differs = want is not None and now is not None and _meta_differs(path, recorded)
    if now == want and not meta_differs:
        result["status"] = "ok"
        return
    if now is not None:
        ctx.replaced[entry["key"]] = now.decode("utf-8", "replace")
    if want is None:
        ctx.removed.add(path)
    if not ctx.check_mode:
        if want is None:
            os.unlink(path)
        else:
            _write(path, want, recorded)
    result["status"] = "changed"


def _meta_differs(path: str, recorded: dict) -> bool:
    if "mode" not in recorded:  # recorded before modes were: the content is what it holds
        return False
    return _meta(os.lstat(path)) != {k: recorded[k] for k in ("mode", "uid", "gid")}


def _write(path: str, data: bytes, recorded: dict) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".fastpath-restore"
    with open(tmp, "wb") as f:
        f.write(data)
    if "mode" in recorded:
        os.chmod(tmp, recorded["mode"])
        os.chown(tmp, recorded["uid"], recorded["gid"])
    os.replace(tmp, path)


def _show(content: bytes | None) -> str:
    return "(absent)" if content is None else f"({len(content)} bytes)"


def restore_dir(entry: dict, result: dict, ctx: Context) -> None:
    path = ctx.host_path(entry["key"])
    recorded = entry["value"]
    exists = os.path.isdir(path)
    if recorded["exists"]:
        _restore_existing_dir(path, recorded, exists, result, ctx)
        return
    result.update(before="present" if exists else "(absent)", after="(absent)")
    if not exists:
        result["status"] = "ok"
        return
    left = sorted(n for n in os.listdir(path) if os.path.join(path, n) not in ctx.removed)
    if left and not recorded.get("tree"):
        result.update(status="skipped",
                      reason=f"{entry['key']} holds what fastpath did not put there "
                             f"({', '.join(left[:5])}{', ...' if len(left) > 5 else ''}): left in place")
        return
    ctx.removed.add(path)
    if not ctx.check_mode:
        if recorded.get("tree"):
            shutil.rmtree(path)
        else:
            os.rmdir(path)
    result["status"] = "changed"


def _restore_existing_dir(path: str, recorded: dict, exists: bool, result: dict, ctx: Context) -> None:
    want = {k: recorded[k] for k in ("mode", "uid", "gid")}
    now = _meta(os.lstat(path)) if exists else None
    result.update(before=_show_meta(now), after=_show_meta(want))
    if now == want:
        result["status"] = "ok"
        return
    if not ctx.check_mode:
        if not exists:
            os.makedirs(path)
        os.chmod(path, want["mode"])
        os.chown(path, want["uid"], want["gid"])
    result["status"] = "changed"


def _show_meta(meta: dict | None) -> str:
    return "(absent)" if meta is None else f"mode {meta['mode']:04o}, owner {meta['uid']}:{meta['gid']}"

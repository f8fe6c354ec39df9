# SPDX-License-Identifier: Apache-2.0
"""The record of what a host looked like before fastpath first changed it, for an exact restore.

One JSON file, /var/lib/fastpath/snapshot.json (under a configurable root for tests), holds one
entry per setting: its kind (sysctl, irq_affinity, sysfs, ethtool, file, dir, service, user, group,
package, xdp), its key, the value it had before fastpath's first change, and its scope: "tune"
(what tune.yml changes, put back by restore.yml) or "dataplane" (what deploy.yml installs, removed
too by uninstall.yml). The first value wins: recording a setting that is already recorded changes
nothing, so a second tune never overwrites the state to restore. An entry may carry an `identity`
that says what the key stood for when it was recorded (an IRQ's interface and queue), so a restore
finds the same thing again after a reboot renumbered it.
Writers hold an exclusive lock and replace the file atomically. Stdlib only: runs on the targets.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time

STATE_DIR = "var/lib/fastpath"
SNAPSHOT_FILE = "snapshot.json"
KINDS = ("ethtool", "sysfs", "irq_affinity", "sysctl", "file", "dir", "service", "user", "group",
         "package", "xdp")
SCOPES = ("tune", "dataplane")
_VERSION = 1


class SnapshotError(RuntimeError):
    """The snapshot file cannot be read or written; the message names the file."""


def state_dir(root: str = "/") -> str:
    return os.path.join(root, STATE_DIR)


def snapshot_path(root: str = "/") -> str:
    return os.path.join(state_dir(root), SNAPSHOT_FILE)


def entry_id(kind: str, key: str) -> str:
    return f"{kind}:{key}"


class Snapshot:
    """The entries of one host's snapshot; load with `open_snapshot`, which also locks it."""

    def __init__(self, path: str, entries: dict[str, dict]):
        self.path = path
        self.entries = entries
        self.dirty = False

    def get(self, kind: str, key: str) -> dict | None:
        return self.entries.get(entry_id(kind, key))

    def record(self, kind: str, key: str, value, *, scope: str = "tune",
               identity: dict | None = None) -> bool:
        """Record `value` as the prior value of (kind, key) unless one is recorded already.
        Returns True if this call recorded it."""
        if kind not in KINDS:
            raise SnapshotError(f"unknown snapshot kind {kind!r} (known: {', '.join(KINDS)})")
        if scope not in SCOPES:
            raise SnapshotError(f"unknown snapshot scope {scope!r} (known: {', '.join(SCOPES)})")
        eid = entry_id(kind, key)
        if eid in self.entries:
            return False
        entry = {"kind": kind, "key": key, "value": value, "scope": scope, "recorded": int(time.time())}
        if identity:
            entry["identity"] = identity
        self.entries[eid] = entry
        self.dirty = True
        return True

    def in_scopes(self, scopes) -> list[dict]:
        """The entries of these scopes; entries recorded before scopes existed are tune's."""
        return [e for e in self.entries.values() if e.get("scope", "tune") in scopes]

    def by_kind(self, kind: str) -> list[dict]:
        return [e for e in self.entries.values() if e["kind"] == kind]

    def save(self) -> None:
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        _write_json(self.path, {"version": _VERSION, "entries": self.entries})
        self.dirty = False

    def archive(self, entries: list[dict] | None = None) -> str | None:
        """Move restored entries (default: all) out of the snapshot into
        snapshot.restored-TIME.json, so the next tune records them afresh; the snapshot file goes
        when nothing is left in it. Returns the archive's name, or None if there was nothing."""
        chosen = list(self.entries.values()) if entries is None else entries
        ids = {entry_id(e["kind"], e["key"]) for e in chosen}
        if not ids or not os.path.exists(self.path):
            return None
        dest = os.path.join(
            os.path.dirname(self.path), f"snapshot.restored-{time.strftime('%Y%m%dT%H%M%S')}.json"
        )
        archived = {i: e for i, e in self.entries.items() if i in ids}
        kept = {i: e for i, e in self.entries.items() if i not in ids}
        # A restore a second later would reuse the name: add what is there rather than lose it.
        with contextlib.suppress(FileNotFoundError, ValueError), open(dest) as f:
            archived = {**json.load(f)["entries"], **archived}
        _write_json(dest, {"version": _VERSION, "entries": archived})
        self.entries = kept
        if kept:
            self.save()
        else:
            os.unlink(self.path)
            self.dirty = False
        return dest


def _write_json(path: str, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".snapshot.")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise SnapshotError(f"cannot write {path}: {e.strerror}") from None


@contextlib.contextmanager
def open_snapshot(root: str = "/", *, write: bool = True):
    """Load the host's snapshot under an exclusive lock; on exit save it if `write` and it changed.
    With write=False (check mode) nothing is created on the host, not even the directory."""
    path = snapshot_path(root)
    lock_fd = None
    if write:
        try:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            lock_fd = os.open(path + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
        except OSError as e:
            raise SnapshotError(f"cannot lock {path}.lock: {e.strerror}") from None
    try:
        snap = Snapshot(path, _load(path))
        yield snap
        if write and snap.dirty:
            snap.save()
    finally:
        if lock_fd is not None:
            os.close(lock_fd)


def _load(path: str) -> dict[str, dict]:
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise SnapshotError(
            f"cannot read {path}: {e}; move it aside only if you know the prior values"
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("version") != _VERSION
        or not isinstance(data.get("entries"), dict)
    ):
        raise SnapshotError(f"{path} is not a fastpath snapshot (version {_VERSION})")
    return data["entries"]

# SPDX-License-Identifier: Apache-2.0
"""Plan, then apply, a list of kernel settings (files under /proc and /sys), each written only when
it differs, its prior value recorded in the snapshot first, and read back after.

Shared by the irq_affinity, nic_queues and sysctl_apply modules so that all three report changed,
skipped and diff the same way. Stdlib only: runs on the targets.
"""

from __future__ import annotations

import errno as errno_codes
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import (
    CpuSetError,
    format_cpulist,
    format_mask,
    parse_cpulist,
    parse_mask,
)
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import open_snapshot


class SettingError(RuntimeError):
    """A write the kernel refused for a reason that is not a known skip; names file and errno."""


@dataclass
class Setting:
    """One file to hold one value. `text` is what to write; `same(current)` says whether the
    current text already means it; `show(text)` is how before/after read in the diff."""

    kind: str  # snapshot kind
    key: str  # snapshot key and the name shown in results
    path: str
    text: str
    same: Callable[[str], bool]
    show: Callable[[str], str] = str
    missing: str = "the file does not exist on this host"
    read_only: str = "the kernel offers this file read-only here"
    refusals: dict[int, str] = field(default_factory=dict)  # errno -> reason to skip, not fail
    # The snapshot's key and identity when they differ from `key`: an IRQ is recorded by its
    # interface and queue ("eth0:rx-3"), which survive a reboot, not by its number.
    record_key: str | None = None
    identity: dict | None = None


def plain(kind: str, key: str, path: str, value, **kw) -> Setting:
    """A value compared as whitespace-separated words (sysctls print tabs, accept spaces)."""
    want = " ".join(str(value).split())
    return Setting(kind, key, path, want, lambda cur: " ".join(cur.split()) == want, **kw)


def cpu_mask(kind: str, key: str, path: str, cpulist: str, nr_cpus: int | None = None, **kw) -> Setting:
    """A hex CPU mask file (rps_cpus, xps_cpus, smp_affinity) set from a cpulist."""
    want = parse_cpulist(cpulist)
    return Setting(
        kind, key, path, format_mask(want, nr_cpus), lambda cur: _mask(cur) == want, show=_mask_as_list, **kw
    )


def cpu_list(kind: str, key: str, path: str, cpulist: str, **kw) -> Setting:
    """A cpulist file (smp_affinity_list)."""
    want = parse_cpulist(cpulist)
    return Setting(kind, key, path, format_cpulist(want), lambda cur: parse_cpulist(cur) == want, **kw)


def read_text(path: str) -> str:
    with open(path) as f:
        return f.read().strip()


def write_text(path: str, text: str) -> None:
    # One write() call: sysfs and procfs parse what a single write delivers.
    with open(path, "w") as f:
        f.write(text + "\n")


def apply_settings(settings: list[Setting], *, root: str = "/", check_mode: bool = False) -> dict:
    """Apply every setting that differs. Returns {changed, results, diff}: one result per setting
    with status ok | changed | skipped | failed, before and after as shown, and a reason if skipped.
    The snapshot (under root) gets each prior value before the first write to that file."""
    results: list[dict] = []
    with open_snapshot(root, write=not check_mode) as snap:
        for s in settings:
            result = {"key": s.key, "label": f"{s.kind} {s.key}", "path": s.path, "want": s.show(s.text)}
            results.append(result)
            try:
                before = read_text(s.path)
            except FileNotFoundError:
                result.update(status="skipped", reason=s.missing)
                continue
            except OSError as e:
                result.update(status="failed", reason=f"cannot read {s.path}: {e.strerror}")
                continue
            result["before"] = s.show(before)
            if s.same(before):
                result.update(status="ok", after=result["before"])
                continue
            # Asked before writing so check mode tells the same truth (procfs answers access()
            # with the sysctl's own permission, e.g. 0444 for rmem_max in a child netns).
            if not os.access(s.path, os.W_OK):
                result.update(status="skipped", reason=s.read_only)
                continue
            if check_mode:
                result.update(status="changed", after=s.show(s.text))
                continue
            snap.record(s.kind, s.record_key or s.key, before, identity=s.identity)
            _write_and_verify(s, result)
    changed = [r for r in results if r["status"] == "changed"]
    return {
        "changed": bool(changed),
        "results": results,
        "diff": {
            "before": "".join(f"{r['label']} = {r['before']}\n" for r in changed),
            "after": "".join(f"{r['label']} = {r['after']}\n" for r in changed),
        },
    }


def _write_and_verify(s: Setting, result: dict) -> None:
    try:
        write_text(s.path, s.text)
    except OSError as e:
        if e.errno in s.refusals:
            result.update(status="skipped", reason=s.refusals[e.errno])
        else:
            name = errno_codes.errorcode.get(e.errno or 0, "?")
            result.update(
                status="failed", reason=f"cannot write {s.text!r} to {s.path}: {e.strerror} ({name})"
            )
        return
    after = read_text(s.path)
    result["after"] = s.show(after)
    if s.same(after):
        result["status"] = "changed"
    else:
        result.update(status="failed", reason=f"wrote {s.text!r} but {s.path} reads back {after!r}")


def _mask(text: str) -> frozenset[int]:
    try:
        return parse_mask(text)
    except CpuSetError:
        return frozenset({-1})  # never equal to a wanted set; shown raw


def _mask_as_list(text: str) -> str:
    try:
        return format_cpulist(parse_mask(text))
    except CpuSetError:
        return text

# SPDX-License-Identifier: Apache-2.0
"""Debian packages fastpath installed: which they are, and purging exactly those again.

Before the dataplane role installs its build packages, apt is asked what it would install (the
packages named and every dependency they pull in: `apt-get -s install`); each of those is recorded as
absent. A restore with packages=True purges the recorded ones that are installed now, in one apt
call, after asking apt what that purge would take with it: if it would also remove a package
fastpath did not install (something the operator installed since depends on one of them), nothing
is purged and the result says which packages stand in the way. Stdlib only: runs on the targets.
"""

from __future__ import annotations

import re

from ansible_collections.fastpath.host.plugins.module_utils.restore_context import Context

_APT_ENV = ["env", "DEBIAN_FRONTEND=noninteractive"]
# apt-get -s prints one line per action: "Inst clang-14 (1:14.0.6-12 Debian:12.4/stable [amd64])".
_ACTION = re.compile(r"^(Inst|Remv|Purg) (\S+)")


class PackageError(RuntimeError):
    """apt or dpkg could not answer; the message has their words."""


def simulated(output: str, actions: tuple[str, ...]) -> list[str]:
    """Package names of the given actions (Inst, Remv, Purg) in `apt-get -s` output, in order."""
    names = []
    for line in output.splitlines():
        m = _ACTION.match(line)
        if m and m.group(1) in actions and m.group(2) not in names:
            names.append(m.group(2))
    return names


def would_install(names: list[str], run) -> list[str]:
    """Every package `apt-get install names` would install, dependencies included."""
    rc, out, err = run(["apt-get", "-s", "-q", "install", *names])
    if rc != 0:
        raise PackageError(f"apt-get -s install {' '.join(names)}: {err.strip() or out.strip()}")
    return [n.split(":", 1)[0] for n in simulated(out, ("Inst",))]


def installed(names: list[str], run) -> set[str]:
    """Which of the names dpkg has installed."""
    if not names:
        return set()
    # Exit 1: some name is unknown to dpkg, which only means it is not installed.
    rc, out, err = run(["dpkg-query", "--show", "--showformat=${Package} ${db:Status-Status}\\n", *names])
    if rc not in (0, 1):
        raise PackageError(f"dpkg-query: {err.strip()}")
    return {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}


def package_state(name: str, run) -> dict:
    return {"installed": name in installed([name], run)}


def restore_packages(entries: list[dict], ctx: Context) -> list[dict]:
    results = [{"kind": "package", "key": e["key"], "label": f"package {e['key']}"} for e in entries]
    if not entries:
        return results
    if not ctx.packages:
        for r in results:
            r.update(status="kept", reason="installed by fastpath; kept (restore_packages=true removes it)")
        return results
    ours = [e["key"] for e in entries if not e["value"]["installed"]]
    try:
        present = installed(ours, ctx.command)
        purge = [n for n in ours if n in present]
        extra = _also_removed(purge, ctx) if purge else []
    except PackageError as e:
        for r in results:
            r.update(status="failed", reason=str(e))
        return results
    for r, e in zip(results, entries, strict=True):
        name = e["key"]
        if e["value"]["installed"]:
            r.update(status="ok", before="installed", after="installed")  # there before: stays
        elif name not in present:
            r.update(status="ok", before="absent", after="absent")
        elif extra:
            r.update(status="skipped", before="installed",
                     reason=f"purging fastpath's packages would also remove {', '.join(extra)}, which "
                            "fastpath did not install: all left installed")
        else:
            r.update(status="changed", before="installed", after="purged")
    if purge and not extra and not ctx.check_mode:
        rc, out, err = ctx.command([*_APT_ENV, "apt-get", "-y", "-q", "purge", *purge])
        if rc != 0:
            for r in results:
                if r["status"] == "changed":
                    r.update(status="failed", reason=f"apt-get purge: {err.strip() or out.strip()}")
    return results


def _also_removed(purge: list[str], ctx: Context) -> list[str]:
    rc, out, err = ctx.command(["apt-get", "-s", "-q", "purge", *purge])
    if rc != 0:
        raise PackageError(f"apt-get -s purge: {err.strip() or out.strip()}")
    return [n for n in simulated(out, ("Remv", "Purg")) if n.split(":", 1)[0] not in purge]

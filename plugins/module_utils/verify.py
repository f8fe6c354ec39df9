# SPDX-License-Identifier: Apache-2.0
"""Verify: is this host still as fastpath declared it? Desired against live, changing nothing.

Desired is what tune left on the host for that purpose: the host's plan (plan.json: the CPU
partition), the saved NIC plans fastpath-reapply holds (/var/lib/fastpath/reapply/nic-IF.json and
napi-IF.json: channels, rings, coalescing, flow hash, NAPI values, each queue's IRQ CPUs, XPS, RPS,
RFS) and the sysctl.d files tune persisted (key = value). Live is read now. Each NIC is checked by
fastpath-reapply's own code in check mode, so verify and the re-apply can never disagree about
what "as planned" means; the sysctls through the modules' apply core in check mode, which also
says which keys this host cannot set (a global key in a network namespace) and skips them.

Stdlib only: it runs on the targets.
"""

from __future__ import annotations

import glob
import json
import os
import re

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import CpuSetError, parse_cpulist
from ansible_collections.fastpath.host.plugins.module_utils.reapply import PLAN_DIR, PlanFileError, reapply
from ansible_collections.fastpath.host.plugins.module_utils.reapply_ethtool import run_command
from ansible_collections.fastpath.host.plugins.module_utils.settings import apply_settings, plain

HOST_PLAN = "var/lib/fastpath/plan.json"
_SYSCTL_LINE = re.compile(r"^\s*([a-z0-9_]+(?:\.[A-Za-z0-9_-]+)+)\s*=\s*(.*?)\s*$")


def verify_host(*, root: str = "/", sysctl_files=(), slice_cpus=None, run=run_command) -> dict:
    """{plan, checks: [...], differences: [...], skipped: [...]}. Each check is
    {area, setting, desired, live, status} with status ok | differs | skipped (with reason).
    `slice_cpus` is the slice's live AllowedCPUs ("" none, None: no slice unit)."""
    checks: list[dict] = []
    saved = _host_plan(root, checks)
    plan = saved["plan"] if saved else None
    if saved and (saved.get("inputs") or {}).get("cpu_partition_slice", True):
        _check_slice(plan, slice_cpus, checks)
    for path in sorted(glob.glob(os.path.join(root, PLAN_DIR, "nic-*.json"))):
        _check_nic(os.path.basename(path)[len("nic-"):-len(".json")], root, run, checks)
    _check_sysctls(sysctl_files, root, checks)
    return {
        "plan": plan,
        "checks": checks,
        "differences": [c for c in checks if c["status"] == "differs"],
        "skipped": [c for c in checks if c["status"] == "skipped"],
    }


def _host_plan(root: str, checks: list) -> dict | None:
    path = os.path.join(root, HOST_PLAN)
    try:
        with open(path) as f:
            saved = json.load(f)
        plan = saved["plan"]
        if not isinstance(plan, dict):
            raise TypeError("plan is not a mapping")
    except FileNotFoundError:
        checks.append(_check("plan", f"/{HOST_PLAN}", "a plan written by tune", "none", "differs"))
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        checks.append(_check("plan", f"/{HOST_PLAN}", "a plan written by tune", f"unreadable: {e}",
                             "differs"))
        return None
    checks.append(_check("plan", f"/{HOST_PLAN}", f"version {saved.get('version')}",
                         f"version {saved.get('version')}", "ok"))
    return saved


def _check_slice(plan: dict, slice_cpus, checks: list) -> None:
    desired = str(plan.get("workers") or "")
    if slice_cpus is None:
        checks.append(_check("cpu", "fastpath.slice AllowedCPUs", desired, "no slice unit", "differs"))
        return
    try:
        same = parse_cpulist(desired) == parse_cpulist(slice_cpus)
    except CpuSetError as e:
        same, slice_cpus = False, f"{slice_cpus} ({e})"
    checks.append(_check("cpu", "fastpath.slice AllowedCPUs", desired, slice_cpus or "(all)",
                         "ok" if same else "differs"))


def _check_nic(ifname: str, root: str, run, checks: list) -> None:
    try:
        out = reapply(ifname, root=root, check_mode=True, run=run)
    except PlanFileError as e:
        checks.append(_check("nic", ifname, "as saved by tune", str(e), "differs"))
        return
    for r in out["results"]:
        status = {"ok": "ok", "skipped": "skipped"}.get(r["status"], "differs")
        # An empty mask reads as "": shown as (none), as fastpath-reapply's journal shows it.
        live = r.get("before", "(unreadable)") or "(none)"
        checks.append(_check("nic", r["label"], r.get("want") or "(none)", live, status, r.get("reason")))
    for s in out["skipped"]:
        checks.append(_check("nic", f"irq_affinity {s['irq']}", "-", "-", "skipped", s["reason"]))


def _check_sysctls(files, root: str, checks: list) -> None:
    settings = []
    for host_path in files:
        path = os.path.join(root, host_path.lstrip("/"))
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            continue  # tune persisted nothing there (every key absent here, or that role not run)
        for line in lines:
            m = _SYSCTL_LINE.match(line)
            if m:
                key, value = m.groups()
                settings.append(plain("sysctl", key, os.path.join(root, "proc/sys", key.replace(".", "/")),
                                      value, missing="this kernel has no such sysctl here",
                                      read_only="read-only here (a global key in a network namespace)"))
    for r in apply_settings(settings, root=root, check_mode=True)["results"]:
        status = {"ok": "ok", "skipped": "skipped"}.get(r["status"], "differs")
        checks.append(_check("sysctl", r["key"], r["want"], r.get("before", "-"), status, r.get("reason")))


def _check(area: str, setting: str, desired: str, live: str, status: str, reason: str | None = None) -> dict:
    check = {"area": area, "setting": setting, "desired": str(desired), "live": str(live), "status": status}
    if reason and status != "ok":
        check["reason"] = reason
    return check

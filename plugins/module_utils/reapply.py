# SPDX-License-Identifier: Apache-2.0
"""fastpath-reapply: put a NIC's tuning back after a reboot, a driver reset or a link flap.

A reboot brings the NIC back with the driver's channels, rings and coalescing and no NAPI values; a
link that goes down and up, a driver reset or a channel change re-creates the queues (rps_cpus,
rps_flow_cnt and xps_cpus back to their defaults) and re-requests the IRQs, often under new numbers
with the default affinity. Role nic_tuning saves what it applied, per *queue*, in
/var/lib/fastpath/reapply/nic-<iface>.json (sysctl_tuning the NAPI values in napi-<iface>.json);
this command puts it back in the order the kernel needs: channels, rings, coalescing and flow hash
first (reapply_ethtool), then the NAPI values, then the IRQs of the queues that then exist (mapped
to queues again by irq_queue_map, the same driver-aware map nic_info uses), then the queue masks.
It writes only what differs, through the same apply core as the modules (settings.apply_settings:
read back after writing, prior values into the snapshot so restore.yml can put them back). Run at
boot before fastpath-server, on each link up, and by udev when the interface or its queues appear.
A second run changes nothing and says so.

Stdlib only: it runs on the targets from a copy of these module_utils, without Ansible.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import sys

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import CpuSetError, parse_cpulist
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS
from ansible_collections.fastpath.host.plugins.module_utils.irq_identity import identities, read_nic_irqs
from ansible_collections.fastpath.host.plugins.module_utils.irq_state import read_managed
from ansible_collections.fastpath.host.plugins.module_utils.link_watch import (
    link_up_edges,
    open_link_socket,
)
from ansible_collections.fastpath.host.plugins.module_utils.partition import _irq_affinity
from ansible_collections.fastpath.host.plugins.module_utils.reapply_ethtool import (
    KEYS as ETHTOOL_KEYS,
)
from ansible_collections.fastpath.host.plugins.module_utils.reapply_ethtool import (
    reapply_ethtool,
    run_command,
)
from ansible_collections.fastpath.host.plugins.module_utils.sd_notify import notify
from ansible_collections.fastpath.host.plugins.module_utils.settings import (
    Setting,
    apply_settings,
    cpu_list,
    cpu_mask,
    plain,
)
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import SnapshotError

PLAN_DIR = "var/lib/fastpath/reapply"
PLAN_VERSION = 2
# The plan keys the role saves (from cpu_partition_plan and its ethtool inputs) and the reapply needs.
PLAN_KEYS = ("queue_cpus", "housekeeping", "xps_cpus", "rps_cpus", "rps_flow_cnt", "ethtool")
# The per-device NAPI values sysctl_tuning saves, each optional.
NAPI_KEYS = ("napi_defer_hard_irqs", "gro_flush_timeout")

# Exit codes: 0 done (changed or not), 1 some setting failed, 2 bad invocation or plan.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class PlanFileError(ValueError):
    """The saved plan is missing or malformed; the message names the file."""


def plan_path(ifname: str, root: str = "/") -> str:
    return os.path.join(root, PLAN_DIR, f"nic-{ifname}.json")


def _read_saved(path: str):
    """A saved plan's JSON; FileNotFoundError passes to the caller, which knows what a missing
    plan means; any other unreadable file is a PlanFileError naming it."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as e:
        raise PlanFileError(f"cannot read {path}: {e}") from None


def load_plan(ifname: str, root: str = "/") -> dict:
    path = plan_path(ifname, root)
    try:
        plan = _read_saved(path)
    except FileNotFoundError:
        raise PlanFileError(f"{path} does not exist: role nic_tuning has not tuned {ifname} here") from None
    if not isinstance(plan, dict) or plan.get("version") != PLAN_VERSION:
        raise PlanFileError(f"{path} is not a fastpath NIC plan (version {PLAN_VERSION})")
    missing = [k for k in PLAN_KEYS if k not in plan]
    if missing:
        raise PlanFileError(f"{path} lacks {', '.join(missing)}")
    if not isinstance(plan["ethtool"], dict) or set(plan["ethtool"]) - set(ETHTOOL_KEYS):
        raise PlanFileError(f"{path}: ethtool must map some of {', '.join(ETHTOOL_KEYS)} to values")
    try:
        for cpus in [*plan["queue_cpus"], plan["housekeeping"], *plan["xps_cpus"].values(),
                     *plan["rps_cpus"].values()]:
            parse_cpulist(str(cpus))
    except (CpuSetError, AttributeError, TypeError) as e:
        raise PlanFileError(f"{path}: {e}") from None
    return plan


def napi_path(ifname: str, root: str = "/") -> str:
    return os.path.join(root, PLAN_DIR, f"napi-{ifname}.json")


def load_napi(ifname: str, root: str = "/") -> dict:
    """The NAPI values sysctl_tuning saved for `ifname` ({} when it set none)."""
    path = napi_path(ifname, root)
    try:
        saved = _read_saved(path)
    except FileNotFoundError:
        return {}
    if not isinstance(saved, dict) or saved.get("version") != 1:
        raise PlanFileError(f"{path} is not a fastpath NAPI plan (version 1)")
    values = {k: saved[k] for k in NAPI_KEYS if saved.get(k) is not None}
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values.values()):
        raise PlanFileError(f"{path}: {', '.join(NAPI_KEYS)} must be whole numbers >= 0")
    return values


def napi_settings(ifname: str, values: dict, root: str = "/") -> list[Setting]:
    return [
        plain("sysfs", f"{ifname}/{attr}", os.path.join(root, "sys/class/net", ifname, attr), value,
              missing=f"this kernel has no {attr} for {ifname}")
        for attr, value in sorted(values.items())
    ]


def current_irqs(ifname: str, root: str = "/") -> tuple[list[dict], list[str]]:
    """Today's IRQs of the NIC as the planner takes them: [{irq, name, queue, kind, managed}]."""
    fs = HostFS(root)
    nic_irqs, warnings = read_nic_irqs(fs, ifname)
    # Without debugfs managed IRQs are unknown; that costs nothing here, since the kernel's EIO
    # on writing one is reported as a skip with the reason.
    debugfs = fs.exists("sys/kernel/debug/irq/irqs")
    for entry in nic_irqs:
        entry["managed"] = bool(read_managed(fs, entry["irq"])) if debugfs else False
    return nic_irqs, warnings + fs.warnings


def build_settings(ifname: str, plan: dict, nic_irqs: list[dict], root: str = "/"):
    """The settings to hold, and the IRQs left alone with the reason."""
    # The planner's own rule (queue N's IRQs to the N-th queue CPU, the rest to housekeeping,
    # managed ones skipped), applied to today's IRQ numbers.
    pinning = _irq_affinity(
        {"irqs": nic_irqs}, plan["queue_cpus"], parse_cpulist(plan["housekeeping"]), {}
    )
    # Recorded by queue: after the re-request the numbers are new, the queues are not.
    named = identities(ifname, nic_irqs)
    settings: list[Setting] = [
        cpu_list(
            "irq_affinity", irq, os.path.join(root, "proc/irq", irq, "smp_affinity_list"), cpus,
            missing=f"IRQ {irq} went away while re-applying",
            refusals={errno.EIO:
                      "the kernel refuses to move this IRQ (EIO): managed, or no affinity control"},
            record_key=named[int(irq)]["key"] if int(irq) in named else None,
            identity=named.get(int(irq)),
        )
        for irq, cpus in sorted(pinning["irq_affinity"].items(), key=lambda kv: int(kv[0]))
    ]
    for q, cpus in sorted(plan["rps_cpus"].items(), key=lambda kv: int(kv[0])):
        key = f"{ifname}/rx-{q}/rps_cpus"
        settings.append(cpu_mask("sysfs", key, _queue_file(root, key), str(cpus),
                                 missing=f"{ifname} has no rx queue {q} (or no CONFIG_RPS)"))
    for q, cnt in sorted(plan["rps_flow_cnt"].items(), key=lambda kv: int(kv[0])):
        key = f"{ifname}/rx-{q}/rps_flow_cnt"
        settings.append(plain("sysfs", key, _queue_file(root, key), cnt,
                              missing=f"{ifname} has no rx queue {q} (or no CONFIG_RFS_ACCEL)"))
    for q, cpus in sorted(plan["xps_cpus"].items(), key=lambda kv: int(kv[0])):
        key = f"{ifname}/tx-{q}/xps_cpus"
        settings.append(cpu_mask("sysfs", key, _queue_file(root, key), str(cpus),
                                 missing=f"no XPS on {ifname} tx-{q}: no such queue or no CONFIG_XPS"))
    return settings, pinning["irq_skipped"]


def _queue_file(root: str, key: str) -> str:
    # Written out rather than taken from restore.path_of, so the copy on the target stays small.
    ifname, queue, name = key.split("/")
    return os.path.join(root, "sys/class/net", ifname, "queues", queue, name)


def reapply(ifname: str, *, root: str = "/", check_mode: bool = False, run=run_command) -> dict:
    """Re-apply the saved plan of `ifname`: the ethtool groups' and apply_settings' results in the
    order applied, plus `skipped` IRQs and warnings. `run` runs ethtool (tests pass a fake one).
    Raises PlanFileError for a missing or bad plan, SnapshotError if the snapshot is unusable."""
    plan = load_plan(ifname, root)
    napi = load_napi(ifname, root)
    if not os.path.isdir(os.path.join(root, "sys/class/net", ifname)):
        raise PlanFileError(f"interface {ifname} does not exist (yet): nothing to re-apply")
    ethtool = reapply_ethtool(ifname, plan["ethtool"], run=run, root=root, check_mode=check_mode)
    # Read only now: a channel change above re-created the queues and re-requested their IRQs.
    # (In check mode the IRQs are today's: what the channel change would renumber is not known.)
    nic_irqs, warnings = current_irqs(ifname, root)
    settings, skipped = build_settings(ifname, plan, nic_irqs, root)
    out = apply_settings(napi_settings(ifname, napi, root) + settings, root=root, check_mode=check_mode)
    out["results"] = ethtool + out["results"]
    out["changed"] = out["changed"] or any(r["status"] == "changed" for r in ethtool)
    out["skipped"] = skipped
    out["warnings"] = warnings
    return out


def report(ifname: str, out: dict, check_mode: bool) -> list[str]:
    """Lines for the journal: each change, each skip with its reason, then one verdict line."""
    verb = "would change" if check_mode else "changed"
    lines = []
    for r in out["results"]:
        if r["status"] == "changed":
            lines.append(f"{verb} {r['label']}: {r['before'] or '(none)'} -> {r['after'] or '(none)'}")
        elif r["status"] in ("skipped", "failed"):
            lines.append(f"{r['status']} {r['label']}: {r['reason']}")
    lines += [f"skipped irq_affinity {s['irq']}: {s['reason']}" for s in out["skipped"]]
    lines += [f"warning: {w}" for w in out["warnings"]]
    changed = sum(r["status"] == "changed" for r in out["results"])
    failed = sum(r["status"] == "failed" for r in out["results"])
    if failed:
        lines.append(f"{ifname}: {failed} setting(s) failed, {changed} {verb}")
    elif changed:
        lines.append(f"{ifname}: {changed} setting(s) {verb}")
    else:
        lines.append(f"{ifname}: nothing to change, all {len(out['results'])} settings already hold")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="fastpath-reapply",
        description="Re-apply the channels, rings, coalescing, flow hash, NAPI values, IRQ affinity, "
        "RPS/RFS and XPS that fastpath saved for an interface (after a reboot, link flap, driver reset "
        "or IRQ re-request), in that order. Idempotent.",
    )
    parser.add_argument(
        "interface", help="the interface, e.g. eth0 (its plan: /var/lib/fastpath/reapply/nic-IF.json)"
    )
    parser.add_argument("--check", action="store_true", help="show what would change, change nothing")
    parser.add_argument("--watch", action="store_true",
                        help="apply now, then again each time the link comes up (run by the systemd unit)")
    parser.add_argument("--root", default="/", help="root of /proc, /sys and /etc (tests use a fake tree)")
    args = parser.parse_args(argv)
    if "/" in args.interface or args.interface in ("", ".", ".."):
        _say(f"fastpath-reapply: {args.interface!r} is not an interface name", sys.stderr)
        return EXIT_USAGE
    if not args.watch:
        return run_once(args.interface, args.root, args.check)
    # Listen before the first run so a link flap during it is not missed.
    try:
        sock = open_link_socket()
        ifindex = socket.if_nametoindex(args.interface)
    except OSError as e:
        _say(f"fastpath-reapply: cannot watch {args.interface}: {e.strerror or e}", sys.stderr)
        return EXIT_USAGE
    with sock:
        run_once(args.interface, args.root, args.check)
        # Ready whatever the first run found: units ordered after this one (fastpath-server) wait
        # for it, and must not wait for a plan that is missing.
        notify("READY=1")
        for _edge in link_up_edges(sock, ifindex, was_up=_link_up_now(args.root, args.interface)):
            _say(f"{args.interface}: link up, re-applying")
            run_once(args.interface, args.root, args.check)
    return EXIT_OK


def _say(text: str, stream=None) -> None:
    """main() is the fastpath-reapply command on the host, never part of a module: what it says goes
    to its own stdout (errors to stderr), line by line, where the journal records it."""
    stream = stream or sys.stdout
    stream.write(text + "\n")
    stream.flush()


def run_once(ifname: str, root: str, check_mode: bool) -> int:
    try:
        out = reapply(ifname, root=root, check_mode=check_mode)
    except (PlanFileError, SnapshotError) as e:
        _say(f"fastpath-reapply: {e}", sys.stderr)
        return EXIT_USAGE
    for line in report(ifname, out, check_mode):
        _say(line)
    return EXIT_FAILED if any(r["status"] == "failed" for r in out["results"]) else EXIT_OK


def _link_up_now(root: str, ifname: str) -> bool:
    fs = HostFS(root)
    flags = fs.read_int(f"sys/class/net/{ifname}/flags", quiet=True) or 0
    return bool(flags & 0x1) and fs.read_line(f"sys/class/net/{ifname}/carrier", quiet=True) == "1"

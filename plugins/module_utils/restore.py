# SPDX-License-Identifier: Apache-2.0
"""Put back every value the snapshot recorded, in the order that makes them stick.

Order: ethtool settings first (channel changes re-create queues and re-request IRQs), then queue
files, IRQ affinities and sysctls, then files fastpath wrote (removed if they did not exist before),
then services. Kernel files and files are restored here; ethtool and services need commands, so the
caller passes a `run(argv) -> (rc, out, err)`. Stdlib only: runs on the targets.
"""

from __future__ import annotations

import os

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import (
    CpuSetError,
    parse_cpulist,
    parse_mask,
)
from ansible_collections.fastpath.host.plugins.module_utils.ethtool_set import (
    EthtoolError,
    apply_group,
    differences,
    read_group,
)
from ansible_collections.fastpath.host.plugins.module_utils.flow_hash import (
    FlowHashUnsupported,
    apply_flow_hash,
    read_flow_hash,
)
from ansible_collections.fastpath.host.plugins.module_utils.flow_hash import (
    differences as flow_hash_differences,
)
from ansible_collections.fastpath.host.plugins.module_utils.settings import read_text, write_text

ORDER = ("ethtool", "sysfs", "irq_affinity", "sysctl", "file", "service")


def path_of(kind: str, key: str, root: str = "/") -> str:
    """Where a snapshot key lives. sysfs keys are IF/rx-N/file, IF/tx-N/file or IF/file."""
    if kind == "sysctl":
        return os.path.join(root, "proc/sys", key.replace(".", "/"))
    if kind == "irq_affinity":
        return os.path.join(root, "proc/irq", key, "smp_affinity_list")
    if kind == "sysfs":
        parts = key.split("/")
        if len(parts) == 3:
            return os.path.join(root, "sys/class/net", parts[0], "queues", parts[1], parts[2])
        return os.path.join(root, "sys/class/net", *parts)
    if kind == "file":
        return os.path.join(root, key.lstrip("/"))
    raise ValueError(f"{kind} has no path")


def restore_entries(
    entries: list[dict], *, root: str = "/", check_mode: bool = False, run=None
) -> list[dict]:
    """Restore each entry; one result per entry: status ok | changed | skipped | failed, with before
    (now) and after (the recorded value)."""
    results = []
    for entry in sorted(entries, key=lambda e: (ORDER.index(e["kind"]), e["key"])):
        result = {"kind": entry["kind"], "key": entry["key"], "label": f"{entry['kind']} {entry['key']}"}
        try:
            _RESTORERS[entry["kind"]](entry, result, root, check_mode, run)
        except OSError as e:
            result.update(status="failed", reason=f"{e.filename or entry['key']}: {e.strerror}")
        results.append(result)
    return results


def _kernel_file(entry, result, root, check_mode, _run) -> None:
    path = path_of(entry["kind"], entry["key"], root)
    want = str(entry["value"])
    try:
        now = read_text(path)
    except FileNotFoundError:
        result.update(status="skipped", reason=f"{path} no longer exists (interface or IRQ gone)")
        return
    result.update(before=now, after=want)
    if " ".join(now.split()) == " ".join(want.split()) or _same_cpus(entry, now, want):
        result["status"] = "ok"
        return
    if not check_mode:
        write_text(path, want)
    result["status"] = "changed"


def _same_cpus(entry, now: str, want: str) -> bool:
    # Masks print with the kernel's width; compare the sets so "3" equals "00000003".
    try:
        if entry["kind"] == "irq_affinity":
            return parse_cpulist(now) == parse_cpulist(want)
        if entry["key"].endswith("_cpus"):
            return parse_mask(now) == parse_mask(want)
    except CpuSetError:
        return False
    return False


def _file(entry, result, root, check_mode, _run) -> None:
    path = path_of("file", entry["key"], root)
    recorded = entry["value"]
    try:
        with open(path) as f:
            now = f.read()
    except FileNotFoundError:
        now = None
    want = recorded["content"] if recorded["exists"] else None
    result.update(before=_show_file(now), after=_show_file(want))
    if now == want:
        result["status"] = "ok"
        return
    if not check_mode:
        if want is None:
            os.unlink(path)
        else:
            tmp = path + ".fastpath-restore"
            with open(tmp, "w") as f:
                f.write(want)
            os.replace(tmp, path)
    result["status"] = "changed"


def _show_file(content) -> str:
    return "(absent)" if content is None else f"({len(content)} bytes)"


def _service(entry, result, _root, check_mode, run) -> None:
    name, want = entry["key"], entry["value"]
    if not want.get("present", True):
        result.update(status="ok", before="absent", after="absent")
        return
    now = service_state(name, run)
    result.update(before=_show_service(now), after=_show_service(want))
    if now == want:
        result["status"] = "ok"
        return
    if not check_mode:
        for argv in (
            ["systemctl", "enable" if want["enabled"] else "disable", name],
            ["systemctl", "start" if want["active"] else "stop", name],
        ):
            rc, _out, err = run(argv)
            if rc != 0:
                result.update(status="failed", reason=f"{' '.join(argv)}: {err.strip()}")
                return
    result["status"] = "changed"


def service_state(name: str, run) -> dict:
    """{present, enabled, active} of a systemd unit, from systemctl's exit codes."""
    rc_load, out, _err = run(["systemctl", "show", "-p", "LoadState", "--value", name])
    if rc_load != 0 or out.strip() in ("not-found", ""):
        return {"present": False, "enabled": False, "active": False}
    enabled = run(["systemctl", "is-enabled", "--quiet", name])[0] == 0
    active = run(["systemctl", "is-active", "--quiet", name])[0] == 0
    return {"present": True, "enabled": enabled, "active": active}


def _show_service(state: dict) -> str:
    if not state.get("present", True):
        return "absent"
    return f"{'enabled' if state['enabled'] else 'disabled'}, {'active' if state['active'] else 'inactive'}"


def _ethtool(entry, result, root, check_mode, run) -> None:
    ifname, group = entry["key"].split("/", 1)
    want = {k: v for k, v in entry["value"].items() if v is not None}
    result["after"] = " ".join(f"{k} {v}" for k, v in sorted(want.items()))
    if not os.path.isdir(os.path.join(root, "sys/class/net", ifname)):
        result.update(status="skipped", reason=f"interface {ifname} no longer exists")
        return
    # The flow hash is read per flow type (ethtool -n IF rx-flow-hash T); the rest per group (-l/-g/-c).
    if group == "rx_flow_hash":
        def read(r, i, _group):
            return read_flow_hash(r, i, want)

        def apply(r, i, _group, w):
            return apply_flow_hash(r, i, w)

        diff_of = flow_hash_differences
    else:
        read, diff_of, apply = read_group, differences, apply_group
    try:
        current = read(run, ifname, group)
        result["before"] = " ".join(f"{k} {current.get(k)}" for k in sorted(want))
        if not diff_of(current, want):
            result["status"] = "ok"
            return
        if not check_mode:
            apply(run, ifname, group, want)
    except FlowHashUnsupported as e:
        result.update(status="skipped", reason=str(e))
        return
    except EthtoolError as e:
        result.update(status="failed", reason=str(e))
        return
    result["status"] = "changed"


_RESTORERS = {
    "sysfs": _kernel_file,
    "irq_affinity": _kernel_file,
    "sysctl": _kernel_file,
    "file": _file,
    "service": _service,
    "ethtool": _ethtool,
}

# SPDX-License-Identifier: Apache-2.0
"""systemd units: a unit's recorded state, putting it back, and reloading systemd after its files.

A unit is recorded as {present, enabled, active}. A unit fastpath added was absent; one whose file
fastpath wrote before recording it reads present but disabled and inactive. Either way the restore
stops and disables it while its file is still there, and once the file is gone "absent" is what
was asked: a unit that does not exist is neither enabled nor running. A unit left failed by a crash
is reset, so it does not linger in `systemctl --failed` after its file went. A unit that keeps
running through the restore but read a file the restore put back (its `restart_after`) is restarted,
so it runs on its own configuration again, not on fastpath's. Stdlib only.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.restore_context import Context, host_step

UNIT_DIRS = ("/etc/systemd/", "/lib/systemd/", "/usr/lib/systemd/")


def service_state(name: str, run) -> dict:
    """{present, enabled, active} of a systemd unit. Enabled means installed by `systemctl enable`
    (is-enabled says enabled or enabled-runtime): a static unit or a slice has no such state, and
    restoring never enables or disables it."""
    rc_load, out, _err = run(["systemctl", "show", "-p", "LoadState", "--value", name])
    if rc_load != 0 or out.strip() in ("not-found", ""):
        return {"present": False, "enabled": False, "active": False}
    enabled = run(["systemctl", "is-enabled", name])[1].strip() in ("enabled", "enabled-runtime")
    active = run(["systemctl", "is-active", "--quiet", name])[0] == 0
    return {"present": True, "enabled": enabled, "active": active}


def restore_service(entry: dict, result: dict, ctx: Context) -> None:
    name, recorded = entry["key"], entry["value"]
    want = {"enabled": recorded.get("present", True) and recorded["enabled"],
            "active": recorded.get("present", True) and recorded["active"]}
    now = service_state(name, ctx.command)
    result.update(before=_show(now), after=_show({"present": True, **want}))
    if not now["present"]:
        if want["enabled"] or want["active"]:
            result.update(status="skipped", reason=f"{name} no longer exists: cannot enable or start it")
        else:
            result.update(status="ok", after="absent")
        return
    failed = ctx.command(["systemctl", "is-failed", "--quiet", name])[0] == 0
    steps = []
    if now["active"] != want["active"]:
        steps.append("start" if want["active"] else "stop")
    if now["enabled"] != want["enabled"]:
        steps.append("enable" if want["enabled"] else "disable")
    if failed and not want["active"]:
        steps.append("reset-failed")
    if want["active"]:
        steps.reverse()  # enabled first, then started: starting is what the rest waits for
    if not steps:
        result["status"] = "ok"
        return
    if not ctx.check_mode:
        for verb in steps:
            rc, _out, err = ctx.command(["systemctl", verb, name])
            if rc != 0:
                result.update(status="failed", reason=f"systemctl {verb} {name}: {err.strip()}")
                return
    result.update(status="changed", steps=steps)


def _show(state: dict) -> str:
    if not state.get("present", True):
        return "absent"
    return f"{'enabled' if state['enabled'] else 'disabled'}, {'active' if state['active'] else 'inactive'}"


def reload_systemd(entries: list[dict], results: list[dict], ctx: Context) -> list[dict]:
    """Reload systemd when this restore touched unit files. Reloaded also when they were already as
    recorded: a restore killed between removing a unit's file and the reload left systemd with the
    old unit loaded, and the rerun is what puts that right."""
    step = host_step(entries, results, UNIT_DIRS, "daemon-reload", "systemd daemon-reload", "reloaded")
    if step is None:
        return []
    _keys, result = step
    if not ctx.check_mode:
        rc, _out, err = ctx.command(["systemctl", "daemon-reload"])
        if rc != 0:
            result.update(status="failed", reason=f"systemctl daemon-reload: {err.strip()}")
    return [result]


def restart_services(entries: list[dict], results: list[dict], ctx: Context) -> list[dict]:
    """Restart each recorded-running unit one of whose `restart_after` files this restore changed,
    unless the restore has just started it (it read the restored files then). Only on a change: a
    rerun with nothing to put back restarts nothing, so the restore stays idempotent."""
    changed_files = {r["key"] for r in results if r["kind"] == "file" and r["status"] == "changed"}
    started = {r["key"] for r in results if r["kind"] == "service" and r["status"] == "changed"}
    out = []
    for entry in entries:
        value = entry["value"]
        if entry["kind"] != "service" or not value.get("active") or entry["key"] in started:
            continue
        reread = sorted(changed_files.intersection(value.get("restart_after", [])))
        if not reread:
            continue
        name = entry["key"]
        result = {"kind": "step", "key": f"restart {name}", "label": f"systemctl restart {name}",
                  "status": "changed", "after": f"restarted: {', '.join(reread)} put back"}
        if not ctx.check_mode:
            rc, _out, err = ctx.command(["systemctl", "restart", name])
            if rc != 0:
                result.update(status="failed", reason=f"systemctl restart {name}: {err.strip()}")
        out.append(result)
    return out

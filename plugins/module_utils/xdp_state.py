# SPDX-License-Identifier: Apache-2.0
"""XDP attachment per interface, from `ip -j -d link show` (iproute2's iplink_xdp.c JSON).

sysfs does not show XDP; rtnetlink's IFLA_XDP does, and iproute2 prints it as
"xdp": {"mode": N, "prog": {"id": ...}, "attached": [{"mode": N, "prog": {"id": ...}}]}, omitted when
nothing is attached. Modes are the kernel's XDP_ATTACHED_* values.
"""

from __future__ import annotations

import json

from ansible_collections.fastpath.host.plugins.module_utils.commands import NOT_FOUND, CommandRunner

# include/uapi/linux/if_link.h: XDP_ATTACHED_{NONE,DRV,SKB,HW,MULTI}
_MODES = {0: None, 1: "native", 2: "generic", 3: "offload", 4: "multi"}
_NONE = {"attached": False, "prog_id": None, "mode": None, "programs": []}


def parse_ip_link_json(text: str) -> tuple[dict, str | None]:
    """{ifname: {attached, prog_id, mode, programs: [{mode, prog_id}]}} for every link listed."""
    try:
        links = json.loads(text)
    except ValueError as e:
        return {}, f"ip -j -d link show printed no JSON: {e}"
    if not isinstance(links, list):
        return {}, "ip -j -d link show printed JSON that is not a list of links"
    result = {}
    for link in links:
        if not isinstance(link, dict) or "ifname" not in link:
            continue
        result[link["ifname"]] = xdp_from_link(link)
    return result, None


def xdp_from_link(link: dict) -> dict:
    xdp = link.get("xdp")
    if not isinstance(xdp, dict):
        return dict(_NONE)
    programs = []
    for one in xdp.get("attached") or []:
        prog = one.get("prog") or {}
        programs.append({"mode": _MODES.get(one.get("mode")), "prog_id": prog.get("id")})
    mode = _MODES.get(xdp.get("mode"), str(xdp.get("mode")))
    prog_id = (xdp.get("prog") or {}).get("id")
    if prog_id is None and len(programs) == 1:
        prog_id = programs[0]["prog_id"]
    return {"attached": mode is not None, "prog_id": prog_id, "mode": mode, "programs": programs}


def read_xdp(runner: CommandRunner) -> tuple[dict | None, str | None]:
    """XDP state of every interface in one `ip` call, or (None, reason)."""
    rc, text = runner.run(["ip", "-j", "-d", "link", "show"])
    if rc == NOT_FOUND:
        return None, f"XDP state unknown: {text.strip()}"
    if rc != 0:
        return None, f"XDP state unknown: ip -j -d link show exited {rc}: {text.strip()[:120]}"
    result, reason = parse_ip_link_json(text)
    return (None, f"XDP state unknown: {reason}") if reason else (result, None)

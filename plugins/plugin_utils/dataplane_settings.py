# SPDX-License-Identifier: Apache-2.0
"""The dataplane role's input check, on the controller, before anything on a host changes (also on a
first deploy, before fastpath-server exists there, and in check mode).

The server's ranges and limits come from native/server/config_keys.def (server_keys.py), the table
config.c parses with, so the two cannot disagree; every message names the Ansible variable
(dataplane_<key>). fastpath-server --check-config runs on the rendered file later all the same
(service.yml): it is the authority, this is the early, every-problem-at-once answer.
"""

from __future__ import annotations

import json
import re

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import CpuSetError, parse_cpulist
from ansible_collections.fastpath.host.plugins.plugin_utils.server_keys import ServerKeys

PREFIX = "dataplane_"
# The role's own numbers, which no server.conf key holds: (min, max or None, the rule in words).
ROLE_RANGES = {
    "dataplane_restart_throttle": (0, None, "0 (all at once) or more"),
    "dataplane_restart_delay_ms": (0, 60000, "from 0 to 60000"),
    "dataplane_build_jobs": (1, 256, "from 1 to 256"),
    "dataplane_start_timeout": (1, 3600, "from 1 to 3600"),
}
# The shape of an address the server parses (fp_cfg_ip): it refuses what passes this but is no
# address, in --check-config, naming the key.
_ADDRESS = re.compile(r"^([0-9]{1,3}\.){3}[0-9]{1,3}$|^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$")
_UPSTREAM = re.compile(r"^(([0-9]{1,3}\.){3}[0-9]{1,3}|\[[0-9a-fA-F:.]+\]):([0-9]{1,5})$")


def check_settings(settings: dict, online: str, plan_workers: str, keys: ServerKeys) -> dict:
    """Check the role's variables (`settings`: name -> value, the dataplane_* ones) and settle the
    worker CPUs: the operator's dataplane_worker_cpus, else the cpu_partition plan's workers, else
    every online CPU but CPU 0. `online` is /sys/devices/system/cpu/online's text.

    Returns {"workers": "1,2,3" (the cpulist server.conf gets), "workers_source": the name the
    messages use for it, "nworkers": how many, "problems": every message, [] when all is well}.
    """
    problems: list[str] = []
    workers, source = _settle_workers(settings, online, plan_workers, keys, problems)
    numbers = {name: _whole(settings.get(name)) for name in settings}
    for key, rng in keys.ranges.items():
        name = PREFIX + key
        if name in settings and (numbers[name] is None or rng.problem(numbers[name])):
            problems.append(f"{name} must be {rng.wording()}, got {settings[name]}")
    for name, (lo, hi, words) in ROLE_RANGES.items():
        value = numbers.get(name)
        if name in settings and (value is None or value < lo or hi is not None and value > hi):
            problems.append(f"{name} must be {words}, got {settings[name]}")
    problems += _across(settings, numbers, keys)
    problems += _addresses(settings, keys)
    return {"workers": ",".join(map(str, workers)), "workers_source": source, "nworkers": len(workers),
            "problems": problems}


def _settle_workers(settings, online_text, plan_workers, keys, problems):
    wanted = str(settings.get("dataplane_worker_cpus") or "").strip()
    plan = str(plan_workers or "").strip()
    source, text = ("dataplane_worker_cpus", wanted) if wanted else \
        ("cpu_partition_plan.workers", plan) if plan else ("online CPUs but CPU 0", "")
    online = _cpus(online_text)
    if not online:
        problems.append("cannot read the online CPUs (/sys/devices/system/cpu/online)")
        online = frozenset()
    if text:
        # The server reads no stride form ("0-7:2/4"): refuse it here too, with the same example.
        workers = _cpus(text) if ":" not in text else frozenset()
        if not workers:
            problems.append(f'{source} must be a cpulist such as "1-3,6" naming at least one CPU, '
                            f"got {json.dumps(text)}")
    else:
        workers = (online - {0}) or online
    offline = sorted(workers - online)
    if online and offline:
        problems.append(f"{source}: CPU(s) {','.join(map(str, offline))} are not online on this host "
                        f"(online: {online_text.strip()})")
    most = keys.limits["FP_MAX_WORKERS"]
    if len(workers) > most:
        problems.append(f"{source}: the server runs at most {most} workers")
    return sorted(workers), source


def _across(settings, numbers, keys) -> list[str]:
    """What no single value says: batch against queue_depth, mode against upstreams."""
    out = []
    batch, depth = numbers.get("dataplane_batch"), numbers.get("dataplane_queue_depth")
    mode = settings.get("dataplane_mode")
    upstreams = list(settings.get("dataplane_upstreams") or [])
    if batch is not None and depth is not None:
        if batch > depth:
            out.append(f"dataplane_batch ({batch}) must not exceed dataplane_queue_depth ({depth})")
        # Relay sends each packet once per upstream from one buffer: the queue must hold a batch.
        elif mode == "relay" and batch * len(upstreams) > depth:
            out.append(f"dataplane_batch ({batch}) x the number of upstreams ({len(upstreams)}) must not "
                       f"exceed dataplane_queue_depth ({depth}) (relay sends each packet once per upstream)")
    if mode == "relay" and not upstreams:
        out.append("dataplane_mode is relay but dataplane_upstreams is empty: give at least one address")
    if mode == "echo" and upstreams:
        out.append("dataplane_upstreams is set but dataplane_mode is echo: set the mode to relay or empty "
                   "the list")
    most = keys.limits["FP_MAX_UPSTREAMS"]
    if len(upstreams) > most:
        out.append(f"dataplane_upstreams: the server relays to at most {most} upstreams")
    return out


def _addresses(settings, keys) -> list[str]:
    out = []
    listen = settings.get("dataplane_listen_address")
    if listen is not None and not _ADDRESS.match(str(listen)):
        out.append("dataplane_listen_address must be an IPv4 or IPv6 address, got "
                   f"{json.dumps(str(listen))}")
    upstreams = [str(u) for u in settings.get("dataplane_upstreams") or []]
    bad = [u for u in upstreams if not _UPSTREAM.match(u)]
    if bad:
        out.append('dataplane_upstreams must be "address:port" or "[ipv6]:port" with IP literals (the '
                   f"server resolves no names); not: {', '.join(bad)}")
    port = keys.ranges["port"]
    if any(port.problem(int(m[3])) for m in map(_UPSTREAM.match, upstreams) if m):
        out.append(f"dataplane_upstreams: every port must be {port.wording()}")
    textfile = settings.get("dataplane_stats_textfile")
    if textfile and not str(textfile).startswith("/"):
        out.append("dataplane_stats_textfile must be an absolute path or empty, got "
                   f"{json.dumps(str(textfile))}")
    return out


def _cpus(text: str) -> frozenset[int]:
    try:
        return parse_cpulist(str(text or ""))
    except CpuSetError:
        return frozenset()


def _whole(value) -> int | None:
    """A whole number as YAML or `-e key=value` gives it (int or digit string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else None


def choose_xdp_interface(wanted: str, mode: str, routes_json: str, links_json: str) -> str:
    """The interface the XDP program goes on: the operator's dataplane_xdp_interface; else (XDP on)
    the default route's; else the host's one non-loopback interface; else "" (the role then asks
    for dataplane_xdp_interface). routes_json / links_json: `ip -json route show default` and
    `ip -json link show` output ("" when not run)."""
    if wanted or mode == "off":
        return str(wanted or "")
    routed = [r["dev"] for r in _json_list(routes_json) if isinstance(r, dict) and r.get("dev")]
    if routed:
        return routed[0]
    nics = [link.get("ifname", "") for link in _json_list(links_json)
            if isinstance(link, dict) and link.get("link_type") != "loopback"]
    return nics[0] if len(nics) == 1 else ""


def _json_list(text) -> list:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


# The UMEM chunk sizes the kernel's aligned mode takes (a power of two from 2048 to the page size):
# native/server/afxdp_check.c refuses the same at start.
AFXDP_FRAME_SIZES = (2048, 4096)


def check_afxdp(settled: dict, interface: str, rx_queues: int, buffer_size) -> list[str]:
    """xdp_mode afxdp on this interface: one worker per rx queue (worker i binds queue i) and frames
    that fit a UMEM chunk. `settled` is check_settings' answer; [] when all is well."""
    problems = []
    nworkers = int(settled.get("nworkers") or 0)
    if nworkers > rx_queues:
        problems.append(
            f"{settled.get('workers_source', 'the workers')} gives {nworkers} workers but {interface} has "
            f"{rx_queues} rx queues (one worker per queue): use fewer workers or more channels (nic_tuning)")
    if _whole(buffer_size) not in AFXDP_FRAME_SIZES:
        problems.append(f"dataplane_buffer_size must be 2048 or 4096 (an AF_XDP frame), got {buffer_size}")
    return problems

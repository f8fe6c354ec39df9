"""The lab's network: one bridge per instance, and per host a namespace holding eth0 of a veth pair.

Only names from fleet.py are ever created, listed or deleted, so nothing else on the machine is touched.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import fleet
from .fleet import HostSpec
from .run import run

NETNS_DIR = Path("/run/netns")
# Queues on the inner eth0 so RSS/RPS/XPS settings have something to spread over.
QUEUES = 4


def link_exists(name: str, netns: str | None = None) -> bool:
    argv = ["ip", *(["-n", netns] if netns else []), "link", "show", "dev", name]
    return run(argv, check=False).returncode == 0


def netns_exists(name: str) -> bool:
    return (NETNS_DIR / name).exists()


def own_netns(instance: int) -> list[str]:
    """This instance's network namespaces, found by name (works without state)."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if fleet.is_own_name(p.name, instance))


def own_links(instance: int) -> list[str]:
    """This instance's veths and bridge in the machine's namespace, found by name."""
    links = json.loads(run(["ip", "-j", "link", "show"]).stdout or "[]")
    names = [link["ifname"] for link in links]
    return sorted(n for n in names if fleet.is_own_name(n, instance) or n == fleet.bridge(instance))


def ensure_bridge(instance: int) -> None:
    """The bridge with the gateway address, up; left as is when already right."""
    name = fleet.bridge(instance)
    if not link_exists(name):
        run(["ip", "link", "add", name, "type", "bridge"])
    addrs = json.loads(run(["ip", "-j", "addr", "show", "dev", name]).stdout or "[]")
    have = {a["local"] for entry in addrs for a in entry.get("addr_info", []) if a.get("family") == "inet"}
    if fleet.gateway(instance) not in have:
        run(["ip", "addr", "add", f"{fleet.gateway(instance)}/24", "dev", name])
    run(["ip", "link", "set", name, "up"])


def create_host_net(spec: HostSpec) -> None:
    """Namespace, veth pair (eth0 inside, with QUEUES rx and tx queues), address and routes."""
    run(["ip", "netns", "add", spec.netns])
    q = ["numtxqueues", str(QUEUES), "numrxqueues", str(QUEUES)]
    run(["ip", "link", "add", spec.veth, *q, "type", "veth", "peer", "name", "eth0", "address", spec.mac,
         *q, "netns", spec.netns])
    run(["ip", "link", "set", spec.veth, "master", fleet.bridge(spec.instance), "up"])
    ns = ["ip", "-n", spec.netns]
    run([*ns, "addr", "add", f"{spec.address}/24", "dev", "eth0"])
    run([*ns, "link", "set", "lo", "up"])
    run([*ns, "link", "set", "eth0", "up"])
    run([*ns, "route", "add", "default", "via", fleet.gateway(spec.instance)])


def delete_host_net(netns: str, veth: str) -> None:
    """Remove the veth pair and the namespace if present (deleting one end deletes both)."""
    if link_exists(veth):
        run(["ip", "link", "del", veth])
    if netns_exists(netns):
        run(["ip", "netns", "del", netns])


def delete_bridge(instance: int) -> None:
    if link_exists(fleet.bridge(instance)):
        run(["ip", "link", "del", fleet.bridge(instance)])

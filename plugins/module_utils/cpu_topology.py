# SPDX-License-Identifier: Apache-2.0
"""CPUs of a host: online/possible/present/offline/isolated sets, topology, NUMA nodes, softnet, softirqs.

Sources: /sys/devices/system/cpu/{online,possible,present,offline,isolated,nohz_full},
cpuN/topology/* (absent for offline CPUs: the kernel removes it at hotplug teardown), cpuN/nodeM links,
/sys/devices/system/node/nodeN/cpulist, /proc/cmdline, /proc/net/softnet_stat, /proc/softirqs.
"""

from __future__ import annotations

import re

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import (
    CpuSetError,
    format_cpulist,
    parse_cpulist,
)
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS
from ansible_collections.fastpath.host.plugins.module_utils.kernel_cmdline import (
    isolation_from_cmdline,
    parse_cmdline,
)
from ansible_collections.fastpath.host.plugins.module_utils.softirqs import parse_softirqs
from ansible_collections.fastpath.host.plugins.module_utils.softnet import parse_softnet

_CPU_SYS = "sys/devices/system/cpu"
_NODE_SYS = "sys/devices/system/node"
_NODE_LINK = re.compile(r"^node(\d+)$")
_NET_SOFTIRQS = ("NET_RX", "NET_TX")


def read_cpu_sets(fs: HostFS) -> dict:
    """{"online": set, "possible": set, ...} from the sysfs cpulist files; missing files -> empty set."""
    sets = {}
    for name in ("online", "possible", "present", "offline", "isolated", "nohz_full"):
        # isolated and nohz_full are absent on kernels without the feature: not worth a warning.
        optional = name in ("isolated", "nohz_full", "offline")
        sets[name] = _read_cpulist(fs, f"{_CPU_SYS}/{name}", quiet=optional)
    return sets


def read_cpus(fs: HostFS) -> dict:
    """The `cpus` fact of cpu_info: sets as cpulists, topology, nodes, softnet and NET softirqs."""
    sets = read_cpu_sets(fs)
    cmdline_text = fs.read("proc/cmdline")
    iso, warns = isolation_from_cmdline(parse_cmdline(cmdline_text or ""))
    for w in warns:
        fs.warn(w)
    # sysfs "isolated" is isolcpus' domain set; nohz_full may exist only on the command line.
    isolated = sets["isolated"] | (iso["isolcpus"] if "domain" in iso["isolcpus_flags"] else frozenset())
    nohz_full = sets["nohz_full"] | iso["nohz_full"]
    nodes = read_nodes(fs)
    topology = read_topology(fs, sets["possible"] or sets["online"], nodes)
    softnet = read_softnet(fs, sets["online"])
    softirqs = read_net_softirqs(fs)
    return {
        "online": format_cpulist(sets["online"]),
        "possible": format_cpulist(sets["possible"]),
        "present": format_cpulist(sets["present"]),
        "offline": format_cpulist(sets["offline"]),
        "isolated": format_cpulist(isolated),
        "isolcpus_flags": iso["isolcpus_flags"],
        "nohz_full": format_cpulist(nohz_full),
        "irqaffinity": None if iso["irqaffinity"] is None else format_cpulist(iso["irqaffinity"]),
        "count_online": len(sets["online"]),
        "topology": topology,
        "nodes": {str(n): format_cpulist(c) for n, c in sorted(nodes.items())},
        "softnet": softnet,
        "softirqs": softirqs,
    }


def read_nodes(fs: HostFS) -> dict:
    """{node: set of CPUs}; a host without /sys/devices/system/node (CONFIG_NUMA=n) is one node 0."""
    nodes = {}
    for entry in fs.listdir(_NODE_SYS, quiet=True):
        m = _NODE_LINK.match(entry)
        if m:
            nodes[int(m.group(1))] = _read_cpulist(fs, f"{_NODE_SYS}/{entry}/cpulist")
    return nodes


def read_topology(fs: HostFS, cpus, nodes: dict) -> list[dict]:
    node_of = {cpu: node for node, members in nodes.items() for cpu in members}
    topology = []
    for cpu in sorted(cpus):
        base = f"{_CPU_SYS}/cpu{cpu}"
        online_flag = fs.read_line(f"{base}/online", quiet=True)
        entry = {
            "cpu": cpu,
            # cpu0 often has no "online" file: it cannot be hot-unplugged, so it is online.
            "online": online_flag != "0",
            "package": None,
            "core": None,
            "siblings": None,
            "node": node_of.get(cpu),
        }
        if fs.exists(f"{base}/topology"):
            entry["package"] = fs.read_int(f"{base}/topology/physical_package_id")
            entry["core"] = fs.read_int(f"{base}/topology/core_id")
            siblings = _read_cpulist(fs, f"{base}/topology/thread_siblings_list", missing=None)
            entry["siblings"] = None if siblings is None else format_cpulist(siblings)
        if entry["node"] is None:
            for name in fs.listdir(base, quiet=True):
                m = _NODE_LINK.match(name)
                if m:
                    entry["node"] = int(m.group(1))
        topology.append(entry)
    return topology


def read_softnet(fs: HostFS, online) -> list[dict]:
    text = fs.read("proc/net/softnet_stat")
    if text is None:
        return []
    rows, warnings = parse_softnet(text, sorted(online) if online else None)
    for w in warnings:
        fs.warn(w)
    return rows


def read_net_softirqs(fs: HostFS) -> dict:
    text = fs.read("proc/softirqs")
    if text is None:
        return {}
    table, warnings = parse_softirqs(text)
    for w in warnings:
        fs.warn(w)
    missing = [name for name in _NET_SOFTIRQS if name not in table]
    if table and missing:
        fs.warn(f"/proc/softirqs has no {', '.join(missing)} line")
    return {name: table[name] for name in _NET_SOFTIRQS if name in table}


def _read_cpulist(fs: HostFS, rel: str, quiet: bool = False, missing=frozenset()):
    text = fs.read_line(rel, quiet=quiet)
    if text is None:
        return missing
    try:
        return parse_cpulist(text)
    except CpuSetError as e:
        fs.warn(f"/{rel}: {e}")
        return missing

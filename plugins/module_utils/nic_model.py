# SPDX-License-Identifier: Apache-2.0
"""The `interfaces` fact of nic_info: sysfs identity and queues, ethtool state, XDP and the IRQ map.

One function per interface so that a NIC that vanishes mid-read (hot unplug, a netns being torn down)
costs only its own entry, reported in warnings.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.commands import CommandRunner
from ansible_collections.fastpath.host.plugins.module_utils.ethtool_state import (
    read_ethtool,
    read_virtual_driver,
)
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS
from ansible_collections.fastpath.host.plugins.module_utils.irq_queue_map import (
    attach_queue_irqs,
    map_nic_irqs,
)
from ansible_collections.fastpath.host.plugins.module_utils.irq_state import read_irqs
from ansible_collections.fastpath.host.plugins.module_utils.netdev import (
    is_default_candidate,
    list_interfaces,
    read_device,
    read_link,
    read_queues,
)
from ansible_collections.fastpath.host.plugins.module_utils.xdp_state import read_xdp

_IRQ_FIELDS = ("affinity", "effective_affinity", "affinity_hint", "managed", "counts_total", "per_cpu")


def select_interfaces(fs: HostFS, wanted: list[str] | None) -> list[str]:
    present = list_interfaces(fs)
    if not wanted:
        return [n for n in present if is_default_candidate(fs, n)]
    for name in wanted:
        if name not in present:
            fs.warn(f"interface {name!r} does not exist (present: {', '.join(present) or 'none'})")
    return [n for n in wanted if n in present]


def read_interfaces(
    fs: HostFS,
    runner: CommandRunner,
    wanted: list[str] | None = None,
    ethtool: bool = True,
    irqs: dict | None = None,
) -> dict:
    if irqs is None:
        irqs = read_irqs(fs, numbered_only=True)
    names = select_interfaces(fs, wanted)
    xdp_all, xdp_reason = read_xdp(runner) if names else ({}, None)
    if xdp_reason:
        fs.warn(xdp_reason)
    interfaces = {}
    for name in names:
        if not fs.exists(f"sys/class/net/{name}"):  # a dangling link: the device is already gone
            fs.warn(f"interface {name!r} vanished while being read; left out")
            continue
        nic = read_interface(fs, runner, name, irqs, ethtool)
        if xdp_all is not None:
            nic["xdp"] = xdp_all.get(name, {"attached": False, "prog_id": None, "mode": None, "programs": []})
        if not fs.exists(f"sys/class/net/{name}"):
            fs.warn(f"interface {name!r} vanished while being read; left out")
            continue
        interfaces[name] = nic
    return interfaces


def read_interface(fs: HostFS, runner: CommandRunner, name: str, irqs: dict, ethtool: bool) -> dict:
    device = read_device(fs, name)
    nic = {
        "driver": device["driver"],
        "bus_info": device["bus_info"],
        "numa_node": device["numa_node"],
        "virtio_device": device["virtio"],
        "msi_irqs": device["msi_irqs"],
    }
    nic.update(read_link(fs, name))
    nic["xdp"] = None
    nic.update(read_ethtool(name, runner, ethtool))
    if nic["driver"] is None and ethtool:
        nic["driver"] = read_virtual_driver(name, runner)
    queues = read_queues(fs, name)
    nic_irqs, warnings = map_nic_irqs(name, device, irqs)
    for w in warnings:
        fs.warn(w)
    for entry in nic_irqs:
        record = irqs[entry["irq"]]
        entry.update({field: record.get(field) for field in _IRQ_FIELDS})
    attach_queue_irqs(queues, nic_irqs)
    nic["queues"] = queues
    nic["irqs"] = nic_irqs
    return nic

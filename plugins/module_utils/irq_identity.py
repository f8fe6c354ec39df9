# SPDX-License-Identifier: Apache-2.0
"""What an IRQ number stands for, so a record of its affinity survives the number changing.

IRQ numbers are handed out when a driver requests its vectors: a reboot, a channel change
(`ethtool -L`) or a driver reset can give queue 3 of eth0 another number. The snapshot therefore
keys an IRQ's prior affinity by what it serves -- interface, queue kind and index ("eth0:rx-3"),
or for a vector that serves no queue its name ("eth0:virtio0-config") -- and a restore looks that
up again in today's IRQ map (irq_queue_map, the driver-aware map nic_info and fastpath-reapply use).
An IRQ the map does not know keeps its number as key, as before. Stdlib only: runs on the targets.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS
from ansible_collections.fastpath.host.plugins.module_utils.interrupts import parse_interrupts
from ansible_collections.fastpath.host.plugins.module_utils.irq_queue_map import OTHER, map_nic_irqs
from ansible_collections.fastpath.host.plugins.module_utils.netdev import read_device


def read_nic_irqs(fs: HostFS, ifname: str) -> tuple[list[dict], list[str]]:
    """Today's IRQs of one NIC: [{irq, name, queue, kind}], plus warnings."""
    irqs, warnings = parse_interrupts(fs.read("proc/interrupts") or "")
    numbered = {n: r for n, r in irqs.items() if isinstance(n, int)}
    nic_irqs, map_warnings = map_nic_irqs(ifname, read_device(fs, ifname), numbered)
    return nic_irqs, warnings + map_warnings


def identity_of(ifname: str, nic_irq: dict) -> dict:
    """The record's identity for one entry of read_nic_irqs: its key and what it was when recorded."""
    if nic_irq["queue"] is not None and nic_irq["kind"] != OTHER:
        key = f"{ifname}:{nic_irq['kind']}-{nic_irq['queue']}"
    else:
        key = f"{ifname}:{nic_irq['name']}"
    return {"key": key, "interface": ifname, "queue": nic_irq["queue"], "kind": nic_irq["kind"],
            "name": nic_irq["name"], "irq": nic_irq["irq"]}


def identities(ifname: str, nic_irqs: list[dict]) -> dict[int, dict]:
    """IRQ number -> identity, for every IRQ of the NIC."""
    return {n["irq"]: identity_of(ifname, n) for n in nic_irqs}


def find_irq(identity: dict, nic_irqs: list[dict]) -> int | None:
    """Today's number of the IRQ a record's identity names, or None if it no longer exists."""
    for n in nic_irqs:
        if identity_of(identity["interface"], n)["key"] == identity["key"]:
            return n["irq"]
    return None

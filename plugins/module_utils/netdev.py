# SPDX-License-Identifier: Apache-2.0
"""Network interfaces from /sys/class/net: identity, link, the device behind them, and their queues.

The device behind a netdev is found through the `device` link. Most NICs link straight to their
PCI function; virtio_net links to a `virtioK` device whose *parent* is the PCI function that owns
the MSI-X vectors (`msi_irqs/`), the NUMA node and the bus address. Virtual devices (veth, bridge,
lo) have no `device` link and no IRQs.
"""

from __future__ import annotations

import os
import re

from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS

_NET = "sys/class/net"
_PCI_ADDR = re.compile(r"^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
_QUEUE = re.compile(r"^(rx|tx)-(\d+)$")
ARPHRD_LOOPBACK = 772


def list_interfaces(fs: HostFS) -> list[str]:
    return fs.listdir(_NET)


def is_default_candidate(fs: HostFS, ifname: str) -> bool:
    """Interfaces nic_info reports when no filter is given: all but loopback and bridges."""
    base = f"{_NET}/{ifname}"
    if fs.read_int(f"{base}/type", quiet=True) == ARPHRD_LOOPBACK or ifname == "lo":
        return False
    # A bridge has a bridge/ directory; ovs-system is Open vSwitch's internal datapath port.
    return not fs.exists(f"{base}/bridge") and ifname != "ovs-system"


def read_device(fs: HostFS, ifname: str) -> dict:
    """Driver, bus address, the PCI function holding msi_irqs, the virtio name and NUMA node."""
    base = f"{_NET}/{ifname}"
    dev = {
        "driver": None,
        "bus_info": None,
        "pci_dev": None,
        "virtio": None,
        "numa_node": None,
        "msi_irqs": None,
    }
    device_real = fs.realpath(f"{base}/device")
    if device_real is None:
        return dev  # virtual device: veth, bridge, dummy, ifb...
    dev["driver"] = fs.readlink_name(f"{base}/device/driver")
    name = os.path.basename(device_real)
    pci_rel = f"{base}/device"
    if name.startswith("virtio") and name[6:].isdigit():
        dev["virtio"] = name
        parent = os.path.basename(os.path.dirname(device_real))
        if _PCI_ADDR.match(parent):
            pci_rel = f"{base}/device/.."
            name = parent
    if _PCI_ADDR.match(name):
        dev["pci_dev"] = name
        dev["bus_info"] = name
        node = fs.read_int(f"{pci_rel}/numa_node", quiet=True)
        dev["numa_node"] = node
        if fs.exists(f"{pci_rel}/msi_irqs"):
            dev["msi_irqs"] = sorted(int(n) for n in fs.listdir(f"{pci_rel}/msi_irqs") if n.isdigit())
    else:
        dev["bus_info"] = name  # e.g. a vmbus GUID (hv_netvsc) or a platform device name
    return dev


def read_link(fs: HostFS, ifname: str) -> dict:
    base = f"{_NET}/{ifname}"
    speed = fs.read_int(f"{base}/speed", quiet=True)  # EINVAL while the link is down
    return {
        "ifindex": fs.read_int(f"{base}/ifindex"),
        "mtu": fs.read_int(f"{base}/mtu"),
        "operstate": fs.read_line(f"{base}/operstate"),
        "address": fs.read_line(f"{base}/address", quiet=True),
        # -1 (SPEED_UNKNOWN) and unreadable both mean "unknown".
        "speed": speed if speed is not None and speed >= 0 else None,
        "tx_queue_len": fs.read_int(f"{base}/tx_queue_len", quiet=True),
    }


def read_queues(fs: HostFS, ifname: str) -> dict:
    """{"rx": [{index, rps_cpus, rps_flow_cnt}], "tx": [{index, xps_cpus, xps_rxqs, tx_maxrate}]}."""
    qbase = f"{_NET}/{ifname}/queues"
    queues: dict = {"rx": [], "tx": []}
    for entry in fs.listdir(qbase):
        m = _QUEUE.match(entry)
        if not m:
            continue
        kind, index = m.group(1), int(m.group(2))
        q = f"{qbase}/{entry}"
        if kind == "rx":
            queues["rx"].append(
                {
                    "index": index,
                    "rps_cpus": fs.read_mask(f"{q}/rps_cpus"),
                    "rps_flow_cnt": fs.read_int(f"{q}/rps_flow_cnt", quiet=True),
                }
            )
        else:
            queues["tx"].append(
                {
                    "index": index,
                    # xps_cpus is unreadable (ENOENT) on single-queue devices and without CONFIG_XPS.
                    "xps_cpus": fs.read_mask(f"{q}/xps_cpus", quiet=True),
                    "xps_rxqs": fs.read_mask(f"{q}/xps_rxqs", quiet=True),
                    "tx_maxrate": fs.read_int(f"{q}/tx_maxrate", quiet=True),
                }
            )
    for kind in ("rx", "tx"):
        queues[kind].sort(key=lambda q: q["index"])
    return queues

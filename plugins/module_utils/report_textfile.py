# SPDX-License-Identifier: Apache-2.0
"""One host's `fastpath_*` metrics as a node_exporter textfile (hosts/<host>.prom).

node_exporter adds the instance label itself, so no host label here. Per-CPU interrupt counts are
written for NIC IRQs only, and only for CPUs where the IRQ has fired (absent means 0): those are the
IRQs fastpath pins, and every IRQ x every CPU of a 256-CPU host would be 65,000 series for one
NIC set, the reason node_exporter's own interrupts collector is off by default.
"""

from __future__ import annotations

import calendar
import time
from collections import Counter

from ansible_collections.fastpath.host.plugins.module_utils.prom_exposition import Exposition
from ansible_collections.fastpath.host.plugins.module_utils.report_doc import HostDoc, as_int

# name -> (type, help); declared in this order, which is the order in the file.
METRICS = {
    "fastpath_report_collected_timestamp_seconds": ("gauge", "When fastpath read this host's state."),
    "fastpath_report_warnings": ("gauge", "Number of parts of the host state fastpath could not read."),
    "fastpath_cpus_online": ("gauge", "Number of online CPUs."),
    "fastpath_cpu_info": ("gauge", "One series per CPU: topology; online, isolated, nohz_full."),
    "fastpath_nic_info": ("gauge", "One series per NIC: driver, bus address, NUMA node, link state."),
    "fastpath_nic_mtu_bytes": ("gauge", "MTU of the NIC."),
    "fastpath_nic_speed_bytes": ("gauge", "Link speed of the NIC in bytes per second."),
    "fastpath_nic_channels": ("gauge", "NIC channel counts (ethtool -l), current and maximum."),
    "fastpath_nic_rings": ("gauge", "NIC ring sizes (ethtool -g), current and maximum."),
    "fastpath_nic_xdp_attached": ("gauge", "1 if an XDP program is attached to the NIC."),
    "fastpath_nic_queue_info": ("gauge", "One series per NIC queue: its IRQ and RPS (rx) or XPS (tx) CPUs."),
    "fastpath_nic_queue_rps_flow_cnt": ("gauge", "RFS flow table size of an rx queue (rps_flow_cnt)."),
    "fastpath_irq_affinity_info": ("gauge", "One series per NIC IRQ: its queue and CPU affinity."),
    "fastpath_irq_interrupts_total": ("counter", "Interrupts of a NIC IRQ handled per CPU."),
    "fastpath_softnet_processed_total": (
        "counter",
        "Packets the CPU took through the receive path (softnet_stat).",
    ),
    "fastpath_softnet_dropped_total": ("counter", "Packets dropped because the CPU's backlog was full."),
    "fastpath_softnet_time_squeeze_total": ("counter", "Times net_rx_action ran out of budget or time."),
    "fastpath_softnet_received_rps_total": ("counter", "RPS inter-processor interrupts received by the CPU."),
    "fastpath_softnet_flow_limit_count_total": ("counter", "Packets dropped by the flow limit."),
    "fastpath_softirqs_total": ("counter", "NET_RX and NET_TX softirqs run per CPU (/proc/softirqs)."),
    "fastpath_finding": ("gauge", "Number of findings of this severity and kind on the host."),
}
_SOFTNET = ("processed", "dropped", "time_squeeze", "received_rps", "flow_limit_count")


def render_textfile(doc: HostDoc) -> str:
    exp = Exposition()
    for name, (kind, help_text) in METRICS.items():
        exp.declare(name, kind, help_text)
    exp.add("fastpath_report_collected_timestamp_seconds", {}, _epoch(doc.collected_at))
    exp.add("fastpath_report_warnings", {}, len(doc.warnings))
    _cpus(exp, doc)
    _nics(exp, doc)
    _irqs(exp, doc)
    _softnet(exp, doc)
    counts = Counter((str(f.get("severity", "")), str(f.get("what", ""))) for f in doc.findings)
    for (severity, what), n in sorted(counts.items()):
        exp.add("fastpath_finding", {"severity": severity, "what": what}, n)
    return exp.render()


def _cpus(exp: Exposition, doc: HostDoc) -> None:
    exp.add("fastpath_cpus_online", {}, as_int(doc.cpus.get("count_online")))
    online, isolated, nohz = doc.cpu_set("online"), doc.cpu_set("isolated"), doc.cpu_set("nohz_full")
    for entry in doc.cpus.get("topology") or []:
        cpu = as_int(entry.get("cpu")) if isinstance(entry, dict) else None
        if cpu is None:
            continue
        labels = {
            "cpu": cpu,
            "package": _text(entry.get("package")),
            "core": _text(entry.get("core")),
            "node": _text(entry.get("node")),
            "online": _flag(cpu in online),
            "isolated": _flag(cpu in isolated),
            "nohz_full": _flag(cpu in nohz),
        }
        exp.add("fastpath_cpu_info", labels, 1)


def _nics(exp: Exposition, doc: HostDoc) -> None:
    for device, nic in sorted(doc.interfaces.items()):
        exp.add(
            "fastpath_nic_info",
            {
                "device": device,
                "driver": _text(nic.get("driver")),
                "bus_info": _text(nic.get("bus_info")),
                "numa_node": _text(nic.get("numa_node")),
                "operstate": _text(nic.get("operstate")),
            },
            1,
        )
        exp.add("fastpath_nic_mtu_bytes", {"device": device}, as_int(nic.get("mtu")))
        speed = as_int(nic.get("speed"))
        # sysfs speed is Mb/s; -1 (or absent) means unknown, as on virtio and veth.
        speed_bytes = speed * 125000 if speed and speed > 0 else None
        exp.add("fastpath_nic_speed_bytes", {"device": device}, speed_bytes)
        for metric, part in (("fastpath_nic_channels", "channels"), ("fastpath_nic_rings", "rings")):
            values = nic.get(part) if isinstance(nic.get(part), dict) else {}
            for key, value in sorted(values.items()):
                setting, kind = ("max", key[4:]) if key.startswith("max_") else ("current", key)
                exp.add(metric, {"device": device, "kind": kind, "setting": setting}, as_int(value))
        xdp = nic.get("xdp")
        if isinstance(xdp, dict):
            exp.add(
                "fastpath_nic_xdp_attached",
                {"device": device, "mode": _text(xdp.get("mode")), "prog_id": _text(xdp.get("prog_id"))},
                bool(xdp.get("attached")),
            )
        for row in doc.queue_rows(device):
            labels = {
                "device": device,
                "queue": _text(row["queue"]),
                "direction": row["direction"],
                "irq": _text(row["irq"]),
                "cpus": _text(row["cpus"]),
            }
            exp.add("fastpath_nic_queue_info", labels, 1)
            if row["direction"] == "rx":
                exp.add(
                    "fastpath_nic_queue_rps_flow_cnt",
                    {"device": device, "queue": _text(row["queue"])},
                    as_int(row["extra"]),
                )


def _irqs(exp: Exposition, doc: HostDoc) -> None:
    for irq in doc.nic_irqs():
        base = {"irq": irq.irq, "name": irq.name, "device": irq.device, "queue": _text(irq.queue)}
        exp.add(
            "fastpath_irq_affinity_info",
            {
                **base,
                "kind": irq.kind,
                "affinity": _text(irq.affinity),
                "effective_affinity": _text(irq.effective_affinity),
                "managed": _text(irq.managed if irq.managed is None else _flag(irq.managed)),
            },
            1,
        )
        for cpu, count in sorted(irq.per_cpu.items()):
            if count:
                exp.add("fastpath_irq_interrupts_total", {**base, "cpu": cpu}, count)


def _softnet(exp: Exposition, doc: HostDoc) -> None:
    for cpu, row in sorted(doc.softnet().items()):
        for column in _SOFTNET:
            exp.add(f"fastpath_softnet_{column}_total", {"cpu": cpu}, as_int(row.get(column)))
    for softirq, counts in doc.softirqs().items():
        for cpu, count in sorted(counts.items()):
            exp.add("fastpath_softirqs_total", {"cpu": cpu, "type": softirq}, count)


def _text(value) -> str:
    """A label value: "" for unknown (null), the plain text otherwise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _flag(value)
    return str(value)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _epoch(stamp: str | None) -> int | None:
    """Seconds since the epoch of an ISO-8601 UTC stamp ("2025-01-31T12:00:00Z"), None if absent."""
    if not stamp:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y%m%dT%H%M%SZ"):
        try:
            return calendar.timegm(time.strptime(stamp, fmt))
        except ValueError:
            continue
    return None

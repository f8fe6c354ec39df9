# SPDX-License-Identifier: Apache-2.0
"""Before/after: what changed on one host between two runs (e.g. before and after tuning).

IRQs are matched by (device, kind, queue or name), not by number: `ethtool -L` re-requests a NIC's IRQs
and they often come back with new numbers. Counters are deltas after - before; a counter that went
backwards (reboot, IRQ re-requested) is reported as reset (None), never as a negative rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.fastpath.host.plugins.module_utils.report_doc import HostDoc, NicIrq, as_int

_SOFTNET_COLUMNS = ("processed", "dropped", "time_squeeze")
_NIC_SETTINGS = ("channels", "rings")
_NIC_FIELDS = ("mtu", "operstate", "driver")
# Marks a per-CPU delta whose counter went backwards; the heatmap draws it as "counter reset".
RESET = -1


@dataclass
class HostDiff:
    host: str
    before_at: str | None
    after_at: str | None
    nic_changes: list[dict] = field(default_factory=list)
    affinity_changes: list[dict] = field(default_factory=list)
    queue_changes: list[dict] = field(default_factory=list)
    softnet_deltas: list[dict] = field(default_factory=list)
    irq_deltas: list[tuple[NicIrq, dict[int, int]]] = field(default_factory=list)
    interrupts_per_cpu: dict[int, int] = field(default_factory=dict)
    findings_new: list[dict] = field(default_factory=list)
    findings_resolved: list[dict] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.nic_changes
            or self.affinity_changes
            or self.queue_changes
            or self.findings_new
            or self.findings_resolved
        )


def counter_delta(before, after) -> int | None:
    """after - before for a counter; None when either is unknown or the counter was reset."""
    b, a = as_int(before), as_int(after)
    if b is None or a is None or a < b:
        return None
    return a - b


def irq_key(irq: NicIrq) -> tuple:
    """What identifies an IRQ across runs: its queue, or for queue-less IRQs (async, config) its name."""
    return (irq.device, irq.kind, irq.queue if irq.queue is not None else irq.name)


def compare_hosts(before: HostDoc, after: HostDoc) -> HostDiff:
    diff = HostDiff(host=after.host, before_at=before.collected_at, after_at=after.collected_at)
    _nics(diff, before, after)
    _irqs(diff, before, after)
    _queues(diff, before, after)
    _softnet(diff, before, after)
    _findings(diff, before, after)
    return diff


def _change(device: str, setting: str, before, after, **where) -> dict:
    return {"device": device, **where, "setting": setting, "before": before, "after": after}


def _presence(value) -> str:
    return "absent" if value is None else "present"


def _nics(diff: HostDiff, before: HostDoc, after: HostDoc) -> None:
    for device in sorted(set(before.interfaces) | set(after.interfaces)):
        b, a = before.interfaces.get(device), after.interfaces.get(device)
        if b is None or a is None:
            diff.nic_changes.append(_change(device, "interface", _presence(b), _presence(a)))
            continue
        for name in _NIC_FIELDS:
            if b.get(name) != a.get(name):
                diff.nic_changes.append(_change(device, name, b.get(name), a.get(name)))
        for part in _NIC_SETTINGS:
            bp = b.get(part) if isinstance(b.get(part), dict) else {}
            ap = a.get(part) if isinstance(a.get(part), dict) else {}
            for key in sorted(set(bp) | set(ap)):
                if not key.startswith("max_") and bp.get(key) != ap.get(key):
                    diff.nic_changes.append(_change(device, f"{part}.{key}", bp.get(key), ap.get(key)))
        bx, ax = _xdp(b.get("xdp")), _xdp(a.get("xdp"))
        if bx != ax:
            diff.nic_changes.append(_change(device, "xdp", bx, ax))


def _xdp(xdp) -> str | None:
    if not isinstance(xdp, dict):
        return None  # unknown (ip not available), not "none"
    return f"{xdp.get('mode')} (prog {xdp.get('prog_id')})" if xdp.get("attached") else "none"


def _irqs(diff: HostDiff, before: HostDoc, after: HostDoc) -> None:
    old = {irq_key(i): i for i in before.nic_irqs()}
    for irq in after.nic_irqs():
        prev = old.get(irq_key(irq))
        if prev is None:
            diff.irq_deltas.append((irq, {}))
            continue
        for name in ("affinity", "effective_affinity"):
            b, a = getattr(prev, name), getattr(irq, name)
            if b != a:
                diff.affinity_changes.append(
                    _change(
                        irq.device,
                        name,
                        b,
                        a,
                        kind=irq.kind,
                        queue=irq.queue,
                        irq_before=prev.irq,
                        irq=irq.irq,
                        name=irq.name,
                    )
                )
        deltas = {}
        for cpu, count in irq.per_cpu.items():
            # A CPU absent before (offline then) had counted nothing yet.
            d = counter_delta(prev.per_cpu.get(cpu, 0), count)
            deltas[cpu] = RESET if d is None else d
            if d:
                diff.interrupts_per_cpu[cpu] = diff.interrupts_per_cpu.get(cpu, 0) + d
        diff.irq_deltas.append((irq, deltas))


def _queues(diff: HostDiff, before: HostDoc, after: HostDoc) -> None:
    for device in sorted(set(before.interfaces) & set(after.interfaces)):
        old = {(r["direction"], r["queue"]): r for r in before.queue_rows(device)}
        new = {(r["direction"], r["queue"]): r for r in after.queue_rows(device)}
        for key in sorted(set(old) | set(new), key=lambda k: (k[0], k[1] if k[1] is not None else -1)):
            b, a = old.get(key), new.get(key)
            where = {"direction": key[0], "queue": key[1]}
            if b is None or a is None:
                diff.queue_changes.append(_change(device, "queue", _presence(b), _presence(a), **where))
                continue
            mask = "rps_cpus" if key[0] == "rx" else "xps_cpus"
            for setting, bv, av in ((mask, b["cpus"], a["cpus"]), (a["extra_name"], b["extra"], a["extra"])):
                if bv != av:
                    diff.queue_changes.append(_change(device, setting, bv, av, **where))


def _softnet(diff: HostDiff, before: HostDoc, after: HostDoc) -> None:
    old, new = before.softnet(), after.softnet()
    for cpu in sorted(new):
        if cpu not in old:
            continue
        row = {"cpu": cpu}
        for column in _SOFTNET_COLUMNS:
            row[column] = counter_delta(old[cpu].get(column), new[cpu].get(column))
        row["reset"] = any(row[c] is None for c in _SOFTNET_COLUMNS)
        diff.softnet_deltas.append(row)


def _findings(diff: HostDiff, before: HostDoc, after: HostDoc) -> None:
    # Not keyed by evidence: it carries counts that move between runs for the same finding.
    def key(f: dict) -> tuple:
        return (str(f.get("severity")), str(f.get("what")))

    old = {key(f): f for f in before.findings}
    new = {key(f): f for f in after.findings}
    diff.findings_new = [f for k, f in new.items() if k not in old]
    diff.findings_resolved = [f for k, f in old.items() if k not in new]

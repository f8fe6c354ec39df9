# SPDX-License-Identifier: Apache-2.0
"""One host's document (hosts/<host>.json) and the normalized views the renderers share.

The document holds the host-model results as the modules returned them (`cpus` from cpu_info,
`interfaces` from nic_info, `irqs` from irq_info) plus findings and warnings. After a trip through
JSON, CPU and IRQ numbers used as keys are strings, and any part may be null when a module could
not read it: every accessor here turns that into plain ints and empty values, and a field of the
wrong type becomes a warning on the page instead of a traceback.

It lives in module_utils (stdlib only) because two writers share it: the controller's report
renderer and fastpath-textfile on each host (see host_textfile.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import CpuSetError, parse_cpulist

SCHEMA = "fastpath.report/1"


class ReportError(Exception):
    """A run directory or host document that cannot be rendered; the message says which and why."""


def cpus_of(cpulist) -> frozenset[int]:
    """The CPUs of a cpulist from a host document; null or unparsable text is the empty set."""
    if not isinstance(cpulist, str):
        return frozenset()
    try:
        return parse_cpulist(cpulist)
    except CpuSetError:
        return frozenset()


# Most severe first; severities the host model may use, unknown ones sort last.
SEVERITY_ORDER = ("critical", "error", "high", "warning", "medium", "low", "info")
# Per direction: the queue's CPU mask and its one extra setting.
_QUEUE_COLUMNS = (("rx", "rps_cpus", "rps_flow_cnt"), ("tx", "xps_cpus", "xps_rxqs"))


def as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def int_counts(mapping) -> dict[int, int]:
    """{cpu: count} with int keys and values; entries that are not numbers are dropped."""
    if not isinstance(mapping, dict):
        return {}
    out = {}
    for key, value in mapping.items():
        k, v = as_int(key), as_int(value)
        if k is not None and v is not None:
            out[k] = v
    return out


@dataclass
class NicIrq:
    """One IRQ of one NIC, as the IRQ->CPU map and the heatmap show it."""

    irq: int
    name: str
    device: str
    queue: int | None
    kind: str
    affinity: str | None
    effective_affinity: str | None
    managed: bool | None
    per_cpu: dict[int, int]

    @property
    def label(self) -> str:
        queue = "" if self.queue is None else str(self.queue)
        return f"{self.device} {self.kind}{queue} (irq {self.irq})"

    @property
    def total(self) -> int:
        return sum(self.per_cpu.values())


@dataclass
class HostDoc:
    host: str
    collected_at: str | None = None
    cpus: dict = field(default_factory=dict)
    interfaces: dict = field(default_factory=dict)
    irqs: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    # ---- loading ---------------------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: Path) -> HostDoc:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise ReportError(f"cannot read {path}: {e.strerror or e}") from None
        except ValueError as e:
            raise ReportError(f"{path} is not JSON: {e}") from None
        return cls.from_data(data, source=str(path), default_host=path.stem)

    @classmethod
    def from_data(cls, data, source: str = "<data>", default_host: str = "?") -> HostDoc:
        if not isinstance(data, dict):
            raise ReportError(f"{source}: a host document is a JSON object, not {type(data).__name__}")
        if data.get("schema", SCHEMA) != SCHEMA:
            raise ReportError(f"{source}: schema {data.get('schema')!r} is not {SCHEMA!r}")
        doc = cls(host=str(data.get("host") or default_host))
        doc.collected_at = data.get("collected_at") if isinstance(data.get("collected_at"), str) else None
        warnings = data.get("warnings") or []
        if isinstance(warnings, list):
            doc.warnings = [str(w) for w in warnings if w is not None]
        else:
            doc.warnings = [f"warnings in {source} is a {type(warnings).__name__}, not a list"]
        for name, kind in (("cpus", dict), ("interfaces", dict), ("findings", list)):
            value = data.get(name)
            if value is None:
                continue
            if isinstance(value, kind):
                setattr(doc, name, value)
            else:
                doc.warnings.append(f"{name} in {source} is a {type(value).__name__}, not a {kind.__name__}")
        doc.irqs = _irqs_by_number(data.get("irqs"), doc.warnings)
        doc.findings = [f for f in doc.findings if isinstance(f, dict)]
        doc.interfaces = {str(k): v for k, v in doc.interfaces.items() if isinstance(v, dict)}
        return doc

    # ---- CPUs ------------------------------------------------------------------------------------
    def cpu_set(self, name: str) -> frozenset[int]:
        return cpus_of(self.cpus.get(name))

    def cpu_columns(self) -> list[int]:
        """CPUs to show: every online CPU plus any CPU that has a count (offline CPUs keep old ones)."""
        cpus = set(self.cpu_set("online"))
        for irq in self.nic_irqs():
            cpus.update(irq.per_cpu)
        cpus.update(self.softnet())
        for counts in self.softirqs().values():
            cpus.update(counts)
        return sorted(cpus)

    def softnet(self) -> dict[int, dict]:
        rows = self.cpus.get("softnet")
        out = {}
        for row in rows if isinstance(rows, list) else []:
            cpu = as_int(row.get("cpu")) if isinstance(row, dict) else None
            if cpu is not None:
                out[cpu] = row
        return out

    def softirqs(self) -> dict[str, dict[int, int]]:
        table = self.cpus.get("softirqs")
        if not isinstance(table, dict):
            return {}
        return {str(name): int_counts(counts) for name, counts in sorted(table.items())}

    # ---- NICs and IRQs ---------------------------------------------------------------------------
    def nic_irqs(self) -> list[NicIrq]:
        """Every IRQ that belongs to a NIC, in device, then queue order."""
        out = []
        for device, nic in sorted(self.interfaces.items()):
            for entry in nic.get("irqs") or []:
                if not isinstance(entry, dict) or as_int(entry.get("irq")) is None:
                    continue
                number = as_int(entry["irq"])
                full = self.irqs.get(number, {})
                out.append(
                    NicIrq(
                        irq=number,
                        name=str(entry.get("name") or full.get("name") or ""),
                        device=device,
                        queue=as_int(entry.get("queue")),
                        kind=str(entry.get("kind") or "other"),
                        affinity=_first_str(entry, full, "affinity"),
                        effective_affinity=_first_str(entry, full, "effective_affinity"),
                        managed=entry.get("managed", full.get("managed")),
                        per_cpu=int_counts(entry.get("per_cpu") or full.get("per_cpu")),
                    )
                )
        out.sort(key=lambda i: (i.device, i.queue if i.queue is not None else 1 << 30, i.kind, i.irq))
        return out

    def queue_rows(self, device: str) -> list[dict]:
        """One row per rx and tx queue of `device`, with the affinity of the IRQ that serves it."""
        nic = self.interfaces.get(device) or {}
        queues = nic.get("queues") if isinstance(nic.get("queues"), dict) else {}
        irq_by_number = {i.irq: i for i in self.nic_irqs() if i.device == device}
        rows = []
        for direction, cpus_key, extra_key in _QUEUE_COLUMNS:
            for q in queues.get(direction) or []:
                if not isinstance(q, dict):
                    continue
                irq = irq_by_number.get(as_int(q.get("irq")))
                rows.append(
                    {
                        "direction": direction,
                        "queue": as_int(q.get("index")),
                        "irq": as_int(q.get("irq")),
                        "irq_affinity": irq.affinity if irq else None,
                        "irq_effective": irq.effective_affinity if irq else None,
                        "cpus": q.get(cpus_key),
                        "extra_name": extra_key,
                        "extra": q.get(extra_key),
                    }
                )
        return rows

    def sorted_findings(self) -> list[dict]:
        def rank(f):
            sev = str(f.get("severity", "")).lower()
            order = SEVERITY_ORDER.index(sev) if sev in SEVERITY_ORDER else len(SEVERITY_ORDER)
            return (order, str(f.get("what")))

        return sorted(self.findings, key=rank)


def _first_str(entry: dict, full: dict, key: str) -> str | None:
    value = entry.get(key, full.get(key))
    return value if isinstance(value, str) else None


def _irqs_by_number(value, warnings: list) -> dict[int, dict]:
    """irq_info's `irqs` as {number: record}, whether it came as a dict or a list of records."""
    if value is None:
        return {}
    records = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    if records is None:
        warnings.append(f"irqs is a {type(value).__name__}, not a dict or list")
        return {}
    out = {}
    for record in records:
        if isinstance(record, dict) and as_int(record.get("irq")) is not None:
            out[as_int(record["irq"])] = record
    return out

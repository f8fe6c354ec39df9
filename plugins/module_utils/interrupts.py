# SPDX-License-Identifier: Apache-2.0
"""Parse /proc/interrupts (kernel/irq/proc.c show_interrupts) into per-IRQ records.

Layout quirks this handles:
- The header names one column per *online* CPU ("CPU0 CPU2 ..."): with CPUs offline the column
  index is not the CPU number, so counts are keyed by the CPU number read from the header.
- A numbered line is "N: counts... chip [hwirq][-trigger|-flow] actions", where hwirq is blank for
  IRQs without a domain and trigger may be a separate word ("Level"/"Edge" on arm64). Several
  actions sharing an IRQ are joined with ", ".
- Architecture lines (NMI, LOC, ERR, MIS...) have a description instead and may have a single count.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\S+")
# hwirq as printed after the chip: "5-edge", "524288-edge", "27", "0x1f" (some chips print hex).
_HWIRQ = re.compile(r"^(?P<hwirq>\d+|0x[0-9a-fA-F]+)(?:-(?P<flow>[\w-]+))?$")
_TRIGGERS = {"edge", "level"}


def parse_interrupts(text: str) -> tuple[dict, list[str]]:
    """Return ({irq: record}, warnings). Numbered IRQs keyed by int, others by their label."""
    irqs: dict = {}
    warnings: list[str] = []
    lines = text.splitlines()
    if not lines or not lines[0].split():
        return irqs, ["/proc/interrupts is empty"]
    cpus = _header_cpus(lines[0])
    if cpus is None:
        return irqs, [f"/proc/interrupts header is not a CPU list: {lines[0][:80]!r}"]
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        record = _parse_line(line, cpus)
        if record is None:
            warnings.append(f"/proc/interrupts line {lineno} not understood: {line.strip()[:80]!r}")
            continue
        irqs[record["irq"]] = record
    return irqs, warnings


def _header_cpus(header: str) -> list[int] | None:
    cpus = []
    for word in header.split():
        if not (word.startswith("CPU") and word[3:].isdigit()):
            return None
        cpus.append(int(word[3:]))
    return cpus


def _parse_line(line: str, cpus: list[int]) -> dict | None:
    label, colon, rest = line.partition(":")
    label = label.strip()
    if not colon or not label:
        return None
    tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(rest)]
    counts: list[int] = []
    while tokens and len(counts) < len(cpus) and tokens[0][0].isdigit():
        counts.append(int(tokens.pop(0)[0]))
    if not counts:
        return None
    # ERR/MIS print one global count: keep the total, claim no per-CPU split.
    per_cpu = dict(zip(cpus, counts, strict=False)) if len(counts) == len(cpus) else {}
    record = {
        "irq": int(label) if label.isdigit() else label,
        "per_cpu": per_cpu,
        "counts_total": sum(counts),
        "chip": None,
        "hwirq": None,
        "trigger": None,
        "name": "",
        "actions": [],
    }
    if not label.isdigit():
        # NMI, LOC...: the rest is a description, kept as the name.
        record["name"] = rest[tokens[0][1] :].strip() if tokens else ""
        return record
    if len(counts) < len(cpus):
        return None  # a numbered IRQ always prints one count per online CPU
    if tokens:
        record["chip"] = tokens.pop(0)[0]
    if tokens:
        m = _HWIRQ.match(tokens[0][0])
        if m:
            tokens.pop(0)
            record["hwirq"] = m.group("hwirq")
            record["trigger"] = m.group("flow")
    if tokens and tokens[0][0].lower() in _TRIGGERS:
        record["trigger"] = tokens.pop(0)[0]
    if tokens:
        record["name"] = rest[tokens[0][1] :].strip()
        record["actions"] = [a.strip() for a in record["name"].split(", ") if a.strip()]
    return record

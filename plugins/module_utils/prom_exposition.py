# SPDX-License-Identifier: Apache-2.0
"""Prometheus text exposition format (version 0.0.4), as node_exporter's textfile collector reads it.

Each metric family is written once: HELP, TYPE, then its samples. Label values are escaped
(backslash, double quote, newline) because they carry host-supplied text such as IRQ names.
A series added twice is a bug in the caller and raises, since Prometheus would reject the file.
"""

from __future__ import annotations

import math
import re

_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
TYPES = ("counter", "gauge", "untyped")


def escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


class Exposition:
    """Metric families in the order first declared; samples in the order added."""

    def __init__(self):
        self._families: dict[str, dict] = {}

    def declare(self, name: str, kind: str, help_text: str) -> None:
        if not _NAME.match(name):
            raise ValueError(f"invalid metric name {name!r}")
        if kind not in TYPES:
            raise ValueError(f"invalid metric type {kind!r}")
        if kind == "counter" and not name.endswith("_total"):
            raise ValueError(f"counter {name!r} must end in _total")
        known = self._families.get(name)
        if known and (known["type"], known["help"]) != (kind, help_text):
            raise ValueError(f"metric {name!r} declared twice with different type or help")
        self._families.setdefault(name, {"type": kind, "help": help_text, "samples": {}})

    def add(self, name: str, labels: dict, value) -> None:
        """Add one sample; a None value (unknown on this host) is left out rather than faked."""
        if value is None:
            return
        family = self._families.get(name)
        if family is None:
            raise ValueError(f"metric {name!r} added before it was declared")
        for label in labels:
            if not _LABEL.match(label) or label.startswith("__"):
                raise ValueError(f"invalid label name {label!r} on {name}")
        key = tuple((k, "" if v is None else str(v)) for k, v in labels.items())
        if key in family["samples"]:
            raise ValueError(f"duplicate series {name}{dict(key)}")
        family["samples"][key] = value

    def render(self) -> str:
        lines = []
        for name, family in self._families.items():
            if not family["samples"]:
                continue
            lines.append(f"# HELP {name} {escape_help(family['help'])}")
            lines.append(f"# TYPE {name} {family['type']}")
            for key, value in family["samples"].items():
                labels = ",".join(f'{k}="{escape_label_value(v)}"' for k, v in key)
                series = f"{name}{{{labels}}}" if labels else name
                lines.append(f"{series} {format_value(value)}")
        return "\n".join(lines) + "\n" if lines else ""

# SPDX-License-Identifier: Apache-2.0
"""The server's limits and key ranges, read from native/server/config_keys.def: the file config.c
includes, so the controller-side check of the dataplane role and the server share one table.

Reading is separate from parsing: `parse_keys_def(text)` takes the file's text (tests feed it
edited copies of the real file), `load_keys_def()` reads the one this collection ships.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# The collection root is two levels above plugins/plugin_utils/; native/ ships inside it (galaxy.yml).
KEYS_DEF = Path(__file__).resolve().parents[2] / "native" / "server" / "config_keys.def"

_UNITS = {"FP_COUNT": "count", "FP_BYTES": "bytes"}
_RULES = {"FP_ANY": None, "FP_POW2": "pow2", "FP_CACHELINE": "cacheline"}
# One entry a line, as config_keys.def says; anything else starting with FP_ is refused, not skipped.
_LIMIT = re.compile(r"FP_LIMIT\(\s*(\w+)\s*,\s*(\d+)\s*\)")
_RANGE = re.compile(r"FP_RANGE\(\s*(\w+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\w+)\s*,\s*(\w+)\s*\)")


class KeysDefError(ValueError):
    """The file is not in the shape config_keys.def documents; the message names the line."""


@dataclass(frozen=True)
class KeyRange:
    """One numeric key of server.conf: value in [min, max], a count or bytes, and an extra rule."""

    key: str
    min: int
    max: int
    unit: str  # "count" or "bytes"
    rule: str | None  # None, "pow2" or "cacheline"

    def problem(self, value: int) -> str | None:
        """Why `value` is refused ("must be ..."), or None when the server takes it."""
        if self.min <= value <= self.max and not (
                self.rule == "pow2" and value & (value - 1) or self.rule == "cacheline" and value % 64):
            return None
        return f"must be {self.wording()}"

    def wording(self) -> str:
        """"a power of two from 64 to 32768", "from 1536 to 65536 bytes", ..."""
        rule = {"pow2": "a power of two ", "cacheline": "a multiple of 64 "}.get(self.rule or "", "")
        unit = " bytes" if self.unit == "bytes" else ""
        return f"{rule}from {self.min} to {self.max}{unit}"


@dataclass(frozen=True)
class ServerKeys:
    limits: dict[str, int]
    ranges: dict[str, KeyRange]


def parse_keys_def(text: str) -> ServerKeys:
    """The FP_LIMIT and FP_RANGE entries of config_keys.def's text, outside its #define lines."""
    limits: dict[str, int] = {}
    ranges: dict[str, KeyRange] = {}
    for n, raw in enumerate(_strip_comments(text).splitlines(), 1):
        line = raw.strip()
        if not line.startswith(("FP_LIMIT", "FP_RANGE")):
            continue
        if m := _LIMIT.fullmatch(line):
            limits[m[1]] = int(m[2])
        elif (m := _RANGE.fullmatch(line)) and m[4] in _UNITS and m[5] in _RULES:
            ranges[m[1]] = KeyRange(m[1], int(m[2]), int(m[3]), _UNITS[m[4]], _RULES[m[5]])
        else:
            raise KeysDefError(f"config_keys.def:{n}: not an FP_LIMIT or FP_RANGE entry: {line}")
    if not ranges:
        raise KeysDefError("config_keys.def: no FP_RANGE entries")
    return ServerKeys(limits, ranges)


def load_keys_def(path: Path = KEYS_DEF) -> ServerKeys:
    return parse_keys_def(path.read_text())


def _strip_comments(text: str) -> str:
    """Drop /* */ comments (keeping their newlines, so line numbers hold) and #-lines."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m[0].count("\n"), text, flags=re.S)
    return "\n".join("" if line.lstrip().startswith("#") else line for line in text.splitlines())

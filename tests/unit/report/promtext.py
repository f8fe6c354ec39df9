"""A strict parser of the Prometheus text exposition format 0.0.4, for the report tests.

Stricter than Prometheus itself where a textfile could still be wrong: each family's HELP and TYPE
at most once and before its samples, the family's samples contiguous, no duplicate series, only the
three escapes the format defines, and no blank lines. Raises PromError naming the line.
"""

from __future__ import annotations

import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}


class PromError(ValueError):
    pass


def parse(text: str) -> dict[str, dict]:
    if text and not text.endswith("\n"):
        raise PromError("the file must end with a newline")
    families: dict[str, dict] = {}
    seen_series: set = set()
    current = None  # the family whose samples are being read
    finished: set = set()
    for lineno, line in enumerate(text.split("\n")[:-1], start=1):
        where = f"line {lineno}: {line!r}"
        if not line.strip():
            raise PromError(f"{where}: blank line")
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise PromError(f"{where}: bad metric name")
                fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
                if fam["samples"]:
                    raise PromError(f"{where}: {parts[1]} after samples of {name}")
                key = parts[1].lower()
                if fam[key] is not None:
                    raise PromError(f"{where}: second {parts[1]} for {name}")
                value = parts[3] if len(parts) > 3 else ""
                if key == "type" and value not in TYPES:
                    raise PromError(f"{where}: unknown type {value!r}")
                fam[key] = _unescape_help(value, where) if key == "help" else value
            continue
        name, labels, value = _sample(line, where)
        if name != current:
            if name in finished:
                raise PromError(f"{where}: samples of {name} are not contiguous")
            if current is not None:
                finished.add(current)
            current = name
        fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
        series = (name, tuple(sorted(labels.items())))
        if series in seen_series:
            raise PromError(f"{where}: duplicate series")
        seen_series.add(series)
        fam["samples"].append((labels, value))
    for name, fam in families.items():
        if fam["type"] == "counter" and not name.endswith("_total"):
            raise PromError(f"counter {name} does not end in _total")
    return families


def _sample(line: str, where: str):
    try:
        return _sample_fields(line, where)
    except IndexError:
        raise PromError(f"{where}: line ends inside the labels") from None


def _sample_fields(line: str, where: str):
    m = NAME.match(line)
    if not m:
        raise PromError(f"{where}: no metric name")
    name, i = m.group(), m.end()
    labels: dict[str, str] = {}
    if i < len(line) and line[i] == "{":
        i += 1
        while True:
            if line[i] == "}":
                i += 1
                break
            lm = LABEL.match(line, i)
            if not lm or line[lm.end() : lm.end() + 2] != '="':
                raise PromError(f"{where}: bad label at column {i}")
            label = lm.group()
            if label in labels:
                raise PromError(f"{where}: label {label} twice")
            i = lm.end() + 2
            chars = []
            while line[i] != '"':
                if line[i] == "\n":
                    raise PromError(f"{where}: raw newline in label value")
                if line[i] == "\\":
                    esc = line[i + 1]
                    if esc not in _ESCAPES:
                        raise PromError(f"{where}: bad escape \\{esc}")
                    chars.append(_ESCAPES[esc])
                    i += 2
                else:
                    chars.append(line[i])
                    i += 1
            labels[label] = "".join(chars)
            i += 1
            if line[i] == ",":
                i += 1
            elif line[i] != "}":
                raise PromError(f"{where}: expected , or }} at column {i}")
    if i >= len(line) or line[i] != " ":
        raise PromError(f"{where}: no space before the value")
    fields = line[i + 1 :].split(" ")
    if len(fields) not in (1, 2):
        raise PromError(f"{where}: expected value [timestamp]")
    value = _value(fields[0], where)
    if len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1]):
        raise PromError(f"{where}: bad timestamp")
    return name, labels, value


def _value(text: str, where: str) -> float:
    if text in ("NaN", "+Inf", "-Inf"):
        return {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}[text]
    try:
        return float(text)
    except ValueError:
        raise PromError(f"{where}: bad value {text!r}") from None


def _unescape_help(text: str, where: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            esc = text[i + 1 : i + 2]
            if esc not in ("\\", "n"):
                raise PromError(f"{where}: bad escape in HELP")
            out.append("\n" if esc == "n" else "\\")
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def series(families: dict, name: str) -> list[tuple[dict, float]]:
    return families.get(name, {}).get("samples", [])

# SPDX-License-Identifier: Apache-2.0
"""Parse `ethtool` text output (run with LANG=C): channels, rings, coalescing, features, RSS.

Each parser takes the command's combined output and returns (value, reason): value is None when the
driver does not support the operation ("Operation not supported" / "no ... support"), with the reason
in plain words. ethtool 6.x prints some failures inside otherwise successful output (-x on virtio:
"Operation not supported" under the table heading), so the text, not only the exit code, decides.
"""

from __future__ import annotations

import re

_UNSUPPORTED = re.compile(r"Operation not supported|not supported|no .* support|Invalid argument", re.I)
_SECTION_MAX = re.compile(r"^Pre-set maximums:")
_SECTION_CUR = re.compile(r"^Current hardware settings:")


def unsupported_reason(text: str) -> str | None:
    """The line that says the driver cannot do it ("netlink error: Operation not supported"), or None."""
    for line in text.splitlines():
        if _UNSUPPORTED.search(line):
            return line.strip()
    return None


def _value(raw: str):
    raw = raw.strip()
    if raw in ("n/a", ""):
        return None
    if raw in ("on", "off"):
        return raw == "on"
    return int(raw) if raw.isdigit() else raw


def _max_and_current(text: str) -> tuple[dict, dict] | None:
    """Split "-l"/"-g" output into {key: value} for the maximums and the current settings."""
    maxima: dict = {}
    current: dict = {}
    target = None
    for line in text.splitlines():
        if _SECTION_MAX.match(line):
            target = maxima
        elif _SECTION_CUR.match(line):
            target = current
        elif target is not None and ":" in line:
            key, _sep, raw = line.partition(":")
            target[key.strip().lower().replace(" ", "_")] = _value(raw)
    if not maxima and not current:
        return None
    return maxima, current


def parse_channels(text: str) -> tuple[dict | None, str | None]:
    """ethtool -l: {rx, tx, other, combined, max_rx, max_tx, max_other, max_combined}; n/a -> None."""
    split = _max_and_current(text)
    if split is None:
        return None, unsupported_reason(text) or "ethtool -l printed no channel parameters"
    maxima, current = split
    out = {}
    for key in ("rx", "tx", "other", "combined"):
        out[key] = current.get(key)
        out[f"max_{key}"] = maxima.get(key)
    return out, None


def parse_rings(text: str) -> tuple[dict | None, str | None]:
    """ethtool -g: {rx, tx, rx_mini, rx_jumbo, max_rx, max_tx, ...} plus any extra current fields."""
    split = _max_and_current(text)
    if split is None:
        return None, unsupported_reason(text) or "ethtool -g printed no ring parameters"
    maxima, current = split
    out = dict(current)
    for key, value in maxima.items():
        out[f"max_{key}"] = value
    return out, None


def parse_coalesce(text: str) -> tuple[dict | None, str | None]:
    """ethtool -c: {"adaptive_rx": bool, "rx_usecs": int, ...}; n/a -> None."""
    out: dict = {}
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Coalesce parameters"):
        return None, unsupported_reason(text) or "ethtool -c printed no coalesce parameters"
    for line in lines[1:]:
        # "Adaptive RX: off  TX: n/a" and "CQE mode RX: n/a  TX: n/a" hold two pairs on one line.
        m = re.match(r"^(Adaptive|CQE mode)\s+RX:\s*(\S+)\s+TX:\s*(\S+)", line)
        if m:
            prefix = "adaptive" if m.group(1) == "Adaptive" else "cqe_mode"
            out[f"{prefix}_rx"] = _value(m.group(2))
            out[f"{prefix}_tx"] = _value(m.group(3))
            continue
        key, colon, raw = line.partition(":")
        if colon and key.strip():
            out[key.strip().replace("-", "_")] = _value(raw)
    return out, None


def parse_features(text: str) -> tuple[dict | None, str | None]:
    """ethtool -k: ({"generic-receive-offload": True, ...}, None); "[fixed]" ones also under "_fixed"."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Features for"):
        return None, unsupported_reason(text) or "ethtool -k printed no features"
    out: dict = {}
    fixed = []
    for line in lines[1:]:
        key, colon, raw = line.strip().partition(":")
        words = raw.split()
        if not colon or not words or words[0] not in ("on", "off"):
            continue
        out[key] = words[0] == "on"
        if "[fixed]" in raw:
            fixed.append(key)
    out["_fixed"] = fixed
    return out, None


def parse_rss(text: str) -> tuple[dict | None, str | None]:
    """ethtool -x: {"indir_size", "rx_rings", "indir": [ring per entry], "hash_function"}.

    The table prints 8 entries per row ("    0:      0     1 ..."). When the driver cannot report
    it, ethtool prints "Operation not supported" under the heading and exits 0.
    """
    lines = text.splitlines()
    head = (
        re.match(r"^RX flow hash indirection table for \S+ with (\d+) RX ring", lines[0]) if lines else None
    )
    if head is None:
        return None, unsupported_reason(text) or "ethtool -x printed no indirection table"
    indir: list[int] = []
    hash_function = None
    reason = None
    section = "indir"
    for line in lines[1:]:
        stripped = line.strip()
        if stripped.startswith("RSS hash key"):
            section = "key"
        elif stripped.startswith("RSS hash function"):
            section = "func"
        elif section == "indir":
            m = re.match(r"^\s*\d+:\s+([\d\s]+)$", line)
            if m:
                indir.extend(int(v) for v in m.group(1).split())
            elif "not supported" in stripped:
                reason = f"indirection table: {stripped}"
        elif section == "func" and stripped.endswith(": on"):
            hash_function = stripped.split(":")[0].strip()
    return {
        "rx_rings": int(head.group(1)),
        "indir_size": len(indir) if indir else None,
        "indir": indir,
        "hash_function": hash_function,
        "indir_reason": reason,
    }, None


_HASH_FIELDS = {
    "L2DA": "l2da",
    "VLAN tag": "vlan",
    "L3 proto": "l3proto",
    "IP SA": "ip_src",
    "IP DA": "ip_dst",
    "L4 bytes 0 & 1 [TCP/UDP src port]": "l4_src_port",
    "L4 bytes 2 & 3 [TCP/UDP dst port]": "l4_dst_port",
}


def parse_flow_hash(text: str) -> tuple[list[str] | None, str | None]:
    """ethtool -n IF rx-flow-hash udp4: the fields hashed, e.g. ["ip_src", "ip_dst", "l4_src_port", ...].

    "None" means the driver hashes nothing for that flow type ([] here); a 4-tuple hash is what
    spreads one UDP service's flows over queues.
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines or "flows use these fields" not in lines[0]:
        return None, unsupported_reason(text) or "ethtool -n printed no flow hash"
    fields = []
    for line in lines[1:]:
        if line == "None":
            continue
        fields.append(_HASH_FIELDS.get(line, line))
    return fields, None


def parse_driver_info(text: str) -> tuple[str | None, str | None]:
    """`ethtool -i`: the driver name. Virtual NICs (veth, bridge, tun) have no device/driver link in
    sysfs, so this is the only place their driver shows."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "driver" and value.strip():
            return value.strip(), None
    return None, unsupported_reason(text) or "ethtool -i printed no driver"

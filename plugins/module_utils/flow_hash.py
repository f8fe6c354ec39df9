# SPDX-License-Identifier: Apache-2.0
"""The RSS flow hash of a flow type (`ethtool -n IF rx-flow-hash udp4`): read, compare and set.

ethtool prints the hashed fields one per line ("IP SA", "L4 bytes 0 & 1 [TCP/UDP src port]", "None")
and takes them back as letters (`ethtool -N IF rx-flow-hash udp4 sdfn`); this file converts between
the two so the snapshot, the plan and the diff all speak letters. `run(argv) -> (rc, out, err)` is
the caller's command runner (LANG=C). Stdlib only: runs on the targets.

Drivers differ: veth has no get_rxnfc at all ("Operation not supported"); virtio_net reads the hash
("None" without the RSS feature) but refuses to set it ("Invalid argument"). Both are skips, not
failures: `FlowHashUnsupported` carries the reason.
"""

from __future__ import annotations

import re

from ansible_collections.fastpath.host.plugins.module_utils.ethtool_set import EthtoolError

# ethtool's letters, in the order ethtool prints the fields (ethtool.c unparse_rxfhashopts).
FIELDS = (
    ("m", "L2DA"),
    ("v", "VLAN tag"),
    ("t", "L3 proto"),
    ("s", "IP SA"),
    ("d", "IP DA"),
    ("f", "L4 bytes 0 & 1 [TCP/UDP src port]"),
    ("n", "L4 bytes 2 & 3 [TCP/UDP dst port]"),
)
_LETTER_OF = {line: letter for letter, line in FIELDS}
_DISCARD = "r"  # "- All matching flows discarded on RX"
FLOW_TYPES = ("tcp4", "udp4", "sctp4", "ah4", "esp4", "tcp6", "udp6", "sctp6", "ah6", "esp6")
_REFUSED = re.compile(r"Operation not supported|Invalid argument", re.I)


class FlowHashUnsupported(EthtoolError):
    """The driver cannot read or set this flow hash; the message is the reason to report."""


def canonical(letters: str) -> str:
    """Letters in ethtool's order without repeats, so "nfds" and "sdfn" compare equal."""
    if _DISCARD in letters:
        return _DISCARD
    return "".join(letter for letter, _line in FIELDS if letter in letters)


def validate(letters) -> str | None:
    """Why `letters` is not a flow hash ethtool accepts for a UDP flow, or None."""
    if not isinstance(letters, str) or not letters:
        return f"{letters!r} is not a string of ethtool rx-flow-hash letters (e.g. 'sdfn')"
    unknown = sorted(set(letters) - {letter for letter, _field in FIELDS} - {_DISCARD})
    if unknown:
        return f"{letters!r} has letters ethtool does not know: {''.join(unknown)} (use m v t s d f n, or r)"
    return None


def parse_flow_hash(text: str) -> tuple[str | None, str | None]:
    """`ethtool -n IF rx-flow-hash T` output -> (letters, None), "" for "None"; (None, reason) when
    the driver cannot say."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if "All matching flows discarded" in line:
            return _DISCARD, None
        if line.endswith("use these fields for computing Hash flow key:"):
            fields = lines[i + 1 :]
            if fields[:1] == ["None"]:
                return "", None
            unknown = [f for f in fields if f not in _LETTER_OF]
            if unknown:
                return None, f"ethtool printed hash fields this parser does not know: {unknown}"
            return canonical("".join(_LETTER_OF[f] for f in fields)), None
    refused = next((line for line in lines if _REFUSED.search(line)), None)
    return None, refused or "ethtool -n printed no rx-flow-hash fields"


def show_argv(ifname: str, flow_type: str) -> list[str]:
    """The ethtool command that reads a flow type's hash back (also what the tune stage watches)."""
    return ["ethtool", "-n", ifname, "rx-flow-hash", flow_type]


def read_flow_hash(run, ifname: str, flow_types) -> dict[str, str]:
    """{flow_type: letters} now. Raises FlowHashUnsupported when the driver has no flow hash."""
    current = {}
    for flow_type in flow_types:
        rc, out, err = run(show_argv(ifname, flow_type))
        letters, reason = parse_flow_hash(out + err)
        if letters is None:
            raise FlowHashUnsupported(
                f"{ifname} ({flow_type}): the driver cannot report its flow hash: {reason}"
            )
        if rc != 0:
            raise EthtoolError(f"ethtool -n {ifname} rx-flow-hash {flow_type} failed: {err.strip()}")
        current[flow_type] = letters
    return current


def differences(current: dict, wanted: dict) -> dict:
    """{flow_type: (current, wanted)} where the hashed fields differ."""
    return {t: (current.get(t), canonical(v)) for t, v in wanted.items() if current.get(t) != canonical(v)}


def apply_flow_hash(run, ifname: str, wanted: dict) -> dict:
    """Set each flow type's hash that differs and read it back; returns {flow_type: (before, after)}.
    A driver that refuses the change (EOPNOTSUPP, EINVAL) raises FlowHashUnsupported."""
    diff = differences(read_flow_hash(run, ifname, wanted), wanted)
    for flow_type, (_before, letters) in sorted(diff.items()):
        argv = ["ethtool", "-N", ifname, "rx-flow-hash", flow_type, letters]
        rc, out, err = run(argv)
        message = (err or out).strip()
        # ethtool 6.1 prints "Cannot change RX network flow hashing options: Invalid argument" and
        # still exits 0 on virtio_net, so the refusal is read from the text whatever the exit code.
        if _REFUSED.search(message):
            raise FlowHashUnsupported(f"{ifname} ({flow_type}): the driver refuses '{letters}': {message}")
        if rc != 0:
            raise EthtoolError(f"{' '.join(argv)} failed: {message}")
    left = differences(read_flow_hash(run, ifname, wanted), wanted)
    if left:
        raise EthtoolError(f"ethtool -N {ifname} rx-flow-hash ran but {ifname} still shows {left}")
    return diff

# SPDX-License-Identifier: Apache-2.0
"""Read and set a NIC's ethtool channels, rings and coalescing: what differs, and the command to fix it.

Reading uses the host model's parsers (ethtool_parse); `run(argv) -> (rc, out, err)` is the caller's
command runner (AnsibleModule.run_command with LANG=C), so this file stays testable and stdlib only.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.ethtool_parse import (
    parse_channels,
    parse_coalesce,
    parse_rings,
)

# group -> (show flag, set flag, parser). The one list of ethtool groups fastpath sets: nic_ethtool
# and fastpath-reapply go through it in this order (channels first: the rings and coalescing of the
# queues that then exist).
GROUPS = {
    "channels": ("-l", "-L", parse_channels),
    "rings": ("-g", "-G", parse_rings),
    "coalesce": ("-c", "-C", parse_coalesce),
}


class EthtoolError(RuntimeError):
    """ethtool failed or the driver does not support the operation; the message says which."""


def show_argv(ifname: str, group: str) -> list[str]:
    """The ethtool command that reads a group back (also what the tune stage watches)."""
    return ["ethtool", GROUPS[group][0], ifname]


def read_group(run, ifname: str, group: str) -> dict:
    show, _set, parse = GROUPS[group]
    rc, out, err = run(show_argv(ifname, group))
    value, reason = parse(out + err)
    if value is None:
        raise EthtoolError(f"{ifname}: no ethtool {group} control: {reason}")
    if rc != 0:
        raise EthtoolError(f"ethtool {show} {ifname} failed: {err.strip()}")
    return value


def differences(current: dict, wanted: dict) -> dict:
    """The wanted keys whose current value differs ({key: (current, wanted)})."""
    return {k: (current.get(k), v) for k, v in wanted.items() if current.get(k) != v}


def set_argv(ifname: str, group: str, values: dict) -> list[str]:
    """ethtool -L/-G/-C argv; keys spelled as ethtool's (rx_usecs -> rx-usecs), booleans on/off."""
    argv = ["ethtool", GROUPS[group][1], ifname]
    for key, value in sorted(values.items()):
        argv += [key.replace("_", "-"), ("on" if value else "off") if isinstance(value, bool) else str(value)]
    return argv


def apply_group(run, ifname: str, group: str, wanted: dict) -> dict:
    """Set the wanted values that differ; returns {key: (before, after)} of what changed.
    Raises EthtoolError if ethtool fails or the values do not read back."""
    diff = differences(read_group(run, ifname, group), wanted)
    if not diff:
        return {}
    argv = set_argv(ifname, group, {k: v for k, (_c, v) in diff.items()})
    rc, _out, err = run(argv)
    if rc != 0:
        raise EthtoolError(f"{' '.join(argv)} failed: {err.strip()}")
    left = differences(read_group(run, ifname, group), wanted)
    if left:
        raise EthtoolError(f"{' '.join(argv)} ran but {ifname} still shows {left}")
    return diff

# SPDX-License-Identifier: Apache-2.0
"""A NIC's ethtool state: channels, rings, coalescing, features, RSS table size and UDP flow hash.

Every part is independent: a driver that cannot report one (veth has no -c, virtio no -x table)
gives null for that part and a `<part>_reason`, never a failure of the whole interface.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.commands import NOT_FOUND, CommandRunner
from ansible_collections.fastpath.host.plugins.module_utils.ethtool_parse import (
    parse_channels,
    parse_coalesce,
    parse_driver_info,
    parse_features,
    parse_flow_hash,
    parse_rings,
    parse_rss,
)

_PARTS = (
    ("channels", ["-l"], parse_channels),
    ("rings", ["-g"], parse_rings),
    ("coalesce", ["-c"], parse_coalesce),
    ("features", ["-k"], parse_features),
)


def read_ethtool(ifname: str, runner: CommandRunner, enabled: bool = True) -> dict:
    out: dict = {}
    if not enabled:
        reason = "ethtool queries disabled (ethtool: false)"
    elif not runner.available("ethtool"):
        reason = "ethtool is not installed" if runner.fs.live else "no recorded ethtool output in this tree"
    else:
        reason = None
    for part, args, parser in _PARTS:
        out[part], out[f"{part}_reason"] = _query(runner, ["ethtool", *args, ifname], parser, reason)
    rss, rss_reason = _query(runner, ["ethtool", "-x", ifname], parse_rss, reason)
    udp4, udp4_reason = _query(runner, ["ethtool", "-n", ifname, "rx-flow-hash", "udp4"], parse_flow_hash,
                               reason)
    if rss is None and udp4 is None:
        out["rss"], out["rss_reason"] = None, rss_reason
    else:
        out["rss"] = {
            "indir_size": rss["indir_size"] if rss else None,
            "rx_rings": rss["rx_rings"] if rss else None,
            "hash_function": rss["hash_function"] if rss else None,
            "indir_reason": (rss or {}).get("indir_reason") or rss_reason,
            "udp4_hash": udp4,
            "udp4_hash_reason": udp4_reason,
        }
        out["rss_reason"] = None
    return out


def read_virtual_driver(ifname: str, runner: CommandRunner) -> str | None:
    """The driver of a NIC with no device in sysfs (veth, bridge, tun), from `ethtool -i`."""
    if not runner.available("ethtool"):
        return None
    driver, _reason = _query(runner, ["ethtool", "-i", ifname], parse_driver_info, None)
    return driver


def _query(runner: CommandRunner, argv: list[str], parser, skip_reason):
    if skip_reason:
        return None, skip_reason
    rc, text = runner.run(argv)
    if rc == NOT_FOUND:
        return None, text.strip()
    value, reason = parser(text)
    if value is None and rc != 0 and not reason:
        reason = f"{' '.join(argv)} exited {rc}"
    return value, reason

# SPDX-License-Identifier: Apache-2.0
"""The XDP mode a driver offers, by its name, for kernels that cannot say themselves.

Linux 6.3 added the netdev netlink family that reports each device's xdp-features (xdp_features.py).
Older kernels, Debian 12's 6.1 among them, say nothing; yet which mainline drivers run XDP themselves
(implement ndo_bpf) is known, and on those kernels it is settled: every driver below had native XDP by
Linux 5.15 (the oldest kernel preflight accepts), and gve gained it only in 6.4. A driver named in
neither set is unknown, never guessed. As with the kernel's own word, a native driver can still refuse
at attach time (an MTU beyond its limit); the server then says why.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.kernel_features import parse_release

# Driver names as nic_info reports them: the device's driver link, or ethtool's for a virtual device.
NATIVE_BY_5_15 = frozenset({
    "virtio_net",   # 4.10
    "veth",         # 4.19
    "mlx4_en", "mlx4_core",  # 4.8
    "mlx5_core",    # 4.9
    "i40e",         # 4.13
    "ixgbe",        # 4.12
    "ixgbevf",      # 4.17
    "ice",          # 5.5
    "igb",          # 5.10
    "igc",          # 5.13
    "ena",          # 5.5
    "bnxt_en",      # 4.11
    "nfp",          # 4.10
    "qede",         # 4.10
    "tun",          # 4.14
    "hv_netvsc",    # 5.6
})
NATIVE_FROM = {"gve": (6, 4)}  # generic XDP only before Linux 6.4 (GQI-QPL queue format from then)


def mode_by_driver(driver: str | None, kernel_release: str | None) -> str | None:
    """"native" or "generic" where the driver's XDP support on that kernel is known, else None."""
    if driver in NATIVE_BY_5_15:
        return "native"
    if driver not in NATIVE_FROM or not kernel_release:
        return None
    try:
        version = parse_release(kernel_release)[:2]
    except ValueError:
        return None
    return "native" if version >= NATIVE_FROM[driver] else "generic"

"""The netdev netlink family's xdp-features, parsed from replies built here and read from this kernel."""

import socket
import struct

from ansible_collections.fastpath.host.plugins.module_utils import xdp_features as xf


def _attr(kind: int, payload: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def test_dev_get_replies_give_each_ifindex_its_bitmask():
    body = _attr(xf.NETDEV_A_DEV_IFINDEX, struct.pack("=I", 7)) + _attr(
        xf.NETDEV_A_DEV_XDP_FEATURES, struct.pack("=Q", 1 | 2 | 8 | 32))
    assert xf.parse_devices([(0x1A, body)]) == {7: 0x2B}
    assert xf.parse_devices([(0x1A, _attr(xf.NETDEV_A_DEV_IFINDEX, struct.pack("=I", 3)))]) == {}


def test_the_afxdp_mode_follows_the_driver_bits():
    assert xf.afxdp_support(1 | 2 | 8)["afxdp_mode"] == "zero-copy"
    veth = xf.afxdp_support(1 | 2 | 32)  # what veth declares
    assert veth == {"xdp_features": ["basic", "redirect", "rx_sg"], "afxdp": True, "zerocopy": False,
                    "afxdp_mode": "copy (native XDP)", "xdp_mode": "native"}
    none = xf.afxdp_support(0)
    assert (none["afxdp_mode"], none["xdp_mode"]) == ("copy (generic XDP only)", "generic")


def test_this_kernel_lists_loopback():
    features, reason = xf.read_features()
    if reason and "Linux < 6.3" in reason:  # an older kernel says so instead of guessing
        assert features is None
        return
    assert reason is None
    assert socket.if_nametoindex("lo") in features

# SPDX-License-Identifier: Apache-2.0
"""What each interface's driver can do for XDP and AF_XDP, from the kernel's "netdev" netlink family.

Linux 6.3 added the generic netlink family "netdev" (Documentation/netlink/specs/netdev.yaml): a dump
of NETDEV_CMD_DEV_GET lists every device of the namespace with its xdp-features bitmask. Neither sysfs
nor Debian 12's iproute2 shows it. An AF_XDP socket works on every interface (in copy mode, over
generic XDP at worst); the bits say whether the driver redirects in native XDP (XDP_REDIRECT: copy
mode at driver speed) and whether it has zero-copy (XSK_ZEROCOPY).
"""

from __future__ import annotations

import os
import socket
import struct

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
NETDEV_CMD_DEV_GET = 1
NETDEV_A_DEV_IFINDEX = 1
NETDEV_A_DEV_XDP_FEATURES = 3

# enum netdev_xdp_act (include/uapi/linux/netdev.h)
XDP_ACT = {1: "basic", 2: "redirect", 4: "ndo_xmit", 8: "xsk_zerocopy", 16: "hw_offload", 32: "rx_sg",
           64: "ndo_xmit_sg"}


def _attrs(data: bytes) -> dict[int, bytes]:
    """Netlink attributes (type -> payload) of one level; nested and repeated ones are not needed."""
    out, off = {}, 0
    while off + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, off)
        if length < 4:
            break
        out[kind & 0x3FFF] = data[off + 4:off + length]
        off += (length + 3) & ~3
    return out


def _messages(data: bytes):
    """(type, payload after the 4-byte genl header) of each netlink message; errors raise OSError."""
    off = 0
    while off + 16 <= len(data):
        length, kind, _flags, _seq, _pid = struct.unpack_from("=IHHII", data, off)
        if length < 16:
            break
        body = data[off + 16:off + length]
        if kind == NLMSG_ERROR:
            err = struct.unpack_from("=i", body)[0]
            if err:
                raise OSError(-err, os.strerror(-err))
        elif kind != NLMSG_DONE:
            yield kind, body[4:]
        off += (length + 3) & ~3


def _request(sock: socket.socket, family: int, cmd: int, flags: int, attrs: bytes = b"") -> list:
    payload = struct.pack("=BBH", cmd, 1, 0) + attrs
    sock.send(struct.pack("=IHHII", 16 + len(payload), family, NLM_F_REQUEST | flags, 1, 0) + payload)
    found = []
    while True:
        data = sock.recv(1 << 16)
        done = any(struct.unpack_from("=H", data, off + 4)[0] in (NLMSG_DONE, NLMSG_ERROR)
                   for off in _offsets(data))
        found.extend(_messages(data))
        if done or not flags & NLM_F_DUMP:
            return found


def _offsets(data: bytes):
    off = 0
    while off + 16 <= len(data):
        yield off
        length = struct.unpack_from("=I", data, off)[0]
        if length < 16:
            return
        off += (length + 3) & ~3


def parse_devices(messages: list) -> dict[int, int]:
    """{ifindex: xdp-features bitmask} from NETDEV_CMD_DEV_GET replies."""
    out = {}
    for _kind, body in messages:
        a = _attrs(body)
        if NETDEV_A_DEV_IFINDEX in a and NETDEV_A_DEV_XDP_FEATURES in a:
            out[struct.unpack("=I", a[NETDEV_A_DEV_IFINDEX][:4])[0]] = struct.unpack(
                "=Q", a[NETDEV_A_DEV_XDP_FEATURES][:8].ljust(8, b"\0"))[0]
    return out


def afxdp_support(features: int) -> dict:
    """The report for one interface: features by name, and what an AF_XDP socket gets there."""
    names = [name for bit, name in sorted(XDP_ACT.items()) if features & bit]
    zerocopy = bool(features & 8)
    native = bool(features & 2)
    mode = "zero-copy" if zerocopy else "copy (native XDP)" if native else "copy (generic XDP only)"
    # The mode an XDP program gets there: the driver runs it itself only if it declares "basic".
    # It may still refuse at attach time (an MTU beyond its limit): the server then says why.
    xdp_mode = "native" if features & 1 else "generic"
    return {"xdp_features": names, "afxdp": True, "zerocopy": zerocopy, "afxdp_mode": mode,
            "xdp_mode": xdp_mode}


def read_features() -> tuple[dict[int, int] | None, str | None]:
    """{ifindex: bitmask} for this network namespace, or (None, why not)."""
    name = b"netdev\0"
    attr = struct.pack("=HH", 4 + len(name), CTRL_ATTR_FAMILY_NAME) + name
    attr += b"\0" * (-len(attr) % 4)
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC) as sock:
            sock.settimeout(5)
            try:
                reply = _request(sock, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, attr)
            except OSError as e:
                return None, f"the kernel has no netdev netlink family (Linux < 6.3?): {e.strerror}"
            family = _attrs(reply[0][1]).get(CTRL_ATTR_FAMILY_ID) if reply else None
            if not family:
                return None, "the kernel's netlink controller did not name the netdev family"
            devices = _request(sock, struct.unpack("=H", family[:2])[0], NETDEV_CMD_DEV_GET, NLM_F_DUMP)
    except OSError as e:
        return None, f"reading XDP features over netlink: {e}"
    return parse_devices(devices), None

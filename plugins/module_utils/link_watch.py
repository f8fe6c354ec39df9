# SPDX-License-Identifier: Apache-2.0
"""Wait for an interface's link to come up, from the kernel's rtnetlink link notifications.

Carrier changes raise no uevent, so udev cannot see a link come back up; fastpath-reapply@.service
listens on NETLINK_ROUTE (group RTMGRP_LINK) instead and re-applies on each down→up edge, when
drivers re-request their IRQs and reset their queues. Stdlib only: runs on the targets.
"""

from __future__ import annotations

import socket
import struct

RTMGRP_LINK = 0x1
RTM_NEWLINK = 16
IFF_UP = 0x1
IFF_LOWER_UP = 0x10000  # carrier; include/uapi/linux/if.h
_NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
_IFINFOMSG = struct.Struct("=BxHiII")  # family, pad, type, index, flags, change


def link_is_up(flags: int) -> bool:
    return bool(flags & IFF_UP) and bool(flags & IFF_LOWER_UP)


def parse_link_messages(data: bytes) -> list[tuple[int, int]]:
    """(ifindex, flags) of every RTM_NEWLINK message in one netlink datagram."""
    found = []
    offset = 0
    while offset + _NLMSGHDR.size <= len(data):
        length, msg_type, _flags, _seq, _pid = _NLMSGHDR.unpack_from(data, offset)
        if length < _NLMSGHDR.size:
            break  # malformed: stop rather than loop forever
        body = offset + _NLMSGHDR.size
        if msg_type == RTM_NEWLINK and body + _IFINFOMSG.size <= len(data):
            _family, _type, index, flags, _change = _IFINFOMSG.unpack_from(data, body)
            found.append((index, flags))
        offset += (length + 3) & ~3  # NLMSG_ALIGN
    return found


def open_link_socket() -> socket.socket:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    sock.bind((0, RTMGRP_LINK))
    return sock


def link_up_edges(sock: socket.socket, ifindex: int, was_up: bool):
    """Yield each time the link of `ifindex` goes from not up to up. Ends if the interface is deleted
    (the caller's unit is bound to the device and stops with it anyway)."""
    while True:
        data = sock.recv(65536)
        for index, flags in parse_link_messages(data):
            if index != ifindex:
                continue
            up = link_is_up(flags)
            if up and not was_up:
                yield
            was_up = up

"""The fastpath wire header in Python, for tests and tools.

Mirrors native/include/fastpath_wire.h, which stays the one definition: tests/unit/test_wire.py
compiles a small C program against that header and checks every size, offset and value here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum, IntFlag

MAGIC = 0x46505448  # "FPTH"
VERSION = 1
HDR_LEN = 32
MAX_PAYLOAD = 1400
DEFAULT_PORT = 7777

# Network byte order, no padding: magic, version, type, flags, session_id, seq, payload_len, send_ts_ns.
HDR = struct.Struct("!IBBHQIIQ")
FIELDS = ("magic", "version", "type", "flags", "session_id", "seq", "payload_len", "send_ts_ns")


def _offsets() -> dict[str, int]:
    offsets, at = {}, 0
    for name, code in zip(FIELDS, HDR.format.lstrip("!"), strict=True):
        offsets[name] = at
        at += struct.calcsize("!" + code)
    return offsets


OFFSETS = _offsets()


class Type(IntEnum):
    INPUT = 1
    STATE = 2
    PING = 3
    PONG = 4
    RELAY = 5


TYPE_MAX = max(Type)


class Flag(IntFlag):
    REPLY = 0x0001
    XDP = 0x0002


class DropReason(IntEnum):
    NONE = 0
    SHORT = 1
    MAGIC = 2
    VERSION = 3
    TYPE = 4
    LENGTH = 5
    RATELIMIT = 6
    NOBUF = 7
    CHECKSUM = 8


DROP_MAX = len(DropReason)


@dataclass(frozen=True)
class Header:
    type: int
    session_id: int = 0
    seq: int = 0
    payload_len: int = 0
    send_ts_ns: int = 0
    flags: int = 0
    magic: int = MAGIC
    version: int = VERSION

    def pack(self) -> bytes:
        return HDR.pack(self.magic, self.version, self.type, self.flags, self.session_id, self.seq,
                        self.payload_len, self.send_ts_ns)

    @classmethod
    def unpack(cls, data: bytes) -> Header:
        if len(data) < HDR_LEN:
            raise ValueError(f"{len(data)} bytes is shorter than the {HDR_LEN}-byte fastpath header")
        values = dict(zip(FIELDS, HDR.unpack_from(data), strict=True))
        return cls(**values)


def packet(type: int, session_id: int = 0, seq: int = 0, payload: bytes = b"", send_ts_ns: int = 0,
           flags: int = 0) -> bytes:
    """A well-formed datagram: header with payload_len set, then the payload."""
    return Header(type, session_id, seq, len(payload), send_ts_ns, flags).pack() + payload


def check(datagram: bytes) -> DropReason:
    """What fp_hdr_check() says about a whole UDP payload: NONE or why it would be dropped."""
    if len(datagram) < HDR_LEN:
        return DropReason.SHORT
    h = Header.unpack(datagram)
    if h.magic != MAGIC:
        return DropReason.MAGIC
    if h.version != VERSION:
        return DropReason.VERSION
    if h.type == 0 or h.type > TYPE_MAX:
        return DropReason.TYPE
    if h.payload_len > MAX_PAYLOAD or h.payload_len != len(datagram) - HDR_LEN:
        return DropReason.LENGTH
    return DropReason.NONE

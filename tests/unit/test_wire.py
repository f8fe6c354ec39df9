"""src/fastpath/wire.py against the C header it mirrors: compiled, printed, compared."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from fastpath import wire

REPO = Path(__file__).resolve().parents[2]
INCLUDE = REPO / "native" / "include"

# Prints the header's layout and constants as JSON, then answers fp_hdr_check() for each hex line on stdin.
PROBE_C = r"""
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "fastpath_wire.h"

#define OFF(f) printf("\"%s\":%zu,", #f, offsetof(struct fp_hdr, f))
int main(void)
{
    char line[8192];
    unsigned char buf[4096] __attribute__((aligned(8)));

    printf("{\"sizeof\":%zu,\"offsets\":{", sizeof(struct fp_hdr));
    OFF(magic); OFF(version); OFF(type); OFF(flags); OFF(session_id); OFF(seq); OFF(payload_len);
    printf("\"send_ts_ns\":%zu},", offsetof(struct fp_hdr, send_ts_ns));
    printf("\"magic\":%u,\"version\":%d,\"hdr_len\":%d,\"max_payload\":%d,\"default_port\":%d,",
           FP_MAGIC, FP_VERSION, FP_HDR_LEN, FP_MAX_PAYLOAD, FP_DEFAULT_PORT);
    printf("\"types\":[%d,%d,%d,%d,%d,%d],", FP_T_INPUT, FP_T_STATE, FP_T_PING, FP_T_PONG, FP_T_RELAY,
           FP_T_MAX);
    printf("\"flags\":[%u,%u],", FP_F_REPLY, FP_F_XDP);
    printf("\"drops\":[%d,%d,%d,%d,%d,%d,%d,%d,%d,%d]}\n", FP_DROP_NONE, FP_DROP_SHORT, FP_DROP_MAGIC,
           FP_DROP_VERSION, FP_DROP_TYPE, FP_DROP_LENGTH, FP_DROP_RATELIMIT, FP_DROP_NOBUF, FP_DROP_CHECKSUM,
           FP_DROP__MAX);
    while (fgets(line, sizeof(line), stdin)) {
        size_t n = strlen(line) / 2, i;
        unsigned int byte;

        for (i = 0; i < n && i < sizeof(buf); i++) {
            if (sscanf(line + 2 * i, "%2x", &byte) != 1)
                break;
            buf[i] = (unsigned char)byte;
        }
        printf("%d\n", fp_hdr_check((const struct fp_hdr *)buf, (unsigned int)i));
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    assert cc, "a C compiler is needed (scripts/setup.sh installs one)"
    d = tmp_path_factory.mktemp("wire")
    (d / "probe.c").write_text(PROBE_C)
    subprocess.run([cc, "-O2", "-Wall", "-Werror", f"-I{INCLUDE}", "-o", str(d / "probe"),
                    str(d / "probe.c")], check=True, capture_output=True, text=True)
    return d / "probe"


def run_probe(probe: Path, datagrams: list[bytes]) -> tuple[dict, list[int]]:
    out = subprocess.run([str(probe)], input="".join(d.hex() + "\n" for d in datagrams),
                         capture_output=True, text=True, check=True, timeout=60).stdout.splitlines()
    return json.loads(out[0]), [int(x) for x in out[1:]]


def test_layout_and_constants_match_the_c_header(probe):
    layout, _results = run_probe(probe, [])
    assert layout["sizeof"] == wire.HDR.size == wire.HDR_LEN
    assert layout["offsets"] == wire.OFFSETS
    assert (layout["magic"], layout["version"], layout["hdr_len"]) == (wire.MAGIC, wire.VERSION, wire.HDR_LEN)
    assert (layout["max_payload"], layout["default_port"]) == (wire.MAX_PAYLOAD, wire.DEFAULT_PORT)
    assert layout["types"] == [*(int(t) for t in wire.Type), wire.TYPE_MAX]
    assert layout["flags"] == [wire.Flag.REPLY, wire.Flag.XDP]
    assert layout["drops"] == [*(int(r) for r in wire.DropReason), wire.DROP_MAX]


def _cases() -> list[bytes]:
    """Edge cases for every reason, then seeded random corruptions of valid packets."""
    good = wire.packet(wire.Type.PING, session_id=7, seq=1, payload=b"x" * 16, send_ts_ns=123)
    cases = [
        good, b"", good[:31], good[:32], good[:-1], good + b"y",
        wire.packet(wire.Type.INPUT, payload=b"p" * wire.MAX_PAYLOAD),
        wire.Header(wire.Type.INPUT, payload_len=wire.MAX_PAYLOAD + 1).pack() + b"p" * (wire.MAX_PAYLOAD + 1),
        wire.Header(wire.Type.STATE, magic=0x46505449).pack(),
        wire.Header(wire.Type.STATE, version=2).pack(),
        wire.Header(0).pack(), wire.Header(wire.TYPE_MAX + 1).pack(), wire.Header(255).pack(),
        wire.Header(wire.Type.PONG, payload_len=0xFFFFFFFF).pack(),
    ]
    rng = random.Random(6)
    for _case in range(2000):
        pkt = bytearray(wire.packet(rng.choice(list(wire.Type)), rng.getrandbits(64), rng.getrandbits(32),
                                    bytes(rng.randrange(0, 64)), rng.getrandbits(64)))
        for _flip in range(rng.randrange(0, 3)):
            pkt[rng.randrange(len(pkt))] = rng.getrandbits(8)
        cases.append(bytes(pkt[: rng.choice([len(pkt), rng.randrange(len(pkt) + 1)])]))
    return cases


def test_python_check_agrees_with_fp_hdr_check_on_edge_and_random_packets(probe):
    cases = _cases()
    _layout, c_results = run_probe(probe, cases)
    py_results = [int(wire.check(d)) for d in cases]
    assert c_results == py_results
    # The corpus exercises every reason the header check can give, not just a few.
    assert {wire.DropReason(r) for r in py_results} == set(wire.DropReason) - {
        wire.DropReason.RATELIMIT, wire.DropReason.NOBUF, wire.DropReason.CHECKSUM}


def test_pack_unpack_round_trip_and_short_input_error():
    h = wire.Header(wire.Type.RELAY, session_id=2**64 - 1, seq=2**32 - 1, payload_len=3, send_ts_ns=42,
                    flags=wire.Flag.REPLY | wire.Flag.XDP)
    raw = h.pack()
    assert raw[:4] == b"FPTH" and len(raw) == wire.HDR_LEN
    assert wire.Header.unpack(raw + b"abc") == h
    with pytest.raises(ValueError, match="shorter than the 32-byte"):
        wire.Header.unpack(raw[:10])

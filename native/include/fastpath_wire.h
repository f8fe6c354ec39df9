/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fastpath wire format: the one definition of the header that every fastpath packet starts with,
 * shared by the XDP program, the io_uring server, the load generator and (through
 * src/fastpath/wire.py, checked against this file by the tests) the Python tests.
 *
 * Layout (32 bytes, all fields big-endian on the wire, naturally aligned):
 *
 *   off size field
 *     0    4 magic        FP_MAGIC ("FPTH")
 *     4    1 version      FP_VERSION
 *     5    1 type         enum fp_type
 *     6    2 flags        FP_F_*
 *     8    8 session_id   who the packet belongs to; the unit of steering (one session, one worker)
 *    16    4 seq          per-session sequence number, set by the sender
 *    20    4 payload_len  bytes that follow the header; must equal what the datagram carries
 *    24    8 send_ts_ns   sender's CLOCK_MONOTONIC in ns; replies copy it back so the sender
 *                         measures RTT against its own clock
 *
 * Replies never carry more bytes than the request they answer (no amplification towards a
 * peer that has not proved its address).
 */
#ifndef FASTPATH_WIRE_H
#define FASTPATH_WIRE_H

#include <linux/types.h>

#define FP_MAGIC 0x46505448u /* "FPTH" */
#define FP_VERSION 1
#define FP_HDR_LEN 32
/* Largest payload: a 1500-byte MTU less IPv6 (40), UDP (8) and our header (32), rounded down. */
#define FP_MAX_PAYLOAD 1400
#define FP_DEFAULT_PORT 7777

enum fp_type {
	FP_T_INPUT = 1, /* client -> server: a player input; answered by FP_T_STATE in echo mode */
	FP_T_STATE = 2, /* server -> client: state, never larger than the input it answers */
	FP_T_PING = 3,  /* client -> server: answered by FP_T_PONG, by XDP when the fast path is on */
	FP_T_PONG = 4,  /* server -> client */
	FP_T_RELAY = 5, /* forwarded as is to the relay's upstreams */
	FP_T_MAX = FP_T_RELAY,
};

#define FP_F_REPLY 0x0001u /* set on every packet a server sends back */
#define FP_F_XDP 0x0002u   /* the reply was made by the XDP program, not user space */

/* Why a packet was dropped; indexes the per-reason counters of the XDP program and the server. */
enum fp_drop_reason {
	FP_DROP_NONE = 0,
	FP_DROP_SHORT,     /* shorter than the header */
	FP_DROP_MAGIC,     /* wrong magic */
	FP_DROP_VERSION,   /* unknown version */
	FP_DROP_TYPE,      /* unknown type */
	FP_DROP_LENGTH,    /* payload_len disagrees with the datagram, or exceeds FP_MAX_PAYLOAD */
	FP_DROP_RATELIMIT, /* the source exceeded its rate limit */
	FP_DROP_NOBUF,     /* no buffer to receive into (server: buffer ring exhausted) */
	FP_DROP_CHECKSUM,  /* bad IPv4 header or UDP checksum (AF_XDP: user space checks, not the stack) */
	FP_DROP__MAX,
};

struct fp_hdr {
	__be32 magic;
	__u8 version;
	__u8 type;
	__be16 flags;
	__be64 session_id;
	__be32 seq;
	__be32 payload_len;
	__be64 send_ts_ns;
} __attribute__((packed, aligned(4)));

_Static_assert(sizeof(struct fp_hdr) == FP_HDR_LEN, "fp_hdr must be 32 bytes");

#ifndef FP_BSWAP32
#define FP_BSWAP32(x) __builtin_bswap32(x)
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define fp_be32(x) FP_BSWAP32(x)
#else
#define fp_be32(x) (x)
#endif

/*
 * Check a header against the number of bytes the datagram really carries (udp payload length).
 * Returns FP_DROP_NONE or the reason. Written without loops or calls so the BPF verifier and a
 * C compiler accept the same code; the caller has made sure `avail >= FP_HDR_LEN` bytes are
 * readable before passing `h` when avail says so.
 */
static inline enum fp_drop_reason fp_hdr_check(const struct fp_hdr *h, __u32 avail)
{
	__u32 plen;

	if (avail < FP_HDR_LEN)
		return FP_DROP_SHORT;
	if (h->magic != fp_be32(FP_MAGIC))
		return FP_DROP_MAGIC;
	if (h->version != FP_VERSION)
		return FP_DROP_VERSION;
	if (h->type == 0 || h->type > FP_T_MAX)
		return FP_DROP_TYPE;
	plen = fp_be32(h->payload_len);
	if (plen > FP_MAX_PAYLOAD || plen != avail - FP_HDR_LEN)
		return FP_DROP_LENGTH;
	return FP_DROP_NONE;
}

#endif /* FASTPATH_WIRE_H */

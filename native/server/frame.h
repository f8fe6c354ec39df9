/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whole Ethernet frames, as an AF_XDP socket hands them over: parse and check one, turn a request
 * into its reply in place. The stack is not there to check anything, so this makes every check the
 * XDP program makes (bpf/fastpath_xdp.bpf.c: at most one VLAN tag, IPv4 without options or
 * fragments, IPv6 without extension headers, UDP length against the frame, fp_hdr_check) and the
 * ones the stack would make after it (IP version and lengths, IPv4 header checksum, UDP checksum).
 * Not shared with the BPF program: the verifier wants packet-pointer compares where C wants a length.
 */
#ifndef FP_SERVER_FRAME_H
#define FP_SERVER_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "fastpath_wire.h"

struct fp_frame {
	uint8_t *data;     /* the frame */
	uint32_t len;      /* its length */
	uint32_t l3_off;   /* where the IP header starts (after Ethernet and any VLAN tag) */
	bool is_v6;
	uint32_t udp_off;  /* where the UDP header starts */
	uint32_t udp_len;  /* UDP header + payload, as the UDP header says (checked against the frame) */
	struct fp_hdr *fp; /* the fastpath header, right after UDP */
};

/*
 * Parse data[0..len) as a datagram to UDP `port` (0: any port). Returns FP_DROP_NONE with f filled in, or why the
 * frame is refused (a frame that is not IP/UDP to `port`, or carries IP options, fragments or
 * extension headers, is FP_DROP_SHORT: the XDP program never redirects such frames here).
 */
enum fp_drop_reason fp_frame_parse(uint8_t *data, uint32_t len, uint16_t port, struct fp_frame *f);

/*
 * Make the frame its own reply, in place and the same size: MACs, addresses and ports swapped,
 * hop limit reset, IPv4 and UDP checksums written in full. The fastpath header is the caller's.
 */
void fp_frame_make_reply(struct fp_frame *f);

#endif /* FP_SERVER_FRAME_H */

// SPDX-License-Identifier: Apache-2.0
/* fp_hdr_check(), the one header check the XDP program, the server and the load generator share. */
#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "fastpath_wire.h"
#include "unit.h"

static void make(struct fp_hdr *h, __u8 type, __u32 plen)
{
	memset(h, 0, sizeof(*h));
	h->magic = htonl(FP_MAGIC);
	h->version = FP_VERSION;
	h->type = type;
	h->session_id = htobe64(0x0102030405060708ull);
	h->payload_len = htonl(plen);
}

int main(void)
{
	struct fp_hdr h;
	unsigned char raw[FP_HDR_LEN];

	EXPECT(sizeof(struct fp_hdr) == 32);
	make(&h, FP_T_INPUT, 0);
	memcpy(raw, &h, sizeof(raw));
	EXPECT(memcmp(raw, "FPTH", 4) == 0); /* magic reads "FPTH" on the wire */
	EXPECT(raw[8] == 1 && raw[15] == 8);   /* session id big-endian */

	EXPECT(fp_hdr_check(&h, FP_HDR_LEN) == FP_DROP_NONE);
	EXPECT(fp_hdr_check(&h, FP_HDR_LEN - 1) == FP_DROP_SHORT);
	EXPECT(fp_hdr_check(&h, 0) == FP_DROP_SHORT);
	EXPECT(fp_hdr_check(&h, FP_HDR_LEN + 1) == FP_DROP_LENGTH);

	make(&h, FP_T_PING, 10);
	EXPECT(fp_hdr_check(&h, FP_HDR_LEN + 10) == FP_DROP_NONE);
	EXPECT(fp_hdr_check(&h, FP_HDR_LEN + 9) == FP_DROP_LENGTH);
	make(&h, FP_T_INPUT, FP_MAX_PAYLOAD);
	EXPECT(fp_hdr_check(&h, FP_HDR_LEN + FP_MAX_PAYLOAD) == FP_DROP_NONE);
	make(&h, FP_T_INPUT, FP_MAX_PAYLOAD + 1);
	EXPECT(fp_hdr_check(&h, FP_HDR_LEN + FP_MAX_PAYLOAD + 1) == FP_DROP_LENGTH);
	make(&h, FP_T_INPUT, 0xffffffffu); /* must not wrap around into "valid" */
	EXPECT(fp_hdr_check(&h, FP_HDR_LEN - 1 + 0) == FP_DROP_SHORT);
	EXPECT(fp_hdr_check(&h, FP_HDR_LEN) == FP_DROP_LENGTH);

	make(&h, 0, 0);
	EXPECT(fp_hdr_check(&h, FP_HDR_LEN) == FP_DROP_TYPE);
	make(&h, FP_T_MAX + 1, 0);
	EXPECT(fp_hdr_check(&h, FP_HDR_LEN) == FP_DROP_TYPE);
	for (int t = FP_T_INPUT; t <= FP_T_MAX; t++) {
		make(&h, (__u8)t, 0);
		EXPECT(fp_hdr_check(&h, FP_HDR_LEN) == FP_DROP_NONE);
	}
	make(&h, FP_T_INPUT, 0);
	h.version = FP_VERSION + 1;
	EXPECT(fp_hdr_check(&h, FP_HDR_LEN) == FP_DROP_VERSION);
	make(&h, FP_T_INPUT, 0);
	h.magic = htonl(FP_MAGIC ^ 1);
	EXPECT(fp_hdr_check(&h, FP_HDR_LEN) == FP_DROP_MAGIC);
	/* Order of checks: a short packet is short before anything else is looked at. */
	EXPECT(fp_hdr_check(&h, 3) == FP_DROP_SHORT);

	return unit_summary("unit_wire");
}

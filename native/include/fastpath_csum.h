/* SPDX-License-Identifier: Apache-2.0 */
/* Internet checksums in user space (RFC 1071), shared by the server's and the load generator's AF_XDP
 * paths: sums of 16-bit words in memory order, so no byte swapping is needed anywhere. */
#ifndef FASTPATH_CSUM_H
#define FASTPATH_CSUM_H

#include <stdint.h>
#include <string.h>

/* Add n bytes to a running sum; an odd last byte is the high byte of a zero-padded word. */
static inline uint32_t fp_csum_add(const uint8_t *p, uint32_t n, uint32_t sum)
{
	uint16_t w;

	for (; n >= 2; p += 2, n -= 2) {
		memcpy(&w, p, 2);
		sum += w;
	}
	if (n) {
		uint8_t pad[2] = { p[0], 0 };

		memcpy(&w, pad, 2);
		sum += w;
	}
	return sum;
}

/* Fold a running sum to 16 bits (not complemented). */
static inline uint16_t fp_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

#endif /* FASTPATH_CSUM_H */

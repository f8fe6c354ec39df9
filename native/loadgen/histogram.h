/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A log-linear latency histogram (HdrHistogram's idea, small): values below 64 ns are exact, above
 * that each power of two is split into 64 buckets, so any reported percentile is within 1/64 (1.6%)
 * of the true value. Fixed size (30 KiB), O(1) record, no allocation, mergeable across threads.
 */
#ifndef FASTPATH_LOADGEN_HISTOGRAM_H
#define FASTPATH_LOADGEN_HISTOGRAM_H

#include <stdint.h>

#define LG_HIST_SUB_BITS 6
#define LG_HIST_SUB (1u << LG_HIST_SUB_BITS)
#define LG_HIST_BUCKETS (LG_HIST_SUB * (64 - LG_HIST_SUB_BITS + 1))

struct lg_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t buckets[LG_HIST_BUCKETS];
};

void lg_hist_init(struct lg_hist *h);
void lg_hist_record(struct lg_hist *h, uint64_t value);
void lg_hist_merge(struct lg_hist *into, const struct lg_hist *from);
/* The value at quantile q (0 < q <= 1): the middle of its bucket, clamped to [min, max]; 0 if empty. */
uint64_t lg_hist_quantile(const struct lg_hist *h, double q);
/* Exposed for the unit test: the bucket of a value and the range [low, low + width) it covers. */
unsigned int lg_hist_index(uint64_t value);
void lg_hist_bucket_range(unsigned int index, uint64_t *low, uint64_t *width);

#endif

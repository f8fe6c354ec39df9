// SPDX-License-Identifier: Apache-2.0
/* Log-linear histogram for RTTs; see histogram.h for the bucket layout. */
#include <math.h>
#include <string.h>

#include "histogram.h"

void lg_hist_init(struct lg_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned int lg_hist_index(uint64_t v)
{
	unsigned int e;

	if (v < LG_HIST_SUB)
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v); /* >= LG_HIST_SUB_BITS */
	return (e - LG_HIST_SUB_BITS + 1) * LG_HIST_SUB + (unsigned int)((v >> (e - LG_HIST_SUB_BITS)) & (LG_HIST_SUB - 1));
}

void lg_hist_bucket_range(unsigned int index, uint64_t *low, uint64_t *width)
{
	unsigned int group = index / LG_HIST_SUB, sub = index % LG_HIST_SUB, shift;

	if (group == 0) {
		*low = index;
		*width = 1;
		return;
	}
	shift = group - 1;
	*low = ((uint64_t)LG_HIST_SUB + sub) << shift;
	*width = 1ull << shift;
}

void lg_hist_record(struct lg_hist *h, uint64_t v)
{
	h->buckets[lg_hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void lg_hist_merge(struct lg_hist *into, const struct lg_hist *from)
{
	for (unsigned int i = 0; i < LG_HIST_BUCKETS; i++)
		into->buckets[i] += from->buckets[i];
	into->count += from->count;
	into->sum += from->sum;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
}

uint64_t lg_hist_quantile(const struct lg_hist *h, double q)
{
	uint64_t rank, seen = 0, low, width, v;

	if (!h->count)
		return 0;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank < 1)
		rank = 1;
	for (unsigned int i = 0; i < LG_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen < rank)
			continue;
		lg_hist_bucket_range(i, &low, &width);
		v = low + width / 2;
		if (v < h->min)
			v = h->min;
		if (v > h->max)
			v = h->max;
		return v;
	}
	return h->max;
}

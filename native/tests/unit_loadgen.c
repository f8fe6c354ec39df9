// SPDX-License-Identifier: Apache-2.0
/* The load generator's pure parts: the RTT histogram's precision and the strict number parser
 * (its cpulists: unit_cpulist.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../loadgen/histogram.h"
#include "fastpath_xdp.h"
#include "unit.h"

static int within(uint64_t got, uint64_t want, double rel)
{
	double d = (double)got - (double)want;

	return (d < 0 ? -d : d) <= rel * (double)want + 1.0;
}

static void test_buckets_cover_every_value_once(void)
{
	/* Every value falls in the bucket whose range holds it, for small, boundary and huge values. */
	const uint64_t probes[] = { 0, 1, 63, 64, 65, 127, 128, 129, 1000, 4095, 4096, 123456789,
				    1ull << 40, (1ull << 63) + 12345, UINT64_MAX };

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t low, width, v = probes[i];
		unsigned int idx = lg_hist_index(v);

		EXPECT(idx < LG_HIST_BUCKETS);
		lg_hist_bucket_range(idx, &low, &width);
		EXPECT(v >= low && v - low < width);
		EXPECT(width <= 1 || (double)width / (double)low <= 1.0 / 64 + 1e-12);
	}
	EXPECT(lg_hist_index(64) == lg_hist_index(63) + 1); /* contiguous at the linear/log seam */
}

static void test_quantiles_of_a_known_distribution(void)
{
	static struct lg_hist h, a, b;

	/* 1..100000 ns, uniform: p50 = 50000, p99 = 99000, p99.9 = 99900 (within 1/64). */
	lg_hist_init(&h);
	lg_hist_init(&a);
	lg_hist_init(&b);
	for (uint64_t v = 1; v <= 100000; v++) {
		lg_hist_record(&h, v);
		lg_hist_record(v % 2 ? &a : &b, v);
	}
	EXPECT(h.count == 100000 && h.min == 1 && h.max == 100000);
	EXPECT(within(lg_hist_quantile(&h, 0.5), 50000, 1.0 / 64));
	EXPECT(within(lg_hist_quantile(&h, 0.99), 99000, 1.0 / 64));
	EXPECT(within(lg_hist_quantile(&h, 0.999), 99900, 1.0 / 64));
	EXPECT(lg_hist_quantile(&h, 1.0) <= 100000);
	lg_hist_merge(&a, &b); /* two threads' halves add up to the whole */
	EXPECT(memcmp(&a, &h, sizeof(h)) == 0);
	lg_hist_init(&a);
	EXPECT(lg_hist_quantile(&a, 0.99) == 0);
}

static void test_number_parsing_is_strict(void)
{
	unsigned long long v = 7;

	EXPECT(fp_parse_u64("42", 0, 100, &v) == 0 && v == 42);
	EXPECT(fp_parse_u64("100", 0, 100, &v) == 0 && v == 100);
	v = 7;
	EXPECT(fp_parse_u64("101", 0, 100, &v) == -EINVAL && v == 7);
	EXPECT(fp_parse_u64("-1", 0, 100, &v) == -EINVAL);
	EXPECT(fp_parse_u64(" 1", 0, 100, &v) == -EINVAL);
	EXPECT(fp_parse_u64("1x", 0, 100, &v) == -EINVAL);
	EXPECT(fp_parse_u64("", 0, 100, &v) == -EINVAL);
	EXPECT(fp_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v) == -EINVAL);
	EXPECT(fp_parse_u64("0", 1, 100, &v) == -EINVAL);
}

int main(void)
{
	test_buckets_cover_every_value_once();
	test_quantiles_of_a_known_distribution();
	test_number_parsing_is_strict();
	return unit_summary("unit_loadgen");
}

// SPDX-License-Identifier: Apache-2.0
/* Strict parsing of numbers and cpulists from command lines and configuration: no bare atoi. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fastpath_xdp.h"

int fp_parse_u64(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s)) /* strtoull accepts " -1" and wraps it: refuse */
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_cpu(const char **p, int ncpus, int *cpu)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	v = strtol(*p, &end, 10);
	if (errno || v < 0 || v >= ncpus)
		return -EINVAL;
	*p = end;
	*cpu = (int)v;
	return 0;
}

int fp_parse_cpulist(const char *s, int *cpus, unsigned int max, int ncpus, unsigned int *n)
{
	unsigned long long seen[(FP_XDP_MAX_CPUS + 63) / 64] = { 0 };
	int tmp[FP_XDP_MAX_CPUS];
	unsigned int count = 0;
	const char *p = s;

	if (!s || !*s || ncpus <= 0 || ncpus > FP_XDP_MAX_CPUS || max > FP_XDP_MAX_CPUS)
		return -EINVAL;
	for (;;) {
		int lo, hi;

		if (parse_cpu(&p, ncpus, &lo))
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_cpu(&p, ncpus, &hi) || hi < lo)
				return -EINVAL;
		}
		for (int c = lo; c <= hi; c++) {
			if (seen[c / 64] & (1ull << (c % 64)) || count >= max)
				return -EINVAL;
			seen[c / 64] |= 1ull << (c % 64);
			tmp[count++] = c;
		}
		if (*p == '\0')
			break;
		if (*p++ != ',')
			return -EINVAL;
	}
	memcpy(cpus, tmp, count * sizeof(*cpus));
	*n = count;
	return 0;
}

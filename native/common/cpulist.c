// SPDX-License-Identifier: Apache-2.0
/* Kernel cpulist parsing and formatting: see cpulist.h. */
#include "cpulist.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Read a decimal number below limit at *p (no sign; stops at the limit, so never overflows); advance *p. */
static int read_cpu(const char **p, int limit, int *out)
{
	const char *s = *p;
	long v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s - '0');
		if (v >= limit)
			return -1;
		s++;
	}
	*p = s;
	*out = (int)v;
	return 0;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int fp_cpulist_parse(const char *text, int *out, size_t max, int limit, size_t *n, char *err,
		     size_t errlen)
{
	bool seen[FP_MAX_CPUS];
	const char *p = text ? text : "";
	size_t count = 0;

	if (limit <= 0 || limit > FP_MAX_CPUS) {
		snprintf(err, errlen, "no CPU numbers to choose from (limit %d)", limit);
		return -1;
	}
	memset(seen, 0, sizeof(seen));
	p = skip_space(p);
	if (*p == '\0') {
		snprintf(err, errlen, "empty cpulist");
		return -1;
	}
	for (;;) {
		int lo, hi;

		p = skip_space(p);
		if (read_cpu(&p, limit, &lo) < 0) {
			if (*p)
				snprintf(err, errlen, "expected a CPU number 0-%d at '%s'", limit - 1, p);
			else
				snprintf(err, errlen, "expected a CPU number 0-%d at the end", limit - 1);
			return -1;
		}
		hi = lo;
		if (*p == '-') {
			p++;
			if (read_cpu(&p, limit, &hi) < 0) {
				snprintf(err, errlen, "expected a CPU number 0-%d after '-'", limit - 1);
				return -1;
			}
			if (hi < lo) {
				snprintf(err, errlen, "range %d-%d runs backwards", lo, hi);
				return -1;
			}
		}
		for (int c = lo; c <= hi; c++) {
			if (seen[c]) {
				snprintf(err, errlen, "CPU %d listed twice", c);
				return -1;
			}
			seen[c] = true;
			count++;
			if (count > max) {
				snprintf(err, errlen, "more than %zu CPUs", max);
				return -1;
			}
		}
		p = skip_space(p);
		if (*p == '\0')
			break;
		if (*p != ',') {
			snprintf(err, errlen, "unexpected '%c' (a cpulist is like 2-3,6)", *p);
			return -1;
		}
		p++;
	}
	/* Emit in increasing order so worker i is always the i-th CPU of the list. */
	*n = 0;
	for (int c = 0; c < limit; c++)
		if (seen[c])
			out[(*n)++] = c;
	return 0;
}

int fp_cpulist_format(const int *cpus, size_t n, char *out, size_t outlen)
{
	size_t used = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	for (size_t i = 0; i < n;) {
		size_t j = i;
		int w;

		while (j + 1 < n && cpus[j + 1] == cpus[j] + 1)
			j++;
		if (j == i)
			w = snprintf(out + used, outlen - used, "%s%d", used ? "," : "", cpus[i]);
		else
			w = snprintf(out + used, outlen - used, "%s%d-%d", used ? "," : "", cpus[i], cpus[j]);
		if (w < 0 || (size_t)w >= outlen - used)
			return -1;
		used += (size_t)w;
		i = j + 1;
	}
	return 0;
}

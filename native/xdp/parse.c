// SPDX-License-Identifier: Apache-2.0
/* Strict parsing of numbers from command lines and configuration: no bare atoi (cpulists: common/cpulist.c). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

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

/* SPDX-License-Identifier: Apache-2.0 */
/* Kernel cpulist parsing ("0-3,8,10-11"), the format of the workers key and of /sys cpulist files. */
#ifndef FP_SERVER_CPULIST_H
#define FP_SERVER_CPULIST_H

#include <stddef.h>

/* Highest CPU number accepted; matches the kernel's NR_CPUS ceiling on common distributions. */
#define FP_MAX_CPUS 4096

/*
 * Parse `text` into strictly increasing CPU numbers, written to cpus[0..*n). Accepts items "N" and
 * "A-B" separated by commas, in any order; the kernel's stride form "A-B:S/G" is refused (nothing
 * here renders it). Whitespace around items is allowed.
 * Returns 0, or -1 with a message in err (errlen bytes) for an empty list, a non-number, a range
 * with A > B, a CPU above FP_MAX_CPUS - 1, a duplicate, or more than `max` CPUs.
 */
int fp_cpulist_parse(const char *text, int *cpus, size_t max, size_t *n, char *err, size_t errlen);

/* Write cpus[0..n) (sorted) as a cpulist into out; returns 0, or -1 if out is too small. */
int fp_cpulist_format(const int *cpus, size_t n, char *out, size_t outlen);

#endif /* FP_SERVER_CPULIST_H */

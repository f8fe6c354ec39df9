/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel cpulist parsing ("0-3,8,10-11"), the format of /sys cpulist files, of the server's workers
 * and afxdp_queues keys and of the --workers / --cpus options of fastpath-xdp and fastpath-loadgen.
 * The one parser of the native tree: every binary links it (native/Makefile, COMMON_LIB).
 */
#ifndef FP_COMMON_CPULIST_H
#define FP_COMMON_CPULIST_H

#include <stddef.h>

/* Highest CPU number accepted, plus one; matches the kernel's NR_CPUS ceiling on common distributions. */
#define FP_MAX_CPUS 4096

/*
 * Parse `text` into strictly increasing numbers, written to out[0..*n): a cpulist is a set, so
 * "3,1" gives 1,3 and item i is always the i-th smallest. Accepts items "N" and "A-B" separated by
 * commas, in any order, with blanks around items; the kernel's stride form "A-B:S/G" is refused
 * (nothing here renders it). Every number must be below `limit` (1..FP_MAX_CPUS): FP_MAX_CPUS for
 * any CPU, or the count of this host's CPUs, or of a NIC's queues.
 * Returns 0, or -1 with a message in err (errlen bytes; the caller names the key and quotes `text`
 * before it) for an empty list, a non-number or a number >= limit (digits are read only up to the
 * limit, so none overflows), a range with A > B, a duplicate, more than `max` numbers, or junk
 * between or after items.
 */
int fp_cpulist_parse(const char *text, int *out, size_t max, int limit, size_t *n, char *err,
		     size_t errlen);

/* Write cpus[0..n) (sorted) as a cpulist into out; returns 0, or -1 if out is too small. */
int fp_cpulist_format(const int *cpus, size_t n, char *out, size_t outlen);

#endif /* FP_COMMON_CPULIST_H */

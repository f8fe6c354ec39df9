/* SPDX-License-Identifier: Apache-2.0 */
/* What every C unit test (tests/unit_*.c, run by `make unit`) shares: EXPECT and the summary line. */
#ifndef FP_TESTS_UNIT_H
#define FP_TESTS_UNIT_H

#include <stdio.h>

static int failures;

/* Count a failed expectation and name it; the test goes on, so one run lists every failure. */
#define EXPECT(cond)                                                                   \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                    \
		}                                                                      \
	} while (0)

/* Print "<name>: ok" or the failure count; main returns this (0 ok, 1 failed). */
static inline int unit_summary(const char *name)
{
	if (failures)
		fprintf(stderr, "%s: %d failure(s)\n", name, failures);
	else
		printf("%s: ok\n", name);
	return failures ? 1 : 0;
}

#endif /* FP_TESTS_UNIT_H */

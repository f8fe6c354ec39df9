// SPDX-License-Identifier: Apache-2.0
/* fp_cpulist_parse() and fp_cpulist_format(), the one cpulist code of the server, fastpath-xdp and the
 * load generator: what each accepts and the reason it gives for what it refuses. */
#include <stdio.h>
#include <string.h>

#include "cpulist.h"
#include "unit.h"

/* Parse with room for 64 numbers below limit; returns the count, or -1 with the reason in why. */
static int parse(const char *text, int limit, int *out, char *why)
{
	size_t n = 99;

	why[0] = '\0';
	if (fp_cpulist_parse(text, out, 64, limit, &n, why, 256) < 0)
		return -1;
	return (int)n;
}

/* text is refused, and the reason holds words. */
static int refused(const char *text, int limit, const char *words)
{
	char why[256];
	int out[64];

	if (parse(text, limit, out, why) != -1) {
		fprintf(stderr, "'%s' was accepted\n", text);
		return 0;
	}
	if (!strstr(why, words)) {
		fprintf(stderr, "'%s': reason '%s' lacks '%s'\n", text, why, words);
		return 0;
	}
	return 1;
}

static void test_accepted_lists_come_out_sorted(void)
{
	char why[256];
	int out[64];

	EXPECT(parse("0", FP_MAX_CPUS, out, why) == 1 && out[0] == 0);
	EXPECT(parse("1-3,6", FP_MAX_CPUS, out, why) == 4 && out[0] == 1 && out[1] == 2 && out[2] == 3 &&
	       out[3] == 6);
	/* A set: order and blanks do not matter; "3,1" gives 1,3 so worker i is the i-th smallest CPU. */
	EXPECT(parse(" 6 , 1-3 ", FP_MAX_CPUS, out, why) == 4 && out[0] == 1 && out[3] == 6);
	EXPECT(parse("5-5", 8, out, why) == 1 && out[0] == 5);
	EXPECT(parse("0-1\t", 8, out, why) == 2); /* blanks are spaces and tabs; a newline is junk */
	/* The last CPU below the limit, and FP_MAX_CPUS - 1 with the widest limit. */
	EXPECT(parse("7", 8, out, why) == 1 && out[0] == 7);
	EXPECT(parse("4095", FP_MAX_CPUS, out, why) == 1 && out[0] == 4095);
	/* Exactly max numbers fit. */
	EXPECT(parse("0-63", FP_MAX_CPUS, out, why) == 64 && out[63] == 63);
}

static void test_refused_lists_say_why(void)
{
	EXPECT(refused("", FP_MAX_CPUS, "empty cpulist"));
	EXPECT(refused("   ", FP_MAX_CPUS, "empty cpulist"));
	EXPECT(refused(NULL, FP_MAX_CPUS, "empty cpulist"));
	EXPECT(refused("3-1", FP_MAX_CPUS, "range 3-1 runs backwards"));
	EXPECT(refused("1,,2", FP_MAX_CPUS, "expected a CPU number 0-4095 at ',2'"));
	EXPECT(refused("1,", FP_MAX_CPUS, "expected a CPU number 0-4095 at the end"));
	EXPECT(refused(",1", FP_MAX_CPUS, "expected a CPU number"));
	EXPECT(refused("1,1", FP_MAX_CPUS, "CPU 1 listed twice"));
	EXPECT(refused("0-3,2", FP_MAX_CPUS, "CPU 2 listed twice"));
	EXPECT(refused("-1", FP_MAX_CPUS, "expected a CPU number"));
	EXPECT(refused("a", FP_MAX_CPUS, "expected a CPU number"));
	EXPECT(refused("0-", FP_MAX_CPUS, "after '-'"));
	/* Trailing junk and the kernel's stride form are refused at the first character that is not ours. */
	EXPECT(refused("1-3x", FP_MAX_CPUS, "unexpected 'x'"));
	EXPECT(refused("0-1:2/4", FP_MAX_CPUS, "unexpected ':'"));
	EXPECT(refused("1 2", FP_MAX_CPUS, "unexpected '2'"));
	EXPECT(refused("0-1\n", FP_MAX_CPUS, "unexpected"));
	/* Above the limit: this host's CPUs, or FP_MAX_CPUS. */
	EXPECT(refused("8", 8, "expected a CPU number 0-7 at '8'"));
	EXPECT(refused("0-8", 8, "expected a CPU number 0-7 after '-'"));
	EXPECT(refused("4096", FP_MAX_CPUS, "expected a CPU number 0-4095"));
	/* Digits that would overflow an int, a long, or anything: refused, never wrapped to a small CPU. */
	EXPECT(refused("99999999999999999999999", FP_MAX_CPUS, "expected a CPU number 0-4095"));
	EXPECT(refused("0-18446744073709551617", FP_MAX_CPUS, "after '-'"));
	EXPECT(refused("4294967296", FP_MAX_CPUS, "expected a CPU number"));
	/* More numbers than the caller has room for. */
	EXPECT(refused("0-64", FP_MAX_CPUS, "more than 64 CPUs"));
	/* A limit outside 1..FP_MAX_CPUS (sysconf failed, or a caller's bug) accepts nothing. */
	EXPECT(refused("0", 0, "no CPU numbers"));
	EXPECT(refused("0", FP_MAX_CPUS + 1, "no CPU numbers"));
}

static void test_refused_list_writes_nothing(void)
{
	int out[64] = { 42 };
	size_t n = 7;
	char why[64];

	EXPECT(fp_cpulist_parse("0,9", out, 64, 8, &n, why, sizeof(why)) == -1 && n == 7 && out[0] == 42);
}

static void test_format_round_trips(void)
{
	const int cpus[] = { 0, 1, 2, 5, 7, 8 };
	char out[64], why[256];
	int back[64];

	EXPECT(fp_cpulist_format(cpus, 6, out, sizeof(out)) == 0 && strcmp(out, "0-2,5,7-8") == 0);
	EXPECT(parse(out, FP_MAX_CPUS, back, why) == 6 && memcmp(back, cpus, sizeof(cpus)) == 0);
	EXPECT(fp_cpulist_format(cpus, 0, out, sizeof(out)) == 0 && out[0] == '\0');
	EXPECT(fp_cpulist_format(cpus, 6, out, 5) == -1); /* "0-2" and its NUL fit, ",5" does not */
}

int main(void)
{
	test_accepted_lists_come_out_sorted();
	test_refused_lists_say_why();
	test_refused_list_writes_nothing();
	test_format_round_trips();
	return unit_summary("unit_cpulist");
}

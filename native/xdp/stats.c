// SPDX-License-Identifier: Apache-2.0
/* Counters: per-CPU slots summed on read, and their names for JSON and metrics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"

static const char *const counter_names[FP_XDP_C__MAX] = {
	[FP_XDP_C_SEEN] = "seen",
	[FP_XDP_C_OTHER] = "other",
	[FP_XDP_C_VALID] = "valid",
	[FP_XDP_C_PASS] = "pass",
	[FP_XDP_C_REDIRECT] = "redirect",
	[FP_XDP_C_REDIRECT_MISS] = "redirect_miss",
	[FP_XDP_C_TX] = "tx",
	[FP_XDP_C_DROP] = "drop",
	[FP_XDP_C_MULTI] = "multi",
};

static const char *const drop_names[FP_DROP__MAX] = {
	[FP_DROP_NONE] = "none",
	[FP_DROP_SHORT] = "short",
	[FP_DROP_MAGIC] = "magic",
	[FP_DROP_VERSION] = "version",
	[FP_DROP_TYPE] = "type",
	[FP_DROP_LENGTH] = "length",
	[FP_DROP_RATELIMIT] = "ratelimit",
	[FP_DROP_NOBUF] = "nobuf",
	[FP_DROP_CHECKSUM] = "checksum",
};

const char *fp_xdp_counter_name(enum fp_xdp_counter c)
{
	return (unsigned int)c < FP_XDP_C__MAX ? counter_names[c] : "unknown";
}

const char *fp_xdp_drop_name(enum fp_drop_reason r)
{
	return (unsigned int)r < FP_DROP__MAX ? drop_names[r] : "unknown";
}

/* A per-CPU array lookup returns one 8-byte-aligned value per possible CPU. */
static int sum_percpu(int fd, __u32 nkeys, __u64 *out, __u64 *buf, int ncpus)
{
	for (__u32 k = 0; k < nkeys; k++) {
		if (bpf_map_lookup_elem(fd, &k, buf) != 0)
			return fp_xdp_fail(errno, "reading counter %u: %s", k, strerror(errno));
		out[k] = 0;
		for (int c = 0; c < ncpus; c++)
			out[k] += buf[c];
	}
	return 0;
}

int fp_xdp_read_stats(const struct fp_xdp *x, struct fp_xdp_stats *st)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *buf;
	int err;

	if (ncpus <= 0)
		return fp_xdp_fail(-ncpus, "cannot count possible CPUs: %s", strerror(-ncpus));
	buf = calloc((size_t)ncpus, sizeof(*buf));
	if (!buf)
		return fp_xdp_fail(ENOMEM, "out of memory");
	memset(st, 0, sizeof(*st));
	err = sum_percpu(x->counters_fd, FP_XDP_C__MAX, st->counters, buf, ncpus);
	if (!err)
		err = sum_percpu(x->drops_fd, FP_DROP__MAX, st->drops, buf, ncpus);
	free(buf);
	return err;
}

void fp_xdp_stats_json(FILE *f, const struct fp_xdp *x, const struct fp_xdp_stats *st)
{
	fprintf(f, "{\"ifname\":\"%s\",\"mode\":\"%s\",\"pin_dir\":\"%s\",", x->ifname, fp_xdp_mode(x), x->pin_dir);
	if (x->native_refused[0])
		fprintf(f, "\"native_refused\":\"%s\",", x->native_refused);
	fprintf(f, "\"counters\":{");
	for (int c = 0; c < FP_XDP_C__MAX; c++)
		fprintf(f, "%s\"%s\":%llu", c ? "," : "", counter_names[c], (unsigned long long)st->counters[c]);
	fprintf(f, "},\"drops\":{");
	for (int r = FP_DROP_NONE + 1; r < FP_DROP__MAX; r++)
		fprintf(f, "%s\"%s\":%llu", r > 1 ? "," : "", drop_names[r], (unsigned long long)st->drops[r]);
	fprintf(f, "}}");
}

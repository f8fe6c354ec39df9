// SPDX-License-Identifier: Apache-2.0
/* Per-worker counters rendered as JSON and Prometheus text: see stats.h. */
#include "stats.h"

#include <stdbool.h>

#include "config.h"

static const char *const drop_names[FP_DROP__MAX] = {
	[FP_DROP_NONE] = "none",       [FP_DROP_SHORT] = "short",         [FP_DROP_MAGIC] = "magic",
	[FP_DROP_VERSION] = "version", [FP_DROP_TYPE] = "type",           [FP_DROP_LENGTH] = "length",
	[FP_DROP_RATELIMIT] = "ratelimit", [FP_DROP_NOBUF] = "nobuf",
	[FP_DROP_CHECKSUM] = "checksum",
};

const char *fp_drop_reason_name(unsigned int reason)
{
	return reason < FP_DROP__MAX && drop_names[reason] ? drop_names[reason] : "unknown";
}

/* The scalar counters, in output order, with their Prometheus help text. */
struct counter_def {
	const char *name;
	size_t off;
	const char *help;
};

#define C(f, h) { #f, offsetof(struct fp_worker_stats, f), h }
static const struct counter_def counters[] = {
	C(rx_packets, "Datagrams received."),
	C(rx_bytes, "UDP payload bytes received."),
	C(tx_packets, "Datagrams sent (completed sends)."),
	C(tx_bytes, "UDP payload bytes sent."),
	C(send_errors, "Sends that completed with an error."),
	C(bufring_exhausted, "Receives that found the provided-buffer ring empty (ENOBUFS)."),
	C(send_batches, "io_uring submits that carried sends."),
	C(sends_submitted, "Sends carried by those submits."),
	C(recv_rearms, "Times the multishot receive was armed again."),
	C(socket_drops, "Datagrams the kernel dropped on this worker's socket (receive buffer full)."),
};
#undef C
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

static uint64_t field(const struct fp_worker_stats *s, size_t off)
{
	return *(const uint64_t *)((const char *)s + off);
}

void fp_stats_snapshot(const struct fp_worker_stats *src, struct fp_worker_stats *dst)
{
	const uint64_t *from = (const uint64_t *)src;
	uint64_t *to = (uint64_t *)dst;
	size_t n = offsetof(struct fp_worker_stats, socket_drops) / sizeof(uint64_t) + 1;

	for (size_t i = 0; i < n; i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
}

static double mean_batch(const struct fp_worker_stats *s)
{
	return s->send_batches ? (double)s->sends_submitted / (double)s->send_batches : 0.0;
}

static void write_counters_json(const struct fp_worker_stats *s, FILE *out)
{
	for (size_t i = 0; i < NCOUNTERS; i++)
		fprintf(out, "\"%s\": %llu, ", counters[i].name,
			(unsigned long long)field(s, counters[i].off));
	fprintf(out, "\"mean_batch\": %.2f, \"drops\": {", mean_batch(s));
	for (unsigned int r = FP_DROP_NONE + 1; r < FP_DROP__MAX; r++)
		fprintf(out, "%s\"%s\": %llu", r > 1 ? ", " : "", drop_names[r],
			(unsigned long long)s->drops[r]);
	fprintf(out, "}");
}

static void sum_workers(const struct fp_stats_view *v, struct fp_worker_stats *total)
{
	uint64_t *t = (uint64_t *)total;
	size_t n = offsetof(struct fp_worker_stats, socket_drops) / sizeof(uint64_t) + 1;

	for (unsigned int w = 0; w < v->cfg->nworkers; w++) {
		const uint64_t *s = (const uint64_t *)&v->workers[w];

		for (size_t i = 0; i < n; i++)
			t[i] += s[i];
	}
}

int fp_stats_write_json(const struct fp_stats_view *v, FILE *out)
{
	struct fp_worker_stats total = { 0 };

	sum_workers(v, &total);
	fprintf(out, "{\"server\": \"fastpath-server\", \"mode\": \"%s\", \"xdp_mode\": \"%s\", "
		     "\"steer\": %s, \"workers_count\": %u, \"uptime_s\": %.3f, \"totals\": {",
		fp_mode_name(v->cfg->mode), v->xdp_mode, v->cfg->steer ? "true" : "false", v->cfg->nworkers,
		v->uptime_s);
	write_counters_json(&total, out);
	fprintf(out, "}, \"workers\": [");
	for (unsigned int w = 0; w < v->cfg->nworkers; w++) {
		fprintf(out, "%s{\"worker\": %u, \"cpu\": %d, ", w ? ", " : "", w, v->cfg->cpus[w]);
		write_counters_json(&v->workers[w], out);
		fprintf(out, "}");
	}
	fprintf(out, "]");
	if (v->extra_json)
		v->extra_json(v->extra_arg, out);
	fprintf(out, "}\n");
	return ferror(out) ? -1 : 0;
}

int fp_stats_write_prometheus(const struct fp_stats_view *v, FILE *out)
{
	const struct fp_config *cfg = v->cfg;

	fprintf(out, "# HELP fastpath_server_info The server's mode and the XDP mode attached.\n"
		     "# TYPE fastpath_server_info gauge\n"
		     "fastpath_server_info{mode=\"%s\",xdp_mode=\"%s\"} 1\n",
		fp_mode_name(cfg->mode), v->xdp_mode);
	fprintf(out, "# HELP fastpath_server_uptime_seconds Seconds since the workers started.\n"
		     "# TYPE fastpath_server_uptime_seconds gauge\n"
		     "fastpath_server_uptime_seconds %.3f\n",
		v->uptime_s);
	for (size_t i = 0; i < NCOUNTERS; i++) {
		fprintf(out, "# HELP fastpath_server_%s_total %s\n# TYPE fastpath_server_%s_total counter\n",
			counters[i].name, counters[i].help, counters[i].name);
		for (unsigned int w = 0; w < cfg->nworkers; w++)
			fprintf(out, "fastpath_server_%s_total{worker=\"%u\",cpu=\"%d\"} %llu\n",
				counters[i].name, w, cfg->cpus[w],
				(unsigned long long)field(&v->workers[w], counters[i].off));
	}
	fprintf(out, "# HELP fastpath_server_drops_total Datagrams dropped, by reason.\n"
		     "# TYPE fastpath_server_drops_total counter\n");
	for (unsigned int w = 0; w < cfg->nworkers; w++)
		for (unsigned int r = FP_DROP_NONE + 1; r < FP_DROP__MAX; r++)
			fprintf(out, "fastpath_server_drops_total{worker=\"%u\",cpu=\"%d\",reason=\"%s\"} %llu\n",
				w, cfg->cpus[w], drop_names[r], (unsigned long long)v->workers[w].drops[r]);
	fprintf(out, "# HELP fastpath_server_send_batch_mean Mean sends per io_uring submit.\n"
		     "# TYPE fastpath_server_send_batch_mean gauge\n");
	for (unsigned int w = 0; w < cfg->nworkers; w++)
		fprintf(out, "fastpath_server_send_batch_mean{worker=\"%u\",cpu=\"%d\"} %.2f\n", w,
			cfg->cpus[w], mean_batch(&v->workers[w]));
	return ferror(out) ? -1 : 0;
}

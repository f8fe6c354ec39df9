// SPDX-License-Identifier: Apache-2.0
/* The run's JSON summary and the verdict of the thresholds. */
#include <stdatomic.h>
#include <string.h>

#include "loadgen.h"

struct totals {
	uint64_t sent, received, bad, xdp, send_errors, send_blocked, gso_sent;
	struct lg_hist rtt;
};

static void add_up(const struct lg_config *cfg, struct lg_thread *threads, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	lg_hist_init(&t->rtt);
	for (unsigned int i = 0; i < cfg->threads; i++) {
		struct lg_counters *c = &threads[i].c;

		t->sent += atomic_load(&c->sent);
		t->received += atomic_load(&c->received);
		t->bad += atomic_load(&c->bad);
		t->xdp += atomic_load(&c->xdp);
		t->send_errors += atomic_load(&c->send_errors);
		t->send_blocked += atomic_load(&c->send_blocked);
		t->gso_sent += atomic_load(&c->gso_sent);
		lg_hist_merge(&t->rtt, &threads[i].rtt);
	}
}

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

int lg_summary(FILE *f, const struct lg_config *cfg, struct lg_thread *threads, double elapsed_s,
	       double cpu_user_s, double cpu_sys_s)
{
	struct totals t;
	double loss, rx_pps, p99_us;
	const char *failed[3];
	int nfailed = 0, rc = LG_EXIT_OK;

	add_up(cfg, threads, &t);
	/* Nothing sent proves nothing: report it as total loss rather than a perfect score. */
	loss = t.sent ? 100.0 * (double)(t.sent - (t.received < t.sent ? t.received : t.sent)) / (double)t.sent
		      : 100.0;
	rx_pps = elapsed_s > 0 ? (double)t.received / elapsed_s : 0.0;
	p99_us = us(lg_hist_quantile(&t.rtt, 0.99));
	if (cfg->max_loss_pct >= 0 && loss > cfg->max_loss_pct) {
		failed[nfailed++] = "max_loss";
		rc = LG_EXIT_LOSS;
	}
	if (cfg->min_rate_pps && rx_pps < (double)cfg->min_rate_pps) {
		failed[nfailed++] = "min_rate";
		rc = rc ? rc : LG_EXIT_RATE;
	}
	if (cfg->max_p99_us && (!t.rtt.count || p99_us > (double)cfg->max_p99_us)) {
		failed[nfailed++] = "max_p99_us";
		rc = rc ? rc : LG_EXIT_P99;
	}

	fprintf(f, "{\"mode\":\"%s\",\"target\":\"%s\",\"port\":%u,\"threads\":%u,\"sessions\":%u,\"flows\":%u,",
		cfg->mode == LG_MODE_PING ? "ping" : "input", cfg->dst_text, cfg->port, cfg->threads,
		cfg->sessions, cfg->flows);
	fprintf(f, "\"size\":%u,\"batch\":%u,\"rate_pps\":%llu,\"duration_s\":%.3f,\"elapsed_s\":%.3f,", cfg->size,
		cfg->batch, (unsigned long long)cfg->rate_pps, cfg->duration_s, elapsed_s);
	fprintf(f, "\"sent\":%llu,\"received\":%llu,\"bad_replies\":%llu,\"xdp_replies\":%llu,",
		(unsigned long long)t.sent, (unsigned long long)t.received, (unsigned long long)t.bad,
		(unsigned long long)t.xdp);
	fprintf(f, "\"send_errors\":%llu,\"send_blocked\":%llu,\"gso_sent\":%llu,\"loss_pct\":%.4f,"
		   "\"sent_pps\":%.1f,\"received_pps\":%.1f,",
		(unsigned long long)t.send_errors, (unsigned long long)t.send_blocked,
		(unsigned long long)t.gso_sent, loss,
		elapsed_s > 0 ? (double)t.sent / elapsed_s : 0.0, rx_pps);
	if (t.rtt.count)
		fprintf(f, "\"rtt_us\":{\"min\":%.3f,\"mean\":%.3f,\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},",
			us(t.rtt.min), us(t.rtt.sum / t.rtt.count), us(lg_hist_quantile(&t.rtt, 0.5)), p99_us,
			us(lg_hist_quantile(&t.rtt, 0.999)), us(t.rtt.max));
	else
		fprintf(f, "\"rtt_us\":null,");
	fprintf(f, "\"cpu_s\":{\"user\":%.3f,\"sys\":%.3f},\"cpu_ns_per_packet\":%.1f,", cpu_user_s, cpu_sys_s,
		t.sent + t.received ? (cpu_user_s + cpu_sys_s) * 1e9 / (double)(t.sent + t.received) : 0.0);
	fprintf(f, "\"thresholds\":{");
	fprintf(f, cfg->max_loss_pct >= 0 ? "\"max_loss_pct\":%.4f" : "\"max_loss_pct\":null",
		cfg->max_loss_pct);
	fprintf(f, ",\"min_rate_pps\":");
	fprintf(f, cfg->min_rate_pps ? "%llu" : "null", (unsigned long long)cfg->min_rate_pps);
	fprintf(f, ",\"max_p99_us\":");
	fprintf(f, cfg->max_p99_us ? "%llu" : "null", (unsigned long long)cfg->max_p99_us);
	fprintf(f, "},\"failed\":[");
	for (int i = 0; i < nfailed; i++)
		fprintf(f, "%s\"%s\"", i ? "," : "", failed[i]);
	fprintf(f, "],\"exit_code\":%d}\n", rc);
	return rc;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * fastpath-loadgen: offered load for the fastpath dataplane, measured. Starts the threads, prints one
 * progress line a second on stderr, stops them at the deadline (or on SIGINT/SIGTERM), prints the JSON
 * summary on stdout and exits with the code the thresholds give (loadgen.h, enum lg_exit).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "loadgen.h"

#define START_DELAY_NS 50000000ull /* let every thread open its sockets before the clock starts */

static atomic_bool stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, true);
}

static void sleep_until(uint64_t t_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(t_ns / 1000000000ull), .tv_nsec = (long)(t_ns % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !atomic_load(&stop_flag))
		;
}

static void progress(const struct lg_config *cfg, struct lg_thread *th, unsigned int second,
		     uint64_t *last_sent, uint64_t *last_rx)
{
	uint64_t sent = 0, rx = 0;

	for (unsigned int i = 0; i < cfg->threads; i++) {
		sent += atomic_load_explicit(&th[i].c.sent, memory_order_relaxed);
		rx += atomic_load_explicit(&th[i].c.received, memory_order_relaxed);
	}
	fprintf(stderr, "fastpath-loadgen: t=%us sent=%llu (%llu/s) received=%llu (%llu/s) loss=%.2f%%\n", second,
		(unsigned long long)sent, (unsigned long long)(sent - *last_sent), (unsigned long long)rx,
		(unsigned long long)(rx - *last_rx), sent ? 100.0 * (double)(sent > rx ? sent - rx : 0) / (double)sent : 0.0);
	*last_sent = sent;
	*last_rx = rx;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct lg_thread *th = NULL;
	struct lg_config cfg;
	struct rusage ru;
	uint64_t start, end, done, last_sent = 0, last_rx = 0;
	unsigned int started = 0, second = 0;
	int rc;

	rc = lg_parse_args(argc, argv, &cfg, stderr);
	if (rc)
		return rc;
	if (cfg.afxdp_iface[0] && lg_afxdp_prepare(&cfg) != 0)
		return LG_EXIT_RUNTIME;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	th = calloc(cfg.threads, sizeof(*th));
	if (!th) {
		fprintf(stderr, "fastpath-loadgen: out of memory\n");
		return LG_EXIT_RUNTIME;
	}
	start = lg_now_ns() + START_DELAY_NS;
	end = start + (uint64_t)(cfg.duration_s * 1e9);
	for (; started < cfg.threads; started++) {
		th[started] = (struct lg_thread){ .index = started, .cfg = &cfg, .start_ns = start, .end_ns = end,
						  .stop = &stop_flag };
		if (pthread_create(&th[started].tid, NULL, cfg.ax ? lg_afxdp_worker : lg_worker, &th[started]) != 0) {
			fprintf(stderr, "fastpath-loadgen: cannot start thread %u: %s\n", started, strerror(errno));
			atomic_store(&stop_flag, true);
			rc = LG_EXIT_RUNTIME;
			break;
		}
	}
	/* One line a second until the send phase ends; the threads then linger for late replies. */
	while (!atomic_load(&stop_flag) && start + (uint64_t)(second + 1) * 1000000000ull <= end) {
		sleep_until(start + (uint64_t)(++second) * 1000000000ull);
		if (!cfg.quiet)
			progress(&cfg, th, second, &last_sent, &last_rx);
	}
	for (unsigned int i = 0; i < started; i++)
		pthread_join(th[i].tid, NULL);
	done = lg_now_ns();
	lg_afxdp_finish(&cfg);
	for (unsigned int i = 0; i < started; i++) {
		if (th[i].err) {
			fprintf(stderr, "fastpath-loadgen: %s\n", th[i].errmsg);
			rc = LG_EXIT_RUNTIME;
		}
	}
	if (rc == LG_EXIT_RUNTIME) {
		free(th);
		return rc;
	}
	getrusage(RUSAGE_SELF, &ru);
	/* Rates over the send phase (ended early on a signal), not the linger after it. */
	rc = lg_summary(stdout, &cfg, th, (double)((done < end ? done : end) - start) / 1e9, tv_s(ru.ru_utime),
			tv_s(ru.ru_stime));
	free(th);
	return rc;
}

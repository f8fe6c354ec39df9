// SPDX-License-Identifier: Apache-2.0
/*
 * fastpath-server: the io_uring UDP dataplane. Start-up order matters and is the order below:
 * config -> signals blocked -> port check -> steering program -> sockets (in worker order) ->
 * XDP -> workers -> stats; shutdown runs it backwards. See README.md for keys and exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_xdp.h>
#include <linux/sock_diag.h>

#include "config.h"
#include "exit_codes.h"
#include "notify.h"
#include "signals.h"
#include "sockets.h"
#include "stats.h"
#include "stats_io.h"
#include "steer.h"
#include "worker.h"
#include "xdp_attach.h"
#include "fastpath_xdp.h"

#define FP_SERVER_VERSION "0.1.0"

struct server {
	struct fp_config cfg;
	int fds[FP_MAX_WORKERS];
	struct fp_worker workers[FP_MAX_WORKERS];
	struct fp_worker_stats *stats; /* one cache-line-aligned block per worker */
	struct fp_worker_stats snap[FP_MAX_WORKERS];
	struct reuseport_steer *steer;
	struct fp_xdp *xdp;
	int sig_fd;
	int done_fd;
	int stats_fd;
	struct timespec started;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fastpath-server [-c FILE] [--check-config]\n"
		"  -c, --config FILE   read `key = value` settings from FILE (keys: native/server/README.md);\n"
		"                      FASTPATH_<KEY> environment variables override the file\n"
		"      --check-config  validate the configuration, print it with each value's origin, exit\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage, 3 socket/io_uring\n"
		"set-up failed, 4 XDP attach failed\n");
}

static double uptime(const struct server *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - s->started.tv_sec) + (double)(now.tv_nsec - s->started.tv_nsec) / 1e9;
}

/* AF_XDP: the kernel's counts for the worker's AF_XDP socket, from XDP_STATISTICS. Frames lost for
 * a full rx ring or an invalid descriptor are socket_drops; an empty fill ring is the UMEM's
 * bufring_exhausted (the frame is lost too: it was never queued anywhere). */
static void read_xsk_drops(struct server *s, unsigned int w)
{
	int fd = __atomic_load_n(&s->workers[w].xsk_fd, __ATOMIC_ACQUIRE);
	struct xdp_statistics st;
	socklen_t len = sizeof(st);

	if (fd < 0 || getsockopt(fd, SOL_XDP, XDP_STATISTICS, &st, &len) < 0)
		return;
	__atomic_store_n(&s->stats[w].socket_drops, st.rx_dropped + st.rx_ring_full + st.rx_invalid_descs,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&s->stats[w].bufring_exhausted, st.rx_fill_ring_empty_descs, __ATOMIC_RELAXED);
}

/* The kernel's own drop count for each worker's socket (receive buffer full), via SO_MEMINFO. */
static void read_socket_drops(struct server *s)
{
	for (unsigned int w = 0; w < s->cfg.nworkers; w++) {
		if (s->cfg.xdp_mode == FP_XDP_AFXDP) {
			read_xsk_drops(s, w);
			continue;
		}
		__u32 mem[SK_MEMINFO_VARS];
		socklen_t len = sizeof(mem);

		if (getsockopt(s->fds[w], SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
		    len > SK_MEMINFO_DROPS * sizeof(__u32))
			__atomic_store_n(&s->stats[w].socket_drops, mem[SK_MEMINFO_DROPS], __ATOMIC_RELAXED);
	}
}

static void xdp_json(const void *arg, FILE *out)
{
	fp_server_xdp_stats_json(arg, out);
}

static struct fp_stats_view view(struct server *s)
{
	struct fp_stats_view v = {
		.cfg = &s->cfg,
		.workers = s->snap,
		.xdp_mode = fp_server_xdp_mode(s->xdp),
		.uptime_s = uptime(s),
		.extra_json = xdp_json,
		.extra_arg = s->xdp,
	};

	for (unsigned int w = 0; w < s->cfg.nworkers; w++)
		fp_stats_snapshot(&s->stats[w], &s->snap[w]);
	return v;
}

static int render_json(void *arg, FILE *out)
{
	struct fp_stats_view v = view(arg);

	return fp_stats_write_json(&v, out);
}

static int render_prometheus(void *arg, FILE *out)
{
	struct fp_stats_view v = view(arg);

	return fp_stats_write_prometheus(&v, out);
}

static void write_stats_files(struct server *s)
{
	int ret;

	read_socket_drops(s);
	if (s->cfg.stats_json[0] && (ret = fp_stats_file_replace(s->cfg.stats_json, render_json, s)) < 0)
		fprintf(stderr, "fastpath-server: warning: writing %s: %s\n", s->cfg.stats_json, strerror(-ret));
	if (s->cfg.stats_textfile[0] &&
	    (ret = fp_stats_file_replace(s->cfg.stats_textfile, render_prometheus, s)) < 0)
		fprintf(stderr, "fastpath-server: warning: writing %s: %s\n", s->cfg.stats_textfile,
			strerror(-ret));
}

/* Load the steering program, open the sockets in worker order, attach XDP, start the workers. */
static int start(struct server *s)
{
	char err[512];
	int ret;

	if (fp_sockets_check_port_free(&s->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fastpath-server: %s\n", err);
		return FP_EXIT_SETUP;
	}
	if (s->cfg.steer && fp_steer_load(s->cfg.nworkers, &s->steer, err, sizeof(err)) < 0) {
		fprintf(stderr, "fastpath-server: %s\n", err);
		return FP_EXIT_SETUP;
	}
	if (fp_sockets_open(&s->cfg, s->steer ? fp_steer_prog_fd(s->steer) : -1, s->fds, err, sizeof(err)) < 0) {
		fprintf(stderr, "fastpath-server: %s\n", err);
		return FP_EXIT_SETUP;
	}
	/* The sockets hold the program now; the skeleton's copy is no longer needed. */
	fp_steer_free(s->steer);
	s->steer = NULL;
	if (fp_server_xdp_attach(&s->cfg, &s->xdp, err, sizeof(err)) < 0) {
		fprintf(stderr, "fastpath-server: %s\n", err);
		return FP_EXIT_XDP;
	}
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	for (unsigned int w = 0; w < s->cfg.nworkers; w++) {
		struct fp_worker *wk = &s->workers[w];

		wk->id = w;
		wk->cpu = s->cfg.cpus[w];
		wk->fd = s->fds[w];
		wk->done_fd = s->done_fd;
		wk->cfg = &s->cfg;
		wk->stats = &s->stats[w];
		wk->queue = s->cfg.queues[w];
		wk->xsk_map_fd = s->xdp ? fp_xdp_xsk_map_fd(s->xdp) : -1;
		wk->xsk_fd = -1;
		wk->wake_fd = eventfd(0, EFD_CLOEXEC);
		if (wk->wake_fd < 0) {
			fprintf(stderr, "fastpath-server: eventfd: %s\n", strerror(errno));
			return FP_EXIT_SETUP;
		}
		ret = fp_worker_start(wk);
		if (ret != 0) {
			fprintf(stderr, "fastpath-server: %s\n", wk->error);
			return ret;
		}
	}
	if (s->cfg.stats_socket[0]) {
		s->stats_fd = fp_stats_socket_open(s->cfg.stats_socket, err, sizeof(err));
		if (s->stats_fd < 0) {
			fprintf(stderr, "fastpath-server: %s\n", err);
			return FP_EXIT_SETUP;
		}
	}
	return FP_EXIT_OK;
}

/* AF_XDP's start-up line: which queue each worker serves, and zero-copy or copy mode and why. */
static void print_afxdp_line(const struct server *s)
{
	const struct fp_worker *w0 = &s->workers[0];
	bool generic = strcmp(fp_server_xdp_mode(s->xdp), "generic") == 0;

	fprintf(stderr, "fastpath-server: %u AF_XDP workers on CPUs %s, %s mode, port %u, xdp %s on %s, queues",
		s->cfg.nworkers, fp_config_raw(&s->cfg, "workers"), fp_mode_name(s->cfg.mode), s->cfg.port,
		fp_server_xdp_mode(s->xdp), s->cfg.xdp_interface);
	for (unsigned int w = 0; w < s->cfg.nworkers; w++)
		fprintf(stderr, "%s%d (CPU %d)", w ? ", " : " ", s->workers[w].queue, s->workers[w].cpu);
	if (w0->zerocopy)
		fprintf(stderr, "; zero-copy\n");
	else
		fprintf(stderr, "; copy mode (%s)\n",
			generic ? "XDP runs in generic mode: no zero-copy without the driver's XDP" : w0->xsk_why);
}

/* Serve stats until a stop signal (returns 0) or a worker ends on its own (returns 1). */
static int serve(struct server *s)
{
	struct pollfd pfd[3] = {
		{ .fd = s->sig_fd, .events = POLLIN },
		{ .fd = s->done_fd, .events = POLLIN },
		{ .fd = s->stats_fd, .events = POLLIN },
	};
	nfds_t n = s->stats_fd >= 0 ? 3 : 2;
	double next = 0;

	for (;;) {
		double now = uptime(s);
		int timeout = now >= next ? 0 : (int)((next - now) * 1000) + 1;

		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			perror("fastpath-server: poll");
			return FP_EXIT_RUNTIME;
		}
		if (pfd[0].revents & POLLIN) {
			int sig = fp_signals_read(s->sig_fd);

			if (sig) {
				fprintf(stderr, "fastpath-server: %s: stopping\n", strsignal(sig));
				return FP_EXIT_OK;
			}
		}
		if (pfd[1].revents & POLLIN) {
			for (unsigned int w = 0; w < s->cfg.nworkers; w++)
				if (s->workers[w].status)
					fprintf(stderr, "fastpath-server: %s\n", s->workers[w].error);
			fprintf(stderr, "fastpath-server: a worker stopped unexpectedly; stopping\n");
			return FP_EXIT_RUNTIME;
		}
		if (n == 3 && (pfd[2].revents & POLLIN)) {
			read_socket_drops(s);
			fp_stats_socket_serve(s->stats_fd, render_json, s);
		}
		if (uptime(s) >= next) {
			write_stats_files(s);
			next = uptime(s) + s->cfg.stats_interval_ms / 1000.0;
		}
	}
}

static int stop(struct server *s)
{
	int rc = FP_EXIT_OK;

	for (unsigned int w = 0; w < s->cfg.nworkers; w++)
		fp_worker_stop(&s->workers[w]);
	for (unsigned int w = 0; w < s->cfg.nworkers; w++) {
		fp_worker_join(&s->workers[w]);
		if (s->workers[w].wake_fd >= 0)
			close(s->workers[w].wake_fd);
		s->workers[w].wake_fd = -1;
	}
	/* Final counters, so what the files say matches what happened. */
	if (s->stats)
		write_stats_files(s);
	if (fp_server_xdp_detach(s->xdp) < 0)
		rc = FP_EXIT_XDP;
	s->xdp = NULL;
	fp_stats_socket_close(s->stats_fd, s->cfg.stats_socket);
	s->stats_fd = -1;
	fp_sockets_close(s->fds, s->cfg.nworkers);
	fp_steer_free(s->steer);
	s->steer = NULL;
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct server srv; /* large (stats snapshots): not on the stack */
	struct server *s = &srv;
	const char *config_path = NULL;
	bool check_only = false;
	char err[1024];
	int opt, rc, stop_rc, notify_rc;

	while ((opt = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'C': check_only = true; break;
		case 'h': usage(stdout); return FP_EXIT_OK;
		case 'V': printf("fastpath-server %s\n", FP_SERVER_VERSION); return FP_EXIT_OK;
		default: usage(stderr); return FP_EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fastpath-server: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return FP_EXIT_CONFIG;
	}
	if (fp_config_load(&s->cfg, config_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "fastpath-server: bad configuration: %s\n", err);
		return FP_EXIT_CONFIG;
	}
	if (check_only) {
		fp_config_print(&s->cfg, stdout);
		printf("# configuration OK\n");
		return FP_EXIT_OK;
	}
	for (unsigned int w = 0; w < FP_MAX_WORKERS; w++) {
		s->fds[w] = -1;
		s->workers[w].wake_fd = -1;
	}
	s->stats_fd = -1;
	s->sig_fd = fp_signals_open();
	s->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->stats = aligned_alloc(64, sizeof(*s->stats) * s->cfg.nworkers);
	if (s->sig_fd < 0 || s->done_fd < 0 || !s->stats) {
		fprintf(stderr, "fastpath-server: start-up: %s\n", strerror(errno));
		return FP_EXIT_RUNTIME;
	}
	memset(s->stats, 0, sizeof(*s->stats) * s->cfg.nworkers);
	rc = start(s);
	if (rc == FP_EXIT_OK) {
		if (s->cfg.xdp_mode == FP_XDP_AFXDP)
			print_afxdp_line(s);
		else
			fprintf(stderr, "fastpath-server: %u workers on CPUs %s, %s mode, port %u, xdp %s, replies by %s\n",
				s->cfg.nworkers, fp_config_raw(&s->cfg, "workers"), fp_mode_name(s->cfg.mode),
				s->cfg.port, fp_server_xdp_mode(s->xdp),
				s->workers[0].send_with_addr ? "IORING_OP_SEND with an address"
				: s->cfg.reply_sendmsg_only  ? "IORING_OP_SENDMSG (reply_op = sendmsg)"
							     : "IORING_OP_SENDMSG (kernel < 6.1)");
		/* Stats first: whoever waits for READY can read them at once. */
		write_stats_files(s);
		notify_rc = fp_notify("READY=1\nSTATUS=serving\n");
		if (notify_rc < 0)
			fprintf(stderr, "fastpath-server: warning: telling systemd it is ready ($NOTIFY_SOCKET): %s\n",
				strerror(-notify_rc));
		rc = serve(s);
	}
	stop_rc = stop(s);
	if (rc == FP_EXIT_OK)
		rc = stop_rc;
	free(s->stats);
	close(s->done_fd);
	close(s->sig_fd);
	return rc;
}

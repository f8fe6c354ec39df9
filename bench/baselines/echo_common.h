/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the two baseline echo servers share: their command line, their socket, and the reply rule
 * of fastpath-server's echo mode, so the benchmark compares only how datagrams are moved.
 */
#ifndef FP_BENCH_ECHO_COMMON_H
#define FP_BENCH_ECHO_COMMON_H

#include <signal.h>
#include <stddef.h>

enum echo_exit {
	ECHO_EXIT_OK = 0,      /* stopped by SIGTERM/SIGINT */
	ECHO_EXIT_RUNTIME = 1, /* a receive or send failed after start-up */
	ECHO_EXIT_USAGE = 2,   /* bad arguments; nothing was started */
	ECHO_EXIT_SETUP = 3,   /* socket, bind or CPU pinning refused */
};

struct echo_opts {
	const char *bind_addr; /* numeric IPv4 */
	unsigned int port;
	int cpu;               /* -1: not pinned */
	unsigned int bufsize;  /* SO_RCVBUF and SO_SNDBUF, as fastpath-server's defaults (4 MiB) */
	unsigned int batch;    /* mmsg_echo only: datagrams per recvmmsg/sendmmsg */
};

struct echo_counters {
	unsigned long long rx, tx, dropped, send_errors;
};

/* Set by SIGTERM/SIGINT; the loops check it after every interrupted system call. */
extern volatile sig_atomic_t echo_stop;

/* Parse argv; prints usage or the bad argument and returns ECHO_EXIT_USAGE, or 0. */
int echo_parse_args(int argc, char **argv, const char *prog, int with_batch, struct echo_opts *o);

/* Signals (without SA_RESTART, so a blocked receive returns EINTR), CPU pin, bound UDP socket.
 * Returns the socket or -1 after printing why. Prints "ready" on stdout once bound. */
int echo_setup(const struct echo_opts *o);

/* fastpath-server's echo rule, in place: a valid INPUT becomes STATE, a valid PING becomes PONG,
 * both with FP_F_REPLY and every other byte unchanged. Returns 1 to send it back, 0 to drop it. */
int echo_rewrite(unsigned char *buf, size_t len);

void echo_report(const char *prog, const struct echo_counters *c);

#endif /* FP_BENCH_ECHO_COMMON_H */

// SPDX-License-Identifier: Apache-2.0
/* Command line, socket set-up and the echo reply rule shared by naive_echo and mmsg_echo. */
#include "echo_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fastpath_wire.h"

volatile sig_atomic_t echo_stop;

static void usage(const char *prog, int with_batch)
{
	fprintf(stderr,
		"usage: %s [--bind ADDR] [--port N] [--cpu N] [--buf BYTES]%s\n"
		"Answers fastpath INPUT with STATE and PING with PONG (FP_F_REPLY set), like\n"
		"fastpath-server's echo mode, until SIGTERM/SIGINT. Exit: 0 stopped, 1 runtime error,\n"
		"2 usage, 3 set-up failed.\n",
		prog, with_batch ? " [--batch N]" : "");
}

/* A decimal number within [lo, hi], the whole string; else complain and return -1. */
static int parse_uint(const char *name, const char *s, unsigned long lo, unsigned long hi, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "invalid %s '%s': expected a whole number from %lu to %lu\n", name, s, lo, hi);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

int echo_parse_args(int argc, char **argv, const char *prog, int with_batch, struct echo_opts *o)
{
	static const struct option longopts[] = {
		{"bind", required_argument, NULL, 'a'}, {"port", required_argument, NULL, 'p'},
		{"cpu", required_argument, NULL, 'c'},  {"buf", required_argument, NULL, 'b'},
		{"batch", required_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct in_addr probe;
	unsigned int cpu;
	int ch;

	*o = (struct echo_opts){.bind_addr = "0.0.0.0", .port = FP_DEFAULT_PORT, .cpu = -1,
				.bufsize = 4u << 20, .batch = 64};
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (inet_pton(AF_INET, optarg, &probe) != 1) {
				fprintf(stderr, "invalid --bind '%s': expected a numeric IPv4 address\n", optarg);
				return ECHO_EXIT_USAGE;
			}
			o->bind_addr = optarg;
			break;
		case 'p':
			if (parse_uint("--port", optarg, 1, 65535, &o->port))
				return ECHO_EXIT_USAGE;
			break;
		case 'c':
			if (parse_uint("--cpu", optarg, 0, CPU_SETSIZE - 1, &cpu))
				return ECHO_EXIT_USAGE;
			o->cpu = (int)cpu;
			break;
		case 'b':
			if (parse_uint("--buf", optarg, 4096, 1u << 30, &o->bufsize))
				return ECHO_EXIT_USAGE;
			break;
		case 'n':
			if (!with_batch) {
				usage(prog, with_batch);
				return ECHO_EXIT_USAGE;
			}
			if (parse_uint("--batch", optarg, 1, 1024, &o->batch))
				return ECHO_EXIT_USAGE;
			break;
		default:
			usage(prog, with_batch);
			return ECHO_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		usage(prog, with_batch);
		return ECHO_EXIT_USAGE;
	}
	return 0;
}

static void on_stop(int sig)
{
	(void)sig;
	echo_stop = 1;
}

/* Warn, as fastpath-server does, when net.core.[rw]mem_max caps the buffer below the ask. */
static void set_buf(int fd, int opt, const char *name, unsigned int want)
{
	int got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, opt, &want, sizeof(want)) == 0 &&
	    getsockopt(fd, SOL_SOCKET, opt, &got, &len) == 0 && (unsigned int)got / 2 < want)
		fprintf(stderr, "warning: %s is %d bytes, below the %u asked (raise net.core.%s)\n", name,
			got / 2, want, opt == SO_RCVBUF ? "rmem_max" : "wmem_max");
}

int echo_setup(const struct echo_opts *o)
{
	struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: blocked calls return EINTR */
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
	cpu_set_t set;
	int fd = -1;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL)) {
		fprintf(stderr, "sigaction failed: %s\n", strerror(errno));
		goto fail;
	}
	if (o->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(o->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, "cannot pin to CPU %d: %s (is it online and in this cpuset?)\n", o->cpu,
				strerror(errno));
			goto fail;
		}
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		fprintf(stderr, "socket failed: %s\n", strerror(errno));
		goto fail;
	}
	set_buf(fd, SO_RCVBUF, "SO_RCVBUF", o->bufsize);
	set_buf(fd, SO_SNDBUF, "SO_SNDBUF", o->bufsize);
	inet_pton(AF_INET, o->bind_addr, &addr.sin_addr); /* validated by echo_parse_args */
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "bind %s:%u failed: %s (port taken, or the address is not on this host?)\n",
			o->bind_addr, o->port, strerror(errno));
		goto fail;
	}
	printf("ready\n");
	fflush(stdout);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

int echo_rewrite(unsigned char *buf, size_t len)
{
	struct fp_hdr *h = (struct fp_hdr *)buf;

	if (len > UINT32_MAX || fp_hdr_check(h, (__u32)len) != FP_DROP_NONE)
		return 0;
	if (ntohs(h->flags) & FP_F_REPLY) /* never answer a reply: two echoes must not ping-pong */
		return 0;
	if (h->type == FP_T_INPUT)
		h->type = FP_T_STATE;
	else if (h->type == FP_T_PING)
		h->type = FP_T_PONG;
	else
		return 0;
	h->flags = htons(ntohs(h->flags) | FP_F_REPLY);
	return 1;
}

void echo_report(const char *prog, const struct echo_counters *c)
{
	fprintf(stderr, "%s: rx %llu tx %llu dropped %llu send_errors %llu\n", prog, c->rx, c->tx, c->dropped,
		c->send_errors);
}

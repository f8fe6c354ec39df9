/* SPDX-License-Identifier: Apache-2.0 */
/* fastpath-loadgen: configuration, per-thread state and the functions main.c ties together. */
#ifndef FASTPATH_LOADGEN_H
#define FASTPATH_LOADGEN_H

#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "histogram.h"

#define LG_MAX_THREADS 64
#define LG_MAX_FLOWS 1024        /* source ports (sockets) over all threads */
#define LG_MAX_BATCH 1024
#define LG_MAX_DURATION_S 3600.0 /* the generator always stops by itself */
#define LG_SOCKBUF_BYTES (4 << 20)
/*
 * UDP GSO: segments per send. The kernel's limit is UDP_MAX_SEGMENTS (64 before Linux 6.9, 128
 * after); the whole send must also fit one IP datagram's 64 KiB.
 */
#define LG_GSO_MAX_SEGS 64
#define LG_GSO_MAX_BYTES 65000

/* Exit codes: distinct per failure kind. A missed threshold uses the first of 3-5 that applies. */
enum lg_exit {
	LG_EXIT_OK = 0,
	LG_EXIT_RUNTIME = 1,  /* socket, thread or pinning failure */
	LG_EXIT_USAGE = 2,    /* bad command line */
	LG_EXIT_LOSS = 3,     /* --max-loss missed */
	LG_EXIT_RATE = 4,     /* --min-rate missed */
	LG_EXIT_P99 = 5,      /* --max-p99-us missed */
};

enum lg_mode { LG_MODE_INPUT, LG_MODE_PING };

struct lg_config {
	struct sockaddr_storage dst;
	socklen_t dst_len;
	char dst_text[64];
	uint16_t port;
	enum lg_mode mode;
	uint64_t rate_pps;        /* 0 = as fast as possible */
	double duration_s;
	uint32_t size;            /* UDP payload bytes, fastpath header included */
	uint32_t sessions;
	uint32_t flows;           /* sockets, i.e. distinct source ports */
	uint32_t threads;
	int cpus[LG_MAX_THREADS]; /* thread i runs on cpus[i % ncpus] */
	unsigned int ncpus;
	uint32_t batch;           /* packets per sendmmsg / recvmmsg */
	uint64_t linger_ms;       /* after the last send, wait this long for late replies */
	uint64_t session_base;
	double max_loss_pct;      /* < 0: not checked */
	uint64_t min_rate_pps;    /* 0: not checked; compared with replies per second */
	uint64_t max_p99_us;      /* 0: not checked */
	bool quiet;               /* no progress lines */
	bool gso;                 /* --gso: send a batch as one UDP_SEGMENT send (default: sendmmsg) */
	char afxdp_iface[IF_NAMESIZE]; /* --afxdp IFACE: frames through AF_XDP sockets (afxdp.c) */
	unsigned char dst_mac[6];      /* --dst-mac: the next hop's MAC, needed with --afxdp */
	struct lg_afxdp *ax;           /* set by lg_afxdp_prepare */
};

struct lg_counters {
	_Atomic uint64_t sent, received, bad, xdp, send_errors, send_blocked;
	_Atomic uint64_t gso_sent; /* of sent: packets that left in UDP GSO sends */
};

struct lg_thread {
	pthread_t tid;
	unsigned int index;
	const struct lg_config *cfg;
	uint64_t start_ns, end_ns;    /* shared by all threads */
	const atomic_bool *stop;
	struct lg_counters c;
	struct lg_hist rtt;           /* written by the thread, read after join */
	int err;                      /* errno of a fatal error, 0 if none */
	char errmsg[160];
};

/* args.c: fill cfg from argv; on error print why (and usage) to f and return LG_EXIT_USAGE. */
int lg_parse_args(int argc, char **argv, struct lg_config *cfg, FILE *f);
void lg_usage(FILE *f);

/* worker.c: the thread body. */
void *lg_worker(void *arg);
uint64_t lg_now_ns(void);

/* worker.c: check one reply (a UDP payload) and count it, RTT included. */
void lg_account_reply(struct lg_thread *t, uint8_t expect, const unsigned char *buf, unsigned int len,
		      uint64_t now);

/*
 * afxdp.c (--afxdp): before the threads start, reserve the flows' source ports with UDP sockets and
 * attach fastpath's XDP program to the interface, redirecting replies to those ports into the
 * threads' AF_XDP sockets (thread i: rx queue i). lg_afxdp_worker is then the thread body.
 * lg_afxdp_prepare returns 0 or prints why and returns LG_EXIT_RUNTIME; lg_afxdp_finish detaches.
 */
struct lg_afxdp;
int lg_afxdp_prepare(struct lg_config *cfg);
void *lg_afxdp_worker(void *arg);
void lg_afxdp_finish(struct lg_config *cfg);

/* summary.c: JSON on f, returns the exit code the thresholds give. */
int lg_summary(FILE *f, const struct lg_config *cfg, struct lg_thread *threads, double elapsed_s,
	       double cpu_user_s, double cpu_sys_s);

#endif

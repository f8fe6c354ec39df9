/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A worker: one thread pinned to one CPU, one socket, one io_uring with a multishot recvmsg fed
 * by a provided-buffer ring, sends batched into one submit. Echo mode answers inputs in place;
 * relay mode forwards each datagram to every upstream from the same buffer.
 */
#ifndef FP_SERVER_WORKER_H
#define FP_SERVER_WORKER_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bufring.h"
#include "config.h"
#include "stats.h"

/* What a worker needs to send one buffer: the header for each destination. */
struct fp_send_slot;
struct fp_xsk; /* xdp_mode = afxdp: the worker's UMEM and AF_XDP socket (xsk_worker.c) */

struct fp_worker {
	/* Set by the creator before start. */
	unsigned int id;
	int cpu;
	int fd;        /* this worker's socket (owned by main) */
	int wake_fd;   /* eventfd: main writes to it to ask the worker to stop */
	int done_fd;   /* eventfd shared by all workers: written when a worker's thread ends */
	const struct fp_config *cfg;
	struct fp_worker_stats *stats;
	int queue;       /* afxdp: the rx queue this worker's AF_XDP socket is bound to */
	int xsk_map_fd;  /* afxdp: the XDP program's queue -> socket map */

	/* Set by the worker. */
	int status;          /* 0, or the exit code this worker failed with (enum fp_exit) */
	char error[256];     /* why, when status != 0 */

	/* Private to the worker thread. */
	pthread_t thread;
	bool started;
	struct io_uring ring;
	bool ring_ok;
	struct fp_bufring br;
	struct msghdr recv_msg;  /* the template every multishot completion is laid out by */
	struct fp_send_slot *slots;
	struct msghdr *relay_msgs; /* relay: [buffer * nupstreams + upstream] */
	uint64_t wake_val;
	unsigned int unsubmitted_sends;
	unsigned int inflight;   /* SQEs submitted whose final CQE has not arrived (not the recv) */
	bool recv_armed;
	unsigned int recv_failures; /* consecutive, reset by a good receive */
	bool stopping;
	bool send_with_addr;     /* IORING_OP_SEND with a destination works here (else SENDMSG) */
	struct fp_xsk *xsk;      /* afxdp only */
	int xsk_fd;              /* afxdp: the AF_XDP socket, for main's XDP_STATISTICS; -1 when closed */
	bool zerocopy;           /* afxdp: bound in zero-copy mode */
	char xsk_why[160];       /* afxdp: why copy mode (empty in zero-copy) */

	/* Start-up handshake with main. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready;
};

/*
 * Echo: turn a request into its answer in place, or say why it is not a request. Replies are
 * never answered, so two servers pointed at each other cannot bounce a packet forever.
 */
enum fp_drop_reason fp_echo_reply(struct fp_hdr *h);

/*
 * Start the worker thread pinned to w->cpu and wait until its ring, buffers and receive are set
 * up. Returns 0, or the exit code (enum fp_exit) with the reason in w->error.
 */
int fp_worker_start(struct fp_worker *w);

/* Ask the worker to stop receiving, flush its sends and end; fp_worker_join waits for it. */
void fp_worker_stop(struct fp_worker *w);
void fp_worker_join(struct fp_worker *w);

#endif /* FP_SERVER_WORKER_H */

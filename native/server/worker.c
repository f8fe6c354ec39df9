// SPDX-License-Identifier: Apache-2.0
/*
 * The worker loop: see worker.h.
 *
 * Life of a buffer: the kernel takes it from the provided-buffer ring for one datagram and posts
 * a recv completion naming it; we validate the header in place, rewrite it (echo) or leave it
 * (relay), queue one send per destination pointing into the same buffer, and give the buffer
 * back to the ring when the last of those sends completes. Invalid datagrams go straight back.
 */
#include "worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "exit_codes.h"
#include "xsk_worker.h"

/* user_data: the operation in the low byte, the buffer id above it. */
enum { UD_RECV = 1, UD_SEND = 2, UD_WAKE = 3, UD_CANCEL = 4, UD_PROBE = 5 };
#define UD(op, bid) (((uint64_t)(bid) << 8) | (uint64_t)(op))
#define UD_OP(ud) ((unsigned int)((ud) & 0xff))
#define UD_BID(ud) ((unsigned int)((ud) >> 8))

#define BUF_GROUP 0
/* CQEs handled between two CQ head advances, so inline send completions always find room. */
#define CQE_CHUNK 256
/* Consecutive failed receives (other than ENOBUFS) after which the worker gives up. */
#define FP_MAX_RECV_FAILURES 100

struct fp_send_slot {
	struct msghdr msg; /* echo: to the sender of the datagram in this buffer */
	struct iovec iov;  /* the datagram, shared by every send of this buffer */
	unsigned int refs; /* sends of this buffer not yet completed */
};

static void fail(struct fp_worker *w, int status, const char *fmt, const char *what, int err)
{
	w->status = status;
	snprintf(w->error, sizeof(w->error), fmt, w->id, what, strerror(err));
}

/* Submit what is queued; account the sends it carried as one batch. */
static void submit(struct fp_worker *w)
{
	unsigned int sends = w->unsubmitted_sends;
	int ret = io_uring_submit(&w->ring);

	if (ret >= 0 && sends) {
		FP_STAT_ADD(w->stats, send_batches, 1);
		FP_STAT_ADD(w->stats, sends_submitted, sends);
		w->unsubmitted_sends = 0;
	}
}

static struct io_uring_sqe *get_sqe(struct fp_worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		submit(w);
		sqe = io_uring_get_sqe(&w->ring);
	}
	return sqe;
}

static int arm_recv(struct fp_worker *w)
{
	struct io_uring_sqe *sqe = get_sqe(w);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_recvmsg_multishot(sqe, w->fd, &w->recv_msg, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BUF_GROUP;
	sqe->user_data = UD(UD_RECV, 0);
	w->recv_armed = true;
	return 0;
}

static int arm_wake(struct fp_worker *w)
{
	struct io_uring_sqe *sqe = get_sqe(w);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, w->wake_fd, &w->wake_val, sizeof(w->wake_val), 0);
	sqe->user_data = UD(UD_WAKE, 0);
	return 0;
}

static void release(struct fp_worker *w, unsigned int bid)
{
	fp_bufring_put(&w->br, bid);
}

static void drop(struct fp_worker *w, unsigned int bid, enum fp_drop_reason why)
{
	FP_STAT_ADD(w->stats, drops[why], 1);
	release(w, bid);
}

/*
 * Queue one send of buffer bid to `to`; false when the SQ had no room even after a submit. A plain
 * send with a destination address costs the kernel less than a sendmsg (no msghdr and iovec to
 * copy in and check) and profiles showed it; msg (same buffer, same destination) is the fallback
 * for kernels that refuse an address on IORING_OP_SEND.
 */
static bool queue_send(struct fp_worker *w, unsigned int bid, const struct sockaddr *to, socklen_t tolen,
		       struct msghdr *msg)
{
	struct io_uring_sqe *sqe = get_sqe(w);

	if (!sqe)
		return false;
	if (w->send_with_addr) {
		io_uring_prep_send(sqe, w->fd, msg->msg_iov->iov_base, msg->msg_iov->iov_len, 0);
		io_uring_prep_send_set_addr(sqe, to, (__u16)tolen);
	} else {
		io_uring_prep_sendmsg(sqe, w->fd, msg, 0);
	}
	sqe->user_data = UD(UD_SEND, bid);
	w->inflight++;
	w->unsubmitted_sends++;
	w->slots[bid].refs++;
	return true;
}

enum fp_drop_reason fp_echo_reply(struct fp_hdr *h)
{
	if (h->flags & htons(FP_F_REPLY))
		return FP_DROP_TYPE;
	switch (h->type) {
	case FP_T_INPUT:
		h->type = FP_T_STATE; /* the state answer is the input's size: never larger */
		break;
	case FP_T_PING:
		h->type = FP_T_PONG;
		break;
	default:
		return FP_DROP_TYPE;
	}
	h->flags |= htons(FP_F_REPLY);
	return FP_DROP_NONE;
}

static void on_datagram(struct fp_worker *w, unsigned int bid, int len)
{
	const struct fp_config *cfg = w->cfg;
	struct io_uring_recvmsg_out *o;
	struct fp_send_slot *slot = &w->slots[bid];
	enum fp_drop_reason why;
	unsigned int avail;
	struct fp_hdr *h;

	o = io_uring_recvmsg_validate(fp_bufring_buf(&w->br, bid), len, &w->recv_msg);
	if (!o) {
		drop(w, bid, FP_DROP_SHORT);
		return;
	}
	h = io_uring_recvmsg_payload(o, &w->recv_msg);
	avail = io_uring_recvmsg_payload_length(o, len, &w->recv_msg);
	FP_STAT_ADD(w->stats, rx_packets, 1);
	FP_STAT_ADD(w->stats, rx_bytes, o->payloadlen);
	/* Larger than our buffer: the kernel cut it. Nothing valid is that large (FP_MAX_PAYLOAD). */
	if (o->flags & MSG_TRUNC)
		why = FP_DROP_LENGTH;
	else
		why = fp_hdr_check(h, avail);
	if (why == FP_DROP_NONE && cfg->mode == FP_MODE_ECHO)
		why = fp_echo_reply(h);
	if (why != FP_DROP_NONE) {
		drop(w, bid, why);
		return;
	}
	slot->iov.iov_base = h;
	slot->iov.iov_len = avail;
	slot->refs = 0;
	if (cfg->mode == FP_MODE_ECHO) {
		slot->msg.msg_name = io_uring_recvmsg_name(o);
		slot->msg.msg_namelen = o->namelen < w->recv_msg.msg_namelen ? o->namelen
									   : w->recv_msg.msg_namelen;
		queue_send(w, bid, slot->msg.msg_name, slot->msg.msg_namelen, &slot->msg);
	} else {
		for (unsigned int u = 0; u < cfg->nupstreams; u++)
			queue_send(w, bid, (const struct sockaddr *)&cfg->upstreams[u].ss, cfg->upstreams[u].len,
				   &w->relay_msgs[(size_t)bid * cfg->nupstreams + u]);
	}
	if (slot->refs == 0) {
		FP_STAT_ADD(w->stats, send_errors, 1);
		release(w, bid);
	}
	if (w->unsubmitted_sends >= cfg->batch)
		submit(w);
}

static void on_recv(struct fp_worker *w, const struct io_uring_cqe *cqe)
{
	/* Without F_MORE the multishot receive has ended (error, cancel, no buffer, CQ overflow). */
	if (!(cqe->flags & IORING_CQE_F_MORE))
		w->recv_armed = false;
	if (cqe->res < 0) {
		/*
		 * ENOBUFS loses nothing: the datagram waits in the socket until the receive is re-armed.
		 * Real losses (the socket's queue overflowing meanwhile) are the kernel's socket_drops.
		 */
		if (cqe->res == -ENOBUFS) {
			FP_STAT_ADD(w->stats, bufring_exhausted, 1);
		} else if (cqe->res != -ECANCELED) {
			fprintf(stderr, "fastpath-server: worker %u: receive failed: %s\n", w->id,
				strerror(-cqe->res));
			/* An error that re-arming cannot cure would otherwise spin here forever. */
			if (++w->recv_failures >= FP_MAX_RECV_FAILURES) {
				fail(w, FP_EXIT_RUNTIME, "worker %u: %s: %s", "receive keeps failing", -cqe->res);
				w->stopping = true;
			}
		}
		return;
	}
	w->recv_failures = 0;
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return;
	w->br.outstanding++;
	on_datagram(w, cqe->flags >> IORING_CQE_BUFFER_SHIFT, cqe->res);
}

static void on_send(struct fp_worker *w, const struct io_uring_cqe *cqe)
{
	unsigned int bid = UD_BID(cqe->user_data);

	w->inflight--;
	if (cqe->res < 0) {
		FP_STAT_ADD(w->stats, send_errors, 1);
	} else {
		FP_STAT_ADD(w->stats, tx_packets, 1);
		FP_STAT_ADD(w->stats, tx_bytes, cqe->res);
	}
	if (--w->slots[bid].refs == 0)
		release(w, bid);
}

/* Stop: cancel the receive; what was received is still answered, then the loop drains. */
static void on_wake(struct fp_worker *w)
{
	struct io_uring_sqe *sqe;

	w->stopping = true;
	if (!w->recv_armed)
		return;
	sqe = get_sqe(w);
	if (!sqe)
		return;
	io_uring_prep_cancel64(sqe, UD(UD_RECV, 0), 0);
	sqe->user_data = UD(UD_CANCEL, 0);
	w->inflight++;
}

static unsigned int reap(struct fp_worker *w)
{
	unsigned int total = 0, count;
	struct io_uring_cqe *cqe;
	unsigned int head;

	do {
		count = 0;
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			switch (UD_OP(cqe->user_data)) {
			case UD_RECV: on_recv(w, cqe); break;
			case UD_SEND: on_send(w, cqe); break;
			case UD_WAKE: on_wake(w); break;
			case UD_CANCEL: w->inflight--; break;
			default: break;
			}
			if (++count == CQE_CHUNK)
				break;
		}
		io_uring_cq_advance(&w->ring, count);
		total += count;
	} while (count == CQE_CHUNK);
	return total;
}

static int run(struct fp_worker *w)
{
	for (;;) {
		unsigned int sends = w->unsubmitted_sends;
		int ret;

		if (w->stopping && !w->recv_armed && w->inflight == 0 && sends == 0)
			return 0;
		ret = io_uring_submit_and_wait(&w->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY && ret != -ETIME) {
			fail(w, FP_EXIT_RUNTIME, "worker %u: %s: %s", "io_uring_submit_and_wait", -ret);
			return -1;
		}
		if (ret >= 0 && sends) {
			FP_STAT_ADD(w->stats, send_batches, 1);
			FP_STAT_ADD(w->stats, sends_submitted, sends);
			w->unsubmitted_sends = 0;
		}
		reap(w);
		fp_bufring_publish(&w->br);
		/* Re-arm once the kernel holds buffers again; with none it would just fail at once. */
		if (!w->recv_armed && !w->stopping && w->br.outstanding < w->br.nbufs) {
			if (arm_recv(w) == 0)
				FP_STAT_ADD(w->stats, recv_rearms, 1);
		}
	}
}

static int init_ring(struct fp_worker *w)
{
	/* Fastest first: task work deferred to our own wait (6.1+), then cooperative (5.19+). */
	static const unsigned int tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	int ret = -EINVAL;

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		struct io_uring_params p;

		memset(&p, 0, sizeof(p));
		p.flags = tries[i] | IORING_SETUP_CQSIZE;
		/* Multishot receive posts a CQE per datagram: room for bursts between reaps. */
		p.cq_entries = w->cfg->queue_depth * 4;
		ret = io_uring_queue_init_params(w->cfg->queue_depth, &w->ring, &p);
		if (ret != -EINVAL)
			break;
	}
	return ret;
}

/*
 * Does this kernel take a destination address on IORING_OP_SEND (Linux 6.1 and later)? Ask with a
 * send that cannot leave: an empty datagram from a throwaway IPv4 socket to an IPv6 address. A
 * kernel that knows the address field gets as far as UDP, which refuses the family
 * (EAFNOSUPPORT); an older one rejects the request itself (EINVAL). Runs before anything else is
 * queued on the ring.
 */
static bool send_with_addr_works(struct fp_worker *w)
{
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	struct io_uring_cqe *cqe = NULL;
	struct io_uring_sqe *sqe;
	bool works = false;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sqe = fd >= 0 ? io_uring_get_sqe(&w->ring) : NULL;
	if (!sqe)
		goto cleanup;
	io_uring_prep_send(sqe, fd, &w->wake_val, 0, 0);
	io_uring_prep_send_set_addr(sqe, (const struct sockaddr *)&v6, sizeof(v6));
	sqe->user_data = UD(UD_PROBE, 0);
	if (io_uring_submit_and_wait(&w->ring, 1) < 0 || io_uring_peek_cqe(&w->ring, &cqe) != 0 || !cqe)
		goto cleanup;
	works = cqe->res == -EAFNOSUPPORT;
	io_uring_cqe_seen(&w->ring, cqe);
cleanup:
	if (fd >= 0)
		close(fd);
	return works;
}

static void init_messages(struct fp_worker *w)
{
	const struct fp_config *cfg = w->cfg;

	memset(&w->recv_msg, 0, sizeof(w->recv_msg));
	w->recv_msg.msg_namelen = cfg->listen.ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								       : sizeof(struct sockaddr_in);
	for (unsigned int b = 0; b < cfg->buffers; b++) {
		w->slots[b].msg.msg_iov = &w->slots[b].iov;
		w->slots[b].msg.msg_iovlen = 1;
		for (unsigned int u = 0; u < cfg->nupstreams; u++) {
			struct msghdr *m = &w->relay_msgs[(size_t)b * cfg->nupstreams + u];

			m->msg_name = (void *)&cfg->upstreams[u].ss;
			m->msg_namelen = cfg->upstreams[u].len;
			m->msg_iov = &w->slots[b].iov;
			m->msg_iovlen = 1;
		}
	}
}

/*
 * Arm the receive and see it accepted: a kernel without multishot recvmsg (< 6.0) fails the
 * request at once with -EINVAL, which is a set-up failure, not something to discover later.
 */
static int arm_and_check(struct fp_worker *w)
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 1000000 };
	struct io_uring_cqe *cqe = NULL;
	int ret;

	if (arm_wake(w) < 0 || arm_recv(w) < 0)
		return -EBUSY;
	ret = io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &ts, NULL);
	if (ret >= 0 && cqe && UD_OP(cqe->user_data) == UD_RECV && cqe->res < 0 && cqe->res != -ENOBUFS)
		return cqe->res;
	return 0;
}

static int setup(struct fp_worker *w)
{
	const struct fp_config *cfg = w->cfg;
	int ret;

	w->slots = calloc(cfg->buffers, sizeof(*w->slots));
	w->relay_msgs = calloc((size_t)cfg->buffers * (cfg->nupstreams ? cfg->nupstreams : 1),
			       sizeof(*w->relay_msgs));
	if (!w->slots || !w->relay_msgs) {
		fail(w, FP_EXIT_SETUP, "worker %u: %s: %s", "allocating send slots", ENOMEM);
		return -1;
	}
	init_messages(w);
	ret = init_ring(w);
	if (ret < 0) {
		fail(w, FP_EXIT_SETUP, "worker %u: %s: %s (io_uring disabled? see kernel.io_uring_disabled)",
		     "io_uring_queue_init", -ret);
		return -1;
	}
	w->ring_ok = true;
	w->send_with_addr = !w->cfg->reply_sendmsg_only && send_with_addr_works(w);
	ret = fp_bufring_setup(&w->br, &w->ring, cfg->buffers, cfg->buffer_size, BUF_GROUP);
	if (ret < 0) {
		fail(w, FP_EXIT_SETUP,
		     "worker %u: %s: %s (provided-buffer rings need kernel >= 5.19; ENOMEM: lower buffers)",
		     "registering the buffer ring", -ret);
		return -1;
	}
	ret = arm_and_check(w);
	if (ret < 0) {
		fail(w, FP_EXIT_SETUP, "worker %u: %s: %s (multishot recvmsg needs kernel >= 6.0)",
		     "arming the multishot receive", -ret);
		return -1;
	}
	return 0;
}

static void teardown(struct fp_worker *w)
{
	if (w->ring_ok) {
		fp_bufring_free(&w->br, &w->ring);
		io_uring_queue_exit(&w->ring);
		w->ring_ok = false;
	}
	free(w->slots);
	free(w->relay_msgs);
	w->slots = NULL;
	w->relay_msgs = NULL;
}

static void *worker_main(void *arg)
{
	struct fp_worker *w = arg;
	uint64_t one = 1;
	char name[16];
	int rc;

	snprintf(name, sizeof(name), "fp-worker-%u", w->id);
	pthread_setname_np(pthread_self(), name);
	rc = w->cfg->xdp_mode == FP_XDP_AFXDP ? fp_xsk_setup(w) : setup(w);
	pthread_mutex_lock(&w->lock);
	w->ready = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->cfg->xdp_mode == FP_XDP_AFXDP) {
		if (rc == 0)
			fp_xsk_run(w);
		fp_xsk_teardown(w);
	} else {
		if (rc == 0)
			run(w);
		teardown(w);
	}
	/* Tell main this thread is done: expected after a stop, a failure otherwise. */
	if (write(w->done_fd, &one, sizeof(one)) < 0)
		perror("fastpath-server: eventfd write");
	return NULL;
}

int fp_worker_start(struct fp_worker *w)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int ret;

	w->status = 0;
	w->ready = false;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_attr_init(&attr);
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	/* Pinned from its first instruction, so its ring and buffers are first touched on its CPU. */
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	ret = pthread_create(&w->thread, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (ret != 0) {
		fail(w, FP_EXIT_SETUP, "worker %u: %s: %s (is the CPU online and allowed?)", "pthread_create",
		     ret);
		return w->status;
	}
	w->started = true;
	pthread_mutex_lock(&w->lock);
	while (!w->ready)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	return w->status;
}

void fp_worker_stop(struct fp_worker *w)
{
	uint64_t one = 1;

	if (w->started && write(w->wake_fd, &one, sizeof(one)) < 0)
		perror("fastpath-server: eventfd write");
}

void fp_worker_join(struct fp_worker *w)
{
	if (w->started) {
		pthread_join(w->thread, NULL);
		w->started = false;
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
}

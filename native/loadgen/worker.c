// SPDX-License-Identifier: Apache-2.0
/*
 * One load generator thread: its own connected UDP sockets (one source port each), its own share of
 * the sessions and of the rate. Sends a batch for one socket as one UDP GSO send (UDP_SEGMENT: the
 * kernel builds, routes and hands down one skb for the whole batch and cuts it into datagrams at
 * the last moment, so its per-send cost is paid once per batch), or with sendmmsg where GSO is off
 * or refused; receives with recvmmsg; never blocks for long: ppoll waits for replies until the
 * next packet is due. GSO fits a generator: every datagram of a connected socket has the same
 * destination. Each datagram still carries its own session, sequence and timestamp.
 */
#include <errno.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fastpath_wire.h"
#include "loadgen.h"

#define RX_BUF 2048 /* larger than any valid reply: FP_HDR_LEN + FP_MAX_PAYLOAD */
#define MAX_RTT_NS (60ull * 1000000000ull)

struct worker {
	struct lg_thread *t;
	const struct lg_config *cfg;
	int fds[LG_MAX_FLOWS];
	struct pollfd pfds[LG_MAX_FLOWS];
	unsigned int nfds;
	uint64_t *sessions;       /* session ids of this thread; session i is sent from fds[i % nfds] */
	uint32_t *seqs;
	unsigned int nsessions;
	unsigned int *cursor;     /* per socket: the next of its sessions to send */
	struct mmsghdr *tx, *rx;
	struct iovec *txiov, *rxiov;
	unsigned char *txbuf, *rxbuf;
	uint8_t expect;           /* reply type */
	bool gso;                 /* UDP_SEGMENT set on every socket and not refused so far */
	unsigned int gso_segs;    /* datagrams per GSO send */
};

uint64_t lg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int fail(struct worker *w, int err, const char *what)
{
	w->t->err = err;
	snprintf(w->t->errmsg, sizeof(w->t->errmsg), "thread %u: %s: %s", w->t->index, what, strerror(err));
	return -err;
}

static int open_socket(struct worker *w)
{
	int one = LG_SOCKBUF_BYTES, fd;
	struct sockaddr_storage dst = w->cfg->dst;

	if (dst.ss_family == AF_INET)
		((struct sockaddr_in *)&dst)->sin_port = htons(w->cfg->port);
	else
		((struct sockaddr_in6 *)&dst)->sin6_port = htons(w->cfg->port);
	fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(w, errno, "socket");
	/* Best effort: the kernel caps these at net.core.[rw]mem_max, which the tuning roles raise. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&dst, w->cfg->dst_len) != 0) { /* picks the source port */
		close(fd);
		return fail(w, errno, "connect to the target");
	}
	if (w->gso) {
		int seg = (int)w->cfg->size;

		/* A kernel without UDP GSO (< 4.18) refuses the option: fall back to sendmmsg. */
		if (setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg)) != 0)
			w->gso = false;
	}
	w->fds[w->nfds] = fd;
	w->pfds[w->nfds] = (struct pollfd){ .fd = fd, .events = POLLIN };
	w->nfds++;
	return 0;
}

static int setup(struct worker *w)
{
	const struct lg_config *cfg = w->cfg;
	unsigned int idx = w->t->index, nflows, b = cfg->batch;

	if (cfg->ncpus) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cfg->cpus[idx % cfg->ncpus], &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
			return fail(w, EINVAL, "pinning to its CPU");
	}
	/* Sessions idx, idx + threads, ...; flows likewise. */
	w->nsessions = (cfg->sessions - idx + cfg->threads - 1) / cfg->threads;
	nflows = (cfg->flows - idx + cfg->threads - 1) / cfg->threads;
	w->sessions = calloc(w->nsessions, sizeof(*w->sessions));
	w->seqs = calloc(w->nsessions, sizeof(*w->seqs));
	w->cursor = calloc(nflows, sizeof(*w->cursor));
	w->tx = calloc(b, sizeof(*w->tx));
	w->rx = calloc(b, sizeof(*w->rx));
	w->txiov = calloc(b, sizeof(*w->txiov));
	w->rxiov = calloc(b, sizeof(*w->rxiov));
	w->txbuf = calloc(b, cfg->size);
	w->rxbuf = calloc(b, RX_BUF);
	if (!w->sessions || !w->seqs || !w->cursor || !w->tx || !w->rx || !w->txiov || !w->rxiov || !w->txbuf ||
	    !w->rxbuf)
		return fail(w, ENOMEM, "allocating buffers");
	for (unsigned int i = 0; i < w->nsessions; i++)
		w->sessions[i] = cfg->session_base + idx + (uint64_t)i * cfg->threads;
	for (unsigned int i = 0; i < nflows; i++) {
		if (open_socket(w))
			return -1;
		w->cursor[i] = i; /* socket i starts with its first session */
	}
	for (unsigned int i = 0; i < b; i++) {
		w->txiov[i] = (struct iovec){ .iov_base = w->txbuf + (size_t)i * cfg->size, .iov_len = cfg->size };
		w->tx[i].msg_hdr = (struct msghdr){ .msg_iov = &w->txiov[i], .msg_iovlen = 1 };
		w->rxiov[i] = (struct iovec){ .iov_base = w->rxbuf + (size_t)i * RX_BUF, .iov_len = RX_BUF };
		w->rx[i].msg_hdr = (struct msghdr){ .msg_iov = &w->rxiov[i], .msg_iovlen = 1 };
	}
	w->expect = cfg->mode == LG_MODE_PING ? FP_T_PONG : FP_T_STATE;
	w->gso_segs = LG_GSO_MAX_BYTES / cfg->size < LG_GSO_MAX_SEGS ? LG_GSO_MAX_BYTES / cfg->size
								      : LG_GSO_MAX_SEGS;
	return 0;
}

/* Stop using GSO on every socket (a route whose device cannot finish the checksums refuses it). */
static void gso_off(struct worker *w)
{
	int zero = 0;

	for (unsigned int i = 0; i < w->nfds; i++)
		setsockopt(w->fds[i], IPPROTO_UDP, UDP_SEGMENT, &zero, sizeof(zero));
	w->gso = false;
}

/*
 * Send the n datagrams in txbuf (contiguous, cfg->size each) on socket f in GSO sends of up to
 * gso_segs. Returns how many were sent, or -1 with errno when the first send failed.
 */
static int send_gso(struct worker *w, unsigned int f, unsigned int n)
{
	unsigned int done = 0, size = w->cfg->size;

	while (done < n) {
		unsigned int m = n - done < w->gso_segs ? n - done : w->gso_segs;

		if (send(w->fds[f], w->txbuf + (size_t)done * size, (size_t)m * size, MSG_DONTWAIT) < 0)
			return done ? (int)done : -1;
		if (m > 1)
			atomic_fetch_add_explicit(&w->t->c.gso_sent, m, memory_order_relaxed);
		done += m;
	}
	return (int)done;
}

static void teardown(struct worker *w)
{
	for (unsigned int i = 0; i < w->nfds; i++)
		close(w->fds[i]);
	free(w->sessions);
	free(w->seqs);
	free(w->cursor);
	free(w->tx);
	free(w->rx);
	free(w->txiov);
	free(w->rxiov);
	free(w->txbuf);
	free(w->rxbuf);
}

/* Send up to n packets on socket f, cycling through the sessions that socket owns. */
static void send_batch(struct worker *w, unsigned int f, unsigned int n)
{
	uint8_t type = w->cfg->mode == LG_MODE_PING ? FP_T_PING : FP_T_INPUT;
	uint64_t now = lg_now_ns();
	int sent;

	for (unsigned int i = 0; i < n; i++) {
		struct fp_hdr *h = w->txiov[i].iov_base;
		unsigned int s = w->cursor[f];

		w->cursor[f] = s + w->nfds < w->nsessions ? s + w->nfds : f; /* f < nsessions: flows <= sessions */
		h->magic = htonl(FP_MAGIC);
		h->version = FP_VERSION;
		h->type = type;
		h->flags = 0;
		h->session_id = htobe64(w->sessions[s]);
		h->seq = htonl(w->seqs[s]++);
		h->payload_len = htonl(w->cfg->size - FP_HDR_LEN);
		h->send_ts_ns = htobe64(now);
	}
	if (w->gso) {
		sent = send_gso(w, f, n);
		/* EIO: no checksum offload on the way out; EINVAL/EOPNOTSUPP: GSO not allowed here. */
		if (sent < 0 && (errno == EIO || errno == EINVAL || errno == EOPNOTSUPP)) {
			gso_off(w);
			sent = sendmmsg(w->fds[f], w->tx, n, MSG_DONTWAIT);
		}
	} else {
		sent = sendmmsg(w->fds[f], w->tx, n, MSG_DONTWAIT);
	}
	if (sent > 0) {
		atomic_fetch_add_explicit(&w->t->c.sent, (uint64_t)sent, memory_order_relaxed);
	} else if (errno == EAGAIN || errno == ENOBUFS) {
		atomic_fetch_add_explicit(&w->t->c.send_blocked, 1, memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&w->t->c.send_errors, 1, memory_order_relaxed);
	}
}

void lg_account_reply(struct lg_thread *t, uint8_t expect, const unsigned char *buf, unsigned int len,
		      uint64_t now)
{
	const struct fp_hdr *h = (const void *)buf;
	uint64_t ts, rtt;

	if (fp_hdr_check(h, len) != FP_DROP_NONE || h->type != expect || !(ntohs(h->flags) & FP_F_REPLY)) {
		atomic_fetch_add_explicit(&t->c.bad, 1, memory_order_relaxed);
		return;
	}
	ts = be64toh(h->send_ts_ns);
	rtt = now - ts;
	if (ts > now || rtt > MAX_RTT_NS) { /* not a timestamp we sent */
		atomic_fetch_add_explicit(&t->c.bad, 1, memory_order_relaxed);
		return;
	}
	lg_hist_record(&t->rtt, rtt);
	atomic_fetch_add_explicit(&t->c.received, 1, memory_order_relaxed);
	if (ntohs(h->flags) & FP_F_XDP)
		atomic_fetch_add_explicit(&t->c.xdp, 1, memory_order_relaxed);
}

/* Read every reply that is waiting on the sockets the last ppoll found readable, without blocking. */
static void drain(struct worker *w)
{
	for (unsigned int f = 0; f < w->nfds; f++) {
		int n;

		/* POLLERR too: reading is what clears a socket's pending error (an ICMP unreachable). */
		if (!(w->pfds[f].revents & (POLLIN | POLLERR)))
			continue;
		do {
			n = recvmmsg(w->fds[f], w->rx, w->cfg->batch, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			uint64_t now = lg_now_ns();

			for (int i = 0; i < n; i++)
				lg_account_reply(w->t, w->expect, w->rxiov[i].iov_base, w->rx[i].msg_len, now);
		} while ((unsigned int)n == w->cfg->batch);
	}
}

static void wait_replies(struct worker *w, uint64_t until_ns)
{
	uint64_t now = lg_now_ns();
	struct timespec ts = { 0 };

	if (until_ns > now) {
		uint64_t d = until_ns - now;

		ts.tv_sec = (time_t)(d / 1000000000ull);
		ts.tv_nsec = (long)(d % 1000000000ull);
	}
	if (ppoll(w->pfds, w->nfds, &ts, NULL) > 0)
		drain(w);
}

static uint64_t thread_rate(const struct lg_config *cfg, unsigned int idx)
{
	uint64_t share = cfg->rate_pps / cfg->threads;

	return share + (idx < cfg->rate_pps % cfg->threads ? 1 : 0);
}

static void run(struct worker *w)
{
	const struct lg_config *cfg = w->cfg;
	struct lg_thread *t = w->t;
	uint64_t rate = thread_rate(cfg, t->index), attempts = 0, now;
	unsigned int f = 0;

	while (lg_now_ns() < t->start_ns)
		wait_replies(w, t->start_ns);
	while (!atomic_load(t->stop) && (now = lg_now_ns()) < t->end_ns) {
		unsigned int n = cfg->batch;

		if (rate) {
			/* Pacing by schedule: what should have gone by now, minus what did. */
			uint64_t due = (uint64_t)((double)(now - t->start_ns) * (double)rate / 1e9) + 1;

			if (due <= attempts) {
				uint64_t next = t->start_ns + (uint64_t)((double)attempts * 1e9 / (double)rate);

				wait_replies(w, next < t->end_ns ? next : t->end_ns);
				continue;
			}
			if (due - attempts < n)
				n = (unsigned int)(due - attempts);
		}
		send_batch(w, f, n);
		attempts += n;
		f = (f + 1) % w->nfds;
		/*
		 * One ppoll that does not wait says which sockets hold replies: cheaper than a recvmmsg
		 * per socket that mostly finds nothing (profiled: 12% of a send-only run's CPU).
		 */
		wait_replies(w, 0);
	}
	/* Linger for late replies; done early once every packet is answered. */
	uint64_t linger_end = lg_now_ns() + cfg->linger_ms * 1000000ull;

	while (!atomic_load(t->stop) && lg_now_ns() < linger_end &&
	       atomic_load(&t->c.received) + atomic_load(&t->c.bad) < atomic_load(&t->c.sent))
		wait_replies(w, linger_end);
}

void *lg_worker(void *arg)
{
	struct worker w = { .t = arg, .cfg = ((struct lg_thread *)arg)->cfg };

	w.gso = w.cfg->gso;
	lg_hist_init(&w.t->rtt);
	if (setup(&w) == 0)
		run(&w);
	teardown(&w);
	return NULL;
}

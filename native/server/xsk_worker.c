// SPDX-License-Identifier: Apache-2.0
/*
 * The AF_XDP worker: see xsk_worker.h.
 *
 * Life of a UMEM frame: it waits on the free stack, goes to the fill ring, comes back on the rx
 * ring holding a frame; an answered frame goes to the tx ring and returns through the completion
 * ring; any other goes straight back to the free stack. need_wakeup is on: the kernel is kicked
 * (sendto for tx, poll for fill) only when it says it sleeps.
 */
#include "xsk_worker.h"

#ifdef FP_HAVE_LIBXDP

#include <errno.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdp/xsk.h>
#include <bpf/bpf.h>

#include "exit_codes.h"
#include "frame.h"
#include "worker.h"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

#define MAX_RING 2048     /* descriptors per ring: libxdp's default */
#define MAX_BATCH 256     /* frames taken off the rx ring at once */
#define POLL_MS 1000      /* an idle worker still looks at its stop fd this often */
#define STOP_SPINS 1000
#define BUSY_CHECK_ROUNDS 256 /* batches between two looks at the stop fd while frames keep coming */   /* a stopping worker waits at most this many kicks for its completions */

struct fp_xsk {
	void *area;
	size_t area_len;
	unsigned int frame_size, nframes;
	struct xsk_umem *umem;
	struct xsk_socket *sock;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	uint64_t *free;        /* free stack of frame addresses */
	unsigned int nfree;
	uint32_t *tx_len;      /* per frame: UDP payload bytes of the reply it carries */
	unsigned int in_tx;    /* frames on the tx or completion ring */
	unsigned int tx_pending; /* reserved on the tx ring, not yet submitted */
	struct mmsghdr *msgs;  /* relay: [batch * upstreams] */
	struct iovec *iovs;    /* relay: [batch] */
	uint64_t *relay_addr;  /* relay: frames whose datagram is in msgs */
	unsigned int nrelay;
	uint8_t udp_buf[2048]; /* datagrams the stack passed to the UDP socket */
};

static void xfail(struct fp_worker *w, int status, const char *what, int err)
{
	w->status = status;
	snprintf(w->error, sizeof(w->error), "worker %u (queue %d): %s: %s", w->id, w->queue, what,
		 strerror(err));
}

static void put_free(struct fp_xsk *x, uint64_t addr)
{
	x->free[x->nfree++] = addr - addr % x->frame_size; /* the kernel may hand back an offset */
}

/* Give the kernel every free frame the fill ring has room for. */
static void refill(struct fp_xsk *x)
{
	unsigned int n = xsk_prod_nb_free(&x->fill, x->nfree);
	__u32 idx;

	if (n > x->nfree)
		n = x->nfree;
	if (!n || xsk_ring_prod__reserve(&x->fill, n, &idx) != n)
		return;
	for (unsigned int i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fill, idx + i) = x->free[--x->nfree];
	xsk_ring_prod__submit(&x->fill, n);
}

/* Sent frames come back: count them as sent, make them free. */
static void complete(struct fp_worker *w)
{
	struct fp_xsk *x = w->xsk;
	__u32 idx, n = xsk_ring_cons__peek(&x->comp, MAX_RING, &idx);

	for (__u32 i = 0; i < n; i++) {
		uint64_t addr = *xsk_ring_cons__comp_addr(&x->comp, idx + i);

		FP_STAT_ADD(w->stats, tx_packets, 1);
		FP_STAT_ADD(w->stats, tx_bytes, x->tx_len[addr / x->frame_size]);
		put_free(x, addr);
	}
	if (n) {
		xsk_ring_cons__release(&x->comp, n);
		x->in_tx -= n;
	}
}

/* Publish the reserved tx descriptors as one batch. */
static void submit_tx(struct fp_worker *w)
{
	struct fp_xsk *x = w->xsk;

	if (!x->tx_pending)
		return;
	xsk_ring_prod__submit(&x->tx, x->tx_pending);
	FP_STAT_ADD(w->stats, send_batches, 1);
	FP_STAT_ADD(w->stats, sends_submitted, x->tx_pending);
	x->tx_pending = 0;
}

/* Copy mode sends only when asked; zero-copy drivers when they say they sleep. */
static void kick_tx(struct fp_worker *w)
{
	submit_tx(w);
	if (!xsk_ring_prod__needs_wakeup(&w->xsk->tx))
		return;
	if (sendto(xsk_socket__fd(w->xsk->sock), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
	    errno != EBUSY && errno != ENOBUFS && errno != ENETDOWN)
		FP_STAT_ADD(w->stats, send_errors, 1);
}

/* Queue the reply in frame addr on the tx ring; false when the ring stays full. */
static bool queue_tx(struct fp_worker *w, uint64_t addr, uint32_t len, uint32_t payload)
{
	struct fp_xsk *x = w->xsk;
	struct xdp_desc *d;
	__u32 idx;

	if (xsk_ring_prod__reserve(&x->tx, 1, &idx) != 1) {
		kick_tx(w);
		complete(w);
		if (xsk_ring_prod__reserve(&x->tx, 1, &idx) != 1)
			return false;
	}
	d = xsk_ring_prod__tx_desc(&x->tx, idx);
	d->addr = addr;
	d->len = len;
	x->tx_len[addr / x->frame_size] = payload;
	x->in_tx++;
	x->tx_pending++;
	return true;
}

static void queue_relay(struct fp_worker *w, uint64_t addr, struct fp_frame *f)
{
	const struct fp_config *cfg = w->cfg;
	struct fp_xsk *x = w->xsk;
	unsigned int r = x->nrelay++;

	x->iovs[r].iov_base = f->fp;
	x->iovs[r].iov_len = f->udp_len - 8;
	x->relay_addr[r] = addr;
	for (unsigned int u = 0; u < cfg->nupstreams; u++) {
		struct msghdr *m = &x->msgs[r * cfg->nupstreams + u].msg_hdr;

		m->msg_name = (void *)&cfg->upstreams[u].ss;
		m->msg_namelen = cfg->upstreams[u].len;
		m->msg_iov = &x->iovs[r];
		m->msg_iovlen = 1;
	}
}

/* Relay: one sendmmsg for the batch's datagrams to every upstream, then the frames are free. */
static void flush_relay(struct fp_worker *w)
{
	struct fp_xsk *x = w->xsk;
	unsigned int total = x->nrelay * w->cfg->nupstreams, done = 0;

	while (done < total) {
		int n = sendmmsg(w->fd, x->msgs + done, total - done, MSG_DONTWAIT);

		if (n <= 0) {
			FP_STAT_ADD(w->stats, send_errors, total - done);
			break;
		}
		for (int i = 0; i < n; i++)
			FP_STAT_ADD(w->stats, tx_bytes, x->msgs[done + (unsigned int)i].msg_len);
		FP_STAT_ADD(w->stats, tx_packets, n);
		done += (unsigned int)n;
	}
	if (total) {
		FP_STAT_ADD(w->stats, send_batches, 1);
		FP_STAT_ADD(w->stats, sends_submitted, total);
	}
	for (unsigned int r = 0; r < x->nrelay; r++)
		put_free(x, x->relay_addr[r]);
	x->nrelay = 0;
}

static void on_frame(struct fp_worker *w, const struct xdp_desc *d)
{
	const struct fp_config *cfg = w->cfg;
	struct fp_xsk *x = w->xsk;
	uint64_t addr = xsk_umem__add_offset_to_addr(d->addr);
	enum fp_drop_reason why;
	struct fp_frame f;

	FP_STAT_ADD(w->stats, rx_packets, 1);
	why = fp_frame_parse(xsk_umem__get_data(x->area, addr), d->len, cfg->port, &f);
	if (f.udp_len >= 8)
		FP_STAT_ADD(w->stats, rx_bytes, f.udp_len - 8);
	if (why == FP_DROP_NONE && cfg->mode == FP_MODE_ECHO)
		why = fp_echo_reply(f.fp);
	if (why != FP_DROP_NONE) {
		FP_STAT_ADD(w->stats, drops[why], 1);
		put_free(x, addr);
		return;
	}
	if (cfg->mode == FP_MODE_RELAY) {
		queue_relay(w, addr, &f);
		return;
	}
	fp_frame_make_reply(&f);
	if (!queue_tx(w, addr, d->len, f.udp_len - 8)) {
		FP_STAT_ADD(w->stats, send_errors, 1);
		put_free(x, addr);
	}
}

/* Datagrams the XDP program left to the stack: checked and answered from the UDP socket. */
static void drain_udp(struct fp_worker *w)
{
	const struct fp_config *cfg = w->cfg;
	struct fp_xsk *x = w->xsk;

	for (unsigned int i = 0; i < cfg->batch; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		enum fp_drop_reason why;
		ssize_t n = recvfrom(w->fd, x->udp_buf, sizeof(x->udp_buf), MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &fromlen);

		if (n < 0)
			return;
		FP_STAT_ADD(w->stats, rx_packets, 1);
		FP_STAT_ADD(w->stats, rx_bytes, n);
		why = (size_t)n > sizeof(x->udp_buf) ? FP_DROP_LENGTH
						      : fp_hdr_check((struct fp_hdr *)x->udp_buf, (uint32_t)n);
		if (why == FP_DROP_NONE && cfg->mode == FP_MODE_ECHO)
			why = fp_echo_reply((struct fp_hdr *)x->udp_buf);
		if (why != FP_DROP_NONE) {
			FP_STAT_ADD(w->stats, drops[why], 1);
			continue;
		}
		for (unsigned int u = 0; u < (cfg->mode == FP_MODE_ECHO ? 1 : cfg->nupstreams); u++) {
			const struct sockaddr *to = cfg->mode == FP_MODE_ECHO ? (struct sockaddr *)&from
									     : (struct sockaddr *)&cfg->upstreams[u].ss;
			socklen_t tolen = cfg->mode == FP_MODE_ECHO ? fromlen : cfg->upstreams[u].len;

			if (sendto(w->fd, x->udp_buf, (size_t)n, MSG_DONTWAIT, to, tolen) == n) {
				FP_STAT_ADD(w->stats, tx_packets, 1);
				FP_STAT_ADD(w->stats, tx_bytes, n);
			} else {
				FP_STAT_ADD(w->stats, send_errors, 1);
			}
		}
	}
}

/* Sleep until frames, a passed datagram or the stop request arrive. Returns false to stop. */
static bool wait_idle(struct fp_worker *w)
{
	struct pollfd pfd[3] = {
		{ .fd = xsk_socket__fd(w->xsk->sock), .events = POLLIN },
		{ .fd = w->fd, .events = POLLIN },
		{ .fd = w->wake_fd, .events = POLLIN },
	};

	if (poll(pfd, 3, POLL_MS) < 0 && errno != EINTR)
		return false;
	if (pfd[1].revents & POLLIN)
		drain_udp(w);
	return !(pfd[2].revents & POLLIN);
}

/* A busy worker never sleeps in poll: look at the stop fd (and the UDP socket) now and then. */
static bool busy_check(struct fp_worker *w)
{
	struct pollfd pfd[2] = { { .fd = w->fd, .events = POLLIN }, { .fd = w->wake_fd, .events = POLLIN } };

	if (poll(pfd, 2, 0) <= 0)
		return true;
	if (pfd[0].revents & POLLIN)
		drain_udp(w);
	return !(pfd[1].revents & POLLIN);
}

int fp_xsk_run(struct fp_worker *w)
{
	struct fp_xsk *x = w->xsk;
	unsigned int batch = w->cfg->batch < MAX_BATCH ? w->cfg->batch : MAX_BATCH;

	for (unsigned int round = 1;; round++) {
		__u32 idx, n;

		complete(w);
		refill(x);
		n = xsk_ring_cons__peek(&x->rx, batch, &idx);
		if (!n) {
			if (!wait_idle(w))
				break;
			continue;
		}
		if (round % BUSY_CHECK_ROUNDS == 0 && !busy_check(w))
			break;
		for (__u32 i = 0; i < n; i++)
			on_frame(w, xsk_ring_cons__rx_desc(&x->rx, idx + i));
		xsk_ring_cons__release(&x->rx, n);
		if (x->nrelay)
			flush_relay(w);
		/* Everything this batch answered goes out with one submit (and at most one kick). */
		if (x->tx_pending)
			kick_tx(w);
	}
	/* Stopping: what was queued still goes out and completes. */
	for (unsigned int spin = 0; x->in_tx && spin < STOP_SPINS; spin++) {
		kick_tx(w);
		complete(w);
		if (x->in_tx)
			usleep(100);
	}
	return 0;
}

/* Busy polling (busy_poll_us > 0): the socket's own NAPI polling instead of interrupts. */
static void busy_poll(struct fp_worker *w, int fd)
{
	int on = 1, us = (int)w->cfg->busy_poll_us, budget = (int)w->cfg->batch;

	if (!us)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget)) < 0)
		fprintf(stderr, "fastpath-server: warning: worker %u: busy polling on the AF_XDP socket refused: %s\n",
			w->id, strerror(errno));
}

/* UMEM and socket with the given bind flags; everything undone on failure. Returns 0 or -errno. */
static int create(struct fp_worker *w, __u16 bind_flags)
{
	struct fp_xsk *x = w->xsk;
	unsigned int ring = x->nframes / 2 < MAX_RING ? x->nframes / 2 : MAX_RING;
	struct xsk_umem_config ucfg = {
		.fill_size = ring, .comp_size = ring, .frame_size = x->frame_size,
		.frame_headroom = 0, .flags = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = ring, .tx_size = ring,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, /* our own program redirects */
		.bind_flags = bind_flags | XDP_USE_NEED_WAKEUP,
	};
	int ret = xsk_umem__create(&x->umem, x->area, x->area_len, &x->fill, &x->comp, &ucfg);

	if (ret)
		return ret;
	ret = xsk_socket__create(&x->sock, w->cfg->xdp_interface, (__u32)w->queue, x->umem, &x->rx, &x->tx,
				 &scfg);
	if (ret) {
		xsk_umem__delete(x->umem);
		x->umem = NULL;
		x->sock = NULL;
	}
	return ret;
}

int fp_xsk_setup(struct fp_worker *w)
{
	const struct fp_config *cfg = w->cfg;
	size_t batch = cfg->batch < MAX_BATCH ? cfg->batch : MAX_BATCH;
	struct fp_xsk *x;
	int ret;

	w->xsk_fd = -1;
	x = w->xsk = calloc(1, sizeof(*x));
	if (!x) {
		xfail(w, FP_EXIT_SETUP, "allocating the AF_XDP worker", ENOMEM);
		return -1;
	}
	x->frame_size = cfg->buffer_size;
	x->nframes = cfg->buffers;
	x->area_len = (size_t)x->frame_size * x->nframes;
	x->free = calloc(x->nframes, sizeof(*x->free));
	x->tx_len = calloc(x->nframes, sizeof(*x->tx_len));
	x->iovs = calloc(batch, sizeof(*x->iovs));
	x->relay_addr = calloc(batch, sizeof(*x->relay_addr));
	x->msgs = calloc(batch * (cfg->nupstreams ? cfg->nupstreams : 1), sizeof(*x->msgs));
	/* Touched first by this thread, pinned to its CPU: the frames live in its memory node. */
	x->area = mmap(NULL, x->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		       -1, 0);
	if (x->area == MAP_FAILED)
		x->area = NULL;
	if (!x->free || !x->tx_len || !x->iovs || !x->relay_addr || !x->msgs || !x->area) {
		xfail(w, FP_EXIT_SETUP, "allocating the UMEM (lower buffers?)", ENOMEM);
		return -1;
	}
	for (unsigned int i = 0; i < x->nframes; i++)
		x->free[x->nfree++] = (uint64_t)i * x->frame_size;
	/* Zero-copy where the driver has it; copy mode (the kernel copies each frame) otherwise. */
	ret = create(w, XDP_ZEROCOPY);
	if (ret == 0) {
		w->zerocopy = true;
		w->xsk_why[0] = '\0';
	} else {
		snprintf(w->xsk_why, sizeof(w->xsk_why), "the driver refused zero-copy: %s", strerror(-ret));
		ret = create(w, XDP_COPY);
	}
	if (ret) {
		w->status = FP_EXIT_XDP;
		snprintf(w->error, sizeof(w->error),
			 "worker %u: xdp_interface: binding an AF_XDP socket to %s queue %d: %s (%s)", w->id,
			 cfg->xdp_interface, w->queue, strerror(-ret),
			 ret == -EPERM ? "needs CAP_NET_RAW and CAP_BPF" : "no AF_XDP support on this NIC or queue?");
		return -1;
	}
	busy_poll(w, xsk_socket__fd(x->sock));
	ret = xsk_socket__update_xskmap(x->sock, w->xsk_map_fd);
	if (ret) {
		xfail(w, FP_EXIT_XDP, "putting the AF_XDP socket into the XDP program's map", -ret);
		return -1;
	}
	refill(x);
	__atomic_store_n(&w->xsk_fd, xsk_socket__fd(x->sock), __ATOMIC_RELEASE);
	return 0;
}

void fp_xsk_teardown(struct fp_worker *w)
{
	struct fp_xsk *x = w->xsk;

	if (!x)
		return;
	__atomic_store_n(&w->xsk_fd, -1, __ATOMIC_RELEASE);
	if (x->sock) {
		__u32 key = (__u32)w->queue;

		bpf_map_delete_elem(w->xsk_map_fd, &key); /* the kernel also drops it on close */
		xsk_socket__delete(x->sock);
	}
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area)
		munmap(x->area, x->area_len);
	free(x->free);
	free(x->tx_len);
	free(x->iovs);
	free(x->relay_addr);
	free(x->msgs);
	free(x);
	w->xsk = NULL;
}

#else /* !FP_HAVE_LIBXDP: config.c refuses xdp_mode = afxdp, so these never run */

#include <stdio.h>

#include "worker.h"

int fp_xsk_setup(struct fp_worker *w)
{
	w->status = 2;
	snprintf(w->error, sizeof(w->error), "xdp_mode: afxdp needs a build with libxdp");
	return -1;
}

int fp_xsk_run(struct fp_worker *w)
{
	(void)w;
	return 0;
}

void fp_xsk_teardown(struct fp_worker *w)
{
	(void)w;
}

#endif /* FP_HAVE_LIBXDP */

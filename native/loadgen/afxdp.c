// SPDX-License-Identifier: Apache-2.0
/*
 * fastpath-loadgen --afxdp: whole frames sent and received through AF_XDP sockets, one per thread on
 * rx/tx queue `thread`, UMEM and rings from libxdp's xsk helpers. The flows' source ports are real
 * UDP sockets (so nothing else takes them, and a reply the XDP program passes to the stack still
 * arrives); fastpath's own XDP program, attached to the interface with those ports, redirects the
 * replies into the threads' sockets (steering xsk). Frames are built from a per-flow template: only
 * the fastpath header and the UDP checksum change per packet. Counters, RTT and JSON as without it.
 */
#include "loadgen.h"

#ifdef FP_HAVE_LIBXDP

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_xdp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include "../server/frame.h"
#include "fastpath_csum.h"
#include "fastpath_wire.h"
#include "fastpath_xdp.h"

#define FRAME_SIZE 2048
#define NFRAMES 4096          /* the first half is for receiving, the second for sending */
#define RING 2048
#define HDRS_MAX (ETH_HLEN + sizeof(struct ipv6hdr) + sizeof(struct udphdr))

struct lg_afxdp {
	int fds[LG_MAX_FLOWS];
	uint16_t ports[LG_MAX_FLOWS];   /* source port of each flow */
	struct sockaddr_storage src;    /* the source address the route gives */
	unsigned char src_mac[ETH_ALEN];
	struct fp_xdp *xdp;
	int map_fd;
	atomic_uint settled;            /* threads done with their set-up (well or not) */
	atomic_uint finished;           /* threads done sending and lingering */
};

struct xworker {
	struct lg_thread *t;
	const struct lg_config *cfg;
	struct lg_afxdp *ax;
	void *area;
	struct xsk_umem *umem;
	struct xsk_socket *sock;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	uint64_t txfree[NFRAMES / 2];
	unsigned int ntxfree;
	unsigned int flows[LG_MAX_FLOWS]; /* this thread's flows (indexes into ax) */
	unsigned int nflows;
	uint8_t tmpl[LG_MAX_FLOWS][HDRS_MAX]; /* Ethernet + IP + UDP of each flow */
	unsigned int hdrs_len;
	uint64_t *sessions;
	uint32_t *seqs;
	unsigned int nsessions, cursor[LG_MAX_FLOWS];
	uint8_t expect;
	struct pollfd pfds[LG_MAX_FLOWS + 1];
	unsigned char udp_buf[2048];
};

static int sys_fail(const char *what, int err)
{
	fprintf(stderr, "fastpath-loadgen: --afxdp: %s: %s\n", what, strerror(err));
	return LG_EXIT_RUNTIME;
}

static void keep_error(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "fastpath-loadgen: --afxdp: %s\n", msg);
}

int lg_afxdp_prepare(struct lg_config *cfg)
{
	struct lg_afxdp *ax = calloc(1, sizeof(*ax));
	struct sockaddr_storage dst = cfg->dst;
	struct fp_xdp_opts o;
	struct ifreq ifr = { 0 };
	int fd, ret;

	if (!ax)
		return sys_fail("allocating", ENOMEM);
	if (dst.ss_family == AF_INET)
		((struct sockaddr_in *)&dst)->sin_port = htons(cfg->port);
	else
		((struct sockaddr_in6 *)&dst)->sin6_port = htons(cfg->port);
	for (unsigned int f = 0; f < cfg->flows; f++) {
		socklen_t len = sizeof(ax->src);

		fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&dst, cfg->dst_len) != 0 ||
		    getsockname(fd, (struct sockaddr *)&ax->src, &len) != 0)
			return sys_fail("reserving a source port", errno);
		ax->fds[f] = fd;
		ax->ports[f] = ntohs(ax->src.ss_family == AF_INET ? ((struct sockaddr_in *)&ax->src)->sin_port
								  : ((struct sockaddr_in6 *)&ax->src)->sin6_port);
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cfg->afxdp_iface);
	if (ioctl(ax->fds[0], SIOCGIFHWADDR, &ifr) != 0)
		return sys_fail(cfg->afxdp_iface, errno);
	memcpy(ax->src_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	fp_xdp_set_error_handler(keep_error, NULL);
	fp_xdp_opts_init(&o, cfg->afxdp_iface);
	o.steer = FP_XDP_STEER_XSK;
	o.nports = cfg->flows;
	for (unsigned int f = 0; f < cfg->flows; f++)
		o.ports[f] = ax->ports[f];
	ret = fp_xdp_attach(&o, &ax->xdp);
	if (ret < 0)
		return LG_EXIT_RUNTIME; /* the handler said why */
	ax->map_fd = fp_xdp_xsk_map_fd(ax->xdp);
	cfg->ax = ax;
	return 0;
}

void lg_afxdp_finish(struct lg_config *cfg)
{
	if (!cfg->ax)
		return;
	fp_xdp_detach(cfg->ax->xdp);
	for (unsigned int f = 0; f < cfg->flows; f++)
		close(cfg->ax->fds[f]);
	free(cfg->ax);
	cfg->ax = NULL;
}

static int xfail(struct xworker *w, int err, const char *what)
{
	w->t->err = err;
	snprintf(w->t->errmsg, sizeof(w->t->errmsg), "thread %u (queue %u): %s: %s", w->t->index, w->t->index,
		 what, strerror(err));
	return -err;
}

/* Ethernet, IP and UDP headers of flow f, complete but for the UDP checksum. */
static void build_template(struct xworker *w, unsigned int slot, unsigned int f)
{
	const struct lg_config *cfg = w->cfg;
	uint8_t *p = w->tmpl[slot];
	uint16_t udp_len = (uint16_t)(sizeof(struct udphdr) + cfg->size), proto;
	struct udphdr *udp;

	memcpy(p, cfg->dst_mac, ETH_ALEN);
	memcpy(p + ETH_ALEN, w->ax->src_mac, ETH_ALEN);
	if (cfg->dst.ss_family == AF_INET) {
		struct iphdr *ip = (void *)(p + ETH_HLEN);

		proto = htons(ETH_P_IP);
		*ip = (struct iphdr){ .version = 4, .ihl = 5, .tot_len = htons((uint16_t)(sizeof(*ip) + udp_len)),
				      .frag_off = htons(0x4000), .ttl = 64, .protocol = IPPROTO_UDP };
		ip->saddr = ((struct sockaddr_in *)&w->ax->src)->sin_addr.s_addr;
		ip->daddr = ((const struct sockaddr_in *)&cfg->dst)->sin_addr.s_addr;
		ip->check = (uint16_t)~fp_csum_fold(fp_csum_add((uint8_t *)ip, sizeof(*ip), 0));
		udp = (void *)(ip + 1);
	} else {
		struct ipv6hdr *ip = (void *)(p + ETH_HLEN);

		proto = htons(ETH_P_IPV6);
		memset(ip, 0, sizeof(*ip));
		ip->version = 6;
		ip->payload_len = htons(udp_len);
		ip->nexthdr = IPPROTO_UDP;
		ip->hop_limit = 64;
		memcpy(&ip->saddr, &((struct sockaddr_in6 *)&w->ax->src)->sin6_addr, 16);
		memcpy(&ip->daddr, &((const struct sockaddr_in6 *)&cfg->dst)->sin6_addr, 16);
		udp = (void *)(ip + 1);
	}
	memcpy(p + 2 * ETH_ALEN, &proto, 2);
	*udp = (struct udphdr){ .source = htons(w->ax->ports[f]), .dest = htons(cfg->port), .len = htons(udp_len) };
	w->hdrs_len = (unsigned int)((uint8_t *)(udp + 1) - p);
}

/* Pseudo header sum of a template (addresses, protocol, UDP length). */
static uint32_t pseudo_sum(const struct xworker *w, const uint8_t *frame)
{
	const struct udphdr *udp = (const void *)(frame + w->hdrs_len - sizeof(*udp));
	uint32_t sum = htons(IPPROTO_UDP) + udp->len;

	if (w->cfg->dst.ss_family == AF_INET)
		return fp_csum_add(frame + ETH_HLEN + offsetof(struct iphdr, saddr), 8, sum);
	return fp_csum_add(frame + ETH_HLEN + offsetof(struct ipv6hdr, saddr), 32, sum);
}

static int create(struct xworker *w, __u16 bind_flags)
{
	struct xsk_umem_config ucfg = { .fill_size = RING, .comp_size = RING, .frame_size = FRAME_SIZE };
	struct xsk_socket_config scfg = {
		.rx_size = RING, .tx_size = RING, .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = bind_flags | XDP_USE_NEED_WAKEUP,
	};
	int ret = xsk_umem__create(&w->umem, w->area, (size_t)NFRAMES * FRAME_SIZE, &w->fill, &w->comp, &ucfg);

	if (ret)
		return ret;
	ret = xsk_socket__create(&w->sock, w->cfg->afxdp_iface, w->t->index, w->umem, &w->rx, &w->tx, &scfg);
	if (ret) {
		xsk_umem__delete(w->umem);
		w->umem = NULL;
		w->sock = NULL;
	}
	return ret;
}

static int setup(struct xworker *w)
{
	const struct lg_config *cfg = w->cfg;
	unsigned int idx = w->t->index;
	__u32 fidx;
	int ret;

	if (cfg->ncpus) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cfg->cpus[idx % cfg->ncpus], &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
			return xfail(w, EINVAL, "pinning to its CPU");
	}
	w->nsessions = (cfg->sessions - idx + cfg->threads - 1) / cfg->threads;
	w->sessions = calloc(w->nsessions, sizeof(*w->sessions));
	w->seqs = calloc(w->nsessions, sizeof(*w->seqs));
	w->area = mmap(NULL, (size_t)NFRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (!w->sessions || !w->seqs || w->area == MAP_FAILED) {
		w->area = NULL;
		return xfail(w, ENOMEM, "allocating the UMEM");
	}
	for (unsigned int i = 0; i < w->nsessions; i++)
		w->sessions[i] = cfg->session_base + idx + (uint64_t)i * cfg->threads;
	for (unsigned int f = idx; f < cfg->flows; f += cfg->threads) {
		build_template(w, w->nflows, f);
		w->pfds[w->nflows] = (struct pollfd){ .fd = w->ax->fds[f], .events = POLLIN };
		w->cursor[w->nflows] = w->nflows;
		w->flows[w->nflows++] = f;
	}
	ret = create(w, XDP_ZEROCOPY);
	if (ret)
		ret = create(w, XDP_COPY);
	if (ret)
		return xfail(w, -ret, "binding an AF_XDP socket (is the queue there? CAP_NET_RAW?)");
	ret = xsk_socket__update_xskmap(w->sock, w->ax->map_fd);
	if (ret)
		return xfail(w, -ret, "putting the AF_XDP socket into the XDP program's map");
	w->pfds[w->nflows] = (struct pollfd){ .fd = xsk_socket__fd(w->sock), .events = POLLIN };
	if (xsk_ring_prod__reserve(&w->fill, RING, &fidx) != RING)
		return xfail(w, ENOSPC, "filling the fill ring");
	for (unsigned int i = 0; i < RING; i++)
		*xsk_ring_prod__fill_addr(&w->fill, fidx + i) = (uint64_t)i * FRAME_SIZE;
	xsk_ring_prod__submit(&w->fill, RING);
	for (unsigned int i = 0; i < NFRAMES / 2; i++)
		w->txfree[w->ntxfree++] = (uint64_t)(NFRAMES / 2 + i) * FRAME_SIZE;
	w->expect = cfg->mode == LG_MODE_PING ? FP_T_PONG : FP_T_STATE;
	return 0;
}

static void complete(struct xworker *w)
{
	__u32 idx, n = xsk_ring_cons__peek(&w->comp, RING, &idx);

	for (__u32 i = 0; i < n; i++)
		w->txfree[w->ntxfree++] = *xsk_ring_cons__comp_addr(&w->comp, idx + i);
	if (n)
		xsk_ring_cons__release(&w->comp, n);
}

/* Up to n frames for flow slot s, as many as there are free frames and ring slots. */
static void send_batch(struct xworker *w, unsigned int s, unsigned int n)
{
	uint8_t type = w->cfg->mode == LG_MODE_PING ? FP_T_PING : FP_T_INPUT;
	uint32_t len = w->hdrs_len + w->cfg->size;
	uint64_t now = lg_now_ns();
	__u32 idx;

	complete(w);
	if (n > w->ntxfree)
		n = w->ntxfree;
	if (!n || xsk_ring_prod__reserve(&w->tx, n, &idx) != n) {
		atomic_fetch_add_explicit(&w->t->c.send_blocked, 1, memory_order_relaxed);
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		uint64_t addr = w->txfree[--w->ntxfree];
		uint8_t *frame = xsk_umem__get_data(w->area, addr);
		struct fp_hdr *h = (void *)(frame + w->hdrs_len);
		struct udphdr *udp = (void *)(frame + w->hdrs_len - sizeof(*udp));
		unsigned int sess = w->cursor[s];
		uint16_t check;

		w->cursor[s] = sess + w->nflows < w->nsessions ? sess + w->nflows : s;
		memcpy(frame, w->tmpl[s], w->hdrs_len);
		memset(h, 0, w->cfg->size);
		h->magic = htonl(FP_MAGIC);
		h->version = FP_VERSION;
		h->type = type;
		h->session_id = htobe64(w->sessions[sess]);
		h->seq = htonl(w->seqs[sess]++);
		h->payload_len = htonl(w->cfg->size - FP_HDR_LEN);
		h->send_ts_ns = htobe64(now);
		check = (uint16_t)~fp_csum_fold(fp_csum_add((uint8_t *)udp, ntohs(udp->len), pseudo_sum(w, frame)));
		udp->check = check ? check : 0xffff;
		*xsk_ring_prod__tx_desc(&w->tx, idx + i) = (struct xdp_desc){ .addr = addr, .len = len };
	}
	xsk_ring_prod__submit(&w->tx, n);
	if (xsk_ring_prod__needs_wakeup(&w->tx) &&
	    sendto(xsk_socket__fd(w->sock), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
	    errno != EBUSY && errno != ENOBUFS)
		atomic_fetch_add_explicit(&w->t->c.send_errors, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->t->c.sent, n, memory_order_relaxed);
}

/* Replies on the AF_XDP socket: parsed as whole frames, counted, their frames back to the fill ring. */
static void receive(struct xworker *w)
{
	__u32 idx, fidx, n = xsk_ring_cons__peek(&w->rx, RING, &idx);
	uint64_t now = lg_now_ns();

	if (!n)
		return;
	for (__u32 i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&w->rx, idx + i);
		struct fp_frame f;

		if (fp_frame_parse(xsk_umem__get_data(w->area, d->addr), d->len, 0, &f) == FP_DROP_NONE)
			lg_account_reply(w->t, w->expect, (const unsigned char *)f.fp, f.udp_len - 8, now);
		else
			atomic_fetch_add_explicit(&w->t->c.bad, 1, memory_order_relaxed);
	}
	/* The fill ring has room for every frame the rx ring gave back: both hold RING. */
	if (xsk_ring_prod__reserve(&w->fill, n, &fidx) == n) {
		for (__u32 i = 0; i < n; i++)
			*xsk_ring_prod__fill_addr(&w->fill, fidx + i) =
				xsk_umem__extract_addr(xsk_ring_cons__rx_desc(&w->rx, idx + i)->addr) &
				~(uint64_t)(FRAME_SIZE - 1);
		xsk_ring_prod__submit(&w->fill, n);
	}
	xsk_ring_cons__release(&w->rx, n);
}

/* Replies the XDP program left to the stack (a queue without a socket) arrive on the flows' sockets. */
static void drain_udp(struct xworker *w)
{
	for (unsigned int s = 0; s < w->nflows; s++) {
		ssize_t n;

		if (!(w->pfds[s].revents & (POLLIN | POLLERR)))
			continue;
		while ((n = recv(w->pfds[s].fd, w->udp_buf, sizeof(w->udp_buf), MSG_DONTWAIT)) >= 0)
			lg_account_reply(w->t, w->expect, w->udp_buf, (unsigned int)n, lg_now_ns());
	}
}

static void wait_replies(struct xworker *w, uint64_t until_ns)
{
	uint64_t now = lg_now_ns();
	struct timespec ts = { 0 };

	if (until_ns > now) {
		ts.tv_sec = (time_t)((until_ns - now) / 1000000000ull);
		ts.tv_nsec = (long)((until_ns - now) % 1000000000ull);
	}
	if (xsk_ring_prod__needs_wakeup(&w->fill) || until_ns > now) {
		if (ppoll(w->pfds, w->nflows + 1, &ts, NULL) > 0)
			drain_udp(w);
	}
	receive(w);
	complete(w);
}

static void run(struct xworker *w)
{
	const struct lg_config *cfg = w->cfg;
	struct lg_thread *t = w->t;
	uint64_t share = cfg->rate_pps / cfg->threads, rate, attempts = 0, now;
	unsigned int s = 0;

	rate = share + (t->index < cfg->rate_pps % cfg->threads ? 1 : 0);
	while (lg_now_ns() < t->start_ns)
		wait_replies(w, t->start_ns);
	while (!atomic_load(t->stop) && (now = lg_now_ns()) < t->end_ns) {
		unsigned int n = cfg->batch;

		if (rate) {
			uint64_t due = (uint64_t)((double)(now - t->start_ns) * (double)rate / 1e9) + 1;

			if (due <= attempts) {
				uint64_t next = t->start_ns + (uint64_t)((double)attempts * 1e9 / (double)rate);

				wait_replies(w, next < t->end_ns ? next : t->end_ns);
				continue;
			}
			if (due - attempts < n)
				n = (unsigned int)(due - attempts);
		}
		send_batch(w, s, n);
		attempts += n;
		s = (s + 1) % w->nflows;
		wait_replies(w, 0);
	}
	uint64_t linger_end = lg_now_ns() + cfg->linger_ms * 1000000ull;

	while (!atomic_load(t->stop) && lg_now_ns() < linger_end &&
	       atomic_load(&t->c.received) + atomic_load(&t->c.bad) < atomic_load(&t->c.sent))
		wait_replies(w, lg_now_ns() + 1000000ull < linger_end ? lg_now_ns() + 1000000ull : linger_end);
}

void *lg_afxdp_worker(void *arg)
{
	struct xworker *w = calloc(1, sizeof(*w));
	struct lg_thread *t = arg;

	lg_hist_init(&t->rtt);
	if (!w) {
		t->err = ENOMEM;
		snprintf(t->errmsg, sizeof(t->errmsg), "thread %u: out of memory", t->index);
		return NULL;
	}
	w->t = t;
	w->cfg = t->cfg;
	w->ax = t->cfg->ax;
	if (setup(w) == 0) {
		/* Send only once every thread's socket is in the map: a reply to a queue whose socket is
		 * not there yet would take the stack's path (still counted, but not what was asked for). */
		atomic_fetch_add(&w->ax->settled, 1);
		while (atomic_load(&w->ax->settled) < w->cfg->threads && !atomic_load(t->stop) &&
		       lg_now_ns() < t->end_ns)
			usleep(1000);
		run(w);
		/* A reply comes back on the queue the server sent it on, maybe another thread's: keep this
		 * socket serving until every thread is done, so none falls through to the stack. */
		atomic_fetch_add(&w->ax->finished, 1);
		while (atomic_load(&w->ax->finished) < w->cfg->threads)
			wait_replies(w, lg_now_ns() + 1000000ull);
	} else {
		atomic_fetch_add(&w->ax->settled, 1);
		atomic_fetch_add(&w->ax->finished, 1);
	}
	if (w->sock)
		xsk_socket__delete(w->sock);
	if (w->umem)
		xsk_umem__delete(w->umem);
	if (w->area)
		munmap(w->area, (size_t)NFRAMES * FRAME_SIZE);
	free(w->sessions);
	free(w->seqs);
	free(w);
	return NULL;
}

#else /* !FP_HAVE_LIBXDP */

int lg_afxdp_prepare(struct lg_config *cfg)
{
	(void)cfg;
	fprintf(stderr, "fastpath-loadgen: --afxdp: built without libxdp; install libxdp-dev and rebuild\n");
	return LG_EXIT_RUNTIME;
}

void *lg_afxdp_worker(void *arg)
{
	return arg;
}

void lg_afxdp_finish(struct lg_config *cfg)
{
	(void)cfg;
}

#endif /* FP_HAVE_LIBXDP */

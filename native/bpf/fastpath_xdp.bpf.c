// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fastpath XDP program: on the configured UDP ports (IPv4, IPv6, at most one 802.1Q/802.1ad tag)
 * validate the fastpath header and drop bad packets early, counted by reason; optionally rate limit
 * per source; answer pings with pongs by XDP_TX; pass the rest to the stack or redirect it to the
 * CPU of the worker that owns the session, or into the AF_XDP socket of the receiving queue's worker.
 * Everything else is passed untouched.
 * Layouts of maps and counters: include/fastpath_xdp.h.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "fastpath_wire.h"
#include "fastpath_xdp.h"

/* Largest UDP datagram we checksum: the 16-bit words of UDP header + fastpath header + payload. */
#define UDP_MAX_WORDS ((8 + FP_HDR_LEN + FP_MAX_PAYLOAD) / 2)
#define REPLY_HOP_LIMIT 64
#define IP_FRAGMENT_BITS 0x3fff /* MF flag and fragment offset */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_xdp_config);
} fp_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_XDP_C__MAX);
	__type(key, __u32);
	__type(value, __u64);
} fp_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_DROP__MAX);
	__type(key, __u32);
	__type(value, __u64);
} fp_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, FP_XDP_MAX_CPUS); /* the loader shrinks it to the possible CPUs */
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} fp_cpumap SEC(".maps");

/* AF_XDP sockets by rx queue (steering mode xsk): the server puts worker i's socket at its queue. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, FP_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} fp_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FP_XDP_RATELIMIT_SOURCES);
	__type(key, struct fp_xdp_src);
	__type(value, struct fp_xdp_bucket);
} fp_ratelimit SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* Where the parser found things. The family is a flag, not two maybe-NULL pointers: the verifier
 * tracks the flag's value but cannot tell that a packet pointer is non-NULL. */
struct pkt {
	struct ethhdr *eth;
	void *l3;  /* struct iphdr or struct ipv6hdr */
	int is_v6;
	struct udphdr *udp;
	struct fp_hdr *fp;
};

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&fp_counters, &idx);

	if (c)
		*c += 1; /* per-CPU slot: no atomics needed */
}

static __always_inline int drop(__u32 reason)
{
	__u64 *c = bpf_map_lookup_elem(&fp_drops, &reason);

	if (c)
		*c += 1;
	count(FP_XDP_C_DROP);
	return XDP_DROP;
}

static __always_inline int pass_other(void)
{
	count(FP_XDP_C_OTHER);
	return XDP_PASS;
}

/* One frame of several datagrams: in generic mode on a virtual link (veth, a bridge) a sender's UDP
 * GSO send arrives whole, one UDP header whose length covers every datagram, the first fastpath
 * header saying how long the first one is, and the second datagram's header right after it. Only
 * the stack can cut such a frame up (the server then checks every datagram), so it is passed. A
 * datagram that merely carries more than its header says has no header where the next would start:
 * it is dropped for its length below. */
static __always_inline int several_datagrams(const struct fp_hdr *h, __u32 avail, void *end)
{
	__u32 plen = fp_be32(h->payload_len), seg;
	const __u32 *next;

	if (h->magic != fp_be32(FP_MAGIC) || plen > FP_MAX_PAYLOAD)
		return 0;
	seg = FP_HDR_LEN + plen;
	if (avail <= seg)
		return 0;
	/* seg <= FP_HDR_LEN + FP_MAX_PAYLOAD < 2048: the mask changes nothing, it shows the verifier a bound. */
	next = (const void *)h + (seg & 0x7ff);
	if ((const void *)(next + 1) > end)
		return 0;
	return *next == fp_be32(FP_MAGIC);
}

static __always_inline int port_served(const struct fp_xdp_config *cfg, __u16 port)
{
#pragma clang loop unroll(full)
	for (int i = 0; i < FP_XDP_MAX_PORTS; i++)
		if (cfg->ports[i] && cfg->ports[i] == port)
			return 1;
	return 0;
}

/* Token bucket per source address. Updates race between CPUs; a lost update only means a source
 * gets a few packets more or less, which is fine for flood protection and keeps the path lock-free. */
static __always_inline int over_rate(const struct fp_xdp_config *cfg, const struct pkt *p)
{
	struct fp_xdp_src src = {};
	struct fp_xdp_bucket *b;
	__u64 now, elapsed, tokens, depth;

	if (!cfg->ratelimit_pps)
		return 0;
	if (!p->is_v6) {
		struct iphdr *ip4 = p->l3;

		src.addr[10] = 0xff;
		src.addr[11] = 0xff;
		__builtin_memcpy(&src.addr[12], &ip4->saddr, 4);
	} else {
		struct ipv6hdr *ip6 = p->l3;

		__builtin_memcpy(src.addr, &ip6->saddr, 16);
	}
	now = bpf_ktime_get_ns();
	depth = (__u64)cfg->ratelimit_burst * FP_XDP_TOKEN;
	b = bpf_map_lookup_elem(&fp_ratelimit, &src);
	if (!b) {
		struct fp_xdp_bucket nb = { .last_ns = now, .tokens = depth - FP_XDP_TOKEN };

		bpf_map_update_elem(&fp_ratelimit, &src, &nb, BPF_ANY);
		return 0;
	}
	elapsed = now - b->last_ns;
	if (elapsed > 10 * FP_XDP_TOKEN) /* 10 s refills any valid burst; caps the product below 2^64 */
		elapsed = 10 * FP_XDP_TOKEN;
	tokens = b->tokens + elapsed * cfg->ratelimit_pps;
	if (tokens > depth)
		tokens = depth;
	b->last_ns = now;
	if (tokens < FP_XDP_TOKEN) {
		b->tokens = tokens;
		return 1;
	}
	b->tokens = tokens - FP_XDP_TOKEN;
	return 0;
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Ones' complement sum of the UDP datagram as it sits in memory (header + data, udp_len bytes). */
static __always_inline __u32 udp_sum(struct udphdr *udp, __u32 udp_len, void *end)
{
	__u16 *w = (__u16 *)udp;
	__u32 nwords = udp_len / 2;
	__u32 sum = 0;

	for (__u32 i = 0; i < UDP_MAX_WORDS; i++) {
		if (i >= nwords)
			break;
		if ((void *)(w + i + 1) > end)
			break;
		sum += w[i];
	}
	if (udp_len & 1) {
		/* udp_len <= 1440 here (fp_hdr_check); the mask only shows the verifier a small bound. */
		__u8 *last = (__u8 *)udp + ((udp_len - 1) & 0x7ff);

		if ((void *)(last + 1) <= end) {
			__u8 pad[2] = { *last, 0 }; /* the odd byte is the high byte of a zero-padded word */
			__u16 word;

			__builtin_memcpy(&word, pad, 2);
			sum += word;
		}
	}
	return sum;
}

static __always_inline __u32 sum_words(const void *p, int nwords)
{
	const __u16 *w = p;
	__u32 sum = 0;

#pragma clang loop unroll(full)
	for (int i = 0; i < nwords; i++)
		sum += w[i];
	return sum;
}

/* Ones' complement sum of the UDP pseudo header (addresses, length, protocol), summed as raw memory
 * words like the datagram itself. The order of the addresses does not change the sum. */
static __always_inline __u32 pseudo_sum(const struct pkt *p)
{
	__u32 sum = p->udp->len + bpf_htons(IPPROTO_UDP);

	if (!p->is_v6) {
		struct iphdr *ip4 = p->l3;

		sum += sum_words(&ip4->saddr, 4); /* saddr and daddr are adjacent */
	} else {
		struct ipv6hdr *ip6 = p->l3;

		sum += sum_words(&ip6->saddr, 16);
	}
	return sum;
}

/* Write the full UDP checksum of the datagram as it is now, given its pseudo header sum. */
static __always_inline void write_udp_csum(struct pkt *p, __u32 pseudo, __u32 udp_len, void *end)
{
	p->udp->check = 0;
	p->udp->check = csum_fold(pseudo + udp_sum(p->udp, udp_len, end));
	if (!p->udp->check)
		p->udp->check = 0xffff; /* 0 means "no checksum" (forbidden on IPv6); ~0 is the same sum */
}

/* A frame redirected into a cpumap becomes a new skb on the target CPU, built from the xdp_frame
 * alone: the sender's CHECKSUM_PARTIAL state does not travel with it. Local senders over veth leave
 * the UDP checksum partial (only the folded pseudo header sum, the offload never happens), so the
 * stack would verify that half-done sum and count UdpInCsumErrors. Complete exactly those checksums.
 * Full checksums, IPv4's 0 ("none") and corrupt ones stay as they are, for the stack to judge; a
 * corrupt one that happens to equal the partial value (1 in 65536) is the only one this hides. */
static __always_inline void complete_partial_csum(struct pkt *p, void *end)
{
	__u32 pseudo = pseudo_sum(p);

	if (p->udp->check != (__u16)~csum_fold(pseudo))
		return;
	write_udp_csum(p, pseudo, bpf_ntohs(p->udp->len), end);
}

/* Turn a valid ping into a pong in place and send it back out of the interface it came in on. */
static __always_inline int answer_ping(struct pkt *p, void *end)
{
	__u8 mac[ETH_ALEN];
	__u32 udp_len = bpf_ntohs(p->udp->len);
	__be16 port;

	__builtin_memcpy(mac, p->eth->h_dest, ETH_ALEN);
	__builtin_memcpy(p->eth->h_dest, p->eth->h_source, ETH_ALEN);
	__builtin_memcpy(p->eth->h_source, mac, ETH_ALEN);

	p->fp->type = FP_T_PONG;
	p->fp->flags |= bpf_htons(FP_F_REPLY | FP_F_XDP);
	port = p->udp->source;
	p->udp->source = p->udp->dest;
	p->udp->dest = port;
	p->udp->check = 0;

	if (!p->is_v6) {
		struct iphdr *ip4 = p->l3;
		__be32 a = ip4->saddr;

		ip4->saddr = ip4->daddr;
		ip4->daddr = a;
		ip4->ttl = REPLY_HOP_LIMIT;
		ip4->check = 0;
		ip4->check = csum_fold(sum_words(ip4, sizeof(struct iphdr) / 2));
	} else {
		struct ipv6hdr *ip6 = p->l3;
		struct in6_addr a = ip6->saddr;

		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		ip6->hop_limit = REPLY_HOP_LIMIT;
	}
	write_udp_csum(p, pseudo_sum(p), udp_len, end);
	count(FP_XDP_C_TX);
	return XDP_TX;
}

static __always_inline int steer(const struct fp_xdp_config *cfg, struct pkt *p, void *end, __u32 rxq)
{
	if (cfg->steer == FP_XDP_STEER_XSK) {
		/* To the AF_XDP socket of this queue's worker; XDP_PASS if the queue has none. No
		 * checksum to complete: user space reads the frame as it is and judges it itself. */
		if (bpf_redirect_map(&fp_xsks, rxq, XDP_PASS) == XDP_REDIRECT) {
			count(FP_XDP_C_REDIRECT);
			return XDP_REDIRECT;
		}
		count(FP_XDP_C_REDIRECT_MISS);
	}
	if (cfg->steer == FP_XDP_STEER_CPUMAP && cfg->nworkers) {
		__u64 worker = bpf_be64_to_cpu(p->fp->session_id) % cfg->nworkers;
		__u32 cpu;
		long act;

		cpu = cfg->worker_cpu[worker & (FP_XDP_MAX_WORKERS - 1)];
		act = bpf_redirect_map(&fp_cpumap, cpu, XDP_PASS); /* XDP_PASS if the CPU has no entry */
		if (act == XDP_REDIRECT) {
			/* The frame is converted only after we return, so fixing it now is in time. */
			complete_partial_csum(p, end);
			count(FP_XDP_C_REDIRECT);
			return XDP_REDIRECT;
		}
		count(FP_XDP_C_REDIRECT_MISS);
	}
	count(FP_XDP_C_PASS);
	return XDP_PASS;
}

SEC("xdp")
int fastpath_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	const struct fp_xdp_config *cfg;
	struct pkt p = {};
	__u32 zero = 0, udp_len, avail, reason;
	__u16 proto;
	void *l3;

	count(FP_XDP_C_SEEN);
	cfg = bpf_map_lookup_elem(&fp_config, &zero);
	if (!cfg)
		return pass_other();

	p.eth = data;
	if ((void *)(p.eth + 1) > end)
		return pass_other();
	proto = p.eth->h_proto;
	l3 = p.eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > end)
			return pass_other();
		proto = vh->encap_proto;
		l3 = vh + 1;
	}

	p.l3 = l3;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip4 = l3;

		if ((void *)(ip4 + 1) > end || ip4->protocol != IPPROTO_UDP)
			return pass_other();
		/* Fragments cannot be validated alone; options would make the reply path reflect them. */
		if (ip4->ihl != 5 || (ip4->frag_off & bpf_htons(IP_FRAGMENT_BITS)))
			return pass_other();
		p.udp = (void *)(ip4 + 1);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return pass_other(); /* extension headers: the stack's business */
		p.is_v6 = 1;
		p.udp = (void *)(ip6 + 1);
	} else {
		return pass_other();
	}
	if ((void *)(p.udp + 1) > end || !port_served(cfg, bpf_ntohs(p.udp->dest)))
		return pass_other();

	/* From here on the packet is ours: every outcome is counted. */
	udp_len = bpf_ntohs(p.udp->len);
	if (udp_len < sizeof(struct udphdr))
		return drop(FP_DROP_SHORT);
	avail = udp_len - sizeof(struct udphdr);
	if ((void *)(p.udp + 1) + avail > end) /* the datagram claims more than the frame carries */
		return drop(FP_DROP_SHORT);
	p.fp = (void *)(p.udp + 1);
	if ((void *)(p.fp + 1) > end)
		return drop(FP_DROP_SHORT);
	if (several_datagrams(p.fp, avail, end)) {
		count(FP_XDP_C_MULTI);
		return XDP_PASS;
	}
	reason = fp_hdr_check(p.fp, avail);
	if (reason != FP_DROP_NONE)
		return drop(reason);
	if (over_rate(cfg, &p))
		return drop(FP_DROP_RATELIMIT);
	count(FP_XDP_C_VALID);

	if (p.fp->type == FP_T_PING && cfg->ping_fastpath)
		return answer_ping(&p, end);
	return steer(cfg, &p, end, ctx->rx_queue_index);
}

/* The kernel recognises only GPL-family license strings: this file is GPL-2.0 OR BSD-2-Clause. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

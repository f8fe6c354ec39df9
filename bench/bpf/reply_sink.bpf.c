// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The bench's reply sink (bench_dataplane.py, second pass; issue 16's method): attached to the
 * client's end of the veth, it counts and drops every fastpath reply coming back from the server's
 * port, and passes everything else (ARP, ICMP, other ports, anything that is not a valid reply).
 * The client then pays nothing per reply beyond this program, so each server is charged only for its
 * own receive and send, and the reply rate is read from sink_counts instead of from the generator.
 * IPv4 without options only: the bench's namespaces speak nothing else on the echo port.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "fastpath_wire.h"

enum { SINK_REPLIES, SINK_PASSED, SINK__MAX };

/* Key 0: the server's UDP port (host order), written by the bench before any traffic. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sink_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SINK__MAX);
	__type(key, __u32);
	__type(value, __u64);
} sink_counts SEC(".maps");

static __always_inline int counted(__u32 which, int action)
{
	__u64 *n = bpf_map_lookup_elem(&sink_counts, &which);

	if (n)
		*n += 1;
	return action;
}

SEC("xdp")
int reply_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip4 = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip4 + 1);
	struct fp_hdr *fp = (void *)(udp + 1);
	__u32 key = 0, *port = bpf_map_lookup_elem(&sink_port, &key);

	if (!port || (void *)(fp + 1) > end)
		return counted(SINK_PASSED, XDP_PASS);
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip4->ihl != 5 || ip4->protocol != IPPROTO_UDP ||
	    udp->source != bpf_htons((__u16)*port))
		return counted(SINK_PASSED, XDP_PASS);
	/* Only what a server really sent back counts as a reply. */
	if (fp->magic != bpf_htonl(FP_MAGIC) || !(fp->flags & bpf_htons(FP_F_REPLY)))
		return counted(SINK_PASSED, XDP_PASS);
	return counted(SINK_REPLIES, XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// SPDX-License-Identifier: Apache-2.0
/*
 * Reuseport steering: picks which socket of the server's SO_REUSEPORT group receives a datagram,
 * by session id, so one session always lands on one worker (and on the CPU the XDP program's
 * cpumap steering sends it to: both use session_id % nworkers).
 *
 * Attached with SO_ATTACH_REUSEPORT_EBPF as a socket filter program. The kernel runs it from
 * reuseport_select_sock() -> run_bpf_filter() (net/core/sock_reuseport.c), which pulls the UDP
 * header first: offset 0 here is the first byte of the UDP payload, i.e. our fp_hdr. The return
 * value is an index into the group's sockets, in the order they were bound; an index >= the
 * number of sockets makes the kernel fall back to its flow hash, which is what we want for
 * packets that are not ours (the worker that gets them drops and counts them).
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "fastpath_wire.h"

/* Set by the server before load (skeleton rodata): the number of workers and sockets. */
const volatile __u32 nworkers = 1;

#define FALLBACK_TO_HASH 0xffffffffu

SEC("socket")
int reuseport_steer(struct __sk_buff *skb)
{
	struct fp_hdr h;

	if (nworkers == 0)
		return FALLBACK_TO_HASH;
	/* Short datagrams fail the load: they have no session id to steer by. */
	if (bpf_skb_load_bytes(skb, 0, &h, sizeof(h)) < 0)
		return FALLBACK_TO_HASH;
	if (h.magic != bpf_htonl(FP_MAGIC) || h.version != FP_VERSION)
		return FALLBACK_TO_HASH;
	return (__u32)(bpf_be64_to_cpu(h.session_id) % nworkers);
}

char LICENSE[] SEC("license") = "Apache-2.0";

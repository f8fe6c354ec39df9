// SPDX-License-Identifier: Apache-2.0
/* A two-instruction XDP_PASS program for the peer of a veth, and detaching whatever is attached.
 * veth hands XDP_TX'd frames to its peer's XDP rx path, which exists only while the peer runs a
 * program; without one the frames are lost. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"

int fp_xdp_attach_pass(const char *ifname, bool force_generic)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	__u32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST | (force_generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	int ifindex, fd, err;

	err = fp_xdp_ifindex(ifname, &ifindex);
	if (err)
		return err;
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "fp_xdp_pass", "GPL", insns, 2, NULL);
	if (fd < 0)
		return fp_xdp_fail(-fd, "loading the XDP_PASS program: %s; %s", strerror(-fd), fp_xdp_hint(-fd));
	err = bpf_xdp_attach(ifindex, fd, flags, NULL);
	if (err == -EOPNOTSUPP && !force_generic)
		err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_SKB_MODE, NULL);
	close(fd); /* the attachment holds its own reference */
	if (err)
		return fp_xdp_fail(-err, "attaching XDP_PASS to %s: %s; %s", ifname, strerror(-err),
				   fp_xdp_hint(-err));
	return 0;
}

int fp_xdp_detach_any(const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex, err;

	err = fp_xdp_ifindex(ifname, &ifindex);
	if (err)
		return err;
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return fp_xdp_fail(-err, "querying XDP on %s: %s", ifname, strerror(-err));
	if (q.drv_prog_id)
		err = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (!err && q.skb_prog_id)
		err = bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	if (err)
		return fp_xdp_fail(-err, "detaching XDP from %s: %s; %s", ifname, strerror(-err), fp_xdp_hint(-err));
	return 0;
}

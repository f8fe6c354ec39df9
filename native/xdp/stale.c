// SPDX-License-Identifier: Apache-2.0
/*
 * An attach found a program on the interface. Earlier versions attached by netlink, which outlives
 * the process: a server that crashed left its program attached and every restart was refused. Such
 * a program is recognised as fastpath's own by its id, which the pin <pin_dir>/prog names, and is
 * replaced. Anything else is refused, and the message says what holds the interface:
 *   - a program that is not the pinned one: someone else's (another tool, a fastpath elsewhere);
 *   - ours, held by a pinned link: `fastpath-xdp attach` left it there on purpose;
 *   - ours, held by a live bpf_link: a running fastpath-server (the kernel refuses the detach).
 */
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"

static int attached_prog(const struct fp_xdp *x, __u32 *id, __u32 *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query(x->ifindex, 0, &q);

	if (err)
		return err;
	*id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	*mode = q.drv_prog_id ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	return 0;
}

static int detach_pinned_prog(const struct fp_xdp *x, __u32 mode)
{
	int fd = fp_xdp_get_pinned(x->pin_dir, FP_PIN_PROG);
	int err;

	if (fd < 0)
		return fd;
	{
		/* REPLACE + old_prog_fd: only if the pinned program is still the one attached. */
		LIBBPF_OPTS(bpf_xdp_attach_opts, aopts, .old_prog_fd = fd);

		err = bpf_xdp_detach(x->ifindex, mode | XDP_FLAGS_REPLACE, &aopts);
	}
	close(fd);
	return err;
}

int fp_xdp_take_over_stale(struct fp_xdp *x, int err)
{
	__u32 id = 0, mode = 0, ours = 0;
	int ret;

	if (attached_prog(x, &id, &mode) != 0 || !id)
		return fp_xdp_fail(err, "attaching XDP to %s: %s; %s", x->ifname, strerror(err), fp_xdp_hint(err));
	if (fp_xdp_pinned_prog_id(x->pin_dir, &ours) != 0 || ours != id)
		return fp_xdp_fail(err,
				   "attaching XDP to %s: %s; another XDP program is attached (id %u), not "
				   "fastpath's (%s/prog does not name it); detach it first if it is not needed "
				   "(ip link set dev %s xdp off)",
				   x->ifname, strerror(err), id, x->pin_dir, x->ifname);
	if (fp_xdp_pin_exists(x->pin_dir, FP_PIN_LINK))
		return fp_xdp_fail(err,
				   "attaching XDP to %s: %s; fastpath's program (id %u) is attached and kept "
				   "there by the link pinned at %s/%s (fastpath-xdp attach); detach it first "
				   "(fastpath-xdp detach %s)",
				   x->ifname, strerror(err), id, x->pin_dir, FP_PIN_LINK, x->ifname);
	ret = detach_pinned_prog(x, mode);
	if (ret == -EBUSY)
		return fp_xdp_fail(err,
				   "attaching XDP to %s: %s; fastpath's program (id %u) is attached by a running "
				   "process (is another fastpath-server serving %s?)",
				   x->ifname, strerror(err), id, x->ifname);
	if (ret)
		return fp_xdp_fail(-ret, "detaching the stale fastpath XDP program (id %u) from %s: %s; %s", id,
				   x->ifname, strerror(-ret), fp_xdp_hint(-ret));
	fprintf(stderr,
		"fastpath-xdp: %s: replaced fastpath's own XDP program (id %u), left attached by netlink "
		"by a process that is gone\n",
		x->ifname, id);
	return 0;
}

// SPDX-License-Identifier: Apache-2.0
/* Reopen a program that fp_xdp_attach left attached and pinned, possibly from another process. */
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"

static int get_pinned(const char *dir, const char *name, int *fd)
{
	*fd = fp_xdp_get_pinned(dir, name);
	if (*fd < 0)
		return fp_xdp_fail(-*fd, "opening %s/%s: %s; %s", dir, name, strerror(-*fd), fp_xdp_hint(-*fd));
	return 0;
}

/* Which mode is our program attached in, if at all? Compare program ids, not just "something". */
static int find_attach_mode(struct fp_xdp *x)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int err;

	err = bpf_obj_get_info_by_fd(x->prog_fd, &info, &len);
	if (err)
		return fp_xdp_fail(-err, "reading the pinned program's id: %s", strerror(-err));
	err = bpf_xdp_query(x->ifindex, 0, &q);
	if (err)
		return fp_xdp_fail(-err, "querying XDP on %s: %s; %s", x->ifname, strerror(-err),
				   fp_xdp_hint(-err));
	if (q.drv_prog_id == info.id)
		x->attach_flags = XDP_FLAGS_DRV_MODE;
	else if (q.skb_prog_id == info.id)
		x->attach_flags = XDP_FLAGS_SKB_MODE;
	else
		x->attach_flags = 0; /* pinned but no longer attached: stats still readable */
	return 0;
}

int fp_xdp_open(const char *ifname, const char *pin_root, struct fp_xdp **out)
{
	struct fp_xdp *x;
	int err;

	*out = NULL;
	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE)
		return fp_xdp_fail(EINVAL, "interface name missing or too long");
	x = calloc(1, sizeof(*x));
	if (!x)
		return fp_xdp_fail(ENOMEM, "out of memory");
	snprintf(x->ifname, sizeof(x->ifname), "%s", ifname);
	x->prog_fd = x->config_fd = x->counters_fd = x->drops_fd = x->cpumap_fd = x->ratelimit_fd = -1;
	x->link_fd = -1;
	x->cpumap_qsize = FP_XDP_CPUMAP_QSIZE;
	err = fp_xdp_ifindex(ifname, &x->ifindex);
	if (!err)
		err = fp_xdp_pin_path(pin_root, ifname, x->pin_dir, sizeof(x->pin_dir));
	if (!err)
		err = get_pinned(x->pin_dir, FP_PIN_PROG, &x->prog_fd);
	if (!err)
		err = get_pinned(x->pin_dir, FP_PIN_CONFIG, &x->config_fd);
	if (!err)
		err = get_pinned(x->pin_dir, FP_PIN_COUNTERS, &x->counters_fd);
	if (!err)
		err = get_pinned(x->pin_dir, FP_PIN_DROPS, &x->drops_fd);
	if (!err)
		err = get_pinned(x->pin_dir, FP_PIN_CPUMAP, &x->cpumap_fd);
	if (!err)
		err = get_pinned(x->pin_dir, FP_PIN_RATELIMIT, &x->ratelimit_fd);
	if (!err)
		err = find_attach_mode(x);
	/* Pinned only by `fastpath-xdp attach`; a server holds its link in its own fd. Optional. */
	if (!err && x->attach_flags) {
		x->link_fd = fp_xdp_get_pinned(x->pin_dir, FP_PIN_LINK);
		if (x->link_fd < 0)
			x->link_fd = -1;
	}
	if (err) {
		fp_xdp_close(x);
		return err;
	}
	*out = x;
	return 0;
}

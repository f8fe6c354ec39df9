// SPDX-License-Identifier: Apache-2.0
/*
 * Load, configure, attach and pin the fastpath XDP program; detach and free it again.
 *
 * The program is attached through a bpf_link, not a netlink request: the kernel detaches it when
 * the last fd of the link closes, so a server that dies (even by SIGKILL) takes its program with it
 * and the next start finds the interface free. Only `fastpath-xdp attach` keeps an attachment past
 * its process, by pinning the link (fp_xdp_keep_attached).
 */
#include <errno.h>
#include <linux/if_link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fastpath_xdp.skel.h"
#include "internal.h"

int fp_xdp_ifindex(const char *ifname, int *ifindex)
{
	*ifindex = (int)if_nametoindex(ifname);
	if (!*ifindex)
		return fp_xdp_fail(ENODEV, "interface %s not found in this network namespace", ifname);
	return 0;
}

static struct fp_xdp *handle_new(const char *ifname)
{
	struct fp_xdp *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	snprintf(x->ifname, sizeof(x->ifname), "%s", ifname);
	x->prog_fd = x->config_fd = x->counters_fd = x->drops_fd = x->cpumap_fd = x->ratelimit_fd = -1;
	x->link_fd = -1;
	return x;
}

static int write_config(struct fp_xdp *x, const struct fp_xdp_opts *o)
{
	struct fp_xdp_config cfg = { 0 };
	__u32 zero = 0;

	for (unsigned int i = 0; i < o->nports; i++)
		cfg.ports[i] = o->ports[i];
	if (!o->nports)
		cfg.ports[0] = FP_DEFAULT_PORT;
	cfg.steer = o->steer;
	cfg.ping_fastpath = o->ping_fastpath;
	cfg.ratelimit_pps = o->ratelimit_pps;
	cfg.ratelimit_burst = o->ratelimit_burst ? o->ratelimit_burst : o->ratelimit_pps;
	if (bpf_map_update_elem(x->config_fd, &zero, &cfg, BPF_ANY) != 0)
		return fp_xdp_fail(errno, "writing the XDP configuration: %s", strerror(errno));
	return fp_xdp_write_workers(x, o->nworkers, o->worker_cpus);
}

static int load(struct fp_xdp *x)
{
	int err, ncpus;

	x->skel = fastpath_xdp__open();
	if (!x->skel)
		return fp_xdp_fail(errno, "opening the embedded BPF object: %s", strerror(errno));
	ncpus = libbpf_num_possible_cpus();
	if (ncpus > 0 && ncpus < FP_XDP_MAX_CPUS)
		bpf_map__set_max_entries(x->skel->maps.fp_cpumap, (__u32)ncpus);
	err = fastpath_xdp__load(x->skel);
	if (err)
		return fp_xdp_fail(-err, "loading the XDP program into the kernel: %s; %s", strerror(-err),
				   fp_xdp_hint(-err));
	x->prog_fd = bpf_program__fd(x->skel->progs.fastpath_xdp);
	x->config_fd = bpf_map__fd(x->skel->maps.fp_config);
	x->counters_fd = bpf_map__fd(x->skel->maps.fp_counters);
	x->drops_fd = bpf_map__fd(x->skel->maps.fp_drops);
	x->cpumap_fd = bpf_map__fd(x->skel->maps.fp_cpumap);
	x->ratelimit_fd = bpf_map__fd(x->skel->maps.fp_ratelimit);
	return 0;
}

static int link_attach(struct fp_xdp *x, __u32 mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = mode);
	int fd = bpf_link_create(x->prog_fd, x->ifindex, BPF_XDP, &lopts);

	if (fd < 0)
		return fd;
	x->link_fd = fd;
	x->attach_flags = mode;
	return 0;
}

/* Native first: it runs in the driver before any skb exists. Generic works on every interface. */
static int try_modes(struct fp_xdp *x, bool force_generic)
{
	int err = -EOPNOTSUPP;

	x->native_refused[0] = '\0';
	if (!force_generic) {
		err = link_attach(x, XDP_FLAGS_DRV_MODE);
		/* Busy or forbidden will not get better in generic mode. */
		if (!err || err == -EBUSY || err == -EEXIST || err == -EPERM)
			return err;
		/* The operator must learn why the fast mode was lost, not only that it was. */
		fp_xdp_explain_native_refusal(x, -err);
	}
	err = link_attach(x, XDP_FLAGS_SKB_MODE);
	if (err)
		x->native_refused[0] = '\0'; /* nothing attached: the caller reports this error instead */
	return err;
}

static int attach_prog(struct fp_xdp *x, bool force_generic)
{
	int err = try_modes(x, force_generic);

	if (err == -EBUSY || err == -EEXIST) {
		/* A program is there already: fastpath's own stale one is replaced, anything else refused. */
		err = fp_xdp_take_over_stale(x, -err);
		if (err)
			return err; /* it said why */
		err = try_modes(x, force_generic);
	}
	if (err)
		return fp_xdp_fail(-err, "attaching XDP to %s: %s; %s", x->ifname, strerror(-err),
				   fp_xdp_hint(-err));
	return 0;
}

int fp_xdp_attach(const struct fp_xdp_opts *o, struct fp_xdp **out)
{
	struct fp_xdp *x = NULL;
	int err;

	*out = NULL;
	err = fp_xdp_opts_validate(o);
	if (err)
		return err;
	x = handle_new(o->ifname);
	if (!x)
		return fp_xdp_fail(ENOMEM, "out of memory");
	x->cpumap_qsize = o->cpumap_qsize ? o->cpumap_qsize : FP_XDP_CPUMAP_QSIZE;
	err = fp_xdp_ifindex(o->ifname, &x->ifindex);
	if (err)
		goto cleanup;
	err = fp_xdp_pin_path(o->pin_root, o->ifname, x->pin_dir, sizeof(x->pin_dir));
	if (err)
		goto cleanup;
	err = load(x);
	if (err)
		goto cleanup;
	err = write_config(x, o);
	if (err)
		goto cleanup;
	err = attach_prog(x, o->force_generic);
	if (err)
		goto cleanup;
	err = fp_xdp_pin_all(x);
	if (err) {
		fp_xdp_detach(x); /* leave nothing half done behind */
		return err;
	}
	*out = x;
	return 0;
cleanup:
	fp_xdp_close(x);
	return err;
}

const char *fp_xdp_mode(const struct fp_xdp *x)
{
	if (x->attach_flags & XDP_FLAGS_DRV_MODE)
		return "native";
	if (x->attach_flags & XDP_FLAGS_SKB_MODE)
		return "generic";
	return "detached";
}

int fp_xdp_xsk_map_fd(const struct fp_xdp *x)
{
	return x->skel ? bpf_map__fd(x->skel->maps.fp_xsks) : -1;
}

const char *fp_xdp_native_refused(const struct fp_xdp *x)
{
	return x->native_refused;
}

const char *fp_xdp_ifname(const struct fp_xdp *x)
{
	return x->ifname;
}

const char *fp_xdp_pin_dir(const struct fp_xdp *x)
{
	return x->pin_dir;
}

void fp_xdp_close(struct fp_xdp *x)
{
	if (!x)
		return;
	if (x->link_fd >= 0)
		close(x->link_fd); /* detaches, unless the link is pinned */
	if (x->skel) {
		fastpath_xdp__destroy(x->skel); /* closes the fds it owns */
	} else {
		const int fds[] = { x->prog_fd, x->config_fd, x->counters_fd, x->drops_fd, x->cpumap_fd,
				    x->ratelimit_fd };

		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	free(x);
}

/* Netlink attachments (an earlier version's): REPLACE + old_prog_fd detaches only if ours is there. */
static int detach_netlink(struct fp_xdp *x)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts, .old_prog_fd = x->prog_fd);

	return bpf_xdp_detach(x->ifindex, x->attach_flags | XDP_FLAGS_REPLACE, &aopts);
}

int fp_xdp_detach(struct fp_xdp *x)
{
	int err = 0;

	if (!x)
		return 0;
	if (x->link_fd >= 0) {
		/* Detaches even while a pin or another process still holds the link. */
		err = bpf_link_detach(x->link_fd);
		if (err == -EOPNOTSUPP || err == -EINVAL)
			err = 0; /* no LINK_DETACH for XDP here: closing the last fd (below) detaches */
	} else if (x->attach_flags) {
		err = detach_netlink(x);
	}
	if (err == -ENODEV)
		err = 0; /* the interface is gone and took the program with it */
	if (err)
		fp_xdp_fail(-err, "detaching XDP from %s: %s; %s", x->ifname, strerror(-err),
			    err == -EEXIST ? "another program replaced ours; left it alone" : fp_xdp_hint(-err));
	fp_xdp_unpin_all(x->pin_dir);
	fp_xdp_close(x);
	return err;
}

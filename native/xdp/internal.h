/* SPDX-License-Identifier: Apache-2.0 */
/* The loader's private state and helpers, shared by the files of libfastpath_xdp only. */
#ifndef FASTPATH_XDP_INTERNAL_H
#define FASTPATH_XDP_INTERNAL_H

#include <limits.h>
#include <net/if.h>

#include "fastpath_xdp.h"

struct fastpath_xdp; /* the bpftool skeleton */

struct fp_xdp {
	char ifname[IF_NAMESIZE];
	int ifindex;
	__u32 attach_flags;       /* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE: what really attached */
	int link_fd;              /* the bpf_link holding the attachment, or -1 (attached by netlink) */
	char pin_dir[PATH_MAX];
	struct fastpath_xdp *skel; /* set when this process loaded the program; owns the fds below */
	int prog_fd, config_fd, counters_fd, drops_fd, cpumap_fd, ratelimit_fd;
	__u32 cpumap_qsize;
	char native_refused[256]; /* why the driver refused native mode when generic attached, else "" */
};

/* Report an error through the handler; returns -err so callers can `return fp_xdp_fail(...)`. */
int fp_xdp_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A hint for an errno from bpf(2) or netlink: what the operator should do. */
const char *fp_xdp_hint(int err);

/* Resolve ifname in the caller's network namespace. */
int fp_xdp_ifindex(const char *ifname, int *ifindex);

/* <pin_root or default>/<ifname> into buf. */
int fp_xdp_pin_path(const char *pin_root, const char *ifname, char *buf, size_t len);

/* Make sure bpffs is mounted at the pin root's bpffs ancestor and the directory exists. */
int fp_xdp_pin_prepare(const char *dir);

/* Pin every map and the program into dir (replacing stale pins), or remove them all (the link's too). */
int fp_xdp_pin_all(struct fp_xdp *x);
void fp_xdp_unpin_all(const char *dir);

/* A pinned object's fd (-errno if absent), and the id of the program in a pinned "prog". */
int fp_xdp_get_pinned(const char *dir, const char *name);
int fp_xdp_pinned_prog_id(const char *dir, __u32 *id);
int fp_xdp_pin_exists(const char *dir, const char *name);

/*
 * An attach refused because a program is there: if that program is fastpath's own, attached by
 * netlink (an earlier version, whose owner is gone) and pinned in x->pin_dir, detach it and return
 * 0 so the caller tries again; otherwise report why the attach is refused and return -err.
 */
int fp_xdp_take_over_stale(struct fp_xdp *x, int err);

/* After the driver refused native mode with err: its own reason into x->native_refused. */
void fp_xdp_explain_native_refusal(struct fp_xdp *x, int err);

/* Write worker CPUs into the config map and the CPU map. */
int fp_xdp_write_workers(struct fp_xdp *x, unsigned int nworkers, const int *cpus);

/* Names of the pinned objects (the map names in the BPF program). */
#define FP_PIN_PROG "prog"
#define FP_PIN_CONFIG "fp_config"
#define FP_PIN_COUNTERS "fp_counters"
#define FP_PIN_DROPS "fp_drops"
#define FP_PIN_CPUMAP "fp_cpumap"
#define FP_PIN_RATELIMIT "fp_ratelimit"
#define FP_PIN_LINK "link" /* only when the attachment must outlive its process (fastpath-xdp attach) */

#endif

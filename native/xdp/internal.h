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
	char pin_dir[PATH_MAX];
	struct fastpath_xdp *skel; /* set when this process loaded the program; owns the fds below */
	int prog_fd, config_fd, counters_fd, drops_fd, cpumap_fd, ratelimit_fd;
	__u32 cpumap_qsize;
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

/* Pin every map and the program into dir (replacing stale pins), or remove them all. */
int fp_xdp_pin_all(struct fp_xdp *x);
void fp_xdp_unpin_all(const char *dir);

/* Write worker CPUs into the config map and the CPU map. */
int fp_xdp_write_workers(struct fp_xdp *x, unsigned int nworkers, const int *cpus);

/* Names of the pinned objects (the map names in the BPF program). */
#define FP_PIN_PROG "prog"
#define FP_PIN_CONFIG "fp_config"
#define FP_PIN_COUNTERS "fp_counters"
#define FP_PIN_DROPS "fp_drops"
#define FP_PIN_CPUMAP "fp_cpumap"
#define FP_PIN_RATELIMIT "fp_ratelimit"

#endif

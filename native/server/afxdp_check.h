/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xdp_mode = afxdp: the plan of queues and workers, checked against the interface before anything
 * starts, so a setting that cannot work is refused with its name (exit 2), not found out later.
 */
#ifndef FP_SERVER_AFXDP_CHECK_H
#define FP_SERVER_AFXDP_CHECK_H

#include <stddef.h>

struct fp_config;

/* Headroom the kernel keeps in front of every frame it copies into a UMEM chunk. */
#define FP_XSK_HEADROOM 256
/* Ethernet header and one VLAN tag: what a frame carries beyond the MTU. */
#define FP_XSK_L2_OVERHEAD 18

/*
 * Fix the plan: one AF_XDP worker per queue. Without afxdp_queues worker i serves queue i; with it,
 * there is one worker per listed queue and they take the `workers` CPUs in turn. Refuses a
 * buffer_size that is not a UMEM chunk size (2048 or 4096), an MTU whose frames do not fit a chunk,
 * and more workers (or a higher queue) than the interface has rx queues.
 * Returns 0, or -1 with the reason (naming the setting) in err.
 */
int fp_afxdp_plan(struct fp_config *cfg, char *err, size_t errlen);

/* The interface's rx queues (ethtool channels: rx + combined), or -errno. */
int fp_afxdp_rx_queues(const char *ifname);

#endif /* FP_SERVER_AFXDP_CHECK_H */

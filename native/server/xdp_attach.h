/* SPDX-License-Identifier: Apache-2.0 */
/* The server's use of the XDP loader library (fastpath_xdp.h): attach at start, detach at stop. */
#ifndef FP_SERVER_XDP_ATTACH_H
#define FP_SERVER_XDP_ATTACH_H

#include <stddef.h>

#include "config.h"

struct fp_xdp;

/*
 * Attach the XDP program to cfg->xdp_interface for cfg->port, steering (pass or cpumap) with the
 * same worker CPUs and count as the reuseport program, so both pick the same worker for a
 * session. Returns 0 (and *out = NULL when xdp_mode is off), or -errno with the loader's reason.
 */
int fp_server_xdp_attach(const struct fp_config *cfg, struct fp_xdp **out, char *err, size_t errlen);

/* "off", or the mode in use ("native", "generic"). */
const char *fp_server_xdp_mode(const struct fp_xdp *x);

/* Write ", \"xdp\": {...}" with the program's counters, or nothing when XDP is off. */
void fp_server_xdp_stats_json(const struct fp_xdp *x, FILE *out);

/* Detach and unpin; reports failures on stderr. Returns 0 or -errno. NULL is a no-op. */
int fp_server_xdp_detach(struct fp_xdp *x);

#endif /* FP_SERVER_XDP_ATTACH_H */

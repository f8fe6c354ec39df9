/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The workers' UDP sockets: one SO_REUSEPORT socket per worker, bound in worker order so that
 * socket i of the kernel's reuseport group is worker i's (the steering program returns indexes).
 */
#ifndef FP_SERVER_SOCKETS_H
#define FP_SERVER_SOCKETS_H

#include <stddef.h>

#include "config.h"

/*
 * Refuse to start when something already holds the port: a second server with the same user
 * would silently join our reuseport group and shift every socket index. Returns 0 or -errno.
 */
int fp_sockets_check_port_free(const struct fp_config *cfg, char *err, size_t errlen);

/*
 * Open and configure worker sockets 0..nworkers-1 into fds[] (buffers, busy poll, reuseport),
 * attaching prog_fd (when >= 0) as the group's steering program before the first bind. Warnings
 * (a buffer capped below the ask, busy poll refused) go to stderr. Returns 0, or -errno with the
 * failing step in err; on failure no socket is left open.
 */
int fp_sockets_open(const struct fp_config *cfg, int prog_fd, int *fds, char *err, size_t errlen);

void fp_sockets_close(int *fds, unsigned int n);

#endif /* FP_SERVER_SOCKETS_H */

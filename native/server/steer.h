/* SPDX-License-Identifier: Apache-2.0 */
/* Loading the reuseport steering program (bpf/reuseport_steer.bpf.c) from its skeleton. */
#ifndef FP_SERVER_STEER_H
#define FP_SERVER_STEER_H

#include <stddef.h>

struct reuseport_steer;

/*
 * Load the program for nworkers sockets. Returns 0 and the skeleton (keep it until the first
 * socket holds the program), or -errno with the reason and a hint in err.
 */
int fp_steer_load(unsigned int nworkers, struct reuseport_steer **out, char *err, size_t errlen);

/* The program's fd, for SO_ATTACH_REUSEPORT_EBPF. */
int fp_steer_prog_fd(const struct reuseport_steer *skel);

/* Free the skeleton; a socket that had the program attached keeps it alive. NULL is a no-op. */
void fp_steer_free(struct reuseport_steer *skel);

#endif /* FP_SERVER_STEER_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fastpath-server's exit codes, one per kind of failure, so the systemd unit, the role and the
 * tests can tell "fix the config" from "the kernel refused" without parsing messages.
 */
#ifndef FP_SERVER_EXIT_CODES_H
#define FP_SERVER_EXIT_CODES_H

enum fp_exit {
	FP_EXIT_OK = 0,      /* clean stop (SIGTERM/SIGINT), or --check-config passed */
	FP_EXIT_RUNTIME = 1, /* a failure after start-up: a thread, the stats server, a worker ring */
	FP_EXIT_CONFIG = 2,  /* bad configuration or usage; nothing was started */
	FP_EXIT_SETUP = 3,   /* a socket, the reuseport program, or io_uring could not be set up */
	FP_EXIT_XDP = 4,     /* the XDP program could not be attached */
};

#endif /* FP_SERVER_EXIT_CODES_H */

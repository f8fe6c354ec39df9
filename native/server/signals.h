/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stop signals as a file descriptor: SIGTERM and SIGINT are blocked in every thread (so call this
 * before starting any) and read from a signalfd by the main loop; SIGPIPE is ignored so a stats
 * reader that hangs up cannot kill the server.
 */
#ifndef FP_SERVER_SIGNALS_H
#define FP_SERVER_SIGNALS_H

/* Returns the signalfd, or -errno. */
int fp_signals_open(void);

/* Read one pending signal; returns its number, or 0 if none was pending. */
int fp_signals_read(int fd);

#endif /* FP_SERVER_SIGNALS_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Getting the stats out: a Unix stream socket that answers every connection with one JSON
 * document and closes, and files (JSON, Prometheus textfile) replaced atomically so a reader
 * (node_exporter's textfile collector, the role's wait loop) never sees half a file.
 */
#ifndef FP_SERVER_STATS_IO_H
#define FP_SERVER_STATS_IO_H

#include <stddef.h>
#include <stdio.h>

/* Renders a document into out; returns 0 or -1. */
typedef int (*fp_render_fn)(void *arg, FILE *out);

/*
 * Listen on the Unix socket at path, replacing a stale socket left by an earlier run (but
 * nothing that is not a socket). Returns the listening fd, or -errno with the reason in err.
 */
int fp_stats_socket_open(const char *path, char *err, size_t errlen);

/* Answer every connection waiting on listen_fd with one rendered document. */
void fp_stats_socket_serve(int listen_fd, fp_render_fn render, void *arg);

/* Close the listening socket and remove its path. */
void fp_stats_socket_close(int listen_fd, const char *path);

/* Write path.tmp then rename it over path. Returns 0 or -errno. */
int fp_stats_file_replace(const char *path, fp_render_fn render, void *arg);

#endif /* FP_SERVER_STATS_IO_H */

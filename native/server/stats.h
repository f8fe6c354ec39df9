/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-worker counters and their two renderings (JSON and Prometheus text format).
 *
 * Each worker owns one cache-line-aligned struct and is its only writer, so counting needs no
 * atomic read-modify-write and workers never share a line. The stats reader (main thread) loads
 * each field with a relaxed atomic load, which on 64-bit machines is a plain load that cannot tear.
 */
#ifndef FP_SERVER_STATS_H
#define FP_SERVER_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fastpath_wire.h"

struct fp_config;

struct fp_worker_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets; /* sends the kernel completed successfully */
	uint64_t tx_bytes;
	uint64_t drops[FP_DROP__MAX]; /* by enum fp_drop_reason */
	uint64_t send_errors;         /* sends that completed with an error */
	uint64_t bufring_exhausted;   /* times the receive found no free buffer (-ENOBUFS) */
	uint64_t send_batches;        /* submits that carried at least one send */
	uint64_t sends_submitted;     /* sends in those submits: mean batch = this / send_batches */
	uint64_t recv_rearms;         /* times the multishot receive had to be armed again */
	uint64_t socket_drops;        /* the kernel's drop count for this socket (SO_MEMINFO) */
} __attribute__((aligned(64)));

/* Worker side: a single writer, so a plain add published with a relaxed store. */
#define FP_STAT_ADD(st, field, n) \
	__atomic_store_n(&(st)->field, (st)->field + (uint64_t)(n), __ATOMIC_RELAXED)

/* Reader side: a consistent-enough copy of one worker's counters. */
void fp_stats_snapshot(const struct fp_worker_stats *src, struct fp_worker_stats *dst);

/* Names used for drop reasons in JSON keys and the Prometheus `reason` label. */
const char *fp_drop_reason_name(unsigned int reason);

/* Everything the renderers need besides the counters. */
struct fp_stats_view {
	const struct fp_config *cfg;
	const struct fp_worker_stats *workers; /* snapshots, cfg->nworkers of them */
	const char *xdp_mode;                  /* the XDP mode really attached, or "off" */
	double uptime_s;
	/* Optional: writes more top-level members (", \"key\": value") before the JSON closes. */
	void (*extra_json)(const void *arg, FILE *out);
	const void *extra_arg;
};

/* Write one JSON document (with a trailing newline). Returns 0 or -1 on a write error. */
int fp_stats_write_json(const struct fp_stats_view *v, FILE *out);

/* Write the Prometheus text exposition format. Returns 0 or -1 on a write error. */
int fp_stats_write_prometheus(const struct fp_stats_view *v, FILE *out);

#endif /* FP_SERVER_STATS_H */

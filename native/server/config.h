/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fastpath-server configuration: `key = value` lines in a file the dataplane role renders, each key
 * overridable by the environment variable FASTPATH_<KEY> (upper case). Every key and its default are
 * in the table in config.c, the numeric keys' ranges in config_keys.def; all of it in README.md.
 */
#ifndef FP_SERVER_CONFIG_H
#define FP_SERVER_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/un.h>

#include "parse.h"

/* FP_MAX_WORKERS and FP_MAX_UPSTREAMS, as enum constants: config_keys.def holds their values. */
#define FP_LIMIT(name, value) enum { name = value };
#include "config_keys.def"

enum fp_mode { FP_MODE_ECHO, FP_MODE_RELAY };
enum fp_xdp_mode { FP_XDP_OFF, FP_XDP_PASS, FP_XDP_CPUMAP, FP_XDP_AFXDP };

struct fp_config {
	struct fp_addr listen; /* listen_address with port filled in */
	uint16_t port;
	int cpus[FP_MAX_WORKERS]; /* worker i runs on cpus[i] and owns socket i of the reuseport group */
	unsigned int nworkers;
	/* xdp_mode = afxdp: worker i's AF_XDP socket is bound to rx queue queues[i] (afxdp_queues). */
	int queues[FP_MAX_WORKERS];
	unsigned int nqueues; /* as listed in afxdp_queues; 0 = one queue per worker CPU, 0..n-1 */
	enum fp_mode mode;
	struct fp_addr upstreams[FP_MAX_UPSTREAMS];
	unsigned int nupstreams;
	unsigned int queue_depth;
	unsigned int batch;
	unsigned int buffers;     /* per worker, a power of two */
	unsigned int buffer_size; /* bytes per provided buffer */
	uint64_t sndbuf;
	uint64_t rcvbuf;
	unsigned int busy_poll_us;
	bool steer; /* attach the reuseport steering program */
	char stats_socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char stats_json[PATH_MAX];
	char stats_textfile[PATH_MAX];
	unsigned int stats_interval_ms;
	char xdp_interface[IF_NAMESIZE];
	enum fp_xdp_mode xdp_mode;
	bool xdp_ping;
	char xdp_pin_root[PATH_MAX];
	uint64_t rate_limit_pps;
	bool reply_sendmsg_only; /* reply_op = sendmsg: never IORING_OP_SEND with an address */

	/* The text each key was last set from, for --check-config and the stats JSON. */
	char raw[32][512];
	const char *origin[32]; /* "default", the file path, or "environment" */
};

/*
 * Load defaults, then the file at `path` (NULL: defaults and environment only), then the
 * environment, then check the keys against each other and against this machine (the worker CPUs
 * must be ones this process may run on). Returns 0, or -1 with the reason in err.
 */
int fp_config_load(struct fp_config *cfg, const char *path, char *err, size_t errlen);

/* The text a key was last set from ("" for an unknown key). */
const char *fp_config_raw(const struct fp_config *cfg, const char *key);

/* Print the effective configuration as `key = value  # origin` lines. */
void fp_config_print(const struct fp_config *cfg, FILE *out);

const char *fp_mode_name(enum fp_mode m);
const char *fp_xdp_mode_name(enum fp_xdp_mode m);

#endif /* FP_SERVER_CONFIG_H */

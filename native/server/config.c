// SPDX-License-Identifier: Apache-2.0
/*
 * Configuration loading: defaults, then the file, then FASTPATH_<KEY> environment overrides,
 * then checks across keys. Defaults are written as text and go through the same parsers as the
 * file, so there is one definition of each key's meaning.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "afxdp_check.h"
#include "cpulist.h"

typedef int (*key_parser)(struct fp_config *cfg, const char *key, const char *v, char *err, size_t errlen);

struct key_def {
	const char *name;
	const char *def; /* default, as text */
	key_parser parse;
};

/* The numeric keys' ranges, one `range_<key>` each, from config_keys.def (see there). */
enum key_unit { FP_COUNT, FP_BYTES };
enum key_rule { FP_ANY, FP_POW2, FP_CACHELINE };
struct key_range {
	uint64_t min, max;
	enum key_unit unit;
	enum key_rule rule;
};
#define FP_RANGE(key, lo, hi, u, r) static const struct key_range range_##key = { lo, hi, u, r };
#include "config_keys.def"

/* A numeric key: a number (a size when its unit is bytes) within its range, then its rule. */
static int ranged(const char *k, const struct key_range *r, const char *v, uint64_t *x, char *err,
		  size_t n)
{
	if (fp_cfg_u64(k, v, r->min, r->max, r->unit == FP_BYTES, x, err, n) < 0)
		return -1;
	if (r->rule == FP_POW2 && (*x & (*x - 1))) {
		snprintf(err, n, "%s: %" PRIu64 " is not a power of two", k, *x);
		return -1;
	}
	if (r->rule == FP_CACHELINE && *x % 64) {
		snprintf(err, n, "%s: %" PRIu64 " is not a multiple of 64", k, *x);
		return -1;
	}
	return 0;
}

static int copy_str(char *dst, size_t dstlen, const char *key, const char *v, char *err, size_t errlen)
{
	if (strlen(v) >= dstlen) {
		snprintf(err, errlen, "%s: '%s' is longer than %zu characters", key, v, dstlen - 1);
		return -1;
	}
	strcpy(dst, v);
	return 0;
}

static int p_listen(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return fp_cfg_ip(k, v, 0, &c->listen, err, n);
}

static int p_port(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	uint64_t x;

	if (ranged(k, &range_port, v, &x, err, n) < 0)
		return -1;
	c->port = (uint16_t)x;
	return 0;
}

static int p_workers(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	char why[256];
	size_t count;

	if (fp_cpulist_parse(v, c->cpus, FP_MAX_WORKERS, FP_MAX_CPUS, &count, why, sizeof(why)) < 0) {
		snprintf(err, n, "%s: '%s': %s", k, v, why);
		return -1;
	}
	c->nworkers = (unsigned int)count;
	return 0;
}

static int p_mode(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	if (strcmp(v, "echo") == 0)
		c->mode = FP_MODE_ECHO;
	else if (strcmp(v, "relay") == 0)
		c->mode = FP_MODE_RELAY;
	else {
		snprintf(err, n, "%s: '%s' is not echo or relay", k, v);
		return -1;
	}
	return 0;
}

static int p_upstreams(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	char buf[512];
	char *save = NULL, *item;

	c->nupstreams = 0;
	if (copy_str(buf, sizeof(buf), k, v, err, n) < 0)
		return -1;
	for (item = strtok_r(buf, ", ", &save); item; item = strtok_r(NULL, ", ", &save)) {
		if (c->nupstreams == FP_MAX_UPSTREAMS) {
			snprintf(err, n, "%s: more than %d upstreams", k, FP_MAX_UPSTREAMS);
			return -1;
		}
		if (fp_cfg_hostport(k, item, &c->upstreams[c->nupstreams], err, n) < 0)
			return -1;
		c->nupstreams++;
	}
	return 0;
}

static int p_uint(unsigned int *dst, const char *k, const struct key_range *r, const char *v, char *err,
		  size_t n)
{
	uint64_t x;

	if (ranged(k, r, v, &x, err, n) < 0)
		return -1;
	*dst = (unsigned int)x;
	return 0;
}

static int p_queue_depth(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return p_uint(&c->queue_depth, k, &range_queue_depth, v, err, n);
}

static int p_batch(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return p_uint(&c->batch, k, &range_batch, v, err, n);
}

static int p_buffers(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return p_uint(&c->buffers, k, &range_buffers, v, err, n);
}

static int p_buffer_size(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return p_uint(&c->buffer_size, k, &range_buffer_size, v, err, n);
}

static int p_sndbuf(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return ranged(k, &range_sndbuf, v, &c->sndbuf, err, n);
}

static int p_rcvbuf(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return ranged(k, &range_rcvbuf, v, &c->rcvbuf, err, n);
}

static int p_busy_poll(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return p_uint(&c->busy_poll_us, k, &range_busy_poll_us, v, err, n);
}

static int p_steer(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return fp_cfg_bool(k, v, &c->steer, err, n);
}

static int p_stats_socket(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return copy_str(c->stats_socket, sizeof(c->stats_socket), k, v, err, n);
}

static int p_stats_json(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return copy_str(c->stats_json, sizeof(c->stats_json), k, v, err, n);
}

static int p_stats_textfile(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return copy_str(c->stats_textfile, sizeof(c->stats_textfile), k, v, err, n);
}

static int p_stats_interval(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return p_uint(&c->stats_interval_ms, k, &range_stats_interval_ms, v, err, n);
}

static int p_xdp_interface(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return copy_str(c->xdp_interface, sizeof(c->xdp_interface), k, v, err, n);
}

static int p_xdp_pin_root(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	if (v[0] && v[0] != '/') {
		snprintf(err, n, "%s: '%s' is not an absolute path", k, v);
		return -1;
	}
	return copy_str(c->xdp_pin_root, sizeof(c->xdp_pin_root), k, v, err, n);
}

static int p_xdp_mode(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	if (strcmp(v, "off") == 0)
		c->xdp_mode = FP_XDP_OFF;
	else if (strcmp(v, "pass") == 0)
		c->xdp_mode = FP_XDP_PASS;
	else if (strcmp(v, "cpumap") == 0)
		c->xdp_mode = FP_XDP_CPUMAP;
	else if (strcmp(v, "afxdp") == 0)
		c->xdp_mode = FP_XDP_AFXDP;
	else {
		snprintf(err, n, "%s: '%s' is not off, pass, cpumap or afxdp", k, v);
		return -1;
	}
	return 0;
}

static int p_afxdp_queues(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	char why[256];
	size_t count = 0;

	if (v[0] && fp_cpulist_parse(v, c->queues, FP_MAX_WORKERS, FP_MAX_CPUS, &count, why, sizeof(why)) < 0) {
		snprintf(err, n, "%s: '%s': %s", k, v, why);
		return -1;
	}
	c->nqueues = (unsigned int)count;
	return 0;
}

static int p_xdp_ping(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return fp_cfg_bool(k, v, &c->xdp_ping, err, n);
}

static int p_rate_limit(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	return ranged(k, &range_rate_limit_pps, v, &c->rate_limit_pps, err, n);
}

static int p_reply_op(struct fp_config *c, const char *k, const char *v, char *err, size_t n)
{
	if (strcmp(v, "auto") == 0)
		c->reply_sendmsg_only = false;
	else if (strcmp(v, "sendmsg") == 0)
		c->reply_sendmsg_only = true;
	else {
		snprintf(err, n, "%s: '%s' is not auto or sendmsg", k, v);
		return -1;
	}
	return 0;
}

/* Every key, in the order --check-config prints them. Keep README.md's table in step. */
static const struct key_def keys[] = {
	{ "listen_address", "0.0.0.0", p_listen },
	{ "port", "7777", p_port },
	{ "workers", "", p_workers }, /* "" = the CPUs this process may run on; filled in at load */
	{ "mode", "echo", p_mode },
	{ "upstreams", "", p_upstreams },
	{ "queue_depth", "1024", p_queue_depth },
	{ "batch", "64", p_batch },
	{ "buffers", "4096", p_buffers },
	{ "buffer_size", "2048", p_buffer_size },
	{ "sndbuf", "4M", p_sndbuf },
	{ "rcvbuf", "4M", p_rcvbuf },
	{ "busy_poll_us", "0", p_busy_poll },
	{ "steer", "on", p_steer },
	{ "stats_socket", "", p_stats_socket },
	{ "stats_json", "", p_stats_json },
	{ "stats_textfile", "", p_stats_textfile },
	{ "stats_interval_ms", "1000", p_stats_interval },
	{ "xdp_interface", "", p_xdp_interface },
	{ "xdp_mode", "off", p_xdp_mode },
	{ "afxdp_queues", "", p_afxdp_queues }, /* "" = queues 0..workers-1 */
	{ "xdp_ping", "on", p_xdp_ping },
	{ "xdp_pin_root", "", p_xdp_pin_root }, /* "" = the loader's default, /sys/fs/bpf/fastpath */
	{ "rate_limit_pps", "0", p_rate_limit },
	{ "reply_op", "auto", p_reply_op },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= sizeof(((struct fp_config *)0)->raw) / sizeof(((struct fp_config *)0)->raw[0]),
	       "raw[] too small for the key table");

static int find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int set_key(struct fp_config *cfg, int idx, const char *value, const char *origin, char *err,
		   size_t errlen)
{
	/* Keys with an empty value mean "not set" for the optional text keys; the rest need text. */
	if (keys[idx].parse(cfg, keys[idx].name, value, err, errlen) < 0)
		return -1;
	snprintf(cfg->raw[idx], sizeof(cfg->raw[idx]), "%s", value);
	cfg->origin[idx] = origin;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int load_file(struct fp_config *cfg, const char *path, char *err, size_t errlen)
{
	bool seen[NKEYS] = { false };
	char line[4096], why[512];
	unsigned int lineno = 0;
	int rc = -1;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "cannot open config file %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *key, *value, *eq;
		int idx;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line longer than %zu characters", path, lineno,
				 sizeof(line) - 2);
			goto out;
		}
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value', got '%s'", path, lineno, key);
			goto out;
		}
		*eq = '\0';
		key = trim(key);
		value = trim(eq + 1);
		/* A value may be quoted, so the role can render empty strings and paths safely. */
		if (value[0] == '"') {
			size_t len = strlen(value);

			if (len < 2 || value[len - 1] != '"') {
				snprintf(err, errlen, "%s:%u: unterminated quote in '%s'", path, lineno, value);
				goto out;
			}
			value[len - 1] = '\0';
			value++;
		}
		idx = find_key(key);
		if (idx < 0) {
			snprintf(err, errlen, "%s:%u: unknown key '%s' (see native/server/README.md)", path,
				 lineno, key);
			goto out;
		}
		if (seen[idx]) {
			snprintf(err, errlen, "%s:%u: key '%s' set twice", path, lineno, key);
			goto out;
		}
		seen[idx] = true;
		if (set_key(cfg, idx, value, path, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

static int load_env(struct fp_config *cfg, char *err, size_t errlen)
{
	char name[64], why[512];

	for (size_t i = 0; i < NKEYS; i++) {
		const char *v;
		size_t j;

		memcpy(name, "FASTPATH_", 9);
		for (j = 0; keys[i].name[j]; j++)
			name[9 + j] = (char)toupper((unsigned char)keys[i].name[j]);
		name[9 + j] = '\0';
		v = getenv(name);
		if (!v)
			continue;
		if (set_key(cfg, (int)i, v, "environment", why, sizeof(why)) < 0) {
			snprintf(err, errlen, "environment %s: %s", name, why);
			return -1;
		}
	}
	return 0;
}

/* The CPUs this process may run on, as a cpulist: the default for `workers`. */
static int allowed_cpus(cpu_set_t *set, char *out, size_t outlen)
{
	int cpus[FP_MAX_WORKERS];
	size_t n = 0;

	if (sched_getaffinity(0, sizeof(*set), set) < 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE && n < FP_MAX_WORKERS; c++)
		if (CPU_ISSET(c, set))
			cpus[n++] = c;
	return fp_cpulist_format(cpus, n, out, outlen);
}

static int check_across(struct fp_config *cfg, const cpu_set_t *allowed, const char *allowed_text,
			char *err, size_t errlen)
{
	for (unsigned int i = 0; i < cfg->nworkers; i++) {
		if (cfg->cpus[i] >= CPU_SETSIZE || !CPU_ISSET(cfg->cpus[i], allowed)) {
			snprintf(err, errlen,
				 "workers: CPU %d is not one this process may run on (allowed: %s); "
				 "check the cpulist and the service's CPUAffinity/slice",
				 cfg->cpus[i], allowed_text);
			return -1;
		}
	}
	if (cfg->mode == FP_MODE_RELAY && cfg->nupstreams == 0) {
		snprintf(err, errlen, "mode = relay needs at least one address in upstreams");
		return -1;
	}
	if (cfg->mode == FP_MODE_ECHO && cfg->nupstreams > 0) {
		snprintf(err, errlen, "upstreams is set but mode = echo; set mode = relay or drop upstreams");
		return -1;
	}
	if (cfg->batch > cfg->queue_depth) {
		snprintf(err, errlen, "batch (%u) must not exceed queue_depth (%u)", cfg->batch,
			 cfg->queue_depth);
		return -1;
	}
	if (cfg->xdp_mode != FP_XDP_OFF && cfg->xdp_interface[0] == '\0') {
		snprintf(err, errlen, "xdp_mode = %s needs xdp_interface", fp_xdp_mode_name(cfg->xdp_mode));
		return -1;
	}
	if (cfg->xdp_interface[0] && cfg->xdp_mode != FP_XDP_OFF && if_nametoindex(cfg->xdp_interface) == 0) {
		snprintf(err, errlen, "xdp_interface: no interface named '%s' here", cfg->xdp_interface);
		return -1;
	}
	if (cfg->nqueues && cfg->xdp_mode != FP_XDP_AFXDP) {
		snprintf(err, errlen, "afxdp_queues is set but xdp_mode = %s; set xdp_mode = afxdp or drop it",
			 fp_xdp_mode_name(cfg->xdp_mode));
		return -1;
	}
#ifndef FP_HAVE_LIBXDP
	if (cfg->xdp_mode == FP_XDP_AFXDP) {
		snprintf(err, errlen, "xdp_mode = afxdp: this fastpath-server was built without libxdp; "
			 "install libxdp-dev and rebuild");
		return -1;
	}
#endif
	if (cfg->xdp_mode == FP_XDP_AFXDP && fp_afxdp_plan(cfg, err, errlen) < 0)
		return -1;
	for (unsigned int i = 0; i < cfg->nupstreams; i++) {
		if (cfg->upstreams[i].ss.ss_family != cfg->listen.ss.ss_family) {
			snprintf(err, errlen,
				 "upstreams: '%s' is not of the same address family as listen_address '%s'",
				 cfg->raw[find_key("upstreams")], cfg->raw[find_key("listen_address")]);
			return -1;
		}
	}
	/* Relay sends each packet once per upstream from one buffer: the queue must hold a batch. */
	if (cfg->mode == FP_MODE_RELAY && (uint64_t)cfg->batch * cfg->nupstreams > cfg->queue_depth) {
		snprintf(err, errlen, "batch (%u) x upstreams (%u) must not exceed queue_depth (%u)",
			 cfg->batch, cfg->nupstreams, cfg->queue_depth);
		return -1;
	}
	return 0;
}

int fp_config_load(struct fp_config *cfg, const char *path, char *err, size_t errlen)
{
	char allowed_text[512], why[512];
	cpu_set_t allowed;

	memset(cfg, 0, sizeof(*cfg));
	if (allowed_cpus(&allowed, allowed_text, sizeof(allowed_text)) < 0) {
		snprintf(err, errlen, "cannot read this process's CPU affinity: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		const char *def = keys[i].def;

		if (strcmp(keys[i].name, "workers") == 0)
			def = allowed_text;
		if (set_key(cfg, (int)i, def, "default", why, sizeof(why)) < 0) {
			snprintf(err, errlen, "built-in default: %s", why);
			return -1;
		}
	}
	if (path && load_file(cfg, path, err, errlen) < 0)
		return -1;
	if (load_env(cfg, err, errlen) < 0)
		return -1;
	if (check_across(cfg, &allowed, allowed_text, err, errlen) < 0)
		return -1;
	/* listen_address was parsed without its port: fill it in now that both are final. */
	if (cfg->listen.ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&cfg->listen.ss)->sin6_port = htons(cfg->port);
	else
		((struct sockaddr_in *)&cfg->listen.ss)->sin_port = htons(cfg->port);
	return 0;
}

const char *fp_config_raw(const struct fp_config *cfg, const char *key)
{
	int idx = find_key(key);

	return idx < 0 ? "" : cfg->raw[idx];
}

void fp_config_print(const struct fp_config *cfg, FILE *out)
{
	for (size_t i = 0; i < NKEYS; i++)
		fprintf(out, "%s = %s%s%s  # %s\n", keys[i].name, cfg->raw[i][0] ? "" : "\"", cfg->raw[i],
			cfg->raw[i][0] ? "" : "\"", cfg->origin[i]);
}

const char *fp_mode_name(enum fp_mode m)
{
	return m == FP_MODE_RELAY ? "relay" : "echo";
}

const char *fp_xdp_mode_name(enum fp_xdp_mode m)
{
	switch (m) {
	case FP_XDP_PASS: return "pass";
	case FP_XDP_CPUMAP: return "cpumap";
	case FP_XDP_AFXDP: return "afxdp";
	default: return "off";
	}
}

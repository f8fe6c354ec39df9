// SPDX-License-Identifier: Apache-2.0
/* The server's use of the XDP loader library: see xdp_attach.h. */
#include "xdp_attach.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fastpath_xdp.h"

struct err_buf {
	char *buf;
	size_t len;
};

/* The loader reports why through a callback; keep its message for our own error line. */
static void keep_error(const char *msg, void *arg)
{
	struct err_buf *e = arg;

	snprintf(e->buf, e->len, "%s", msg);
}

int fp_server_xdp_attach(const struct fp_config *cfg, struct fp_xdp **out, char *err, size_t errlen)
{
	struct err_buf e = { err, errlen };
	struct fp_xdp_opts o;
	int ret;

	*out = NULL;
	if (cfg->xdp_mode == FP_XDP_OFF)
		return 0;
	err[0] = '\0';
	fp_xdp_set_error_handler(keep_error, &e);
	fp_xdp_opts_init(&o, cfg->xdp_interface);
	o.steer = cfg->xdp_mode == FP_XDP_CPUMAP  ? FP_XDP_STEER_CPUMAP
		  : cfg->xdp_mode == FP_XDP_AFXDP ? FP_XDP_STEER_XSK
						  : FP_XDP_STEER_PASS;
	o.ports[0] = cfg->port;
	o.nports = 1;
	o.ratelimit_pps = (__u32)cfg->rate_limit_pps;
	o.ping_fastpath = cfg->xdp_ping;
	/* The CPU map is for cpumap steering only; AF_XDP sockets go into their map per queue. */
	o.nworkers = cfg->xdp_mode == FP_XDP_AFXDP ? 0 : cfg->nworkers;
	memcpy(o.worker_cpus, cfg->cpus, sizeof(int) * o.nworkers);
	o.pin_root = cfg->xdp_pin_root[0] ? cfg->xdp_pin_root : NULL;
	ret = fp_xdp_opts_validate(&o);
	if (ret == 0)
		ret = fp_xdp_attach(&o, out);
	fp_xdp_set_error_handler(NULL, NULL);
	if (ret == 0 && fp_xdp_native_refused(*out)[0])
		fprintf(stderr, "fastpath-server: warning: the driver refused native XDP on %s: %s; XDP runs in "
			"generic mode (slower, and no AF_XDP zero-copy)\n", cfg->xdp_interface, fp_xdp_native_refused(*out));
	if (ret < 0 && err[0] == '\0')
		snprintf(err, errlen, "attaching XDP to %s: %s", cfg->xdp_interface, strerror(-ret));
	return ret;
}

const char *fp_server_xdp_mode(const struct fp_xdp *x)
{
	return x ? fp_xdp_mode(x) : "off";
}

void fp_server_xdp_stats_json(const struct fp_xdp *x, FILE *out)
{
	struct fp_xdp_stats st;

	if (!x || fp_xdp_read_stats(x, &st) < 0)
		return;
	fprintf(out, ", \"xdp\": ");
	fp_xdp_stats_json(out, x, &st);
}

int fp_server_xdp_detach(struct fp_xdp *x)
{
	return x ? fp_xdp_detach(x) : 0;
}

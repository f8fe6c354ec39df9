// SPDX-License-Identifier: Apache-2.0
/* Defaults and validation of struct fp_xdp_opts, before anything touches the kernel. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define RATELIMIT_MAX_PPS 100000000u /* 100 Mpps: above any NIC's per-source rate, keeps math in 64 bit */
#define CPUMAP_QSIZE_MAX 16384u      /* the kernel caps a cpumap queue at 16k frames */

void fp_xdp_opts_init(struct fp_xdp_opts *opts, const char *ifname)
{
	memset(opts, 0, sizeof(*opts));
	opts->ifname = ifname;
	opts->steer = FP_XDP_STEER_PASS;
	opts->ports[0] = FP_DEFAULT_PORT;
	opts->nports = 1;
}

int fp_xdp_opts_validate(const struct fp_xdp_opts *o)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);

	if (!o->ifname || !*o->ifname || strlen(o->ifname) >= IF_NAMESIZE)
		return fp_xdp_fail(EINVAL, "interface name missing or longer than %d characters",
				   IF_NAMESIZE - 1);
	if (o->nports > FP_XDP_MAX_PORTS)
		return fp_xdp_fail(EINVAL, "%u ports given; at most %d", o->nports, FP_XDP_MAX_PORTS);
	for (unsigned int i = 0; i < o->nports; i++)
		if (!o->ports[i])
			return fp_xdp_fail(EINVAL, "port 0 is not a valid UDP port");
	if (o->steer != FP_XDP_STEER_PASS && o->steer != FP_XDP_STEER_CPUMAP && o->steer != FP_XDP_STEER_XSK)
		return fp_xdp_fail(EINVAL, "unknown steering mode %d (pass, cpumap or xsk)", (int)o->steer);
	if (o->ratelimit_pps > RATELIMIT_MAX_PPS)
		return fp_xdp_fail(EINVAL, "rate limit %u pps is above the maximum %u", o->ratelimit_pps,
				   RATELIMIT_MAX_PPS);
	if (o->ratelimit_burst && !o->ratelimit_pps)
		return fp_xdp_fail(EINVAL, "a rate limit burst needs a rate limit (pps)");
	if (o->ratelimit_burst > 10ull * o->ratelimit_pps)
		return fp_xdp_fail(EINVAL, "burst %u is more than 10 s worth of %u pps", o->ratelimit_burst,
				   o->ratelimit_pps);
	if (o->cpumap_qsize > CPUMAP_QSIZE_MAX)
		return fp_xdp_fail(EINVAL, "cpumap queue size %u is above %u", o->cpumap_qsize,
				   CPUMAP_QSIZE_MAX);
	if (o->steer == FP_XDP_STEER_CPUMAP && !o->nworkers)
		return fp_xdp_fail(EINVAL, "cpumap steering needs at least one worker CPU");
	if (o->nworkers > FP_XDP_MAX_WORKERS)
		return fp_xdp_fail(EINVAL, "%u workers; at most %d", o->nworkers, FP_XDP_MAX_WORKERS);
	for (unsigned int i = 0; i < o->nworkers; i++)
		if (o->worker_cpus[i] < 0 || o->worker_cpus[i] >= ncpus || o->worker_cpus[i] >= FP_XDP_MAX_CPUS)
			return fp_xdp_fail(EINVAL, "worker %u: CPU %d does not exist (0-%ld)", i,
					   o->worker_cpus[i], ncpus - 1);
	return 0;
}

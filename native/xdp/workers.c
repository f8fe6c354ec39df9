// SPDX-License-Identifier: Apache-2.0
/* The worker -> CPU table for cpumap steering: CPU map entries first, then the config that uses them,
 * so the program never steers to a CPU that has no queue yet. */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"

int fp_xdp_write_workers(struct fp_xdp *x, unsigned int nworkers, const int *cpus)
{
	struct bpf_cpumap_val val = { .qsize = x->cpumap_qsize }; /* bpf_prog.fd 0: no second program */
	struct fp_xdp_config cfg;
	int ncpus = libbpf_num_possible_cpus();
	__u32 zero = 0;

	if (nworkers > FP_XDP_MAX_WORKERS)
		return fp_xdp_fail(EINVAL, "%u workers; at most %d", nworkers, FP_XDP_MAX_WORKERS);
	for (unsigned int i = 0; i < nworkers; i++) {
		__u32 cpu = (__u32)cpus[i];

		if (cpus[i] < 0 || cpus[i] >= ncpus)
			return fp_xdp_fail(EINVAL, "worker %u: CPU %d does not exist", i, cpus[i]);
		if (bpf_map_update_elem(x->cpumap_fd, &cpu, &val, BPF_ANY) != 0)
			return fp_xdp_fail(errno, "adding CPU %u to the CPU map: %s; %s", cpu, strerror(errno),
					   fp_xdp_hint(errno));
	}
	if (bpf_map_lookup_elem(x->config_fd, &zero, &cfg) != 0)
		return fp_xdp_fail(errno, "reading the XDP configuration: %s", strerror(errno));
	memset(cfg.worker_cpu, 0, sizeof(cfg.worker_cpu));
	for (unsigned int i = 0; i < nworkers; i++)
		cfg.worker_cpu[i] = (__u32)cpus[i];
	cfg.nworkers = nworkers;
	if (bpf_map_update_elem(x->config_fd, &zero, &cfg, BPF_ANY) != 0)
		return fp_xdp_fail(errno, "writing the XDP configuration: %s", strerror(errno));
	return 0;
}

int fp_xdp_set_workers(struct fp_xdp *x, unsigned int nworkers, const int *cpus)
{
	return fp_xdp_write_workers(x, nworkers, cpus);
}

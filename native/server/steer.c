// SPDX-License-Identifier: Apache-2.0
/* Loading the reuseport steering program from its skeleton: see steer.h. */
#include "steer.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reuseport_steer.skel.h"

/* libbpf prints verifier logs at warning level; keep them, drop its debug chatter. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int fp_steer_load(unsigned int nworkers, struct reuseport_steer **out, char *err, size_t errlen)
{
	struct reuseport_steer *skel;
	int ret;

	libbpf_set_print(libbpf_print);
	skel = reuseport_steer__open();
	if (!skel) {
		ret = -errno;
		snprintf(err, errlen, "opening the reuseport steering program: %s", strerror(-ret));
		return ret;
	}
	skel->rodata->nworkers = nworkers;
	ret = reuseport_steer__load(skel);
	if (ret < 0) {
		snprintf(err, errlen,
			 "loading the reuseport steering program: %s (needs CAP_BPF or root; under "
			 "systemd-nspawn allow the bpf system call; or set steer = off)",
			 strerror(-ret));
		reuseport_steer__destroy(skel);
		return ret;
	}
	*out = skel;
	return 0;
}

int fp_steer_prog_fd(const struct reuseport_steer *skel)
{
	return bpf_program__fd(skel->progs.reuseport_steer);
}

void fp_steer_free(struct reuseport_steer *skel)
{
	if (skel)
		reuseport_steer__destroy(skel);
}

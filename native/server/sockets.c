// SPDX-License-Identifier: Apache-2.0
/* The workers' SO_REUSEPORT UDP sockets: see sockets.h. */
#include "sockets.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_ATTACH_REUSEPORT_EBPF
#define SO_ATTACH_REUSEPORT_EBPF 52
#endif

int fp_sockets_check_port_free(const struct fp_config *cfg, char *err, size_t errlen)
{
	char addr[64];
	int fd, ret = 0;

	fp_cfg_format_addr(&cfg->listen, addr, sizeof(addr));
	fd = socket(cfg->listen.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket(): %s", strerror(errno));
		return ret;
	}
	/* Without SO_REUSEPORT this bind fails if anyone, reuseport or not, holds the port. */
	if (bind(fd, (const struct sockaddr *)&cfg->listen.ss, cfg->listen.len) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s is not free: %s%s", addr, strerror(errno),
			 errno == EADDRINUSE ? " (is another fastpath-server running? see `ss -ulpn`)" : "");
	}
	close(fd);
	return ret;
}

/* Ask for a buffer size and warn when the kernel gives less (it caps at net.core.[rw]mem_max). */
static void set_buffer(int fd, int opt, const char *name, const char *sysctl, uint64_t ask, unsigned int w)
{
	int val = ask > (uint64_t)(INT32_MAX / 2) ? INT32_MAX / 2 : (int)ask;
	socklen_t len = sizeof(val);
	int got = 0;

	if (setsockopt(fd, SOL_SOCKET, opt, &val, sizeof(val)) < 0) {
		fprintf(stderr, "fastpath-server: warning: worker %u: %s=%d refused: %s\n", w, name, val,
			strerror(errno));
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, opt, &got, &len) < 0)
		return;
	/* The kernel doubles the value for bookkeeping overhead and reports the doubled size. */
	if ((uint64_t)got / 2 < ask && w == 0)
		fprintf(stderr,
			"fastpath-server: warning: %s: asked %llu bytes, the kernel gave %d; raise %s "
			"(the sysctl_tuning role does) to get the full size\n",
			name, (unsigned long long)ask, got / 2, sysctl);
}

static int open_one(const struct fp_config *cfg, unsigned int w, int prog_fd, int *out, char *err,
		    size_t errlen)
{
	int one = 1, fd, ret;
	char addr[64];

	fd = socket(cfg->listen.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "worker %u: socket(): %s", w, strerror(errno));
		return ret;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "worker %u: SO_REUSEPORT: %s", w, strerror(errno));
		goto fail;
	}
	set_buffer(fd, SO_RCVBUF, "rcvbuf", "net.core.rmem_max", cfg->rcvbuf, w);
	set_buffer(fd, SO_SNDBUF, "sndbuf", "net.core.wmem_max", cfg->sndbuf, w);
	if (cfg->busy_poll_us) {
		int us = (int)cfg->busy_poll_us;

		if (setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) < 0 && w == 0)
			fprintf(stderr,
				"fastpath-server: warning: busy_poll_us=%d refused: %s (raising it above "
				"net.core.busy_read needs CAP_NET_ADMIN)\n",
				us, strerror(errno));
	}
	/*
	 * The steering program belongs to the group; attaching it to the first socket before its
	 * bind creates the group with the program in place, so no datagram is ever hashed instead.
	 */
	if (w == 0 && prog_fd >= 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &prog_fd, sizeof(prog_fd)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "SO_ATTACH_REUSEPORT_EBPF: %s (set steer = off to run without it)",
			 strerror(errno));
		goto fail;
	}
	if (bind(fd, (const struct sockaddr *)&cfg->listen.ss, cfg->listen.len) < 0) {
		ret = -errno;
		fp_cfg_format_addr(&cfg->listen, addr, sizeof(addr));
		snprintf(err, errlen, "worker %u: bind %s: %s%s", w, addr, strerror(errno),
			 errno == EADDRNOTAVAIL ? " (listen_address is not an address of this host)" : "");
		goto fail;
	}
	*out = fd;
	return 0;
fail:
	close(fd);
	return ret;
}

int fp_sockets_open(const struct fp_config *cfg, int prog_fd, int *fds, char *err, size_t errlen)
{
	for (unsigned int w = 0; w < cfg->nworkers; w++) {
		int ret = open_one(cfg, w, prog_fd, &fds[w], err, errlen);

		if (ret < 0) {
			fp_sockets_close(fds, w);
			return ret;
		}
	}
	return 0;
}

void fp_sockets_close(int *fds, unsigned int n)
{
	for (unsigned int w = 0; w < n; w++) {
		if (fds[w] >= 0)
			close(fds[w]);
		fds[w] = -1;
	}
}

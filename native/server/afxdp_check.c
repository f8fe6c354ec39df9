// SPDX-License-Identifier: Apache-2.0
/* The AF_XDP queue/worker plan and its checks: see afxdp_check.h. */
#include "afxdp_check.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"

/* One ioctl on a throwaway socket of this network namespace. */
static int if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	if (ioctl(fd, req, ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int fp_afxdp_rx_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { .ifr_data = (void *)&ch };
	int ret = if_ioctl(ifname, SIOCETHTOOL, &ifr);

	if (ret == -EOPNOTSUPP)
		return 1; /* a driver without channels has the one queue */
	if (ret < 0)
		return ret;
	return (int)(ch.rx_count + ch.combined_count) > 0 ? (int)(ch.rx_count + ch.combined_count) : 1;
}

static int if_mtu(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int ret = if_ioctl(ifname, SIOCGIFMTU, &ifr);

	return ret < 0 ? ret : ifr.ifr_mtu;
}

int fp_afxdp_plan(struct fp_config *cfg, char *err, size_t errlen)
{
	int cpus[FP_MAX_WORKERS];
	unsigned int ncpus = cfg->nworkers;
	int rxq, mtu;

	/* The kernel's aligned UMEM takes chunks of a power of two from 2048 to the page size. */
	if (cfg->buffer_size != 2048 && cfg->buffer_size != 4096) {
		snprintf(err, errlen, "buffer_size: %u is not an AF_XDP frame size (2048 or 4096 with xdp_mode = afxdp)",
			 cfg->buffer_size);
		return -1;
	}
	mtu = if_mtu(cfg->xdp_interface);
	if (mtu < 0) {
		snprintf(err, errlen, "xdp_interface: reading the MTU of %s: %s", cfg->xdp_interface, strerror(-mtu));
		return -1;
	}
	if ((unsigned int)mtu + FP_XSK_L2_OVERHEAD > cfg->buffer_size - FP_XSK_HEADROOM) {
		snprintf(err, errlen,
			 "xdp_interface: %s has MTU %d, whose frames do not fit an AF_XDP frame of buffer_size %u "
			 "(MTU at most %u); raise buffer_size to 4096 or lower the MTU",
			 cfg->xdp_interface, mtu, cfg->buffer_size,
			 cfg->buffer_size - FP_XSK_HEADROOM - FP_XSK_L2_OVERHEAD);
		return -1;
	}
	rxq = fp_afxdp_rx_queues(cfg->xdp_interface);
	if (rxq < 0) {
		snprintf(err, errlen, "xdp_interface: reading the queues of %s: %s", cfg->xdp_interface,
			 strerror(-rxq));
		return -1;
	}
	if (cfg->nqueues == 0) {
		cfg->nqueues = cfg->nworkers;
		for (unsigned int i = 0; i < cfg->nworkers; i++)
			cfg->queues[i] = (int)i;
	}
	if (cfg->nqueues > (unsigned int)rxq) {
		snprintf(err, errlen,
			 "workers: %u AF_XDP workers but xdp_interface %s has %d rx queues (one worker per queue); "
			 "use fewer workers or afxdp_queues",
			 cfg->nqueues, cfg->xdp_interface, rxq);
		return -1;
	}
	for (unsigned int i = 0; i < cfg->nqueues; i++) {
		if (cfg->queues[i] >= rxq) {
			snprintf(err, errlen, "afxdp_queues: queue %d is not one of the %d rx queues of %s",
				 cfg->queues[i], rxq, cfg->xdp_interface);
			return -1;
		}
	}
	/* One worker per queue; the workers take the listed CPUs in turn. */
	memcpy(cpus, cfg->cpus, sizeof(cpus));
	for (unsigned int i = 0; i < cfg->nqueues; i++)
		cfg->cpus[i] = cpus[i % ncpus];
	cfg->nworkers = cfg->nqueues;
	return 0;
}

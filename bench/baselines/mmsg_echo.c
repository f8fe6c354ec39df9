// SPDX-License-Identifier: Apache-2.0
/*
 * Baseline 2: the batched echo server. recvmmsg takes up to --batch datagrams in one call
 * (MSG_WAITFORONE: block for the first, then take what is queued), sendmmsg answers them in one
 * call. fastpath-server's target is at least 1.3 times its rate.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_common.h"

#define MAX_BATCH 1024
#define BUF_SIZE 2048

struct slots {
	struct mmsghdr rx[MAX_BATCH], tx[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	struct sockaddr_in peer[MAX_BATCH];
	unsigned char buf[MAX_BATCH][BUF_SIZE];
};

/* Send tx[0..n): sendmmsg may stop short (a full socket buffer); a reply it refuses is lost. */
static int send_all(int fd, struct mmsghdr *tx, unsigned int n, struct echo_counters *c)
{
	unsigned int done = 0;
	int sent;

	while (done < n) {
		sent = sendmmsg(fd, tx + done, n - done, 0);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS || errno == ECONNREFUSED) {
				c->send_errors++;
				done++; /* skip the one refused, keep the batch going */
				continue;
			}
			fprintf(stderr, "sendmmsg failed: %s\n", strerror(errno));
			return -1;
		}
		done += (unsigned int)sent;
		c->tx += (unsigned int)sent;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char prog[] = "mmsg_echo";
	struct echo_counters c = {0};
	struct echo_opts o;
	struct slots *s = NULL;
	unsigned int i, ntx;
	int rc, fd = -1, got;

	rc = echo_parse_args(argc, argv, prog, 1, &o);
	if (rc)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, "out of memory for %u receive buffers\n", o.batch);
		return ECHO_EXIT_SETUP;
	}
	fd = echo_setup(&o);
	if (fd < 0) {
		rc = ECHO_EXIT_SETUP;
		goto cleanup;
	}
	for (i = 0; i < o.batch; i++) {
		s->iov[i] = (struct iovec){.iov_base = s->buf[i], .iov_len = BUF_SIZE};
		s->rx[i].msg_hdr = (struct msghdr){.msg_name = &s->peer[i], .msg_iov = &s->iov[i], .msg_iovlen = 1};
	}
	while (!echo_stop) {
		for (i = 0; i < o.batch; i++) /* the kernel overwrites the name length on every receive */
			s->rx[i].msg_hdr.msg_namelen = sizeof(s->peer[i]);
		got = recvmmsg(fd, s->rx, o.batch, MSG_WAITFORONE, NULL);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "recvmmsg failed: %s\n", strerror(errno));
			rc = ECHO_EXIT_RUNTIME;
			goto cleanup;
		}
		ntx = 0;
		for (i = 0; i < (unsigned int)got; i++) {
			c.rx++;
			if (!echo_rewrite(s->buf[i], s->rx[i].msg_len)) {
				c.dropped++;
				continue;
			}
			/* Reply from the same buffer: the tx header points at it, with its own length. */
			s->tx[ntx].msg_hdr = s->rx[i].msg_hdr;
			s->tx[ntx].msg_hdr.msg_iov = &s->iov[i];
			s->iov[i].iov_len = s->rx[i].msg_len;
			ntx++;
		}
		if (send_all(fd, s->tx, ntx, &c)) {
			rc = ECHO_EXIT_RUNTIME;
			goto cleanup;
		}
		for (i = 0; i < (unsigned int)got; i++)
			s->iov[i].iov_len = BUF_SIZE;
	}
cleanup:
	echo_report(prog, &c);
	if (fd >= 0)
		close(fd);
	free(s);
	return rc;
}

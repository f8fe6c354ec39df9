// SPDX-License-Identifier: Apache-2.0
/*
 * Baseline 1: the echo server everyone writes first. One blocking recvfrom, one sendto per
 * datagram: two system calls per packet. fastpath-server's target is at least twice its rate.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_common.h"

int main(int argc, char **argv)
{
	static const char prog[] = "naive_echo";
	struct echo_counters c = {0};
	struct echo_opts o;
	unsigned char buf[2048];
	struct sockaddr_in peer;
	socklen_t plen;
	ssize_t n;
	int rc, fd;

	rc = echo_parse_args(argc, argv, prog, 0, &o);
	if (rc)
		return rc;
	fd = echo_setup(&o);
	if (fd < 0)
		return ECHO_EXIT_SETUP;
	rc = ECHO_EXIT_OK;
	while (!echo_stop) {
		plen = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "recvfrom failed: %s\n", strerror(errno));
			rc = ECHO_EXIT_RUNTIME;
			goto cleanup;
		}
		c.rx++;
		if (!echo_rewrite(buf, (size_t)n)) {
			c.dropped++;
			continue;
		}
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen) < 0)
			c.send_errors++; /* a full socket buffer loses this reply; the generator counts it */
		else
			c.tx++;
	}
cleanup:
	echo_report(prog, &c);
	close(fd);
	return rc;
}

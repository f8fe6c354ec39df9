// SPDX-License-Identifier: Apache-2.0
/*
 * The receiver for the generator's send-only run: reads every datagram with one blocking recv
 * each and answers nothing, as `iperf3 -s` does for `iperf3 -u` (one read per datagram, asleep
 * when the socket is empty). So both senders pay for the same kind of receive on veth: the
 * enqueue and the reader's wake-up, not the cheaper drop at a full socket nobody reads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_common.h"

int main(int argc, char **argv)
{
	static const char prog[] = "udp_sink";
	struct echo_counters c = {0};
	struct echo_opts o;
	unsigned char buf[2048];
	int rc, fd;

	rc = echo_parse_args(argc, argv, prog, 0, &o);
	if (rc)
		return rc;
	fd = echo_setup(&o);
	if (fd < 0)
		return ECHO_EXIT_SETUP;
	rc = ECHO_EXIT_OK;
	while (!echo_stop) {
		if (recv(fd, buf, sizeof(buf), 0) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "recv failed: %s\n", strerror(errno));
			rc = ECHO_EXIT_RUNTIME;
			break;
		}
		c.rx++;
	}
	echo_report(prog, &c);
	close(fd);
	return rc;
}

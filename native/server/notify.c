// SPDX-License-Identifier: Apache-2.0
/* systemd's readiness protocol without libsystemd: one datagram to the socket in $NOTIFY_SOCKET.
 * With Type=notify, `systemctl start|restart` returns only once the server says READY=1, after
 * XDP is attached and every worker runs: a throttled restart then really is one server at a time. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

int fp_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len;
	ssize_t sent;
	int fd, saved;

	if (!path || !path[0])
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path))
		return -EINVAL;
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@') /* an abstract socket: the name starts with a NUL byte */
		addr.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&addr,
		      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	saved = errno;
	close(fd);
	return sent < 0 ? -saved : 0;
}

// SPDX-License-Identifier: Apache-2.0
/* Stats over a Unix socket and as atomically replaced files: see stats_io.h. */
#include "stats_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int fp_stats_socket_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, ret;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "stats_socket: path longer than %zu characters", sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "stats_socket: %s exists and is not a socket; refusing to replace it",
				 path);
			return -EEXIST;
		}
		unlink(path); /* left by a run that did not stop cleanly */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "stats_socket: socket(): %s", strerror(errno));
		return ret;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
		ret = -errno;
		snprintf(err, errlen, "stats_socket: cannot listen on %s: %s (does its directory exist and is it "
			 "writable?)", path, strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

void fp_stats_socket_serve(int listen_fd, fp_render_fn render, void *arg)
{
	/* A reader that does not read must not stall the stats loop for long. */
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };

	for (;;) {
		char *doc = NULL;
		size_t len = 0;
		FILE *mem;
		int c;

		c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			return; /* EAGAIN: nobody else waiting */
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		mem = open_memstream(&doc, &len);
		if (mem) {
			int ok = render(arg, mem) == 0;

			fclose(mem);
			for (size_t off = 0; ok && off < len;) {
				ssize_t n = send(c, doc + off, len - off, MSG_NOSIGNAL);

				if (n <= 0)
					break;
				off += (size_t)n;
			}
		}
		free(doc);
		close(c);
	}
}

void fp_stats_socket_close(int listen_fd, const char *path)
{
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(path);
	}
}

int fp_stats_file_replace(const char *path, fp_render_fn render, void *arg)
{
	char tmp[PATH_MAX + 8];
	int ret = 0;
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	if (render(arg, f) < 0)
		ret = -EIO;
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(tmp);
	return ret;
}

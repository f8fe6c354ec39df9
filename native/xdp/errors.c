// SPDX-License-Identifier: Apache-2.0
/* Error reporting for the loader: one handler, messages that say what to do. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void print_stderr(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "fastpath-xdp: %s\n", msg);
}

static fp_xdp_error_fn handler = print_stderr;
static void *handler_arg;

void fp_xdp_set_error_handler(fp_xdp_error_fn fn, void *arg)
{
	handler = fn ? fn : print_stderr;
	handler_arg = arg;
}

int fp_xdp_fail(int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	handler(msg, handler_arg);
	return -err;
}

const char *fp_xdp_hint(int err)
{
	switch (err) {
	case EACCES:
		return "the verifier rejected the program (its log is above); fastpath needs kernel >= 5.15";
	case EPERM:
		return "needs root, or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON (and a MEMLOCK limit high "
		       "enough on kernels < 5.11)";
	case EBUSY:
	case EEXIST:
		return "another XDP program is attached; detach it first (fastpath-xdp detach IFACE)";
	case EOPNOTSUPP:
		return "the driver or kernel lacks this XDP feature; try generic mode (--generic)";
	case EINVAL:
		return "the kernel rejected the request; fastpath needs kernel >= 5.15 with BTF";
	case ENOENT:
		return "nothing is pinned there: is fastpath XDP attached to this interface?";
	case ENODEV:
		return "no such interface in this network namespace";
	default:
		return "see the message above";
	}
}

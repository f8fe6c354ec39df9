// SPDX-License-Identifier: Apache-2.0
/*
 * Why the driver refused native XDP, in its own words, for the line that says we fell back to generic.
 *
 * A driver says why it refuses (virtio_net: "MTU too large to enable XDP without frags"; veth:
 * "Peer MTU is too large to set XDP") through netlink's extended ack. A bpf_link attach, which the
 * loader uses so that the program ends with its process, hands that message to a tracepoint only,
 * never to the caller. So after a refused link attach we ask once more by netlink, with
 * XDP_FLAGS_UPDATE_IF_NOEXIST so nothing attached is ever replaced, and keep the message libbpf
 * prints for the extended ack. Should the netlink request succeed where the link did not, the
 * program it attached is detached again at once.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "internal.h"

/* libbpf's print callback has no argument: the probe is one call on one thread, so a static will do. */
static char kernel_message[192];
static libbpf_print_fn_t previous_print;

static int keep_kernel_message(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static const char marker[] = "Kernel error message: ";
	char line[256];
	const char *msg;
	va_list copy;

	va_copy(copy, ap);
	vsnprintf(line, sizeof(line), fmt, copy);
	va_end(copy);
	msg = strstr(line, marker);
	if (msg) {
		snprintf(kernel_message, sizeof(kernel_message), "%s", msg + sizeof(marker) - 1);
		kernel_message[strcspn(kernel_message, "\n")] = '\0';
		return 0;
	}
	return previous_print ? previous_print(level, fmt, ap) : 0;
}

void fp_xdp_explain_native_refusal(struct fp_xdp *x, int err)
{
	int probe;

	kernel_message[0] = '\0';
	previous_print = libbpf_set_print(keep_kernel_message);
	probe = bpf_xdp_attach(x->ifindex, x->prog_fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	libbpf_set_print(previous_print);
	if (probe == 0)
		bpf_xdp_detach(x->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (kernel_message[0])
		snprintf(x->native_refused, sizeof(x->native_refused), "%s (%s)", kernel_message, strerror(err));
	else
		snprintf(x->native_refused, sizeof(x->native_refused), "%s", strerror(err));
	/* It goes into JSON as it is: a driver's text must not end the string or break the line. */
	for (char *c = x->native_refused; *c; c++)
		if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
			*c = ' ';
}

/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FASTPATH_SERVER_NOTIFY_H
#define FASTPATH_SERVER_NOTIFY_H

/* Send `state` (e.g. "READY=1\n") to systemd's $NOTIFY_SOCKET. Returns 0, also when the variable
 * is unset (not started as Type=notify), or -errno. */
int fp_notify(const char *state);

#endif

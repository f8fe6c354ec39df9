/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AF_XDP worker (xdp_mode = afxdp): one UMEM and one AF_XDP socket bound to the worker's rx
 * queue, rings from libxdp's xsk helpers. The XDP program redirects the queue's valid fastpath
 * frames here; each is checked again as a whole frame (frame.h), answered in place in its UMEM
 * frame and sent on the same queue (echo), or its datagram forwarded from the worker's UDP socket
 * (relay). Datagrams the XDP program passes to the stack instead (a queue without a socket, a GSO
 * frame) reach that UDP socket, and are answered from it.
 */
#ifndef FP_SERVER_XSK_WORKER_H
#define FP_SERVER_XSK_WORKER_H

struct fp_worker;

/* In the worker's thread: UMEM, socket (zero-copy, else copy), its XSKMAP entry. 0 or -1 (w->error). */
int fp_xsk_setup(struct fp_worker *w);

/* Serve until asked to stop (w->wake_fd), then let the sends in flight complete. */
int fp_xsk_run(struct fp_worker *w);

void fp_xsk_teardown(struct fp_worker *w);

#endif /* FP_SERVER_XSK_WORKER_H */

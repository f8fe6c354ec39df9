/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A provided-buffer ring registered by hand: liburing 2.3 has no io_uring_setup_buf_ring, so the
 * ring is mmap'ed here and handed to the kernel with io_uring_register_buf_ring (kernel >= 5.19).
 * The kernel picks a buffer per received datagram; we give it back when we are done with it.
 */
#ifndef FP_SERVER_BUFRING_H
#define FP_SERVER_BUFRING_H

#include <liburing.h>
#include <stdint.h>

struct fp_bufring {
	struct io_uring_buf_ring *ring; /* shared with the kernel: nbufs io_uring_buf entries */
	size_t ring_bytes;
	uint8_t *data; /* nbufs * size bytes of packet buffers */
	size_t data_bytes;
	unsigned int nbufs;
	unsigned int size;
	unsigned short bgid;
	unsigned int pending; /* buffers added since the last publish */
	unsigned int outstanding; /* buffers the kernel has handed us and we still hold */
};

/* Allocate, fill and register the ring with group id bgid. Returns 0 or -errno. */
int fp_bufring_setup(struct fp_bufring *br, struct io_uring *ring, unsigned int nbufs, unsigned int size,
		     unsigned short bgid);

/* Unregister (when ring is non-NULL) and free. Safe on a zeroed or half set-up struct. */
void fp_bufring_free(struct fp_bufring *br, struct io_uring *ring);

static inline uint8_t *fp_bufring_buf(const struct fp_bufring *br, unsigned int bid)
{
	return br->data + (size_t)bid * br->size;
}

/* Queue buffer bid for return to the kernel; visible to it after fp_bufring_publish. */
static inline void fp_bufring_put(struct fp_bufring *br, unsigned int bid)
{
	io_uring_buf_ring_add(br->ring, fp_bufring_buf(br, bid), br->size, (unsigned short)bid,
			      io_uring_buf_ring_mask(br->nbufs), (int)br->pending);
	br->pending++;
	br->outstanding--;
}

/* Make every queued buffer visible to the kernel with one release store. */
static inline void fp_bufring_publish(struct fp_bufring *br)
{
	if (br->pending) {
		io_uring_buf_ring_advance(br->ring, (int)br->pending);
		br->pending = 0;
	}
}

#endif /* FP_SERVER_BUFRING_H */

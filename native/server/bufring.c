// SPDX-License-Identifier: Apache-2.0
/* Provided-buffer ring set up by hand for liburing 2.3: see bufring.h. */
#include "bufring.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

int fp_bufring_setup(struct fp_bufring *br, struct io_uring *ring, unsigned int nbufs, unsigned int size,
		     unsigned short bgid)
{
	struct io_uring_buf_reg reg;
	int ret;

	memset(br, 0, sizeof(*br));
	br->nbufs = nbufs;
	br->size = size;
	br->bgid = bgid;
	/* The kernel reads the ring from user memory: it must be page aligned, which mmap gives. */
	br->ring_bytes = (size_t)nbufs * sizeof(struct io_uring_buf);
	br->ring = mmap(NULL, br->ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (br->ring == MAP_FAILED) {
		br->ring = NULL;
		return -errno;
	}
	/* Packet memory is touched only as buffers are used, so RSS grows with load, not with size. */
	br->data_bytes = (size_t)nbufs * size;
	br->data = mmap(NULL, br->data_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (br->data == MAP_FAILED) {
		br->data = NULL;
		ret = -errno;
		fp_bufring_free(br, NULL);
		return ret;
	}
	io_uring_buf_ring_init(br->ring);
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)(uintptr_t)br->ring;
	reg.ring_entries = nbufs;
	reg.bgid = bgid;
	ret = io_uring_register_buf_ring(ring, &reg, 0);
	if (ret < 0) {
		fp_bufring_free(br, NULL);
		return ret;
	}
	br->outstanding = nbufs; /* fp_bufring_put counts down; all start in our hands */
	for (unsigned int bid = 0; bid < nbufs; bid++)
		fp_bufring_put(br, bid);
	fp_bufring_publish(br);
	return 0;
}

void fp_bufring_free(struct fp_bufring *br, struct io_uring *ring)
{
	if (ring && br->ring)
		io_uring_unregister_buf_ring(ring, br->bgid);
	if (br->ring)
		munmap(br->ring, br->ring_bytes);
	if (br->data)
		munmap(br->data, br->data_bytes);
	br->ring = NULL;
	br->data = NULL;
}

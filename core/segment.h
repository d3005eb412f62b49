/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The control segment's life: create it (cleaning up after a core that died), publish the
 * header, set the state, remove it. Free of DPDK.
 */
#ifndef MF_SEGMENT_H
#define MF_SEGMENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "manifold_abi.h"

struct mf_segment {
	char shm_name[64];             /* "/manifold.<name>" */
	int fd;
	size_t size;
	void *base;                    /* NULL when not mapped */
	struct mf_seg_header *hdr;
	struct mf_client *clients;
	struct mf_stats *stats;
};

static inline uint64_t
mf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Create /dev/shm/manifold.<name> in state MF_SEG_STARTING. A segment left by a core that is
 * gone is removed first; one whose core still runs gives -EEXIST. 0 or -errno, with
 * "<wrong>; <right>" in err. */
int mf_segment_create(struct mf_segment *seg, const char *name, char *err, size_t errlen);

void mf_segment_set_state(struct mf_segment *seg, enum mf_seg_state state);

static inline void
mf_segment_heartbeat(struct mf_segment *seg)
{
	__atomic_store_n(&seg->hdr->heartbeat_ns, mf_now_ns(), __ATOMIC_RELEASE);
}

/* Unmap and unlink; safe to call twice. */
void mf_segment_destroy(struct mf_segment *seg);

#endif /* MF_SEGMENT_H */

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A run: messages [first, first + n) of the batch in slot `batch`, all due, which the worker
 * builds itself from the destinations' templates and sends at once (the control lcore only
 * validated them and resolved every destination; feed.c, depart.c). It travels through the
 * worker's ring as one tagged word beside mbuf pointers: bit 0 set (an mbuf pointer is
 * cache-line aligned, so its bit 0 is clear), the slot in bits 1..6, first in bits 8..31, n in
 * bits 32..63. With several workers a run goes to each worker owning one of the batch's
 * destinations, and each builds only its own. DPDK-free (core/test/test_send.c).
 */
#ifndef MF_SEND_RUN_H
#define MF_SEND_RUN_H

#include <stdbool.h>
#include <stdint.h>

#define MF_SEND_RUN_TAG 0x1u
#define MF_SEND_RUN_SLOTS 64u            /* batch slots a word can name */
#define MF_SEND_RUN_FIRST_MAX (1u << 24) /* message indexes a word can name */

/* The worker's run in progress (a shortage of mbufs can interrupt one). */
struct mf_send_run {
	uint32_t next, end;       /* next message to build, one past the last */
	uint8_t batch;
	bool active;
};

static inline void *
mf_send_run_word(unsigned int slot, uint32_t first, uint32_t n)
{
	return (void *)(uintptr_t)(MF_SEND_RUN_TAG | (uint64_t)(slot & 0x3f) << 1 |
				   (uint64_t)(first & 0xffffff) << 8 | (uint64_t)n << 32);
}

static inline bool
mf_send_is_run(const void *word)
{
	return ((uintptr_t)word & MF_SEND_RUN_TAG) != 0;
}

static inline void
mf_send_run_decode(const void *word, struct mf_send_run *r)
{
	uint64_t v = (uint64_t)(uintptr_t)word;

	r->batch = (uint8_t)((v >> 1) & 0x3f);
	r->next = (uint32_t)((v >> 8) & 0xffffff);
	r->end = r->next + (uint32_t)(v >> 32);
	r->active = true;
}

#endif /* MF_SEND_RUN_H */

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A timing wheel (Carousel, SIGCOMM 2017), DPDK-free and unit tested: one per transmitting
 * worker, touched by that worker only. Time is whatever monotonic tick the caller uses (the
 * TSC in the core). A node lands in slot (tsc >> shift) of n_slots, FIFO inside a slot; a node
 * past the horizon (n_slots slots ahead) waits in an overflow min-heap, ordered by (tsc, seq)
 * so equal times keep their insertion order, and moves into the wheel when the horizon
 * reaches it. A node whose time has already passed goes into the current slot.
 *
 *   add: O(1) (wheel) or O(log n) (overflow)     expire: O(due nodes + slots crossed)
 *   empty wheel: expire is a compare and a store
 *
 * Nodes are intrusive: the caller embeds struct mf_wnode (the core keeps it in an mbuf's
 * headroom), so the wheel allocates nothing per node.
 */
#ifndef MF_SEND_WHEEL_H
#define MF_SEND_WHEEL_H

#include <stdint.h>

struct mf_wnode {
	struct mf_wnode *next;
	uint64_t tsc;      /* due time */
	uint32_t seq;      /* set by mf_wheel_add: insertion order, for the overflow heap */
	uint32_t user;     /* the caller's */
};

struct mf_wslot {
	struct mf_wnode *head;
	struct mf_wnode *tail;
};

struct mf_wheel {
	unsigned int shift;        /* slot width: 2^shift ticks */
	uint32_t n_slots;          /* power of two */
	uint64_t cur;              /* absolute slot number: every earlier slot is empty */
	uint64_t in_wheel;         /* nodes in slots */
	uint32_t seq;
	struct mf_wslot *slot;
	struct mf_wnode **heap;    /* overflow, min-heap by (tsc, seq) */
	uint32_t heap_n;
	uint32_t heap_cap;
};

/* 0, or -EINVAL (bad sizes) / -ENOMEM. `now` sets the current slot. */
int mf_wheel_init(struct mf_wheel *wh, unsigned int shift, unsigned int log2_slots,
		  uint32_t heap_cap, uint64_t now);
void mf_wheel_fini(struct mf_wheel *wh);

/* 0, or -ENOSPC when the node belongs in the overflow heap and it is full. */
int mf_wheel_add(struct mf_wheel *wh, struct mf_wnode *n);

/* Up to max nodes due at `now` (tsc <= now), in slot order and FIFO inside a slot, into out.
 * Returns how many. Nodes of the current slot that are not yet due stay. */
unsigned int mf_wheel_expire(struct mf_wheel *wh, uint64_t now, struct mf_wnode **out,
			     unsigned int max);

/* Nodes held, in slots and overflow. */
static inline uint64_t
mf_wheel_count(const struct mf_wheel *wh)
{
	return wh->in_wheel + wh->heap_n;
}

/* The earliest time anything held may be due: the start of the first slot that holds a node,
 * else the overflow's first node; UINT64_MAX when empty. Walks the slots (at most n_slots),
 * so it is for an idle loop deciding how long it may sleep, not for every packet. */
uint64_t mf_wheel_next_due(const struct mf_wheel *wh);

/* Remove every node for which drop(n, arg) is true (an abort), in any order; each is passed
 * to drop once and is the caller's afterwards when it returns true. Returns how many. */
unsigned int mf_wheel_remove_if(struct mf_wheel *wh, int (*drop)(struct mf_wnode *, void *),
				void *arg);

#endif /* MF_SEND_WHEEL_H */

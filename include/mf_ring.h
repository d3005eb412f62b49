/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Single-producer / single-consumer ring operations on the control segment's rings, shared by
 * the core and libmanifold_ctl. Header-only and free of DPDK so both sides compile the very
 * same code. Indexes are free-running uint32_t; (prod - cons) is the fill level even across
 * wrap-around, because unsigned subtraction is modulo 2^32 and the ring size divides 2^32.
 */
#ifndef MF_RING_H
#define MF_RING_H

#include <stdint.h>
#include <string.h>

#include "manifold_abi.h"

static inline uint32_t mf_load_acquire(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void mf_store_release(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Entries the producer may still write, seen from the producer. */
static inline uint32_t mf_ring_free(const struct mf_ring_index *prod,
				    const struct mf_ring_index *cons)
{
	return MF_RING_SIZE - (prod->value - mf_load_acquire(&cons->value));
}

/* Entries waiting for the consumer, seen from the consumer. */
static inline uint32_t mf_ring_used(const struct mf_ring_index *prod,
				    const struct mf_ring_index *cons)
{
	return mf_load_acquire(&prod->value) - cons->value;
}

/* Producer side of a request ring: copy up to n requests in, publish them, return how many. */
static inline uint32_t mf_req_enqueue(struct mf_client *c, const struct mf_request *reqs,
				      uint32_t n)
{
	uint32_t room = mf_ring_free(&c->req_prod, &c->req_cons);
	uint32_t head = c->req_prod.value;
	uint32_t i;

	if (n > room)
		n = room;
	for (i = 0; i < n; i++)
		c->req[(head + i) & MF_RING_MASK] = reqs[i];
	mf_store_release(&c->req_prod.value, head + n);
	return n;
}

/* Consumer side of a request ring: copy up to n requests out; *first_index receives the free-
 * running index of the first one (its arena slot is first_index & MF_RING_MASK). */
static inline uint32_t mf_req_dequeue(struct mf_client *c, struct mf_request *reqs, uint32_t n,
				      uint32_t *first_index)
{
	uint32_t avail = mf_ring_used(&c->req_prod, &c->req_cons);
	uint32_t tail = c->req_cons.value;
	uint32_t i;

	if (n > avail)
		n = avail;
	for (i = 0; i < n; i++)
		reqs[i] = c->req[(tail + i) & MF_RING_MASK];
	*first_index = tail;
	mf_store_release(&c->req_cons.value, tail + n);
	return n;
}

static inline uint32_t mf_cpl_enqueue(struct mf_client *c, const struct mf_completion *cpls,
				      uint32_t n)
{
	uint32_t room = mf_ring_free(&c->cpl_prod, &c->cpl_cons);
	uint32_t head = c->cpl_prod.value;
	uint32_t i;

	if (n > room)
		n = room;
	for (i = 0; i < n; i++)
		c->cpl[(head + i) & MF_RING_MASK] = cpls[i];
	mf_store_release(&c->cpl_prod.value, head + n);
	return n;
}

static inline uint32_t mf_cpl_dequeue(struct mf_client *c, struct mf_completion *cpls, uint32_t n)
{
	uint32_t avail = mf_ring_used(&c->cpl_prod, &c->cpl_cons);
	uint32_t tail = c->cpl_cons.value;
	uint32_t i;

	if (n > avail)
		n = avail;
	for (i = 0; i < n; i++)
		cpls[i] = c->cpl[(tail + i) & MF_RING_MASK];
	mf_store_release(&c->cpl_cons.value, tail + n);
	return n;
}

/* Address of arena slot `slot` of client `client` inside a mapped segment. */
static inline void *mf_arena_slot(void *segment, uint32_t client, uint32_t slot)
{
	const struct mf_seg_header *h = (const struct mf_seg_header *)segment;

	return (uint8_t *)segment + h->arena_offset +
	       ((uint64_t)client * MF_RING_SIZE + (slot & MF_RING_MASK)) * h->arena_slot_size;
}

/* Address of bulk slot `slot` (< MF_BULK_SLOTS) of client `client` inside a mapped segment. */
static inline void *mf_bulk_slot(void *segment, uint32_t client, uint32_t slot)
{
	const struct mf_seg_header *h = (const struct mf_seg_header *)segment;

	return (uint8_t *)segment + h->bulk_offset +
	       ((uint64_t)client * MF_BULK_SLOTS + slot) * h->bulk_slot_size;
}

#endif /* MF_RING_H */

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The timing wheel: see wheel.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "wheel.h"

int
mf_wheel_init(struct mf_wheel *wh, unsigned int shift, unsigned int log2_slots,
	      uint32_t heap_cap, uint64_t now)
{
	if (shift > 40 || log2_slots == 0 || log2_slots > 24 || heap_cap == 0)
		return -EINVAL;
	wh->shift = shift;
	wh->n_slots = 1u << log2_slots;
	wh->cur = now >> shift;
	wh->in_wheel = 0;
	wh->seq = 0;
	wh->heap_n = 0;
	wh->heap_cap = heap_cap;
	wh->slot = calloc(wh->n_slots, sizeof(*wh->slot));
	wh->heap = calloc(heap_cap, sizeof(*wh->heap));
	if (wh->slot == NULL || wh->heap == NULL) {
		mf_wheel_fini(wh);
		return -ENOMEM;
	}
	return 0;
}

void
mf_wheel_fini(struct mf_wheel *wh)
{
	free(wh->slot);
	free(wh->heap);
	wh->slot = NULL;
	wh->heap = NULL;
}

static inline int
heap_less(const struct mf_wnode *a, const struct mf_wnode *b)
{
	/* seq wraps after 2^32 adds; the difference keeps the order across the wrap */
	return a->tsc < b->tsc || (a->tsc == b->tsc && (int32_t)(a->seq - b->seq) < 0);
}

static void
heap_push(struct mf_wheel *wh, struct mf_wnode *n)
{
	uint32_t i = wh->heap_n++;

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!heap_less(n, wh->heap[p]))
			break;
		wh->heap[i] = wh->heap[p];
		i = p;
	}
	wh->heap[i] = n;
}

static struct mf_wnode *
heap_pop(struct mf_wheel *wh)
{
	struct mf_wnode *top = wh->heap[0], *last = wh->heap[--wh->heap_n];
	uint32_t i = 0, n = wh->heap_n;

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && heap_less(wh->heap[c + 1], wh->heap[c]))
			c++;
		if (!heap_less(wh->heap[c], last))
			break;
		wh->heap[i] = wh->heap[c];
		i = c;
	}
	if (n > 0)
		wh->heap[i] = last;
	return top;
}

static inline void
slot_append(struct mf_wheel *wh, uint64_t s, struct mf_wnode *n)
{
	struct mf_wslot *sl = &wh->slot[s & (wh->n_slots - 1)];

	n->next = NULL;
	if (sl->tail == NULL)
		sl->head = n;
	else
		sl->tail->next = n;
	sl->tail = n;
	wh->in_wheel++;
}

int
mf_wheel_add(struct mf_wheel *wh, struct mf_wnode *n)
{
	uint64_t s = n->tsc >> wh->shift;

	n->seq = wh->seq++;
	if (s < wh->cur)
		s = wh->cur; /* already due: the current slot */
	if (s - wh->cur >= wh->n_slots) {
		if (wh->heap_n == wh->heap_cap)
			return -ENOSPC;
		heap_push(wh, n);
		return 0;
	}
	slot_append(wh, s, n);
	return 0;
}

uint64_t
mf_wheel_next_due(const struct mf_wheel *wh)
{
	uint64_t s;

	if (wh->in_wheel != 0)
		for (s = wh->cur; s < wh->cur + wh->n_slots; s++)
			if (wh->slot[s & (wh->n_slots - 1)].head != NULL)
				return s << wh->shift;
	return wh->heap_n != 0 ? wh->heap[0]->tsc : UINT64_MAX;
}

/* Overflow nodes the horizon has reached go into their slots, in (tsc, seq) order, so they
 * keep their order against each other; they come after what the slot already holds. */
static void
migrate(struct mf_wheel *wh)
{
	while (wh->heap_n != 0) {
		uint64_t s = wh->heap[0]->tsc >> wh->shift;

		if (s >= wh->cur && s - wh->cur >= wh->n_slots)
			break;
		slot_append(wh, s < wh->cur ? wh->cur : s, heap_pop(wh));
	}
}

unsigned int
mf_wheel_expire(struct mf_wheel *wh, uint64_t now, struct mf_wnode **out, unsigned int max)
{
	uint64_t now_slot = now >> wh->shift;
	unsigned int k = 0;

	if (wh->in_wheel == 0) {
		/* Nothing in the slots: jump, to the overflow's first slot at most. Costs nothing
		 * more when the wheel is empty. */
		uint64_t to = now_slot;

		if (wh->heap_n != 0) {
			uint64_t hs = wh->heap[0]->tsc >> wh->shift;

			if (hs < to)
				to = hs;
		}
		if (to > wh->cur)
			wh->cur = to;
		if (wh->heap_n == 0)
			return 0;
	}
	for (;;) {
		struct mf_wslot *sl;
		struct mf_wnode *n, *prev = NULL, *next;

		migrate(wh);
		sl = &wh->slot[wh->cur & (wh->n_slots - 1)];
		for (n = sl->head; n != NULL && k < max; n = next) {
			next = n->next;
			if (n->tsc > now) {
				prev = n;
				continue;
			}
			/* unlink n, keep the order of the rest */
			if (prev == NULL)
				sl->head = next;
			else
				prev->next = next;
			if (sl->tail == n)
				sl->tail = prev;
			wh->in_wheel--;
			out[k++] = n;
		}
		if (k == max || wh->cur >= now_slot || sl->head != NULL)
			break;
		wh->cur++;
		if (wh->in_wheel == 0 && wh->heap_n == 0) {
			wh->cur = now_slot;
			break;
		}
		if (wh->in_wheel == 0) {
			/* only overflow left: skip the empty slots up to its first */
			uint64_t hs = wh->heap[0]->tsc >> wh->shift;

			if (hs > now_slot)
				hs = now_slot;
			if (hs > wh->cur)
				wh->cur = hs;
		}
	}
	return k;
}

unsigned int
mf_wheel_remove_if(struct mf_wheel *wh, int (*drop)(struct mf_wnode *, void *), void *arg)
{
	unsigned int removed = 0;
	uint32_t i, keep = 0, s, left;

	for (s = 0, left = wh->in_wheel; s < wh->n_slots && left != 0; s++) {
		struct mf_wslot *sl = &wh->slot[s];
		struct mf_wnode *n = sl->head, *next;

		sl->head = sl->tail = NULL;
		for (; n != NULL; n = next) {
			next = n->next;
			left--;
			wh->in_wheel--;
			if (drop(n, arg))
				removed++;
			else
				slot_append(wh, s, n); /* in its order, counted back in */
		}
	}
	/* overflow: keep the survivors and rebuild the heap */
	for (i = 0; i < wh->heap_n; i++) {
		if (drop(wh->heap[i], arg))
			removed++;
		else
			wh->heap[keep++] = wh->heap[i];
	}
	wh->heap_n = 0;
	for (i = 0; i < keep; i++)
		heap_push(wh, wh->heap[i]);
	return removed;
}

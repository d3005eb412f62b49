/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The feeder, on the control lcore: running batches in commit order; each message, in
 * departure order, once its departure is less than MF_SEND_FEED_AHEAD_MS away, is built
 * (build.c), tagged with its departure TSC in the mbuf's headroom, and handed to the worker
 * that owns its egress port through that worker's SPSC ring. A full ring, a short mbuf pool
 * or a next hop still answering ARP stops a batch's feeding until the next pass; nothing is
 * dropped for it unless it lasts past the message's own time (nombuf) or the ARP wait
 * (no_next_hop). Each pass is bounded (FEED_BUDGET messages per batch).
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "send_priv.h"

#define FEED_BUDGET 8192u
#define MEASURE_MIN 64u
#define STAGE 64u
#define FRAG_MAX (MF_SEND_MAX_PAYLOAD / 512 + 2)

struct feed_stage {
	unsigned int n;
	unsigned int room;       /* ring room not yet promised */
	struct rte_mbuf *m[STAGE];
};

static void
stage_flush(unsigned int w, struct feed_stage *st)
{
	if (st->n == 0)
		return;
	/* room was checked: the ring takes all of them */
	rte_ring_sp_enqueue_bulk(mf_snd.wk[w]->ring, (void **)st->m, st->n, NULL);
	mf_snd.wk[w]->fed += st->n;
	st->n = 0;
}

/* What worker w may still be handed: ring room, within its share of the mbufs. */
static unsigned int
worker_room(unsigned int w)
{
	const struct mf_send_worker *sw = mf_snd.wk[w];
	uint64_t held = sw->fed - __atomic_load_n(&sw->departed, __ATOMIC_RELAXED);
	uint64_t share = mf_snd.held_max / mf_snd.n_workers;
	unsigned int room = rte_ring_free_count(sw->ring);

	if (held >= share)
		return 0;
	return (unsigned int)RTE_MIN((uint64_t)room, share - held);
}

/* ns -> TSC for this batch with a multiply, no division per message. */
struct clock_conv {
	uint64_t ns0, tsc0;
	uint64_t mult;           /* tsc per ns, 32.32 fixed point */
};

static inline uint64_t
conv(const struct clock_conv *c, uint64_t ns)
{
	if (ns >= c->ns0)
		return c->tsc0 + (uint64_t)(((unsigned __int128)(ns - c->ns0) * c->mult) >> 32);
	return c->tsc0 - (uint64_t)(((unsigned __int128)(c->ns0 - ns) * c->mult) >> 32);
}

static unsigned int
feed_batch(struct mf_send_batch *b, uint64_t now, struct feed_stage *stage,
	   struct mf_mbuf_cache *mc)
{
	const uint64_t ahead = now + mf_snd.tsc_hz / 1000 * MF_SEND_FEED_AHEAD_MS;
	const uint64_t nombuf_wait = mf_snd.tsc_hz / 1000 * MF_SEND_NOMBUF_WAIT_MS;
	const bool aborted = __atomic_load_n(&b->aborted, __ATOMIC_ACQUIRE) != 0;
	struct clock_conv cc = { b->ns0, b->tsc0,
				 (uint64_t)(((unsigned __int128)mf_snd.tsc_hz << 32) / 1000000000u) };
	struct mf_send_acc *ctl = &b->acc[mf_snd.n_workers];
	struct rte_mbuf *pk[FRAG_MAX];
	unsigned int budget = FEED_BUDGET, work = 0;
	uint8_t slot = (uint8_t)(b - mf_snd.batch);

	while (b->cursor < b->n_msgs && budget-- > 0) {
		uint32_t idx = b->order != NULL ? b->order[b->cursor] : b->cursor;
		const struct mf_send_ent *e = &b->ents[idx];
		struct mf_send_dst *d;
		struct feed_stage *st;
		uint64_t dep;
		bool lost;
		int n, j;

		if (e->drop != 0) { /* planned drop, accounted at the commit */
			b->cursor++;
			continue;
		}
		if (aborted) {
			mf_send_ctl_drop(b, MF_SEND_DROP_ABORTED, 1);
			b->cursor++;
			continue;
		}
		dep = conv(&cc, e->t);
		if (dep > ahead)
			break;
		d = &b->dsts[e->dest];
		if (unlikely(d->state != MF_DST_READY))
			mf_send_dst_resolve(b, d, now);
		if (d->state == MF_DST_DEAD) {
			mf_send_ctl_drop(b, (enum mf_send_drop)d->dead_why, 1);
			b->cursor++;
			work++;
			continue;
		}
		if (d->state == MF_DST_ARP_WAIT) {
			if (d->handed)
				break; /* the batch waits for the answer (or the ARP deadline) */
			/* The first packet goes to the stack, which asks ARP and sends it once
			 * answered (not measured for lateness); the rest waits for the MAC. */
			n = mf_send_build(b, d, e, mc, pk, RTE_DIM(pk));
			if (n < 0)
				break;
			lost = false;
			for (j = 0; j < n; j++)
				lost |= mf_send_via_stack(d, pk[j]) != 0;
			if (lost) {
				mf_send_ctl_drop(b, MF_SEND_DROP_NO_NEXT_HOP, 1);
			} else {
				ctl->sent++;
				if (ctl->first_tsc == 0)
					ctl->first_tsc = now;
				ctl->last_tsc = now;
				__atomic_store_n(&ctl->accounted, ctl->accounted + 1,
						 __ATOMIC_RELEASE);
			}
			d->handed = true;
			b->cursor++;
			work++;
			break;
		}
		st = &stage[d->worker];
		if (st->room < FRAG_MAX) { /* room counts what is staged already */
			stage_flush(d->worker, st);
			st->room = worker_room(d->worker);
			if (st->room < FRAG_MAX)
				break; /* the worker is behind: next pass */
		}
		n = mf_send_build(b, d, e, mc, pk, RTE_DIM(pk));
		if (n < 0) {
			if (now > dep + nombuf_wait) {
				mf_send_ctl_drop(b, MF_SEND_DROP_NOMBUF, 1);
				b->cursor++;
				continue;
			}
			break; /* wait for mbufs to come back */
		}
		for (j = 0; j < n; j++) {
			struct mf_send_meta *mt = mf_send_meta(pk[j]);

			mt->node.tsc = dep;
			mt->m = pk[j];
			mt->batch = slot;
			mt->flags = (uint8_t)((j == n - 1 ? MF_META_MSG : 0) |
					      (d->wire.kind == MF_SEND_DEST_POLICY ? MF_META_POLICY : 0) |
					      ((b->flags & MF_SEND_FRAMES) ? MF_META_FRAME : 0));
			mt->dest = e->dest;
			mt->frame = e->frame;
			mt->port = d->port;
			if (st->n == STAGE)
				stage_flush(d->worker, st);
			st->m[st->n++] = pk[j];
			st->room--;
		}
		b->cursor++;
		work++;
	}
	return work;
}

unsigned int
mf_send_poll(struct mf_core *core)
{
	struct feed_stage stage[MF_MAX_LCORES];
	struct mf_mbuf_cache mc = { NULL, 0, { NULL } };
	struct mf_send_batch *b, *next;
	unsigned int work = 0, w;
	uint64_t now;

	RTE_SET_USED(core);
	if (likely(mf_snd.running_head == NULL))
		return 0;
	now = rte_rdtsc();
	for (w = 0; w < mf_snd.n_workers; w++) {
		stage[w].n = 0;
		stage[w].room = worker_room(w);
	}
	for (b = mf_snd.running_head; b != NULL; b = next) {
		next = b->next_running;
		if (b->cursor < b->n_msgs)
			work += feed_batch(b, now, stage, &mc);
		if (b->state == MF_BATCH_ORPHAN && mf_send_batch_done(b))
			mf_send_batch_free(b);
	}
	for (w = 0; w < mf_snd.n_workers; w++)
		stage_flush(w, &stage[w]);
	mf_mbuf_cache_release(&mc);
	__atomic_store_n(&mf_snd.fed_msgs, mf_snd.fed_msgs + work, __ATOMIC_RELAXED);
	if (work >= MEASURE_MIN) {
		/* what a message costs the control lcore (/manifold/send), from passes big
		 * enough that a preemption inside one is rare */
		mf_send_cost_add(&mf_snd.cost, rte_rdtsc() - now, work, mf_snd.tsc_hz);
	}
	return work;
}

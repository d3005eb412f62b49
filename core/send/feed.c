/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The feeder, on the control lcore: running batches in commit order, each in departure order.
 *
 * Runs (the fast path): once every destination of a batch is settled (READY with its
 * template, or DEAD) and its messages are in batch order, the messages whose time has come
 * are handed to the worker(s) as runs of up to MF_SEND_RUN_MAX (one ring word each, see
 * struct mf_send_run); the worker builds and sends them itself. The control lcore then costs
 * a few ns per run, not a build per message, and the worker builds into mbufs that are warm
 * in its own cache. At most MF_SEND_RUNS_AHEAD runs wait per worker.
 *
 * Packets (everything else: messages due later, frames, seq order, a destination still
 * answering ARP): each message, once its departure is less than MF_SEND_FEED_AHEAD_MS away,
 * is built here (build.c), tagged with its departure TSC in the mbuf's headroom, and handed
 * to the worker that owns its egress port through that worker's SPSC ring, where it waits in
 * the worker's wheel. A full ring, a short mbuf pool or a next hop still answering ARP stops
 * a batch's feeding until the next pass; nothing is dropped for it unless it lasts past the
 * message's own time (nombuf) or the ARP wait (no_next_hop). Each pass is bounded
 * (FEED_BUDGET messages per batch).
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "send_priv.h"

#define FEED_BUDGET 8192u
#define MEASURE_MIN 64u
#define STAGE 64u

struct feed_stage {
	unsigned int n;
	unsigned int runs;       /* of the n, run words (they hold no mbuf) */
	unsigned int room;       /* ring room not yet promised */
	unsigned int share;      /* packets it may still hold within its share of the mbufs */
	struct rte_mbuf *m[STAGE];
};

static void
stage_flush(unsigned int w, struct feed_stage *st)
{
	if (st->n == 0)
		return;
	/* room was checked: the ring takes all of them */
	rte_ring_sp_enqueue_bulk(mf_snd.wk[w]->ring, (void **)st->m, st->n, NULL);
	mf_snd.wk[w]->fed += st->n - st->runs;
	st->n = 0;
	st->runs = 0;
}

/* What worker w may still be handed: ring room, and packets within its share of the mbufs. */
static void
worker_room(unsigned int w, struct feed_stage *st)
{
	const struct mf_send_worker *sw = mf_snd.wk[w];
	uint64_t held = sw->fed - __atomic_load_n(&sw->departed, __ATOMIC_RELAXED);
	uint64_t share = mf_snd.held_max / mf_snd.n_workers;

	st->room = rte_ring_free_count(sw->ring);
	st->share = held >= share ? 0 : (unsigned int)RTE_MIN((uint64_t)UINT32_MAX, share - held);
}

/* Every destination READY or DEAD (states that never change again), so a worker may read
 * them? Resolves the new ones on the way (route, template). A destination waiting for ARP is
 * left to the packet path, which hands its first packet to the stack (that sends the ARP
 * request) and resolves it when the answer is in. */
static bool
settle(struct mf_send_batch *b, uint64_t now)
{
	while (b->settle_at < b->n_dests) {
		struct mf_send_dst *d = &b->dsts[b->settle_at];

		/* ARP_WAIT too when no packet was handed (a destination with no message of
		 * its own): it settles dead at its ARP deadline instead of keeping the batch
		 * off the runs for good */
		if (d->state == MF_DST_NEW || d->state == MF_DST_ARP_WAIT)
			mf_send_dst_resolve(b, d, now);
		if (d->state != MF_DST_READY && d->state != MF_DST_DEAD)
			return false;
		b->run_workers |= 1u << d->worker; /* a dead one: dropped by worker 0 or its owner */
		b->settle_at++;
	}
	b->settled = true;
	return true;
}

/* Hands b's due messages to the workers as runs. *stop: a worker has no room for more (the
 * batch waits for the next pass; building its messages here instead would only slow down
 * the control lcore). Returns the messages handed over. */
static unsigned int
feed_runs(struct mf_send_batch *b, uint64_t now,
	  struct feed_stage *stage, unsigned int *budget, bool *stop)
{
	const unsigned int slot = (unsigned int)(b - mf_snd.batch);
	unsigned int work = 0, w;

	*stop = false;
	while (b->cursor < b->n_msgs && *budget >= MF_SEND_RUN_MAX) {
		uint32_t n = RTE_MIN(b->n_msgs - b->cursor, MF_SEND_RUN_MAX);

		/* in batch order the times ascend: the run is due if its last message is */
		if (mf_send_dep_tsc(b, b->ents[b->cursor + n - 1].t) > now)
			break;
		for (w = 0; w < mf_snd.n_workers; w++) {
			struct feed_stage *st = &stage[w];
			const struct mf_send_worker *sw = mf_snd.wk[w];

			if (!(b->run_workers & (1u << w)))
				continue;
			if (sw->runs_fed - __atomic_load_n(&sw->runs_taken, __ATOMIC_RELAXED) >=
			    MF_SEND_RUNS_AHEAD) {
				*stop = true;
				return work;
			}
			if (st->room == 0) {
				stage_flush(w, st);
				worker_room(w, st);
				if (st->room == 0) {
					*stop = true;
					return work;
				}
			}
		}
		for (w = 0; w < mf_snd.n_workers; w++) {
			struct feed_stage *st = &stage[w];

			if (!(b->run_workers & (1u << w)))
				continue;
			if (st->n == STAGE)
				stage_flush(w, st);
			st->m[st->n++] = mf_send_run_word(slot, b->cursor, n);
			st->runs++;
			st->room--;
			mf_snd.wk[w]->runs_fed++;
			b->runs_pub[w]++;
		}
		b->cursor += n;
		*budget -= n;
		work += n;
	}
	return work;
}

static unsigned int
feed_batch(struct mf_send_batch *b, uint64_t now, struct feed_stage *stage,
	   struct mf_mbuf_cache *mc)
{
	const uint64_t ahead = now + mf_snd.tsc_hz / 1000 * MF_SEND_FEED_AHEAD_MS;
	const uint64_t nombuf_wait = mf_snd.tsc_hz / 1000 * MF_SEND_NOMBUF_WAIT_MS;
	const bool aborted = __atomic_load_n(&b->aborted, __ATOMIC_ACQUIRE) != 0;
	struct mf_send_acc *ctl = &b->acc[mf_snd.n_workers];
	struct rte_mbuf *pk[MF_SEND_FRAG_MAX];
	unsigned int budget = FEED_BUDGET, work = 0;
	uint8_t slot = (uint8_t)(b - mf_snd.batch);

	/* Runs only once the next message is due: settling resolves destinations, and one that
	 * must ask ARP starts its 3.5 s wait there; for a message due later the packet path hands
	 * its first packet over 20 ms ahead, and the wait starts then. */
	if (!aborted && b->order == NULL && !(b->flags & MF_SEND_FRAMES) &&
	    b->cursor < b->n_msgs && mf_send_dep_tsc(b, b->ents[b->cursor].t) <= now &&
	    (b->settled || settle(b, now))) {
		bool stop;

		work = feed_runs(b, now, stage, &budget, &stop);
		if (stop) {
			mf_snd.feed_blocked = true;
			return work;
		}
	}
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
		dep = mf_send_dep_tsc(b, e->t);
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
			n = mf_send_build(b, d, e, mf_send_ip_ids(1), mc, pk, RTE_DIM(pk));
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
		if (st->room < MF_SEND_FRAG_MAX || st->share < MF_SEND_FRAG_MAX) { /* counts what is staged */
			stage_flush(d->worker, st);
			worker_room(d->worker, st);
			if (st->room < MF_SEND_FRAG_MAX || st->share < MF_SEND_FRAG_MAX) {
				/* only a message already due makes the control loop come back
				 * soon; one handed over ahead of its time can wait */
				if (dep <= now)
					mf_snd.feed_blocked = true;
				break; /* the worker is behind: next pass */
			}
		}
		n = mf_send_build(b, d, e, mf_send_ip_ids(1), mc, pk, RTE_DIM(pk));
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
			st->share--;
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
	mf_snd.feed_blocked = false;
	if (likely(mf_snd.running_head == NULL))
		return 0;
	now = rte_rdtsc();
	for (w = 0; w < mf_snd.n_workers; w++) {
		stage[w].n = 0;
		stage[w].runs = 0;
		worker_room(w, &stage[w]);
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

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The scheduler's worker side, called from the worker loop beside mf_stack_poll:
 *
 *   ring (from the feeder) --packet due already (overdue)--------------------+
 *        |--packet due later--> timing wheel (wheel.c) --expire(now)--> due --+--> depart
 *        \--run (messages due now)--> build each (build.c, this lcore's mbufs) -+
 *
 *   depart: aborted? -> drop | frame: first packet past the deadline -> drop the frame whole,
 *           a started frame is finished | past end_ns -> drop (deadline) | policy dest ->
 *           its action chain | else staged per port -> tx burst on this worker's queue
 *   account: lateness = now - departure time (0 when on time) into this lcore's histogram
 *           and the batch's block for this worker; drops by reason
 *
 * Ring words are taken in order with the ring's peek API, so a run cut short by an mbuf
 * shortage stays the worker's current run and what followed it stays in the ring.
 * Nothing here locks; with nothing queued it costs three loads.
 */

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_peek.h>

#include "../counters.h"
#include "../fwd.h"
#include "send_priv.h"

#define DUE_MAX 256u
/* Run messages one poll builds at most (about 20 us): the rest of a run waits for the next
 * poll, so rx, due wheel slots and RCU quiescence are never held off for long. */
#define RUN_BUDGET 512u
#define TX_RETRIES 4u
#define PREFETCH 4u
#define MEASURE_MIN 64u /* passes of at least this many packets are timed */
#define LATE_NS 1000u /* later than this counts as late: about one wheel slot */

struct tx_info {
	uint8_t batch;
	uint8_t flags;
	uint64_t tsc;
};

struct depart_ctx {
	struct mf_worker *w;
	struct mf_send_worker *sw;
	uint64_t now;
	uint64_t ns_mult;          /* ns per tsc, 32.32 */
	struct tx_info info[MF_MAX_PORTS][MF_SEND_BURST];
	bool policy_used;
	unsigned int run_budget;   /* run messages this poll may still go through */
};

static inline uint64_t
cycles_to_ns(const struct depart_ctx *c, uint64_t cyc)
{
	return (uint64_t)(((unsigned __int128)cyc * c->ns_mult) >> 32);
}

static inline void
acc_done(struct mf_send_acc *a)
{
	__atomic_store_n(&a->accounted, a->accounted + 1, __ATOMIC_RELEASE);
}

static inline void
account_drop(struct depart_ctx *c, uint8_t batch, uint8_t flags, enum mf_send_drop why)
{
	struct mf_send_acc *a;

	if (!(flags & MF_META_MSG))
		return; /* a fragment: its message is accounted with its last one */
	a = &mf_snd.batch[batch].acc[c->w->txq];
	a->drop[why]++;
	acc_done(a);
}

static inline void
account_sent(struct depart_ctx *c, uint8_t batch, uint8_t flags, uint64_t tsc)
{
	struct mf_send_batch *b;
	struct mf_send_acc *a;
	uint64_t ns;

	if (!(flags & MF_META_MSG))
		return;
	b = &mf_snd.batch[batch];
	a = &b->acc[c->w->txq];
	a->sent++;
	if (a->first_tsc == 0)
		a->first_tsc = c->now;
	a->last_tsc = c->now;
	if (b->measure) {
		ns = c->now > tsc ? cycles_to_ns(c, c->now - tsc) : 0;
		mf_lat_add(&c->sw->lat, ns);
		a->hist[mf_lat_bucket(ns)]++;
		a->lat_n++;
		if (ns > a->late_max)
			a->late_max = ns;
		if (ns > LATE_NS)
			a->late++;
	}
	acc_done(a);
}

static void
tx_flush(struct depart_ctx *c, uint16_t port)
{
	struct mf_send_worker *sw = c->sw;
	uint16_t n = sw->n_tx[port], sent = 0, i;
	unsigned int tries = 0;

	for (;;) {
		sent += rte_eth_tx_burst(mf_fwd.dpdk_id[port], c->w->txq, &sw->tx[port][sent],
					 (uint16_t)(n - sent));
		if (sent == n || tries++ == TX_RETRIES)
			break;
		rte_pause();
	}
	for (i = 0; i < sent; i++)
		account_sent(c, c->info[port][i].batch, c->info[port][i].flags,
			     c->info[port][i].tsc);
	mf_cnt_add(&c->w->cnt[port][MF_CNT_FWD_OUT], sent);
	if (unlikely(sent < n)) {
		for (i = sent; i < n; i++)
			account_drop(c, c->info[port][i].batch, c->info[port][i].flags,
				     MF_SEND_DROP_TX_FULL);
		rte_pktmbuf_free_bulk(&sw->tx[port][sent], n - sent);
		mf_cnt_add(&c->w->cnt[port][MF_CNT_DROP_TX_FULL], n - sent);
	}
	sw->n_tx[port] = 0;
}

static inline void
drop(struct depart_ctx *c, struct mf_send_meta *mt, enum mf_send_drop why)
{
	account_drop(c, mt->batch, mt->flags, why);
	rte_pktmbuf_free(mt->m);
}

static void
depart_one(struct depart_ctx *c, struct mf_send_meta *mt)
{
	struct mf_send_batch *b = &mf_snd.batch[mt->batch];
	struct mf_send_worker *sw = c->sw;
	uint16_t port = mt->port, k;

	if (unlikely(__atomic_load_n(&b->aborted, __ATOMIC_ACQUIRE))) {
		drop(c, mt, MF_SEND_DROP_ABORTED);
		return;
	}
	if (mt->flags & MF_META_FRAME) {
		struct mf_send_frame *f = &b->frames[mt->frame];
		uint8_t st = __atomic_load_n(&f->state, __ATOMIC_ACQUIRE);

		if (st == MF_FST_PLANNED) {
			/* its first packet decides: too late for the deadline, the whole frame
			 * goes; otherwise the frame is finished even if it runs late */
			uint8_t want = b->end_tsc != 0 && c->now > b->end_tsc ? MF_FST_DROPPED :
										 MF_FST_STARTED;

			__atomic_compare_exchange_n(&f->state, &st, want, false, __ATOMIC_ACQ_REL,
						    __ATOMIC_ACQUIRE);
			st = __atomic_load_n(&f->state, __ATOMIC_ACQUIRE);
		}
		if (st == MF_FST_DROPPED) {
			drop(c, mt, MF_SEND_DROP_FRAME);
			return;
		}
	} else if (b->end_tsc != 0 && c->now > b->end_tsc) {
		drop(c, mt, MF_SEND_DROP_DEADLINE);
		return;
	}
	if (mt->flags & MF_META_POLICY) {
		uint8_t batch = mt->batch, flags = mt->flags;
		uint64_t tsc = mt->node.tsc;

		if (mf_send_policy_apply(c->w, b->dsts[mt->dest].wire.policy, mt->m) != 0) {
			drop(c, mt, MF_SEND_DROP_NO_POLICY);
			return;
		}
		c->policy_used = true;
		account_sent(c, batch, flags, tsc); /* a fan-out counts once */
		return;
	}
	k = sw->n_tx[port];
	sw->tx[port][k] = mt->m;
	c->info[port][k].batch = mt->batch;
	c->info[port][k].flags = mt->flags;
	c->info[port][k].tsc = mt->node.tsc;
	sw->n_tx[port] = (uint16_t)(k + 1);
	if (k + 1 == MF_SEND_BURST)
		tx_flush(c, port);
}

/* n of this worker's messages of b dropped for `why` at once. */
static inline void
account_drops(struct mf_send_acc *a, enum mf_send_drop why, uint32_t n)
{
	if (n == 0)
		return;
	a->drop[why] += n;
	__atomic_store_n(&a->accounted, a->accounted + n, __ATOMIC_RELEASE);
}

/* The current run is finished: after this the worker touches the batch only to account for
 * the packets still staged for tx, which keep the batch from being done. */
static inline void
run_finish(struct mf_send_worker *sw, struct mf_send_acc *a)
{
	sw->run.active = false;
	__atomic_store_n(&a->runs_done, a->runs_done + 1, __ATOMIC_RELEASE);
}

/* Builds and departs the current run's messages that this worker sends (all of them with one
 * worker), at most c->run_budget of the run's messages this poll. Returns the messages
 * handled; the run stays active when the budget ran out, or the pool ran short and its
 * message may still wait (MF_SEND_NOMBUF_WAIT_MS past its time). */
static unsigned int
run_go(struct depart_ctx *c, struct mf_mbuf_cache *mc)
{
	struct mf_send_worker *sw = c->sw;
	struct mf_send_run *r = &sw->run;
	struct mf_send_batch *b = &mf_snd.batch[r->batch];
	struct mf_send_acc *a = &b->acc[c->w->txq];
	const unsigned int me = c->w->txq;
	const bool all_mine = mf_snd.n_workers == 1;
	const uint64_t nombuf_wait = mf_snd.tsc_hz / 1000 * MF_SEND_NOMBUF_WAIT_MS;
	const uint8_t flags0 = (uint8_t)MF_META_MSG;
	unsigned int done = 0;
	uint32_t stop;
	uint16_t id;

	if (unlikely(__atomic_load_n(&b->aborted, __ATOMIC_ACQUIRE))) {
		uint32_t n = 0;

		for (; r->next < r->end; r->next++) {
			const struct mf_send_ent *e = &b->ents[r->next];

			n += e->drop == 0 && (all_mine || b->dsts[e->dest].worker == me);
		}
		account_drops(a, MF_SEND_DROP_ABORTED, n);
		run_finish(sw, a);
		return n;
	}
	stop = r->next + RTE_MIN(r->end - r->next, c->run_budget);
	c->run_budget -= stop - r->next;
	id = mf_send_ip_ids((uint16_t)(stop - r->next));
	for (; r->next < stop; r->next++) {
		const struct mf_send_ent *e = &b->ents[r->next];
		const struct mf_send_dst *d = &b->dsts[e->dest];
		struct rte_mbuf *pk[MF_SEND_FRAG_MAX];
		uint64_t dep;
		int n, j;

		if (e->drop != 0 || (!all_mine && d->worker != me))
			continue; /* a planned drop (accounted at the commit), or another's */
		if (unlikely(d->state == MF_DST_DEAD)) {
			account_drops(a, (enum mf_send_drop)d->dead_why, 1);
			done++;
			continue;
		}
		dep = mf_send_dep_tsc(b, e->t);
		n = mf_send_build(b, d, e, id++, mc, pk, RTE_DIM(pk));
		if (unlikely(n < 0)) {
			if (c->now > dep + nombuf_wait) {
				account_drops(a, MF_SEND_DROP_NOMBUF, 1);
				done++;
				continue;
			}
			c->run_budget = 0; /* what this poll has left waits too */
			return done; /* mbufs come back as the port sends: next pass */
		}
		for (j = 0; j < n; j++) {
			struct mf_send_meta *mt = mf_send_meta(pk[j]);

			mt->node.tsc = dep;
			mt->m = pk[j];
			mt->batch = r->batch;
			mt->flags = (uint8_t)((j == n - 1 ? flags0 : 0) |
					      (d->wire.kind == MF_SEND_DEST_POLICY ? MF_META_POLICY : 0));
			mt->dest = e->dest;
			mt->frame = 0;
			mt->port = d->port;
			depart_one(c, mt);
		}
		done++;
	}
	if (r->next < r->end)
		return done; /* the budget ran out: the next poll goes on */
	run_finish(sw, a);
	return done;
}

static int
aborted_pred(struct mf_wnode *n, void *arg)
{
	struct mf_send_meta *mt = (struct mf_send_meta *)n;
	struct depart_ctx *c = arg;

	if (!__atomic_load_n(&mf_snd.batch[mt->batch].aborted, __ATOMIC_ACQUIRE))
		return 0;
	drop(c, mt, MF_SEND_DROP_ABORTED);
	return 1;
}

uint64_t
mf_send_worker_sleep_max_ns(const struct mf_worker *w, uint64_t now_tsc)
{
	const struct mf_send_worker *sw = mf_snd.wk[w->txq];
	uint64_t next, early = MF_SEND_WAKE_EARLY_NS * mf_snd.tsc_hz / 1000000000u;

	if (sw == NULL)
		return UINT64_MAX;
	if (sw->run.active || !rte_ring_empty(sw->ring))
		return 0;
	next = mf_wheel_next_due(&sw->wheel);
	if (next == UINT64_MAX)
		return UINT64_MAX;
	if (next <= now_tsc + early)
		return 0;
	return (uint64_t)((unsigned __int128)(next - now_tsc - early) * 1000000000u /
			  mf_snd.tsc_hz);
}

/* Departs due[0..k): packets of the wheel and of the ring, in that order. */
static void
depart_list(struct depart_ctx *c, struct mf_wnode **due, unsigned int k)
{
	unsigned int i;

	/* the packets were written on the control lcore: fetch ahead what departure reads */
	for (i = 0; i < k && i < PREFETCH; i++)
		rte_prefetch0(((struct mf_send_meta *)due[i])->m);
	for (i = 0; i < k; i++) {
		if (i + PREFETCH < k)
			rte_prefetch0(((struct mf_send_meta *)due[i + PREFETCH])->m);
		depart_one(c, (struct mf_send_meta *)due[i]);
	}
}

unsigned int
mf_send_worker_poll(struct mf_worker *w)
{
	struct mf_send_worker *sw = mf_snd.wk[w->txq];
	struct mf_mbuf_cache mc = { NULL, 0, { NULL } };
	struct mf_wnode *due[DUE_MAX];
	struct depart_ctx c;
	unsigned int k, n, i, p, pkts = 0, built = 0;
	uint32_t seq;

	if (likely(sw == NULL || (mf_wheel_count(&sw->wheel) == 0 && !sw->run.active &&
				  rte_ring_empty(sw->ring))))
		return 0;
	c.w = w;
	c.sw = sw;
	c.now = rte_rdtsc();
	c.ns_mult = mf_snd.ns_per_tsc;
	c.policy_used = false;
	c.run_budget = RUN_BUDGET;
	seq = __atomic_load_n(&mf_snd.abort_seq, __ATOMIC_ACQUIRE);
	if (unlikely(seq != sw->abort_seen)) {
		sw->abort_seen = seq;
		__atomic_store_n(&sw->departed,
				 sw->departed + mf_wheel_remove_if(&sw->wheel, aborted_pred, &c),
				 __ATOMIC_RELAXED);
	}
	/* what the wheel holds that is due goes first: it was handed over earlier */
	k = mf_wheel_expire(&sw->wheel, c.now, due, DUE_MAX);
	if (sw->run.active) {
		/* a run cut short by an mbuf shortage goes on before anything later */
		depart_list(&c, due, k);
		pkts += k;
		k = 0;
		built += run_go(&c, &mc);
	}
	if (!sw->run.active) {
		const unsigned int base = k;

		n = rte_ring_dequeue_burst_start(sw->ring, (void **)(due + base), DUE_MAX - base,
						 NULL);
		for (i = base; i < base + n; i++) {
			struct rte_mbuf *m = (struct rte_mbuf *)due[i];
			struct mf_send_meta *mt;

			if (mf_send_is_run(m)) {
				/* what came before it leaves before it */
				depart_list(&c, due, k);
				pkts += k;
				k = 0;
				mf_send_run_decode(m, &sw->run);
				__atomic_store_n(&sw->runs_taken, sw->runs_taken + 1,
						 __ATOMIC_RELAXED);
				built += run_go(&c, &mc);
				if (sw->run.active) {
					i++; /* taken; what follows it stays in the ring */
					break;
				}
				continue;
			}
			mt = mf_send_meta(m);
			if (mt->node.tsc <= c.now) {
				due[k++] = &mt->node; /* overdue: straight to the tx path */
				continue;
			}
			if (mf_wheel_add(&sw->wheel, &mt->node) != 0)
				due[k++] = &mt->node; /* cannot happen (the heap holds every mbuf) */
		}
		rte_ring_dequeue_finish(sw->ring, i - base);
	}
	depart_list(&c, due, k);
	pkts += k;
	__atomic_store_n(&sw->departed, sw->departed + pkts, __ATOMIC_RELAXED);
	if (built != 0)
		__atomic_store_n(&sw->run_msgs, sw->run_msgs + built, __ATOMIC_RELAXED);
	mf_mbuf_cache_release(&mc);
	for (p = 0; p < MF_MAX_PORTS; p++)
		if (sw->n_tx[p] != 0)
			tx_flush(&c, (uint16_t)p);
	if (c.policy_used)
		mf_send_policy_flush(w);
	if (pkts + built >= MEASURE_MIN) {
		mf_send_cost_add(&sw->cost, rte_rdtsc() - c.now, pkts + built, mf_snd.tsc_hz);
	}
	return pkts + built;
}

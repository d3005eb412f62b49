/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The worker loop. Per iteration, for every port whose rx queue this worker owns:
 *
 *   rx_burst -> count FWD_IN -> load the port's forward word -> engine->pkt_burst
 *
 * The engine sends on this worker's own tx queue of the egress port (every port has one tx
 * queue per worker), so no queue is ever shared and nothing is locked.
 *
 * While rx bursts come full, the per-loop chores after them run every MF_BUSY_CHORES_EVERY
 * loops only (mf_worker_poll).
 *
 * Idle back-off: after MF_IDLE_POLLS empty iterations the worker spins on rte_pause for
 * MF_PAUSE_POLLS more, then sleeps, doubling from MF_SLEEP_MIN_NS up to MF_SLEEP_MAX_NS; the
 * first packet resets it. A sleep never runs past what the worker holds: the next send
 * departure (less a wake-up margin) or the earliest aggregate flush. Sleeps happen only when
 * there is no traffic, so the fast path makes no syscall. --backoff off disables all of it.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_pause.h>

#include "diag.h"
#include "fwd.h"
#include "policy/policy.h"
#include "reasm.h"
#include "send/send.h"
#include "stack/stack.h"
#include "worker.h"

#define MF_IDLE_POLLS 1000u
#define MF_PAUSE_POLLS 1000u
#define MF_SLEEP_MIN_NS 1000u
#define MF_SLEEP_MAX_NS 100000u
#define MF_TIMER_SLACK_NS 1000 /* the default 50 us slack would swamp the short sleeps */
#define MF_BUSY_CHORES_EVERY 4u /* while rx bursts come full, the chores run every 4th loop */
#define MF_RX_BIG_FRAME (16u * 1024) /* frames up to this never shrink a burst */
#define MF_RX_BURST_BYTES (512u * 1024) /* about what a burst of big frames may bring in */
#define MF_RX_BURST_MIN 4u

/* The size of a software port's next rx burst, estimated from this burst's first frame:
 * --burst frames, or fewer when that frame is big, about MF_RX_BURST_BYTES of such frames. A
 * software device copies a whole burst before the worker sees its first frame, and 32
 * datagrams of 64 KiB (2 MiB) would push the first ones out of L2 before they are split or
 * sent. An estimate: a burst whose first frame is small brings in what it brings in. */
static inline uint16_t
rx_want(uint32_t frame_len, uint16_t burst)
{
	uint32_t fit;

	if (likely(frame_len <= MF_RX_BIG_FRAME))
		return burst;
	fit = MF_RX_BURST_BYTES / frame_len;
	return (uint16_t)RTE_MIN((uint32_t)burst, RTE_MAX(fit, MF_RX_BURST_MIN));
}

void
mf_worker_begin(struct mf_worker *w)
{
	if (w->sched_fifo) {
		/* No ordinary process can then take the CPU from a worker for a time slice
		 * (milliseconds), which is what makes a timed send late on a shared host; the
		 * kernel's real-time throttling still leaves others 5 % of it. */
		struct sched_param sp = { .sched_priority = 1 };
		int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);

		if (rc != 0)
			printf("manifold-core: worker lcore %u: SCHED_FIFO refused (%s); it runs as "
			       "an ordinary thread (run as root or with CAP_SYS_NICE)\n",
			       w->lcore_id, strerror(rc));
		else
			printf("manifold-core: worker lcore %u runs SCHED_FIFO\n", w->lcore_id);
		fflush(stdout);
	}
	if (w->backoff)
		prctl(PR_SET_TIMERSLACK, MF_TIMER_SLACK_NS, 0, 0, 0);
	w->idle_polls = 0;
	w->sleep_ns = 0;
	w->start_tsc = rte_rdtsc();
	w->last_tsc = w->start_tsc;
}

/* How long an idle worker may sleep without making what it holds late: the next send
 * departure (less its wake-up margin) and the earliest aggregate flush. Asked only when a
 * sleep is due, not on every empty poll: finding the next departure may walk the wheel. */
static inline uint64_t
held_sleep_max_ns(const struct mf_worker *w, uint64_t now)
{
	uint64_t ns = mf_send_worker_sleep_max_ns(w, now), next = mf_policy_deadline(w);

	if (next != UINT64_MAX)
		ns = RTE_MIN(ns, next <= now ? 0 : (next - now) * 1000000000ull / rte_get_tsc_hz());
	return ns;
}

/* One more idle iteration: spin, then pause, then sleep, never past what the worker holds
 * (with something due sooner than a sleep could wake, it pauses instead). */
static void
worker_idle(struct mf_worker *w, uint64_t now)
{
	struct timespec ts;
	uint64_t ns;

	if (w->idle_polls < MF_IDLE_POLLS + MF_PAUSE_POLLS)
		w->idle_polls++;
	if (w->idle_polls <= MF_IDLE_POLLS)
		return;
	if (w->idle_polls < MF_IDLE_POLLS + MF_PAUSE_POLLS) {
		rte_pause();
		return;
	}
	w->sleep_ns = w->sleep_ns ? RTE_MIN(w->sleep_ns * 2, MF_SLEEP_MAX_NS) : MF_SLEEP_MIN_NS;
	ns = RTE_MIN((uint64_t)w->sleep_ns, held_sleep_max_ns(w, now));
	if (ns == 0) {
		rte_pause();
		return;
	}
	ts.tv_sec = 0;
	ts.tv_nsec = (long)ns;
	nanosleep(&ts, NULL);
	mf_cnt_add(&w->idle_sleeps, 1);
}

unsigned int
mf_worker_poll(struct mf_worker *w)
{
	struct rte_mbuf *pkts[MF_MAX_BURST];
	unsigned int nb_total = 0, full = 0;
	uint16_t i, nb, port;
	uint64_t word, now;

	for (i = 0; i < w->n_rx; i++) {
		nb = rte_eth_rx_burst(w->rx_dpdk[i], 0, pkts, w->rx_want[i]);
		if (nb == 0)
			continue;
		full += nb == w->rx_want[i];
		if (w->rx_bound[i])
			w->rx_want[i] = rx_want(pkts[0]->pkt_len, w->burst);
		port = w->rx_port[i];
		nb_total += nb;
		mf_cnt_add(&w->cnt[port][MF_CNT_FWD_IN], nb);
		if (unlikely(mf_diag_active()) && mf_diag_rx_burst(w, port, pkts, nb))
			continue; /* capture copy taken; stopped: dropped and counted */
		word = mf_fwd_word_load(port);
		nb = mf_policy_burst(w, port, pkts, nb); /* policies first; the rest by mode */
		if (nb != 0)
			mf_fwd_engines[mf_fwd_word_mode(word)]->pkt_burst(w, port, pkts, nb, word);
	}

	/* The chores (the stack's hand-overs and timers, sends due, counters, timers, RCU
	 * quiescence) cost about as much per loop as a few packets do. While a port delivers
	 * full bursts they wait for every MF_BUSY_CHORES_EVERY-th loop: a few microseconds. */
	if (full != 0 && w->chores_skipped < MF_BUSY_CHORES_EVERY - 1) {
		w->chores_skipped++;
		w->packets_pending += nb_total;
		return nb_total;
	}
	nb_total += mf_stack_poll(w); /* packets handed to this port owner, stack timers */
	nb_total += mf_send_worker_poll(w); /* aggregate sends due now (core/send/) */

	now = rte_rdtsc();
	if (nb_total != 0) {
		w->idle_polls = 0;
		w->sleep_ns = 0;
	} else if (w->backoff) {
		worker_idle(w, now);
		now = rte_rdtsc();
	}

	if (nb_total + w->packets_pending != 0) {
		mf_cnt_add(&w->busy_cycles, now - w->last_tsc);
		mf_cnt_add(&w->packets, nb_total + w->packets_pending);
		w->packets_pending = 0;
	}
	__atomic_store_n(&w->total_cycles, now - w->start_tsc, __ATOMIC_RELAXED);
	mf_cnt_add(&w->polls, 1 + w->chores_skipped);
	w->chores_skipped = 0;
	mf_policy_timer(w, now); /* aggregate: deadlines, and what a policy change leaves held */
	mf_policy_quiescent(w); /* holds no policy table from here on */
	mf_reasm_poll(w); /* fragments held past their time go */
	w->last_tsc = now;
	return nb_total;
}

int
mf_worker_main(void *arg)
{
	struct mf_worker *w = arg;

	mf_worker_begin(w);
	while (!mf_force_quit)
		mf_worker_poll(w);
	mf_policy_worker_stop(w);
	return 0;
}

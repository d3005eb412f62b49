/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Trace (VPP's "trace add"): for the next `count` packets received, on one port or any, the
 * worker records which policy matched and what its actions did, or that none matched and the
 * forward mode that took the packet. It rides on the diag word (diag.h): with no trace armed
 * the fast path pays nothing more than that one relaxed load per burst.
 *
 * While armed, a worker takes a burst packet by packet (slow, but only while tracing): each
 * packet that gets one of the `count` tickets goes through mf_policy_trace_one(), then, if no
 * policy took it, through the port's forward engine alone; the others go the usual way. Each
 * worker appends to its own bounded buffer (single writer) and release-stores its count.
 *
 * Arming, re-arming and stopping clear the flag and wait until no worker is inside a traced
 * burst (the `writers` count, Dekker-style with the flag: both sequentially consistent), so the
 * control lcore never resets a buffer a worker is writing. Stopping keeps the records: FETCH
 * pages through a stable list once the trace is done or stopped.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_pause.h>

#include "diag.h"
#include "fwd.h"
#include "policy/policy.h"

static struct {
	uint8_t state;        /* enum mf_trace_state */
	uint16_t port;
	uint32_t count;
	int32_t left;         /* tickets: packets still to record */
	uint32_t writers;     /* workers inside a traced burst */
	uint64_t armed_ns;
	uint32_t n[MF_MAX_LCORES];    /* records per worker, release-stored */
} tr;

static struct mf_trace_rec recs[MF_MAX_LCORES][MF_TRACE_COUNT_MAX];

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool
mf_diag_trace_burst(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t nb)
{
	unsigned int wi = w->txq;
	uint64_t word, now;
	uint16_t i;

	__atomic_fetch_add(&tr.writers, 1, __ATOMIC_SEQ_CST);
	if (!(__atomic_load_n(&mf_diag_flags, __ATOMIC_SEQ_CST) & MF_DIAG_TRACE) ||
	    (tr.port != MF_TRACE_ANY_PORT && tr.port != port) || wi >= MF_MAX_LCORES) {
		__atomic_fetch_sub(&tr.writers, 1, __ATOMIC_RELEASE);
		return false; /* the usual way */
	}
	now = clock_ns(CLOCK_REALTIME);
	word = mf_fwd_word_load(port);
	for (i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t n = tr.n[wi];
		struct mf_trace_rec *r;
		int32_t left;

		left = __atomic_fetch_sub(&tr.left, 1, __ATOMIC_RELAXED);
		if (left <= 0 || n >= MF_TRACE_COUNT_MAX) {
			if (mf_policy_burst(w, port, &m, 1) != 0)
				mf_fwd_engines[mf_fwd_word_mode(word)]->pkt_burst(w, port, &m, 1,
										 word);
			continue;
		}
		r = &recs[wi][n];
		memset(r, 0, sizeof(*r));
		r->ts_ns = now;
		r->port = port;
		r->lcore = (uint16_t)w->lcore_id;
		r->len = rte_pktmbuf_pkt_len(m);
		r->fwd_mode = (uint8_t)mf_fwd_word_mode(word);
		if (mf_policy_trace_one(w, port, m, r))
			r->matched = 1;
		else
			mf_fwd_engines[r->fwd_mode]->pkt_burst(w, port, &m, 1, word);
		__atomic_store_n(&tr.n[wi], n + 1, __ATOMIC_RELEASE);
		if (left == 1) /* the last ticket: the burst hook goes quiet again */
			__atomic_fetch_and(&mf_diag_flags, ~MF_DIAG_TRACE, __ATOMIC_RELAXED);
	}
	__atomic_fetch_sub(&tr.writers, 1, __ATOMIC_RELEASE);
	return true;
}

static uint32_t
recorded(void)
{
	uint32_t i, sum = 0;

	for (i = 0; i < MF_MAX_LCORES; i++)
		sum += __atomic_load_n(&tr.n[i], __ATOMIC_ACQUIRE);
	return sum;
}

static void
trace_info(struct mf_trace_info *info)
{
	memset(info, 0, sizeof(*info));
	info->recorded = recorded();
	info->state = tr.state;
	if (tr.state == MF_TRACE_ARMED && info->recorded >= tr.count)
		info->state = MF_TRACE_DONE;
	info->port = tr.port;
	info->count = tr.count;
	info->armed_ns = tr.armed_ns;
}

int
mf_diag_trace_arm(uint16_t port, uint32_t count, struct mf_trace_info *info)
{
	unsigned int spins;

	__atomic_fetch_and(&mf_diag_flags, ~MF_DIAG_TRACE, __ATOMIC_SEQ_CST);
	for (spins = 0; __atomic_load_n(&tr.writers, __ATOMIC_SEQ_CST) != 0; spins++) {
		if (spins > 100000000u)
			return -EBUSY; /* a worker is stuck in a burst: touch nothing */
		rte_pause();
	}
	if (count == 0) {
		/* stop: keep what was recorded, for FETCH */
		if (tr.state == MF_TRACE_ARMED)
			tr.state = recorded() >= tr.count ? MF_TRACE_DONE : MF_TRACE_IDLE;
	} else {
		memset(tr.n, 0, sizeof(tr.n));
		tr.port = port;
		tr.count = count;
		__atomic_store_n(&tr.left, (int32_t)count, __ATOMIC_RELAXED);
		tr.armed_ns = clock_ns(CLOCK_MONOTONIC);
		tr.state = MF_TRACE_ARMED;
		__atomic_fetch_or(&mf_diag_flags, MF_DIAG_TRACE, __ATOMIC_SEQ_CST);
	}
	trace_info(info);
	return 0;
}

uint32_t
mf_diag_trace_fetch(uint32_t first, struct mf_trace_rec *out, uint32_t max,
		    struct mf_trace_info *info)
{
	uint32_t wi, k = 0, idx = 0;

	trace_info(info);
	/* workers in order, each one's records in its order: stable once done or stopped */
	for (wi = 0; wi < MF_MAX_LCORES && k < max; wi++) {
		uint32_t n = __atomic_load_n(&tr.n[wi], __ATOMIC_ACQUIRE), j;

		for (j = 0; j < n && k < max; j++, idx++)
			if (idx >= first)
				out[k++] = recs[wi][j];
	}
	info->first = first;
	info->n_recs = k;
	return k;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The policy engine as the rest of the core sees it: one hook per burst for workers, one
 * quiescent report per worker iteration, and three control-lcore calls (init, poll, client
 * gone). See core/policy/README.md for the picture.
 */
#ifndef MF_POLICY_H
#define MF_POLICY_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "../core.h"

struct mf_pol_table;

/* Published by the control lcore (atomic store), read by workers once per burst. NULL while
 * no policy is installed, so the hook costs one load then. */
extern struct mf_pol_table *mf_pol_current;
extern struct rte_rcu_qsbr *mf_pol_qsv;
extern uint16_t mf_pol_lcore_idx[RTE_MAX_LCORE];

/* Classify a burst against `t`: matched packets go through their policy's action chain (and
 * are consumed); unmatched ones are packed at the front of pkts, in order. Returns how many. */
uint16_t mf_policy_classify_burst(const struct mf_pol_table *t, struct mf_worker *w,
				  uint16_t port, struct rte_mbuf **pkts, uint16_t nb);

/* Trace (core/diag_trace.c): one packet through the policies, recording in r the headers,
 * the policy that matched, its actions and the drops they counted. 1: a policy took m;
 * 0: none matched, m is still the caller's. */
int mf_policy_trace_one(struct mf_worker *w, uint16_t port, struct rte_mbuf *m,
			struct mf_trace_rec *r);

/* Worker hook, before the port's forward engine. Returns the packets left for the engine. */
static inline uint16_t
mf_policy_burst(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t nb)
{
	const struct mf_pol_table *t = __atomic_load_n(&mf_pol_current, __ATOMIC_ACQUIRE);

	if (likely(t == NULL))
		return nb;
	return mf_policy_classify_burst(t, w, port, pkts, nb);
}

/* Worker: once per loop iteration, holding no table reference. */
static inline void
mf_policy_quiescent(struct mf_worker *w)
{
	if (likely(mf_pol_qsv != NULL))
		rte_rcu_qsbr_quiescent(mf_pol_qsv, mf_pol_lcore_idx[w->lcore_id]);
}

/* aggregate's flush timer, per worker lcore: the earliest deadline (TSC) of the messages it
 * holds, UINT64_MAX while it holds none. Its own cache line: only its worker writes it. */
struct mf_pol_timer {
	uint64_t next;
} __rte_cache_aligned;
extern struct mf_pol_timer mf_pol_timer[RTE_MAX_LCORE];

/* Worker, while it holds messages: flush what policy changes or deadlines say. */
void mf_policy_agg_poll(struct mf_worker *w, uint64_t now);

/* Worker, once per loop iteration before mf_policy_quiescent: one compare when nothing is
 * held, which is the whole cost of the timer when aggregate is idle. */
static inline void
mf_policy_timer(struct mf_worker *w, uint64_t now)
{
	if (likely(mf_pol_timer[w->lcore_id].next == UINT64_MAX))
		return;
	mf_policy_agg_poll(w, now);
}

/* The TSC by which this worker must run mf_policy_timer again (UINT64_MAX: no hurry); its
 * idle back-off sleeps no longer than that. */
static inline uint64_t
mf_policy_deadline(const struct mf_worker *w)
{
	return mf_pol_timer[w->lcore_id].next;
}

/* Worker, after its loop ends: send on what it still holds (flush reason "stop"). */
void mf_policy_worker_stop(struct mf_worker *w);

/* Control lcore, before workers start: RCU variable, counters, mempools. 0 or -errno. */
int mf_policy_init(struct mf_core *core, char *err, size_t errlen);

/* Control loop: free what no worker can still read. Never blocks. */
void mf_policy_poll(struct mf_core *core);

/* Control loop: client slot `client` was freed (detached or died): remove its policies. */
void mf_policy_client_gone(struct mf_core *core, unsigned int client);

#endif /* MF_POLICY_H */

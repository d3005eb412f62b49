/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Diagnostics on the fast path: testpmd's start/stop and packet capture (diag.c), both behind
 * one word that workers load once per burst:
 *
 *   rx_burst -> FWD_IN -> [mf_diag_active()? -> mf_diag_rx_burst: capture copy, stopped drop]
 *            -> engine
 *
 * With nothing armed and forwarding running the word is 0 and the cost is one relaxed load.
 */
#ifndef MF_DIAG_H
#define MF_DIAG_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "core.h"

#define MF_DIAG_STOPPED 0x1u /* forwarding stopped (MF_OP_FWD_RUN) */
#define MF_DIAG_CAPTURE 0x2u /* a capture is armed (MF_OP_CAPTURE_ARM) */
#define MF_DIAG_TRACE 0x4u   /* a trace is armed (MF_OP_TRACE_ARM, diag_trace.c) */

extern uint32_t mf_diag_flags;

static inline bool
mf_diag_active(void)
{
	return __atomic_load_n(&mf_diag_flags, __ATOMIC_RELAXED) != 0;
}

/* Worker side, for a burst received on manifold port `port`: copies what an armed capture
 * wants, then, when forwarding is stopped, frees the burst and counts drop_stopped. Returns
 * true when it consumed the burst (the engine must not see it). */
bool mf_diag_rx_burst(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t nb);

/* Control side. */
int mf_diag_fwd_run(uint8_t run, struct mf_fwd_run_info *info);
int mf_diag_capture_arm(uint16_t port, uint32_t count, uint32_t snaplen,
			struct mf_capture_info *info);
/* Fills info and copies at most `max` bytes of the record stream from `offset` into `out`. */
void mf_diag_capture_fetch(uint32_t offset, void *out, uint32_t max,
			   struct mf_capture_info *info);

/* Trace (diag_trace.c). Worker: true when it took the burst (traced packet by packet). */
bool mf_diag_trace_burst(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts,
			 uint16_t nb);
/* Control: arm for `count` packets (0 stops, keeping the records); 0 or -EBUSY. */
int mf_diag_trace_arm(uint16_t port, uint32_t count, struct mf_trace_info *info);
/* Control: info and up to `max` records from index `first`; returns how many. */
uint32_t mf_diag_trace_fetch(uint32_t first, struct mf_trace_rec *out, uint32_t max,
			     struct mf_trace_info *info);

#endif /* MF_DIAG_H */

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * drop: count and free (testpmd "rxonly").
 */
#include "fwd.h"

static void
drop_pkt_burst(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t nb,
	       uint64_t word __rte_unused)
{
	rte_pktmbuf_free_bulk(pkts, nb);
	mf_cnt_add(&w->cnt[port][MF_CNT_DROP_BY_MODE], nb);
}

const struct mf_fwd_engine mf_fwd_drop_engine = {
	.name = MF_FWD_NAME_DROP,
	.pkt_burst = drop_pkt_burst,
};

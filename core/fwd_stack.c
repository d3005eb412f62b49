/* SPDX-License-Identifier: BSD-3-Clause
 *
 * stack: hand to the stack (eth/arp/ipv4/icmp/udp). The stack does not exist yet, so every
 * packet is counted as "handed to the stack, which took no action" and freed; the stack will
 * replace this body, not the ops table.
 */
#include "fwd.h"

static void
stack_pkt_burst(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t nb,
		uint64_t word __rte_unused)
{
	rte_pktmbuf_free_bulk(pkts, nb);
	mf_cnt_add(&w->cnt[port][MF_CNT_DROP_NO_STACK], nb);
}

const struct mf_fwd_engine mf_fwd_stack_engine = {
	.name = MF_FWD_NAME_STACK,
	.pkt_burst = stack_pkt_burst,
};

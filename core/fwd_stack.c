/* SPDX-License-Identifier: BSD-3-Clause
 *
 * stack: hand the burst to the stack (core/stack/: eth, arp, ipv4, icmp, udp), which consumes
 * every mbuf and counts what it did with each.
 */
#include "fwd.h"
#include "stack/stack.h"

static void
stack_pkt_burst(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t nb,
		uint64_t word __rte_unused)
{
	mf_stack_input(w, port, pkts, nb);
}

const struct mf_fwd_engine mf_fwd_stack_engine = {
	.name = MF_FWD_NAME_STACK,
	.pkt_burst = stack_pkt_burst,
};

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ARP (RFC 826) on the port owner's lcore: answer requests for our addresses (in place, the
 * request mbuf becomes the reply), learn the sender of a request for us and of any reply for
 * an entry we have, send requests (resolution, refresh, gratuitous). Anything malformed is
 * counted as arp_bad and dropped.
 */
#include <string.h>

#include "stack_priv.h"

void
mf_arp_request(struct mf_worker *w, uint16_t port, uint32_t sip, uint32_t tip)
{
	struct mf_stack_port *sp = mf_stk.port[port];
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;
	struct rte_mbuf *m;

	m = rte_pktmbuf_alloc(sp->pool);
	if (m == NULL) {
		mf_stk_cnt(w, port, MF_CNT_STACK_TX_NOMBUF);
		return;
	}
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ah));
	memset(&eh->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	eh->src_addr = sp->mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eh + 1);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	ah->arp_data.arp_sha = sp->mac;
	ah->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	memset(&ah->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
	ah->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	mf_stk_cnt(w, port, MF_CNT_ARP_TX_REQUEST);
	mf_stack_tx(w, port, m);
}

void
mf_arp_input(struct mf_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct mf_stack_port *sp = mf_stk.port[port];
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *ah;
	uint32_t sip, tip;
	uint16_t op;

	if (rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*ah)) {
		mf_stk_drop(w, port, m, MF_CNT_ARP_BAD);
		return;
	}
	ah = (struct rte_arp_hdr *)(eh + 1);
	op = rte_be_to_cpu_16(ah->arp_opcode);
	if (ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4 ||
	    (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
	    !rte_is_unicast_ether_addr(&ah->arp_data.arp_sha) ||
	    rte_is_zero_ether_addr(&ah->arp_data.arp_sha)) {
		mf_stk_drop(w, port, m, MF_CNT_ARP_BAD);
		return;
	}
	sip = rte_be_to_cpu_32(ah->arp_data.arp_sip);
	tip = rte_be_to_cpu_32(ah->arp_data.arp_tip);
	if (sip != 0 && mf_route_is_local(port, sip) &&
	    !rte_is_same_ether_addr(&ah->arp_data.arp_sha, &sp->mac)) {
		/* someone else claims our address: not a neighbour to learn */
		mf_stk_drop(w, port, m, MF_CNT_ARP_BAD);
		return;
	}

	if (op == RTE_ARP_OP_REPLY) {
		mf_stk_cnt(w, port, MF_CNT_ARP_RX_REPLY);
		if (sip != 0)
			mf_neigh_learn(w, port, sip, ah->arp_data.arp_sha.addr_bytes, false);
		rte_pktmbuf_free(m);
		return;
	}
	if (!mf_route_is_local(port, tip)) {
		/* refresh what we know of the sender (as Linux does), answer nothing */
		if (sip != 0)
			mf_neigh_learn(w, port, sip, ah->arp_data.arp_sha.addr_bytes, false);
		mf_stk_drop(w, port, m, MF_CNT_ARP_NOT_FOR_US);
		return;
	}
	mf_stk_cnt(w, port, MF_CNT_ARP_RX_REQUEST);
	if (sip != 0)
		mf_neigh_learn(w, port, sip, ah->arp_data.arp_sha.addr_bytes, true);

	/* the request becomes the reply */
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	ah->arp_data.arp_tha = ah->arp_data.arp_sha;
	ah->arp_data.arp_tip = ah->arp_data.arp_sip;
	ah->arp_data.arp_sha = sp->mac;
	ah->arp_data.arp_sip = rte_cpu_to_be_32(tip);
	eh->dst_addr = ah->arp_data.arp_tha;
	eh->src_addr = sp->mac;
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - (uint32_t)(sizeof(*eh) + sizeof(*ah)));
	mf_stk_cnt(w, port, MF_CNT_ARP_TX_REPLY);
	mf_stack_tx(w, port, m);
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * mac: as io, with source MAC := egress port's MAC and destination := the next-hop MAC
 * configured for the ingress port (testpmd "mac").
 */
#include <rte_prefetch.h>

#include "fwd.h"

/* Headers this many packets ahead are prefetched while the current one is rewritten. */
#define MF_MAC_PREFETCH_OFFSET 3

static void
mac_pkt_burst(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t nb,
	      uint64_t word)
{
	uint16_t peer = mf_fwd_word_peer(word);
	const struct rte_ether_addr *src;
	struct rte_ether_addr dst;
	struct rte_ether_hdr *eth;
	uint16_t i;

	if (unlikely(peer == MF_PORT_NONE)) {
		mf_fwd_send(w, port, peer, pkts, nb);
		return;
	}
	mf_fwd_word_mac(word, dst.addr_bytes);
	src = &mf_fwd.mac[peer];

	for (i = 0; i < nb && i < MF_MAC_PREFETCH_OFFSET; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < nb; i++) {
		if (i + MF_MAC_PREFETCH_OFFSET < nb)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + MF_MAC_PREFETCH_OFFSET], void *));
		if (unlikely(pkts[i]->data_len < RTE_ETHER_HDR_LEN))
			continue; /* a runt has no header to rewrite; let it through as io would */
		eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);
		rte_ether_addr_copy(&dst, &eth->dst_addr);
		rte_ether_addr_copy(src, &eth->src_addr);
	}
	mf_fwd_send(w, port, peer, pkts, nb);
}

const struct mf_fwd_engine mf_fwd_mac_engine = {
	.name = MF_FWD_NAME_MAC,
	.pkt_burst = mac_pkt_burst,
};

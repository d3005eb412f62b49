/* SPDX-License-Identifier: BSD-3-Clause
 *
 * IPv4 fragmentation on the send path: for split ipfrag, and for any datagram larger than
 * the egress port's MTU (mf_pol_send decides; DF set: dropped as too_big). After a split
 * ipfrag the rest of the chain rewrites the whole datagram as usual (the UDP header, in the
 * first fragment only, could not be rewritten later);
 * what it sends passes through here while the split is running (c->frag_mtu != 0) and leaves
 * as IPv4 fragments of at most frag_mtu bytes (rte_ipv4_fragment_packet: direct header mbufs
 * from the policy header pool, indirect mbufs on the payload, no payload copy), which any IPv4
 * host reassembles.
 */
#include <errno.h>

#include <rte_ip.h>
#include <rte_ip_frag.h>

#include "pol_internal.h"

#define MF_SPLIT_FRAGS_MAX 128u /* 65535 / (576 - 20) = 118 fragments at the smallest MTU */

void
mf_pol_frag_send(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d,
		 struct rte_mbuf *m, uint16_t mtu)
{
	uint16_t saved = c->frag_mtu;
	struct mf_pol_pcnt *pc = &c->lc->pcnt[p->cnt];
	struct rte_mbuf *frag[MF_SPLIT_FRAGS_MAX];
	struct rte_ether_hdr eth;
	struct rte_ipv4_hdr *ip;
	int32_t n, i;

	c->frag_mtu = 0; /* the fragments themselves go straight out */
	rte_memcpy(&eth, rte_pktmbuf_mtod(m, void *), sizeof(eth));
	rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
	n = rte_ipv4_fragment_packet(m, frag, MF_SPLIT_FRAGS_MAX, mtu, mf_pol.hdr_pool,
				     mf_pol.clone_pool);
	rte_pktmbuf_free(m); /* the fragments hold references to its buffers */
	if (unlikely(n < 0)) {
		/* -ENOMEM: a pool ran dry. -ENOTSUP: DF set (a kernel sender's PMTU discovery),
		 * which fragmentation must honour; -EINVAL: more fragments than it makes (an MTU
		 * far below 576). Both: too big for the path. */
		enum mf_policy_drop why = n == -ENOMEM ? MF_POLICY_DROP_NOMBUF :
							 MF_POLICY_DROP_TOO_BIG;

		__atomic_store_n(&pc->drop[why], pc->drop[why] + 1, __ATOMIC_RELAXED);
		c->frag_mtu = saved;
		return;
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *f = frag[i];

		rte_memcpy(rte_pktmbuf_prepend(f, RTE_ETHER_HDR_LEN), &eth, sizeof(eth));
		ip = rte_pktmbuf_mtod_offset(f, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		f->ol_flags = 0;
		mf_pol_send(c, p, d, f);
	}
	c->frag_mtu = saved;
}

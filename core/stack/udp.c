/* SPDX-License-Identifier: BSD-3-Clause
 *
 * UDP input: check the length and (when present) the checksum, find the bound socket and
 * queue the datagram on its ring for the control lcore to hand to the app (UDP_RECV), or
 * answer port unreachable as a kernel would. The queued mbuf starts at the IP header, so the
 * app learns the addresses and ports; a reassembled datagram is rebuilt as an mbuf chain.
 */
#include <string.h>

#include <rte_udp.h>

#include "stack_priv.h"

/* A reassembled datagram as a chain: IP header, then the UDP header and payload. */
static struct rte_mbuf *
chain_build(struct rte_mempool *mp, const struct mf_ip_dgram *d)
{
	uint32_t off = 0, total = sizeof(struct rte_ipv4_hdr) + d->l4_len;
	struct rte_mbuf *head = NULL, *m;

	while (off < total) {
		uint32_t room, k, c;
		uint8_t *p;

		m = rte_pktmbuf_alloc(mp);
		if (m == NULL)
			goto fail;
		room = rte_pktmbuf_tailroom(m);
		k = RTE_MIN(room, total - off);
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)k);
		for (c = 0; c < k;) {
			uint32_t at = off + c, n;

			if (at < sizeof(struct rte_ipv4_hdr)) {
				n = RTE_MIN((uint32_t)sizeof(struct rte_ipv4_hdr) - at, k - c);
				memcpy(p + c, (const uint8_t *)d->ip + at, n);
			} else {
				n = k - c;
				memcpy(p + c, d->l4 + (at - sizeof(struct rte_ipv4_hdr)), n);
			}
			c += n;
		}
		off += k;
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			goto fail;
		}
	}
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

void
mf_udp_input(struct mf_worker *w, struct mf_ip_dgram *d)
{
	const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)d->l4;
	struct rte_ring *r;
	struct rte_mbuf *m;
	uint32_t ulen;

	if (d->l4_len < sizeof(*uh)) {
		mf_stk_cnt(w, d->port, MF_CNT_UDP_BAD);
		goto free;
	}
	ulen = rte_be_to_cpu_16(uh->dgram_len);
	if (ulen < sizeof(*uh) || ulen > d->l4_len) {
		mf_stk_cnt(w, d->port, MF_CNT_UDP_BAD);
		goto free;
	}
	if (d->m != NULL && (d->m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
			     RTE_MBUF_F_RX_L4_CKSUM_BAD) {
		mf_stk_cnt(w, d->port, MF_CNT_UDP_BAD);
		goto free;
	}
	if (uh->dgram_cksum != 0 &&
	    (d->m == NULL || (d->m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) !=
				     RTE_MBUF_F_RX_L4_CKSUM_GOOD) &&
	    mf_cksum_fold(mf_l4_pseudo(d->src, d->dst, IPPROTO_UDP, ulen) +
			  rte_raw_cksum(uh, ulen)) != 0xffff) {
		mf_stk_cnt(w, d->port, MF_CNT_UDP_BAD);
		goto free;
	}
	r = mf_udp_sock_lookup(d->dst, rte_be_to_cpu_16(uh->dst_port));
	if (r == NULL) {
		mf_stk_cnt(w, d->port, MF_CNT_UDP_NO_SOCKET);
		mf_icmp_unreach(w, d, 3 /* port unreachable */);
		goto free;
	}
	if (ulen - sizeof(*uh) > MF_UDP_MAX_PAYLOAD) {
		mf_stk_cnt(w, d->port, MF_CNT_UDP_RX_TOO_BIG);
		goto free;
	}
	m = d->m;
	if (m == NULL) {
		m = chain_build(mf_stk.port[d->port]->pool, d);
		if (m == NULL) {
			mf_stk_cnt(w, d->port, MF_CNT_STACK_TX_NOMBUF);
			return;
		}
	}
	if (__atomic_fetch_add(&mf_stk.udp_held, 1, __ATOMIC_RELAXED) >= mf_stk.udp_held_max ||
	    rte_ring_mp_enqueue(r, m) != 0) {
		__atomic_fetch_sub(&mf_stk.udp_held, 1, __ATOMIC_RELAXED);
		mf_stk_drop(w, d->port, m, MF_CNT_UDP_RX_QUEUE_FULL);
		return;
	}
	mf_stk_cnt(w, d->port, MF_CNT_UDP_RX);
	return;
free:
	if (d->m != NULL)
		rte_pktmbuf_free(d->m);
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What redirect and replicate share on the fast path: the Ethernet/IPv4/UDP rewrite of one
 * copy, and per-port tx staging. Copies are staged per egress port and sent in bursts on the
 * worker's own tx queue; each staged mbuf remembers its policy and destination counter slots,
 * so what the queue refuses is counted against the destination it was for.
 *
 * The UDP and IPv4 checksums are updated incrementally (RFC 1624): the payload is unchanged, only the
 * pseudo-header addresses and the ports change, so the cost does not grow with the payload
 * and a multi-segment payload is never walked. A packet that carried no UDP checksum (0)
 * keeps none.
 */
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_pause.h>
#include <rte_udp.h>

#include "../counters.h"
#include "../fwd.h"
#include "../stack/stack.h"
#include "pol_internal.h"

#define MF_POL_TX_RETRIES 4 /* a full tx ring gets this many more tries before drops */

static inline uint32_t
ck_neg32(uint32_t v)
{
	return (uint16_t)~(uint16_t)(v & 0xffff) + (uint16_t)~(uint16_t)(v >> 16);
}

static inline uint16_t
ck_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

void
mf_pol_rewrite(const struct mf_pol_dest *d, const struct mf_pol_pkt *pk, uint8_t *hdr)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)hdr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(hdr + RTE_ETHER_HDR_LEN);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(hdr + pk->l4_off);
	uint32_t s;
	uint16_t ck;

	uint32_t old_addrs = ck_neg32(ip->src_addr) + ck_neg32(ip->dst_addr);

	rte_ether_addr_copy(&d->dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&d->src_mac, &eth->src_addr);
	if (udp->dgram_cksum != 0) {
		s = (uint16_t)~udp->dgram_cksum + old_addrs;
		s += (uint16_t)~udp->dst_port;
		s += d->ck_add;
		if (d->src_udp_port_be != 0)
			s += (uint16_t)~udp->src_port + d->src_udp_port_be;
		ck = (uint16_t)~ck_fold(s);
		udp->dgram_cksum = ck == 0 ? 0xffff : ck;
	}
	/* The IPv4 header checksum the same way: only the addresses change. */
	ip->hdr_checksum = (uint16_t)~ck_fold((uint16_t)~ip->hdr_checksum + old_addrs + d->ck_ip);
	ip->src_addr = d->src_ip_be;
	ip->dst_addr = d->ip_be;
	udp->dst_port = d->udp_port_be;
	if (d->src_udp_port_be != 0)
		udp->src_port = d->src_udp_port_be;
}

/* Counters per run of equal (policy, destination): one redirect's burst is one run. */
static inline void
count_sent(struct mf_pol_ctx *c, const struct mf_pol_stage *st, const uint32_t *len,
	   uint16_t from, uint16_t to)
{
	uint16_t i, j;

	for (i = from; i < to; i = j) {
		struct mf_pol_pcnt *pc = &c->lc->pcnt[st->pslot[i]];
		struct mf_pol_dcnt *dc = &c->lc->dcnt[st->dslot[i]];
		uint64_t bytes = 0;

		for (j = i; j < to && st->dslot[j] == st->dslot[i] && st->pslot[j] == st->pslot[i]; j++)
			bytes += len[j];
		mf_cnt_add(&pc->sent, j - i);
		mf_cnt_add(&pc->sent_bytes, bytes);
		mf_cnt_add(&dc->packets, j - i);
		mf_cnt_add(&dc->bytes, bytes);
	}
}

static inline void
count_unsent(struct mf_pol_ctx *c, const struct mf_pol_stage *st, uint16_t from, uint16_t to)
{
	uint16_t i;

	for (i = from; i < to; i++) {
		mf_cnt_add(&c->lc->pcnt[st->pslot[i]].drop[MF_POLICY_DROP_TX_FULL], 1);
		mf_cnt_add(&c->lc->dcnt[st->dslot[i]].drop_tx_full, 1);
	}
}

static void
stage_flush(struct mf_pol_ctx *c, uint16_t port)
{
	struct mf_pol_stage *st = &c->lc->stage[port];
	struct mf_worker *w = c->w;
	uint32_t len[MF_POL_STAGE];
	uint16_t sent = 0, i, n = st->n;
	unsigned int tries = 0;

	for (i = 0; i < n; i++)
		len[i] = st->m[i]->pkt_len;
	for (;;) {
		sent += rte_eth_tx_burst(mf_fwd.dpdk_id[port], w->txq, &st->m[sent],
					 (uint16_t)(n - sent));
		if (sent == n || tries++ == MF_POL_TX_RETRIES)
			break;
		rte_pause();
	}
	count_sent(c, st, len, 0, sent);
	count_unsent(c, st, sent, n);
	mf_cnt_add(&w->cnt[port][MF_CNT_FWD_OUT], sent);
	if (unlikely(sent < n)) {
		rte_pktmbuf_free_bulk(&st->m[sent], n - sent);
		mf_cnt_add(&w->cnt[port][MF_CNT_DROP_TX_FULL], n - sent);
	}
	st->n = 0;
}

void
mf_pol_stage_send(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d,
		  struct rte_mbuf *m)
{
	struct mf_pol_stage *st = &c->lc->stage[d->port];

	if (st->n == MF_POL_STAGE)
		stage_flush(c, d->port);
	st->m[st->n] = m;
	st->pslot[st->n] = p->cnt;
	st->dslot[st->n] = d->cnt;
	st->n++;
	c->lc->dirty |= 1u << d->port;
}

void
mf_pol_send(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d,
	    struct rte_mbuf *m)
{
	uint16_t mtu = mf_pol.port_mtu[d->port];
	struct mf_pol_pcnt *pc;
	struct mf_pol_dcnt *dc;

	/* A split ipfrag earlier in the chain sets a smaller MTU; a datagram larger than the
	 * egress port's (one reassembled before classification, say) leaves as fragments too,
	 * or is dropped as too_big when it says DF. */
	if (unlikely(c->frag_mtu != 0) && c->frag_mtu < mtu)
		mtu = c->frag_mtu;
	if (unlikely(m->pkt_len - RTE_ETHER_HDR_LEN > mtu)) {
		mf_pol_frag_send(c, p, d, m, mtu);
		return;
	}
	if (likely(d->has_mac)) {
		mf_pol_stage_send(c, p, d, m);
		return;
	}
	/* Counted as sent when handed over: the stack counts its own drops by reason
	 * (unresolved next hop, queue full). */
	pc = &c->lc->pcnt[p->cnt];
	dc = &c->lc->dcnt[d->cnt];
	mf_cnt_add(&pc->sent, 1);
	mf_cnt_add(&pc->sent_bytes, m->pkt_len);
	mf_cnt_add(&dc->packets, 1);
	mf_cnt_add(&dc->bytes, m->pkt_len);
	mf_stack_output(c->w, d->port, d->next_hop, m);
}

void
mf_pol_flush(struct mf_pol_ctx *c)
{
	uint32_t dirty = c->lc->dirty;

	while (dirty != 0) {
		uint16_t port = (uint16_t)__builtin_ctz(dirty);

		dirty &= dirty - 1;
		if (c->lc->stage[port].n != 0)
			stage_flush(c, port);
	}
	c->lc->dirty = 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What redirect and replicate share on the fast path: the Ethernet/IPv4/UDP rewrite of one
 * copy, and per-port tx staging. Copies are staged per egress port and sent in bursts on the
 * worker's own tx queue. Beside the mbufs, the stage keeps runs (segments) of consecutive
 * mbufs for one (policy, destination) with their packet and byte counts, so a sent burst is
 * counted once per run, and what the queue refuses is counted against the destination it was
 * for.
 *
 * The rewrite and its incremental checksums are in rewrite.h: the cost does not grow with the
 * payload and a multi-segment payload is never walked. A packet that carried no UDP checksum
 * (0) keeps none.
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

void
mf_pol_rewrite(const struct mf_pol_dest *d, const struct mf_pol_pkt *pk, uint8_t *hdr)
{
	struct mf_pol_rw rw;

	mf_pol_rw_for(&rw, d, pk, hdr);
	mf_pol_rw_apply(&rw, hdr, pk->l4_off);
}

/* A segment for n more packets of (p, d), `bytes` long: the last one grows if it is theirs. */
static inline void
stage_count(struct mf_pol_stage *st, const struct mf_pol *p, const struct mf_pol_dest *d,
	    uint32_t n, uint64_t bytes)
{
	struct mf_pol_seg *sg = st->n_seg != 0 ? &st->seg[st->n_seg - 1] : NULL;

	if (sg == NULL || sg->pslot != p->cnt || sg->dslot != d->cnt) {
		sg = &st->seg[st->n_seg++];
		sg->pslot = p->cnt;
		sg->dslot = d->cnt;
		sg->n = 0;
		sg->bytes = 0;
	}
	sg->n += n;
	sg->bytes += bytes;
}

static inline void
count_sent(struct mf_pol_ctx *c, uint32_t pslot, uint32_t dslot, uint32_t n, uint64_t bytes)
{
	struct mf_pol_pcnt *pc = &c->lc->pcnt[pslot];
	struct mf_pol_dcnt *dc = &c->lc->dcnt[dslot];

	mf_cnt_add(&pc->sent, n);
	mf_cnt_add(&pc->sent_bytes, bytes);
	mf_cnt_add(&dc->packets, n);
	mf_cnt_add(&dc->bytes, bytes);
}

static inline void
count_unsent(struct mf_pol_ctx *c, uint32_t pslot, uint32_t dslot, uint32_t n)
{
	mf_cnt_add(&c->lc->pcnt[pslot].drop[MF_POLICY_DROP_TX_FULL], n);
	mf_cnt_add(&c->lc->dcnt[dslot].drop_tx_full, n);
}

/* The queue took the first `sent` of st->m: count each segment as sent, as refused, or split.
 * Refused mbufs are still ours, so their lengths come off a split segment's bytes; the sent
 * ones may be freed already and are not read. */
static void
count_partial(struct mf_pol_ctx *c, const struct mf_pol_stage *st, uint16_t sent)
{
	uint32_t at = 0, i, k;

	for (i = 0; i < st->n_seg; i++) {
		const struct mf_pol_seg *sg = &st->seg[i];
		uint64_t unsent_bytes = 0;

		if (at + sg->n <= sent) {
			count_sent(c, sg->pslot, sg->dslot, sg->n, sg->bytes);
		} else if (at >= sent) {
			count_unsent(c, sg->pslot, sg->dslot, sg->n);
		} else {
			for (k = sent; k < at + sg->n; k++)
				unsent_bytes += st->m[k]->pkt_len;
			count_sent(c, sg->pslot, sg->dslot, sent - at, sg->bytes - unsent_bytes);
			count_unsent(c, sg->pslot, sg->dslot, at + sg->n - sent);
		}
		at += sg->n;
	}
}

/* tx_burst on this worker's queue of port, retried a few times while the queue is full; what
 * it still refuses is counted against the port and freed by the caller. Returns how many went. */
static inline uint16_t
tx_burst(struct mf_worker *w, uint16_t port, struct rte_mbuf **m, uint16_t n)
{
	uint16_t sent = 0;
	unsigned int tries = 0;

	for (;;) {
		sent += rte_eth_tx_burst(mf_fwd.dpdk_id[port], w->txq, &m[sent],
					 (uint16_t)(n - sent));
		if (sent == n || tries++ == MF_POL_TX_RETRIES)
			break;
		rte_pause();
	}
	mf_cnt_add(&w->cnt[port][MF_CNT_FWD_OUT], sent);
	if (unlikely(sent < n))
		mf_cnt_add(&w->cnt[port][MF_CNT_DROP_TX_FULL], n - sent);
	return sent;
}

void
mf_pol_tx_now(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d,
	      struct rte_mbuf **pkts, uint16_t n, uint64_t bytes)
{
	uint16_t sent = tx_burst(c->w, d->port, pkts, n), i;

	if (unlikely(sent < n)) {
		for (i = sent; i < n; i++)
			bytes -= pkts[i]->pkt_len;
		count_unsent(c, p->cnt, d->cnt, (uint32_t)(n - sent));
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
	count_sent(c, p->cnt, d->cnt, sent, bytes);
}

static void
stage_flush(struct mf_pol_ctx *c, uint16_t port)
{
	struct mf_pol_stage *st = &c->lc->stage[port];
	uint16_t n = st->n, sent = tx_burst(c->w, port, st->m, n), i;

	if (likely(sent == n)) {
		for (i = 0; i < st->n_seg; i++)
			count_sent(c, st->seg[i].pslot, st->seg[i].dslot, st->seg[i].n,
				   st->seg[i].bytes);
	} else {
		count_partial(c, st, sent);
		rte_pktmbuf_free_bulk(&st->m[sent], n - sent);
	}
	st->n = 0;
	st->n_seg = 0;
}

void
mf_pol_stage_send(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d,
		  struct rte_mbuf *m)
{
	struct mf_pol_stage *st = &c->lc->stage[d->port];

	if (st->n == MF_POL_STAGE)
		stage_flush(c, d->port);
	st->m[st->n++] = m;
	stage_count(st, p, d, 1, m->pkt_len);
	c->lc->dirty |= 1u << d->port;
}

void
mf_pol_stage_run(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d,
		 struct rte_mbuf **pkts, uint16_t n, uint64_t bytes)
{
	struct mf_pol_stage *st = &c->lc->stage[d->port];
	uint16_t k, i;

	c->lc->dirty |= 1u << d->port;
	while (n != 0) {
		if (st->n == MF_POL_STAGE)
			stage_flush(c, d->port);
		k = (uint16_t)RTE_MIN(n, MF_POL_STAGE - st->n);
		if (unlikely(k < n)) { /* the run is split over two tx bursts */
			uint64_t part = 0;

			for (i = 0; i < k; i++)
				part += pkts[i]->pkt_len;
			stage_count(st, p, d, k, part);
			bytes -= part;
		} else {
			stage_count(st, p, d, k, bytes);
		}
		for (i = 0; i < k; i++)
			st->m[st->n + i] = pkts[i];
		st->n = (uint16_t)(st->n + k);
		pkts += k;
		n = (uint16_t)(n - k);
	}
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

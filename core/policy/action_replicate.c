/* SPDX-License-Identifier: BSD-3-Clause
 *
 * replicate: one copy per destination, the payload shared. Each copy is a fresh header mbuf
 * (Ethernet + IPv4 + UDP, rewritten for its destination, checksums right) chained to an
 * rte_pktmbuf_clone of the packet advanced past its headers: the technique of DPDK's
 * ipv4_multicast example, so no payload byte is copied however many destinations there are,
 * and a multi-segment packet is cloned segment by segment.
 *
 *   copy i:  [hdr mbuf: eth|ip|udp for dest i] -> [indirect: payload seg 0] -> [indirect ...]
 *                                                        \ (refcnt)           \
 *   packet:  [eth|ip|udp|payload seg 0 ...............] -> [payload seg 1 ...]
 *
 * When either pool runs dry the copy is dropped and counted (policy "nombuf" and the
 * destination's drop_nombuf); the other copies go on. The packet itself goes on down the
 * chain, or is freed when replicate ends it (its clones keep the payload alive).
 */
#include <rte_ip.h>

#include "pol_internal.h"

#define MF_REPL_CHUNK 32u /* header mbufs allocated in bulk this many at a time */

static inline void
copy_nombuf(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d)
{
	struct mf_pol_pcnt *pc = &c->lc->pcnt[p->cnt];
	struct mf_pol_dcnt *dc = &c->lc->dcnt[d->cnt];

	__atomic_store_n(&pc->drop[MF_POLICY_DROP_NOMBUF], pc->drop[MF_POLICY_DROP_NOMBUF] + 1,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&dc->drop_nombuf, dc->drop_nombuf + 1, __ATOMIC_RELAXED);
}

static int
replicate_apply(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_action *a,
		struct rte_mbuf *m, const struct mf_pol_pkt *pk)
{
	struct rte_mbuf *hdr[MF_REPL_CHUNK], *pay;
	const uint8_t *src = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t hlen = pk->hdr_len;
	uint32_t i, j, n;
	uint8_t *data;

	if (mf_pol_drop_unless_udp(c, p, m, pk))
		return 1;
	for (i = 0; i < a->n_dests; i += n) {
		n = RTE_MIN(a->n_dests - i, MF_REPL_CHUNK);
		if (rte_pktmbuf_alloc_bulk(mf_pol.hdr_pool, hdr, n) != 0) {
			/* Not enough for the whole chunk: take what there is, one by one. */
			for (j = 0; j < n; j++)
				hdr[j] = rte_pktmbuf_alloc(mf_pol.hdr_pool);
		}
		for (j = 0; j < n; j++) {
			const struct mf_pol_dest *d = &a->dests[i + j];

			if (unlikely(hdr[j] == NULL)) {
				copy_nombuf(c, p, d);
				continue;
			}
			pay = NULL;
			if (m->pkt_len > hlen) {
				pay = rte_pktmbuf_clone(m, mf_pol.clone_pool);
				if (unlikely(pay == NULL)) {
					rte_pktmbuf_free(hdr[j]);
					copy_nombuf(c, p, d);
					continue;
				}
				rte_pktmbuf_adj(pay, hlen); /* hlen <= first segment: parse checked */
			}
			data = (uint8_t *)rte_pktmbuf_append(hdr[j], hlen);
			rte_memcpy(data, src, hlen);
			mf_pol_rewrite(d, pk, data);
			if (pay != NULL) {
				hdr[j]->next = pay;
				hdr[j]->nb_segs = (uint16_t)(1 + pay->nb_segs);
				hdr[j]->pkt_len += pay->pkt_len;
			}
			mf_pol_send(c, p, d, hdr[j]);
		}
	}
	return 0;
}

const struct mf_action_ops mf_action_replicate = {
	.name = "replicate",
	.type = MF_ACTION_REPLICATE,
	.terminal = false,
	.needs_udp = true,
	.dest_key = "destinations",
	.min_dests = 0, /* an empty fan-out is allowed: subscribers come later */
	.max_dests = 0,
	.validate = NULL,
	.apply = replicate_apply,
	.fini = NULL,
};

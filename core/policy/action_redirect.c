/* SPDX-License-Identifier: BSD-3-Clause
 *
 * redirect: rewrite the packet in place (Ethernet, IPv4, UDP, checksums) toward its one
 * destination and send it. Terminal: nothing after it in the chain sees the packet.
 *
 * A policy that is only a redirect gets whole runs of one flow (redirect_run): one rewrite
 * template for the run (rewrite.h), then per packet the template's stores and two checksum
 * adjustments, and the run staged for tx and counted at once.
 */
#include "pol_internal.h"

static int
redirect_apply(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_action *a,
	       struct rte_mbuf *m, const struct mf_pol_pkt *pk)
{
	const struct mf_pol_dest *d = &a->dests[0];

	if (mf_pol_drop_unless_udp(c, p, m, pk))
		return 1;
	/* After a replicate, clones of the payload share this buffer, but only past the
	 * headers: rewriting the headers in place leaves the copies intact. */
	mf_pol_rewrite(d, pk, rte_pktmbuf_mtod(m, uint8_t *));
	m->ol_flags = 0;
	mf_pol_send(c, p, d, m);
	return 1;
}

const struct mf_pol_dest *
mf_redirect_direct(const struct mf_pol *p, const struct mf_pol_pkt *pk, const uint8_t *hdr,
		   struct mf_pol_rw *rw)
{
	const struct mf_pol_dest *d;

	if (p->n_actions != 1 || p->act[0].ops != &mf_action_redirect || pk->frag ||
	    pk->hdr_len == 0)
		return NULL;
	d = &p->act[0].dests[0];
	if (!d->has_mac) /* the stack resolves the MAC, per packet */
		return NULL;
	mf_pol_rw_for(rw, d, pk, hdr);
	return d;
}

static void
redirect_run(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_action *a,
	     struct rte_mbuf **pkts, uint16_t n, const struct mf_pol_pkt *pk, uint64_t bytes)
{
	const struct mf_pol_dest *d = NULL;
	struct mf_pol_rw rw;
	uint16_t i;

	/* What the run shares decides for all of it: fragments, not UDP, no MAC, a split
	 * ipfrag earlier (none here, but the rule is the chain's): one packet at a time. */
	if (likely(c->frag_mtu == 0))
		d = mf_redirect_direct(p, pk, rte_pktmbuf_mtod(pkts[0], const uint8_t *), &rw);
	/* A packet over the egress MTU needs mf_pol_send, which fragments it (or drops it as
	 * too_big): then the whole run goes one packet at a time, a rare case. */
	if (likely(d != NULL))
		for (i = 0; i < n; i++)
			if (unlikely(!mf_pol_fits_mtu(d, pkts[i]))) {
				d = NULL;
				break;
			}
	if (unlikely(d == NULL)) {
		for (i = 0; i < n; i++)
			redirect_apply(c, p, a, pkts[i], pk);
		return;
	}
	for (i = 0; i < n; i++) {
		mf_pol_rw_apply(&rw, rte_pktmbuf_mtod(pkts[i], uint8_t *), pk->l4_off);
		pkts[i]->ol_flags = 0;
	}
	mf_pol_stage_run(c, p, d, pkts, n, bytes);
}

const struct mf_action_ops mf_action_redirect = {
	.name = "redirect",
	.type = MF_ACTION_REDIRECT,
	.terminal = true,
	.needs_udp = true,
	.dest_key = "destination",
	.min_dests = 1,
	.max_dests = 1,
	.validate = NULL,
	.apply = redirect_apply,
	.apply_run = redirect_run,
	.fini = NULL,
};

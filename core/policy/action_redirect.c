/* SPDX-License-Identifier: BSD-3-Clause
 *
 * redirect: rewrite the packet in place (Ethernet, IPv4, UDP, checksums) toward its one
 * destination and send it. Terminal: nothing after it in the chain sees the packet.
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
	.fini = NULL,
};

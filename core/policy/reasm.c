/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Which fragments the policy engine puts back together before it classifies: a policy
 * matches on UDP ports, which only the first fragment of a datagram carries, so fragments
 * addressed to the core (one of its addresses) or to a policy's service (a destination prefix
 * some policy matches) go to the worker's reassembly (core/reasm.c), and the whole datagram
 * is classified like any packet (classify.c). Other fragments are left as they are.
 */
#include "../reasm.h"
#include "../stack/stack.h"
#include "pol_internal.h"

/* The core's own addresses, and every destination prefix a policy of the table names
 * (t->svc, distinct prefixes, built with the table). */
static bool
reasm_wanted(const struct mf_pol_table *t, uint32_t dst)
{
	uint32_t i;

	for (i = 0; i < t->n_svc; i++)
		if ((dst & t->svc[i].mask) == t->svc[i].net)
			return true;
	return mf_stack_is_local(dst);
}

struct rte_mbuf *
mf_pol_reasm_input(struct mf_pol_ctx *c, const struct mf_pol_table *t, struct rte_mbuf *m,
		   const struct mf_pol_pkt *pk, bool *taken)
{
	*taken = reasm_wanted(t, pk->dst);
	if (!*taken)
		return NULL;
	/* parse() found the IPv4 header whole in the first segment */
	return mf_reasm_take(c->w, c->in_port, m, (uint32_t)(pk->l4_off - RTE_ETHER_HDR_LEN));
}

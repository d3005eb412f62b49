/* SPDX-License-Identifier: BSD-3-Clause
 *
 * drop: count (reason "action") and free. Terminal.
 */
#include "pol_internal.h"

static int
drop_apply(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_action *a __rte_unused,
	   struct rte_mbuf *m, const struct mf_pol_pkt *pk __rte_unused)
{
	mf_pol_drop(c, p, MF_POLICY_DROP_ACTION, m);
	return 1;
}

const struct mf_action_ops mf_action_drop = {
	.name = "drop",
	.type = MF_ACTION_DROP,
	.terminal = true,
	.needs_udp = false,
	.dest_key = NULL,
	.min_dests = 0,
	.max_dests = 0,
	.validate = NULL,
	.apply = drop_apply,
	.fini = NULL,
};

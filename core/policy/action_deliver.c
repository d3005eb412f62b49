/* SPDX-License-Identifier: BSD-3-Clause
 *
 * deliver: hand the packet to the application that owns the policy, as a socket would. The
 * data path to applications (the stack's UDP sockets in the control segment) is not in this
 * core yet, so validation refuses the action with that reason rather than accepting packets
 * it would have to drop; apply() counts "no_deliver" should a policy ever reach it.
 */
#include <stdio.h>

#include "pol_internal.h"

static int
deliver_validate(const struct mf_policy_wire *wire __rte_unused, unsigned int ai, char *err,
		 size_t len)
{
	snprintf(err, len, "actions[%u].type: deliver needs the stack's UDP sockets, which this "
		 "core does not have yet; use redirect or replicate", ai);
	return -EOPNOTSUPP;
}

static int
deliver_apply(struct mf_pol_ctx *c, const struct mf_pol *p,
	      const struct mf_pol_action *a __rte_unused, struct rte_mbuf *m,
	      const struct mf_pol_pkt *pk __rte_unused)
{
	mf_pol_drop(c, p, MF_POLICY_DROP_NO_DELIVER, m);
	return 1;
}

const struct mf_action_ops mf_action_deliver = {
	.name = "deliver",
	.type = MF_ACTION_DELIVER,
	.terminal = true,
	.needs_udp = false,
	.dest_key = NULL,
	.min_dests = 0,
	.max_dests = 0,
	.validate = deliver_validate,
	.apply = deliver_apply,
	.fini = NULL,
};

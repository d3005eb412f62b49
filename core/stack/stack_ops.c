/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Stack control ops on the control lcore: ADDR_ADD, ADDR_LIST, GATEWAY_SET, NEIGH_LIST. (The
 * UDP socket ops are in udp_sock.c.)
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>

#include "../control_ops.h"
#include "stack_priv.h"

static int
op_addr_add(struct mf_core *core __rte_unused, const struct mf_request *req,
	    void *arena __rte_unused, struct mf_completion *cpl)
{
	struct mf_addr_arg a;
	char err[MF_REASON_LEN];
	int rc;

	memcpy(&a, req->args, sizeof(a));
	rc = mf_route_addr_add(a.port, a.ip, a.prefix_len, err, sizeof(err));
	if (rc < 0)
		return mf_op_reason(cpl, rc, "%s", err);
	return 0;
}

static int
op_addr_list(struct mf_core *core __rte_unused, const struct mf_request *req __rte_unused,
	     void *arena, struct mf_completion *cpl)
{
	struct mf_addr_info *out = (struct mf_addr_info *)((uint8_t *)arena + 4);
	uint32_t count = 0, a, n;
	unsigned int p;

	for (p = 0; p < mf_stk.n_ports; p++) {
		const struct mf_stack_port *sp = mf_stk.port[p];

		n = __atomic_load_n(&sp->n_addrs, __ATOMIC_ACQUIRE);
		for (a = 0; a < n; a++, count++) {
			memset(&out[count], 0, sizeof(out[count]));
			out[count].ip = sp->addr[a].ip;
			out[count].gateway = sp->gateway;
			out[count].port = (uint16_t)p;
			out[count].prefix_len = sp->addr[a].prefix_len;
		}
	}
	memcpy(arena, &count, 4);
	cpl->out_len = 4 + count * (uint32_t)sizeof(*out);
	return 0;
}

static int
op_gateway_set(struct mf_core *core __rte_unused, const struct mf_request *req,
	       void *arena __rte_unused, struct mf_completion *cpl)
{
	struct mf_gateway_arg a;

	memcpy(&a, req->args, sizeof(a));
	if (a.port >= mf_stk.n_ports)
		return mf_op_reason(cpl, -ENODEV, "port %u does not exist; use a port index "
				    "below %u", a.port, mf_stk.n_ports);
	__atomic_store_n(&mf_stk.port[a.port]->gateway, a.gateway, __ATOMIC_RELAXED);
	return 0;
}

static int
op_neigh_list(struct mf_core *core __rte_unused, const struct mf_request *req __rte_unused,
	      void *arena, struct mf_completion *cpl)
{
	const unsigned int max = (MF_ARENA_SLOT_SIZE - 4) / sizeof(struct mf_neigh_info);
	struct mf_neigh_info *out = (struct mf_neigh_info *)((uint8_t *)arena + 4);
	uint64_t now = rte_rdtsc();
	uint32_t count = 0;
	unsigned int p;

	for (p = 0; p < mf_stk.n_ports && count < max; p++)
		count += mf_neigh_snapshot((uint16_t)p, out + count, max - count, now);
	memcpy(arena, &count, 4);
	cpl->out_len = 4 + count * (uint32_t)sizeof(*out);
	return 0;
}

static const struct mf_op_desc stack_ops[] = {
	{ MF_OP_ADDR_ADD, "ADDR_ADD", op_addr_add, false },
	{ MF_OP_ADDR_LIST, "ADDR_LIST", op_addr_list, false },
	{ MF_OP_GATEWAY_SET, "GATEWAY_SET", op_gateway_set, false },
	{ MF_OP_NEIGH_LIST, "NEIGH_LIST", op_neigh_list, false },
};
MF_OPS_REGISTER(stack_ops)

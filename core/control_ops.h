/* SPDX-License-Identifier: BSD-3-Clause
 *
 * How a family of control ops plugs into the control lcore. Each family (base ops in
 * control_ops.c, the stack, policies, diagnostics) keeps its handlers in files of its own and
 * registers one table with MF_OPS_REGISTER, so adding a family touches no shared table.
 *
 * A handler checks its arguments, reads its input (req->in_len bytes) from `arena`, acts,
 * writes its reply (at most MF_ARENA_SLOT_SIZE bytes) into `arena`, sets cpl->out_len, and
 * returns 0 or -errno; on error it says in cpl->reason (with mf_op_reason) what was wrong and
 * what would be right. It runs on the control lcore. For a bulk request (MF_REQ_BULK, only to
 * ops that take MF_OP_IN_BULK) `arena` is the client's bulk slot and the dispatcher copies the reply
 * on to the arena slot, where the client reads it.
 */
#ifndef MF_CONTROL_OPS_H
#define MF_CONTROL_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "core.h"

/* Where an op accepts input (the tables write false and true for the first two). */
enum mf_op_input {
	MF_OP_IN_NONE = 0,  /* in_len must be 0 */
	MF_OP_IN_ARENA = 1, /* in the request's arena slot */
	MF_OP_IN_BULK = 2,  /* in the arena slot, or in a bulk slot (MF_REQ_BULK) */
};

typedef int (*mf_op_handler_t)(struct mf_core *core, const struct mf_request *req,
			       void *arena, struct mf_completion *cpl);

struct mf_op_desc {
	uint16_t op;             /* enum value from manifold_abi*.h */
	const char *name;        /* for messages, e.g. "PORT_INFO" */
	mf_op_handler_t handler;
	uint8_t takes_input;     /* enum mf_op_input: false, true, or MF_OP_IN_BULK */
};

void mf_ops_register(const struct mf_op_desc *descs, unsigned int n);

#define MF_OPS_REGISTER(table)                                                                \
	RTE_INIT(mf_ops_register_##table)                                                     \
	{                                                                                     \
		mf_ops_register(table, RTE_DIM(table));                                       \
	}

/* Which client sent a request: the handler signature carries no client, but the arena slot (or
 * bulk slot) a request came with is its client's own, so the slot's index says who asked. */
unsigned int mf_op_client(const struct mf_core *core, const void *arena);

/* Arena slot `slot` of client `client`, from the core's constants (not the shared header). */
void *mf_core_arena_slot(const struct mf_core *core, unsigned int client, uint32_t slot);

/* Sets cpl->reason from a format and returns status, for `return mf_op_reason(...)`. */
int mf_op_reason(struct mf_completion *cpl, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* MF_CONTROL_OPS_H */

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Control operations: one handler per enum mf_op (in the manner of a VPP plugin's API
 * handlers), and one table from op to handler. A handler checks its arguments, acts, writes
 * its reply into the request's arena slot and returns 0 or -errno; on error it says in
 * cpl->reason what was wrong and what would be right.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_version.h>

#include "control.h"
#include "control_ops.h"
#include "fwd.h"
#include "port.h"
#include "stats.h"

/* From the core's own constants, never from the segment header: every client maps the header
 * writable, and a zero or a wild offset written there must not crash or misdirect the core. */
unsigned int
mf_op_client(const struct mf_core *core, const void *arena)
{
	uint64_t off = (uint64_t)((const uint8_t *)arena - (const uint8_t *)core->seg.base);

	if (off >= MF_SEG_BULK_OFFSET)
		return (unsigned int)((off - MF_SEG_BULK_OFFSET) / MF_BULK_SLOT_SIZE / MF_BULK_SLOTS);
	return (unsigned int)((off - MF_SEG_ARENA_OFFSET) / MF_ARENA_SLOT_SIZE / MF_RING_SIZE);
}

void *
mf_core_arena_slot(const struct mf_core *core, unsigned int client, uint32_t slot)
{
	return (uint8_t *)core->seg.base + MF_SEG_ARENA_OFFSET +
	       ((uint64_t)client * MF_RING_SIZE + (slot & MF_RING_MASK)) * MF_ARENA_SLOT_SIZE;
}

static void *
core_bulk_slot(const struct mf_core *core, unsigned int client, unsigned int slot)
{
	return (uint8_t *)core->seg.base + MF_SEG_BULK_OFFSET +
	       ((uint64_t)client * MF_BULK_SLOTS + slot) * MF_BULK_SLOT_SIZE;
}

int
mf_op_reason(struct mf_completion *cpl, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cpl->reason, sizeof(cpl->reason), fmt, ap);
	va_end(ap);
	return status;
}

/* "port 7 does not exist; ports are 0..1" */
static int
bad_port(const struct mf_core *core, struct mf_completion *cpl, uint16_t port, bool all_ok)
{
	if (core->n_ports == 0)
		return mf_op_reason(cpl, -ENODEV, "port %u does not exist; this core has no ports",
			      port);
	if (port == MF_PORT_ALL)
		return mf_op_reason(cpl, -EINVAL, "this op takes one port, not MF_PORT_ALL; ports are "
			      "0..%u", core->n_ports - 1);
	return mf_op_reason(cpl, -ENODEV, "port %u does not exist; ports are 0..%u%s", port,
		      core->n_ports - 1, all_ok ? " or 0xffff for all" : "");
}

static int
op_nop(struct mf_core *core __rte_unused, const struct mf_request *req __rte_unused,
       void *arena __rte_unused, struct mf_completion *cpl __rte_unused)
{
	return 0;
}

static int
op_version(struct mf_core *core, const struct mf_request *req __rte_unused, void *arena,
	   struct mf_completion *cpl)
{
	struct mf_version_info v;

	memset(&v, 0, sizeof(v));
	v.abi_major = MF_ABI_MAJOR;
	v.abi_minor = MF_ABI_MINOR;
	v.core_pid = (uint32_t)getpid();
	snprintf(v.core_version, sizeof(v.core_version), "%s", MF_VERSION);
	snprintf(v.dpdk_version, sizeof(v.dpdk_version), "%s", rte_version());
	snprintf(v.name, sizeof(v.name), "%s", core->cfg.name);
	v.start_ns = core->seg.hdr->start_ns;
	v.n_ports = (uint16_t)core->n_ports;
	v.n_workers = (uint16_t)core->n_workers;
	v.hugepages = core->hugepages;
	memcpy(arena, &v, sizeof(v));
	cpl->out_len = sizeof(v);
	return 0;
}

static int
op_port_list(struct mf_core *core, const struct mf_request *req __rte_unused, void *arena,
	     struct mf_completion *cpl)
{
	uint32_t count = core->n_ports, i;
	struct mf_port_info pi;

	memcpy(arena, &count, sizeof(count));
	for (i = 0; i < count; i++) {
		mf_port_info_fill(core, i, &pi);
		memcpy((uint8_t *)arena + sizeof(count) + i * sizeof(pi), &pi, sizeof(pi));
	}
	cpl->out_len = (uint32_t)(sizeof(count) + count * sizeof(pi));
	return 0;
}

static int
op_port_info(struct mf_core *core, const struct mf_request *req, void *arena,
	     struct mf_completion *cpl)
{
	struct mf_port_arg a;
	struct mf_port_info pi;

	memcpy(&a, req->args, sizeof(a));
	if (a.port >= core->n_ports)
		return bad_port(core, cpl, a.port, false);
	mf_port_info_fill(core, a.port, &pi);
	memcpy(arena, &pi, sizeof(pi));
	cpl->out_len = sizeof(pi);
	return 0;
}

static int
op_stats_sync(struct mf_core *core, const struct mf_request *req __rte_unused,
	      void *arena __rte_unused, struct mf_completion *cpl __rte_unused)
{
	mf_stats_fold(core);
	return 0;
}

static int
op_stats_clear(struct mf_core *core, const struct mf_request *req, void *arena __rte_unused,
	       struct mf_completion *cpl)
{
	struct mf_port_arg a;

	memcpy(&a, req->args, sizeof(a));
	if (a.port != MF_PORT_ALL && a.port >= core->n_ports)
		return bad_port(core, cpl, a.port, true);
	mf_stats_clear(core, a.port);
	return 0;
}

static void
fwd_apply(struct mf_core *core, uint16_t port, const struct mf_fwd_arg *a)
{
	struct mf_port_conf *pc = &core->cfg.port[port];

	pc->mode = a->mode;
	if (a->peer != MF_PORT_KEEP)
		pc->peer = a->peer; /* a port, or MF_PORT_NONE: no peer */
	if (a->has_mac) {
		memcpy(pc->peer_mac, a->peer_mac, 6);
		pc->mac_explicit = true;
	} else if (!pc->mac_explicit) {
		mf_mac_default(pc->peer, pc->peer_mac); /* the default follows the peer */
	}
	mf_fwd_publish(port, pc->mode, pc->peer, pc->peer_mac);
}

static int
op_fwd_set(struct mf_core *core, const struct mf_request *req, void *arena __rte_unused,
	   struct mf_completion *cpl)
{
	struct mf_fwd_arg a;
	unsigned int p;

	memcpy(&a, req->args, sizeof(a));
	if (a.port != MF_PORT_ALL && a.port >= core->n_ports)
		return bad_port(core, cpl, a.port, true);
	if (a.mode >= MF_FWD_MAX)
		return mf_op_reason(cpl, -EINVAL, "mode %u is not a forward mode; modes are 0..%u "
			      "(io, mac, stack, drop)", a.mode, MF_FWD_MAX - 1);
	if (a.peer != MF_PORT_KEEP && a.peer != MF_PORT_NONE && a.peer >= core->n_ports)
		return mf_op_reason(cpl, -ENODEV, "peer %u does not exist; peers are 0..%u, 0xfffe "
			      "(MF_PORT_KEEP) to keep the current peer, or 0xffff (MF_PORT_NONE) for "
			      "none", a.peer, core->n_ports - 1);
	if (a.has_mac > 1)
		return mf_op_reason(cpl, -EINVAL, "has_mac is %u; it must be 0 or 1", a.has_mac);
	for (p = 0; p < core->n_ports; p++)
		if (a.port == MF_PORT_ALL || a.port == p)
			fwd_apply(core, (uint16_t)p, &a);
	return 0;
}

static int
op_shutdown(struct mf_core *core __rte_unused, const struct mf_request *req __rte_unused,
	    void *arena __rte_unused, struct mf_completion *cpl __rte_unused)
{
	/* The completion goes out with this pass; the main loop then stops as on SIGTERM. */
	mf_force_quit = true;
	return 0;
}

static const struct mf_op_desc base_ops[] = {
	{ MF_OP_NOP, "NOP", op_nop, false },
	{ MF_OP_VERSION, "VERSION", op_version, false },
	{ MF_OP_PORT_LIST, "PORT_LIST", op_port_list, false },
	{ MF_OP_PORT_INFO, "PORT_INFO", op_port_info, false },
	{ MF_OP_STATS_SYNC, "STATS_SYNC", op_stats_sync, false },
	{ MF_OP_STATS_CLEAR, "STATS_CLEAR", op_stats_clear, false },
	{ MF_OP_FWD_SET, "FWD_SET", op_fwd_set, false },
	{ MF_OP_SHUTDOWN, "SHUTDOWN", op_shutdown, false },
};
MF_OPS_REGISTER(base_ops)

/* Filled before main() by every family's MF_OPS_REGISTER. */
static struct mf_op_desc ops[MF_OP_TABLE_SIZE];

void
mf_ops_register(const struct mf_op_desc *descs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		/* Two families claiming one number is a build mistake: fail loudly at start. */
		if (descs[i].op >= MF_OP_TABLE_SIZE || ops[descs[i].op].handler != NULL) {
			fprintf(stderr, "manifold-core: op %u (%s) is out of range or taken\n",
				descs[i].op, descs[i].name);
			abort();
		}
		ops[descs[i].op] = descs[i];
	}
}

/* A request whose input is in one of its client's bulk slots: the handler reads the input
 * there and writes its reply there too, copied on to the arena slot the client reads. */
static int
bulk_dispatch(struct mf_core *core, const struct mf_request *req, void *arena,
	      struct mf_completion *cpl)
{
	const unsigned int slot = MF_REQ_BULK_SLOT(req->flags);
	void *bulk;
	int rc;

	if ((req->flags & 0xff) != MF_REQ_BULK)
		return mf_op_reason(cpl, -EINVAL, "flags 0x%x: the only flag is BULK (0x1, with the "
				    "bulk slot in the high byte)", req->flags);
	if (ops[req->op].takes_input != MF_OP_IN_BULK)
		return mf_op_reason(cpl, -EINVAL, "%s takes no bulk input; send it without the BULK "
				    "flag", ops[req->op].name);
	if (slot >= MF_BULK_SLOTS)
		return mf_op_reason(cpl, -EINVAL, "bulk slot %u does not exist; a client has %u "
				    "(0..%u)", slot, MF_BULK_SLOTS, MF_BULK_SLOTS - 1);
	if (req->in_len > MF_BULK_SLOT_SIZE)
		return mf_op_reason(cpl, -EINVAL, "in_len %u is more than a bulk slot holds (%u "
				    "bytes)", req->in_len, MF_BULK_SLOT_SIZE);
	bulk = core_bulk_slot(core, mf_op_client(core, arena), slot);
	rc = ops[req->op].handler(core, req, bulk, cpl);
	if (rc == 0 && cpl->out_len != 0)
		memcpy(arena, bulk, RTE_MIN(cpl->out_len, MF_ARENA_SLOT_SIZE));
	return rc;
}

int
mf_control_dispatch(struct mf_core *core, const struct mf_request *req, void *arena,
		    struct mf_completion *cpl, bool stopping)
{
	memset(cpl, 0, sizeof(*cpl));
	cpl->ctx = req->ctx;
	cpl->op = req->op;
	if (stopping)
		cpl->status = mf_op_reason(cpl, -ESHUTDOWN, "the core is stopping; start it again to "
				     "send requests");
	else if (req->op >= MF_OP_TABLE_SIZE || ops[req->op].handler == NULL)
		cpl->status = mf_op_reason(cpl, -EOPNOTSUPP, "unknown op %u; this core does not "
				     "serve it (a client newer than the core?)", req->op);
	else if (req->flags != 0)
		cpl->status = bulk_dispatch(core, req, arena, cpl);
	else if (req->in_len != 0 && !ops[req->op].takes_input)
		cpl->status = mf_op_reason(cpl, -EINVAL, "in_len must be 0; %s takes no arena input, "
				     "got %u bytes", ops[req->op].name, req->in_len);
	else if (req->in_len > MF_ARENA_SLOT_SIZE)
		cpl->status = mf_op_reason(cpl, -EINVAL, "in_len %u is more than an arena slot holds "
				     "(%u bytes)", req->in_len, MF_ARENA_SLOT_SIZE);
	else
		cpl->status = ops[req->op].handler(core, req, arena, cpl);
	if (cpl->status == 0)
		snprintf(cpl->reason, sizeof(cpl->reason), "ok");
	return cpl->status;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Diagnostic control ops (include/manifold_abi_diag.h): xstats, start/stop, capture. One
 * handler per op, registered as a family with MF_OPS_REGISTER.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "control_ops.h"
#include "diag.h"

static int
no_port(const struct mf_core *core, struct mf_completion *cpl, uint16_t port)
{
	if (core->n_ports == 0)
		return mf_op_reason(cpl, -ENODEV, "port %u does not exist; this core has no ports",
				    port);
	return mf_op_reason(cpl, -ENODEV, "port %u does not exist; ports are 0..%u", port,
			    core->n_ports - 1);
}

static int
op_xstats(struct mf_core *core, const struct mf_request *req, void *arena,
	  struct mf_completion *cpl)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	struct mf_xstats_hdr hdr;
	struct mf_xstats_arg a;
	struct mf_xstat *out;
	uint16_t dpdk;
	int total, i, rc = 0;

	memcpy(&a, req->args, sizeof(a));
	if (a.port >= core->n_ports)
		return no_port(core, cpl, a.port);
	dpdk = core->port[a.port].dpdk_id;
	total = rte_eth_xstats_get_names(dpdk, NULL, 0);
	if (total < 0)
		return mf_op_reason(cpl, total, "port %u: rte_eth_xstats_get_names failed: %s",
				    a.port, strerror(-total));
	memset(&hdr, 0, sizeof(hdr));
	hdr.total = (uint32_t)total;
	hdr.start = a.start;
	if (total > 0) {
		names = calloc((size_t)total, sizeof(*names));
		vals = calloc((size_t)total, sizeof(*vals));
		if (names == NULL || vals == NULL) {
			rc = mf_op_reason(cpl, -ENOMEM, "no memory for %d xstats", total);
			goto out;
		}
		if (rte_eth_xstats_get_names(dpdk, names, (unsigned int)total) != total ||
		    rte_eth_xstats_get(dpdk, vals, (unsigned int)total) != total) {
			rc = mf_op_reason(cpl, -EAGAIN, "port %u: the xstats changed while read; "
					  "ask again", a.port);
			goto out;
		}
	}
	out = (struct mf_xstat *)((uint8_t *)arena + sizeof(hdr));
	for (i = (int)a.start; i < total && hdr.count < MF_XSTATS_PER_REPLY; i++) {
		memset(&out[hdr.count], 0, sizeof(out[0]));
		snprintf(out[hdr.count].name, sizeof(out[0].name), "%s", names[vals[i].id].name);
		out[hdr.count].value = vals[i].value;
		hdr.count++;
	}
	memcpy(arena, &hdr, sizeof(hdr));
	cpl->out_len = (uint32_t)(sizeof(hdr) + hdr.count * sizeof(struct mf_xstat));
out:
	free(names);
	free(vals);
	return rc;
}

static int
op_fwd_run(struct mf_core *core __rte_unused, const struct mf_request *req, void *arena,
	   struct mf_completion *cpl)
{
	struct mf_fwd_run_info info;
	struct mf_fwd_run_arg a;

	memcpy(&a, req->args, sizeof(a));
	if (mf_diag_fwd_run(a.run, &info) < 0)
		return mf_op_reason(cpl, -EINVAL, "run is %u; it must be 0 (stop), 1 (start) or 2 "
				    "(query)", a.run);
	memcpy(arena, &info, sizeof(info));
	cpl->out_len = sizeof(info);
	return 0;
}

static int
op_capture_arm(struct mf_core *core, const struct mf_request *req, void *arena,
	       struct mf_completion *cpl)
{
	struct mf_capture_info info;
	struct mf_capture_arg a;

	memcpy(&a, req->args, sizeof(a));
	if (a.count > 0 && a.port >= core->n_ports)
		return no_port(core, cpl, a.port);
	if (a.count > MF_CAPTURE_COUNT_MAX)
		return mf_op_reason(cpl, -EINVAL, "count %u is too many; capture 1..%u packets at "
				    "a time (0 cancels)", a.count, MF_CAPTURE_COUNT_MAX);
	if (a.snaplen > MF_CAPTURE_SNAPLEN_MAX)
		return mf_op_reason(cpl, -EINVAL, "snaplen %u is more than %u; 0 means %u",
				    a.snaplen, MF_CAPTURE_SNAPLEN_MAX, MF_CAPTURE_SNAPLEN_MAX);
	mf_diag_capture_arm(a.port, a.count, a.snaplen ? a.snaplen : MF_CAPTURE_SNAPLEN_MAX,
			    &info);
	memcpy(arena, &info, sizeof(info));
	cpl->out_len = sizeof(info);
	return 0;
}

static int
op_capture_fetch(struct mf_core *core __rte_unused, const struct mf_request *req, void *arena,
		 struct mf_completion *cpl)
{
	struct mf_capture_fetch_arg a;
	struct mf_capture_info info;

	memcpy(&a, req->args, sizeof(a));
	mf_diag_capture_fetch(a.offset, (uint8_t *)arena + sizeof(info),
			      MF_ARENA_SLOT_SIZE - sizeof(info), &info);
	memcpy(arena, &info, sizeof(info));
	cpl->out_len = (uint32_t)(sizeof(info) + info.chunk_len);
	return 0;
}

static int
op_trace_arm(struct mf_core *core, const struct mf_request *req, void *arena,
	     struct mf_completion *cpl)
{
	struct mf_trace_info info;
	struct mf_trace_arg a;

	memcpy(&a, req->args, sizeof(a));
	if (a.count > 0 && a.port != MF_TRACE_ANY_PORT && a.port >= core->n_ports)
		return no_port(core, cpl, a.port);
	if (a.count > MF_TRACE_COUNT_MAX)
		return mf_op_reason(cpl, -EINVAL, "count %u is too many; trace 1..%u packets at a "
				    "time (0 stops)", a.count, MF_TRACE_COUNT_MAX);
	if (mf_diag_trace_arm(a.port, a.count, &info) < 0)
		return mf_op_reason(cpl, -EBUSY, "a worker did not leave its traced burst; try "
				    "again");
	memcpy(arena, &info, sizeof(info));
	cpl->out_len = sizeof(info);
	return 0;
}

static int
op_trace_fetch(struct mf_core *core __rte_unused, const struct mf_request *req, void *arena,
	       struct mf_completion *cpl)
{
	struct mf_trace_fetch_arg a;
	struct mf_trace_info info;
	uint32_t n;

	memcpy(&a, req->args, sizeof(a));
	n = mf_diag_trace_fetch(a.first, (struct mf_trace_rec *)((uint8_t *)arena + sizeof(info)),
				MF_TRACE_PER_REPLY, &info);
	memcpy(arena, &info, sizeof(info));
	cpl->out_len = (uint32_t)(sizeof(info) + n * sizeof(struct mf_trace_rec));
	return 0;
}

static const struct mf_op_desc diag_ops[] = {
	{ MF_OP_XSTATS, "XSTATS", op_xstats, false },
	{ MF_OP_FWD_RUN, "FWD_RUN", op_fwd_run, false },
	{ MF_OP_CAPTURE_ARM, "CAPTURE_ARM", op_capture_arm, false },
	{ MF_OP_CAPTURE_FETCH, "CAPTURE_FETCH", op_capture_fetch, false },
	{ MF_OP_TRACE_ARM, "TRACE_ARM", op_trace_arm, false },
	{ MF_OP_TRACE_FETCH, "TRACE_FETCH", op_trace_fetch, false },
};
MF_OPS_REGISTER(diag_ops)

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * MF_OP_SEND_* handlers (manifold_abi_send.h), on the control lcore:
 *   SUBMIT    open (batch 0) / append / commit a batch, one chunk per request
 *   REAP      reports of finished batches of the calling client, freeing their slots
 *   ABORT     drop what has not left of a batch (an open batch is discarded)
 *   LATENESS  the per-lcore lateness histograms and their sum
 * A request's client is its arena slot's (mf_op_client): a client sees and
 * touches only its own batches.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "../control_ops.h"
#include "send_priv.h"

static int
own_batch(uint32_t id, unsigned int client, struct mf_completion *cpl,
	  struct mf_send_batch **out)
{
	struct mf_send_batch *b = mf_send_batch_find(id);

	if (b == NULL || b->state == MF_BATCH_ORPHAN)
		return mf_op_reason(cpl, -ENOENT, "batch %u does not exist (reaped, discarded by an "
				    "error, never opened); open one with batch 0", id);
	if (b->client != client)
		return mf_op_reason(cpl, -EPERM, "batch %u belongs to another client", id);
	*out = b;
	return 0;
}

static int
op_send_submit(struct mf_core *core, const struct mf_request *req, void *arena,
	       struct mf_completion *cpl)
{
	unsigned int client = mf_op_client(core, arena);
	struct mf_send_batch *b = NULL;
	struct mf_send_reply rep;
	struct mf_send_arg a;
	uint32_t skipped = 0;
	bool opened = false;
	int rc;

	memcpy(&a, req->args, sizeof(a));
	if (mf_snd.n_workers == 0)
		return mf_op_reason(cpl, -ENODEV, "no worker transmits: the core has no port");
	if (a.batch == 0) {
		b = mf_send_batch_open(client, &a, cpl, &rc);
		if (b == NULL)
			return rc;
		opened = true;
	} else {
		rc = own_batch(a.batch, client, cpl, &b);
		if (rc != 0)
			return rc;
		if (b->state != MF_BATCH_OPEN)
			return mf_op_reason(cpl, -EINVAL, "batch %u is committed already; open a new "
					    "one (batch 0)", a.batch);
		if (a.flags & ~MF_SEND_COMMIT)
			return mf_op_reason(cpl, -EINVAL, "flags 0x%x: a later chunk takes only COMMIT "
					    "(0x1); settings belong to the opening chunk", a.flags);
	}
	if (req->in_len != 0) {
		uint64_t t0 = rte_rdtsc(), n0 = b->n_msgs;

		b->last_chunk_tsc = rte_rdtsc();
		rc = mf_send_chunk_take(b, arena, req->in_len, cpl, &skipped);
		if (rc == 0 && b->n_msgs - n0 >= 64)
			mf_send_cost_add(&mf_snd.submit_cost, rte_rdtsc() - t0, b->n_msgs - n0,
					 mf_snd.tsc_hz);
		if (rc == -ENOBUFS) {
			/* the batch is as before this chunk: the caller may wait and resend it */
			if (opened)
				mf_send_batch_free(b);
			return rc;
		}
		if (rc != 0) {
			mf_send_batch_free(b); /* nothing of a rejected batch is sent */
			return rc;
		}
	}
	if (a.flags & MF_SEND_COMMIT) {
		rc = mf_send_batch_commit(b, cpl);
		if (rc == -ENOBUFS) {
			if (opened)
				mf_send_batch_free(b);
			return rc;
		}
		if (rc != 0) {
			mf_send_batch_free(b);
			return rc;
		}
	}
	memset(&rep, 0, sizeof(rep));
	rep.batch = b->id;
	rep.n_msgs = b->n_msgs;
	rep.n_dests = b->n_dests;
	rep.skipped = skipped;
	memcpy(arena, &rep, sizeof(rep));
	cpl->out_len = sizeof(rep);
	return 0;
}

static int
op_send_reap(struct mf_core *core, const struct mf_request *req, void *arena,
	     struct mf_completion *cpl)
{
	unsigned int client = mf_op_client(core, arena), i;
	struct mf_send_reap_hdr hdr = { 0, 0 };
	struct mf_send_reap_arg a;
	uint8_t *out = arena;
	uint32_t off = sizeof(hdr), k, max;

	memcpy(&a, req->args, sizeof(a));
	max = a.max == 0 ? UINT32_MAX : a.max;
	if (a.batch != 0) {
		struct mf_send_batch *b;
		int rc = own_batch(a.batch, client, cpl, &b);

		if (rc != 0)
			return rc;
	}
	for (i = 0; i < MF_SEND_MAX_BATCHES; i++) {
		struct mf_send_batch *b = &mf_snd.batch[i];

		if (b->state == MF_BATCH_FREE || b->state == MF_BATCH_ORPHAN || b->client != client)
			continue;
		if (a.batch != 0 && b->id != a.batch)
			continue;
		if (hdr.count < max && mf_send_batch_done(b)) {
			k = mf_send_batch_report(b, out + off, MF_ARENA_SLOT_SIZE - off);
			if (k != 0) {
				off += k;
				hdr.count++;
				mf_send_batch_free(b);
				continue;
			}
		}
		hdr.pending++;
	}
	memcpy(out, &hdr, sizeof(hdr));
	cpl->out_len = off;
	return 0;
}

static int
op_send_abort(struct mf_core *core, const struct mf_request *req, void *arena,
	      struct mf_completion *cpl)
{
	struct mf_send_reap_arg a;
	struct mf_send_batch *b = NULL;
	int rc;

	memcpy(&a, req->args, sizeof(a));
	rc = own_batch(a.batch, mf_op_client(core, arena), cpl, &b);
	if (rc != 0)
		return rc;
	if (b->state == MF_BATCH_OPEN)
		mf_send_batch_free(b); /* nothing of it was sent, nothing to report */
	else if (!mf_send_batch_done(b))
		mf_send_batch_abort(b); /* its report says what left and what was aborted */
	return 0;
}

static int
op_send_lateness(struct mf_core *core, const struct mf_request *req, void *arena,
		 struct mf_completion *cpl)
{
	struct mf_lateness_hdr hdr = { 0, 0 };
	struct mf_lateness l, sum;
	uint8_t *out = arena;
	uint32_t off = sizeof(hdr);
	unsigned int j;

	RTE_SET_USED(core);
	RTE_SET_USED(req);
	memset(&sum, 0, sizeof(sum));
	sum.lcore_id = RTE_MAX_LCORE;
	for (j = 0; j < mf_snd.n_workers; j++) {
		memset(&l, 0, sizeof(l));
		l.lcore_id = mf_snd.wk[j]->lat.lcore_id;
		mf_lat_merge(&l, &mf_snd.wk[j]->lat);
		mf_lat_merge(&sum, &l);
		memcpy(out + off, &l, sizeof(l));
		off += sizeof(l);
		hdr.count++;
	}
	memcpy(out + off, &sum, sizeof(sum));
	off += sizeof(sum);
	hdr.count++;
	memcpy(out, &hdr, sizeof(hdr));
	cpl->out_len = off;
	return 0;
}

static const struct mf_op_desc send_ops[] = {
	{ MF_OP_SEND_SUBMIT, "SEND_SUBMIT", op_send_submit, MF_OP_IN_BULK },
	{ MF_OP_SEND_REAP, "SEND_REAP", op_send_reap, false },
	{ MF_OP_SEND_ABORT, "SEND_ABORT", op_send_abort, false },
	{ MF_OP_SEND_LATENESS, "SEND_LATENESS", op_send_lateness, false },
};
MF_OPS_REGISTER(send_ops)

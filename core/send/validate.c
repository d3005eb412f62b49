/* SPDX-License-Identifier: BSD-3-Clause
 *
 * One SUBMIT chunk into an open batch: every byte checked before it is trusted, every error a
 * reason that names the message (counted from the batch's first) and the field. The chunk is
 * taken in one pass: a hard error discards the whole batch anyway (the caller frees it), so
 * only a resource shortage needs an undo, and that restores the counters it saved.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../control_ops.h"
#include "../stack/stack.h"
#include "send_priv.h"

#define DST_GROW 64u

static void
ip_str(uint32_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static int
dest_check(const struct mf_send_dest *d, uint32_t idx, struct mf_completion *cpl)
{
	uint16_t port;
	uint32_t nh;
	char ipb[20];

	ip_str(d->ip, ipb, sizeof(ipb));
	if (d->ip == 0 || d->ip == 0xffffffffu)
		return mf_op_reason(cpl, -EINVAL, "dest %u: ip %s cannot be sent to; give a unicast "
				    "address", idx, ipb);
	if (d->udp_port == 0)
		return mf_op_reason(cpl, -EINVAL, "dest %u: udp_port 0; give 1..65535", idx);
	if (d->kind != MF_SEND_DEST_ADDR && d->kind != MF_SEND_DEST_POLICY)
		return mf_op_reason(cpl, -EINVAL, "dest %u: kind %u is unknown; use 0 (address) or 1 "
				    "(policy)", idx, d->kind);
	if (d->has_mac > 1)
		return mf_op_reason(cpl, -EINVAL, "dest %u: has_mac %u; use 0 or 1", idx,
				    d->has_mac);
	if (d->kind == MF_SEND_DEST_POLICY) {
		if (memchr(d->policy, '\0', sizeof(d->policy)) == NULL || d->policy[0] == '\0')
			return mf_op_reason(cpl, -EINVAL, "dest %u: policy must be a NUL-terminated id "
					    "of 1..%zu characters", idx, sizeof(d->policy) - 1);
		if (!mf_send_policy_exists(d->policy))
			return mf_op_reason(cpl, -ENOENT, "dest %u: no policy '%s' is installed; add "
					    "it first (manifold policy list shows them)", idx,
					    d->policy);
	}
	if (mf_stack_route(d->ip, &port, &nh) != 0)
		return mf_op_reason(cpl, -ENETUNREACH, "dest %u: no route to %s; give a port an "
				    "address on its network, or a gateway",
				    idx, ipb);
	return 0;
}

static int
dests_take(struct mf_send_batch *b, const uint8_t *in, uint32_t n, struct mf_completion *cpl)
{
	uint32_t i;

	if (b->n_dests + n > MF_SEND_MAX_DESTS)
		return mf_op_reason(cpl, -EINVAL, "the batch would have %u destinations; at most %d",
				    b->n_dests + n, MF_SEND_MAX_DESTS);
	if (b->n_dests + n > b->dst_cap) {
		uint32_t cap = RTE_MIN(RTE_ALIGN_CEIL(b->n_dests + n, DST_GROW),
				       (uint32_t)MF_SEND_MAX_DESTS);
		struct mf_send_dst *nd = realloc(b->dsts, cap * sizeof(*nd));

		if (nd == NULL)
			return mf_op_reason(cpl, -ENOBUFS, "no memory for %u destinations; wait for "
					    "batches to finish", cap);
		b->dsts = nd;
		b->dst_cap = cap;
	}
	for (i = 0; i < n; i++) {
		struct mf_send_dst *d = &b->dsts[b->n_dests + i];
		int rc;

		memset(d, 0, sizeof(*d));
		memcpy(&d->wire, in + i * sizeof(d->wire), sizeof(d->wire));
		rc = dest_check(&d->wire, b->n_dests + i, cpl);
		if (rc != 0)
			return rc;
	}
	b->n_dests += n;
	return 0;
}

/* The frame rules: a frame's messages are adjacent, its type constant, the last ends it. */
static int
frame_check(struct mf_send_batch *b, const struct mf_send_msg *m, uint32_t idx,
	    struct mf_completion *cpl, bool *new_frame)
{
	const struct mf_send_frame *cur = b->n_frames ? &b->frames[b->n_frames - 1] : NULL;

	if (m->frame_type < MF_FRAME_I || m->frame_type > MF_FRAME_B)
		return mf_op_reason(cpl, -EINVAL, "message %u: frame_type %u; a frame is 1 (I), 2 "
				    "(P) or 3 (B)", idx, m->frame_type);
	if (b->frame_open) {
		if (m->frame != cur->id)
			return mf_op_reason(cpl, -EINVAL, "message %u: frame %u starts before frame "
					    "%u ended (FRAME_END on its last message)", idx,
					    m->frame, cur->id);
		if (m->frame_type != cur->type)
			return mf_op_reason(cpl, -EINVAL, "message %u: frame %u changes type %u -> %u; "
					    "a frame has one type", idx,
					    m->frame, cur->type, m->frame_type);
		*new_frame = false;
		return 0;
	}
	if (cur != NULL && m->frame == cur->id)
		return mf_op_reason(cpl, -EINVAL, "message %u: frame %u already ended (FRAME_END); "
				    "give the next frame a new id",
				    idx, m->frame);
	if (b->n_frames == MF_SEND_MAX_FRAMES)
		return mf_op_reason(cpl, -EINVAL, "message %u: frame %u is one too many; at most "
				    "%d frames per batch", idx, m->frame, MF_SEND_MAX_FRAMES);
	*new_frame = true;
	return 0;
}

static int
msg_check(struct mf_send_batch *b, const struct mf_send_msg *m, uint32_t idx, uint64_t now,
	  struct mf_completion *cpl)
{
	if (m->dest >= b->n_dests) {
		if (b->n_dests == 0)
			return mf_op_reason(cpl, -EINVAL, "message %u: dest %u, but the batch has no "
					    "destinations yet; send them first",
					    idx, m->dest);
		return mf_op_reason(cpl, -EINVAL, "message %u: dest %u is past the %u destinations "
				    "of the batch; use 0..%u", idx, m->dest, b->n_dests,
				    b->n_dests - 1);
	}
	if (m->len > MF_SEND_MAX_PAYLOAD)
		return mf_op_reason(cpl, -EINVAL, "message %u: len %u is more than %u bytes", idx,
				    m->len, MF_SEND_MAX_PAYLOAD);
	if (b->dsts[m->dest].wire.kind == MF_SEND_DEST_POLICY && m->len > 1472)
		return mf_op_reason(cpl, -EINVAL, "message %u: len %u to policy dest %u; a "
				    "policy takes at most 1472 bytes", idx, m->len, m->dest);
	if (b->timing == MF_SEND_AT && !(b->flags & MF_SEND_FRAMES)) {
		uint64_t past = (uint64_t)MF_SEND_AT_PAST_S * 1000000000u;
		uint64_t far = (uint64_t)MF_SEND_AT_FUTURE_S * 1000000000u;

		if (m->time + past < now || m->time > now + far)
			return mf_op_reason(cpl, -EINVAL, "message %u: time %lu is not within -%u..+%u s "
					    "of now; use CLOCK_MONOTONIC ns", idx,
					    (unsigned long)m->time, MF_SEND_AT_PAST_S,
					    MF_SEND_AT_FUTURE_S);
	}
	if (b->timing == MF_SEND_DELAY && m->time > (uint64_t)MF_SEND_AT_FUTURE_S * 1000000000u)
		return mf_op_reason(cpl, -EINVAL, "message %u: delay %lu ns is more than %u s", idx,
				    (unsigned long)m->time, MF_SEND_AT_FUTURE_S);
	if (m->flags & ~MF_MSG_FRAME_END)
		return mf_op_reason(cpl, -EINVAL, "message %u: flags 0x%x; only FRAME_END (0x1) is "
				    "defined", idx, m->flags);
	return 0;
}

static int
store_reserve(struct mf_send_batch *b, uint64_t more, struct mf_completion *cpl)
{
	uint64_t cap;
	uint8_t *p;

	if (b->store_len + more <= b->store_cap)
		return 0;
	cap = RTE_MAX(b->store_cap * 2, b->store_len + more);
	cap = RTE_MAX(cap, (uint64_t)65536);
	if (mf_snd.store_bytes - b->store_cap + cap > MF_SEND_STORE_MAX)
		goto full;
	p = realloc(b->store, cap);
	if (p == NULL)
		goto full;
	mf_snd.store_bytes += cap - b->store_cap;
	b->store = p;
	b->store_cap = cap;
	return 0;
full:
	return mf_op_reason(cpl, -ENOBUFS, "batch memory full (%lu of %llu bytes); wait for "
			    "batches to finish, then resend this chunk",
			    (unsigned long)mf_snd.store_bytes, MF_SEND_STORE_MAX);
}

int
mf_send_chunk_take(struct mf_send_batch *b, const uint8_t *in, uint32_t in_len,
		   struct mf_completion *cpl, uint32_t *skipped)
{
	const uint32_t n_dests0 = b->n_dests, n_msgs0 = b->n_msgs, n_frames0 = b->n_frames;
	const uint32_t skipped0 = b->skipped;
	const uint64_t store0 = b->store_len;
	const bool open0 = b->frame_open;
	struct mf_send_frame last0;
	const bool best = (b->flags & MF_SEND_BEST_EFFORT) != 0;
	struct mf_send_chunk ch;
	uint64_t now = mf_send_mono_ns();
	uint32_t off, i;
	int rc;

	memset(&last0, 0, sizeof(last0));
	if (b->n_frames != 0)
		last0 = b->frames[b->n_frames - 1];
	*skipped = 0;
	if (in_len < sizeof(ch))
		return mf_op_reason(cpl, -EINVAL, "SEND_SUBMIT input is %u bytes; it starts with an "
				    "8-byte struct mf_send_chunk", in_len);
	memcpy(&ch, in, sizeof(ch));
	off = sizeof(ch);
	if ((uint64_t)ch.n_dests * sizeof(struct mf_send_dest) > in_len - off)
		return mf_op_reason(cpl, -EINVAL, "the chunk's %u destinations run past its input "
				    "(%u bytes); fix n_dests", ch.n_dests, in_len);
	rc = dests_take(b, in + off, ch.n_dests, cpl);
	if (rc != 0)
		return rc;
	off += ch.n_dests * (uint32_t)sizeof(struct mf_send_dest);
	if (b->store_cap == 0 && ch.n_msgs != 0) {
		/* size the payload store once, from the first chunk's mix: growing it by
		 * doubling would copy it again and again */
		rc = store_reserve(b, RTE_MIN((uint64_t)(in_len - off) * b->total / ch.n_msgs,
					      (uint64_t)b->total * MF_SEND_MAX_PAYLOAD), cpl);
		if (rc != 0)
			return rc;
	}
	if ((uint64_t)b->n_msgs + b->skipped + ch.n_msgs > b->total) {
		rc = mf_op_reason(cpl, -EINVAL, "the chunk's %u messages would make %u; the batch's "
				  "opening announced total=%u", ch.n_msgs,
				  b->n_msgs + b->skipped + ch.n_msgs, b->total);
		return rc;
	}
	for (i = 0; i < ch.n_msgs; i++) {
		uint32_t idx = b->n_msgs + b->skipped;
		struct mf_send_msg m;
		struct mf_send_ent *e;
		bool new_frame = false;

		if (off + sizeof(m) > in_len)
			return mf_op_reason(cpl, -EINVAL, "message %u runs past the chunk's input (%u "
					    "bytes); fix n_msgs or the lengths", idx, in_len);
		memcpy(&m, in + off, sizeof(m));
		off += (uint32_t)sizeof(m);
		if (m.len > in_len - off)
			return mf_op_reason(cpl, -EINVAL, "message %u: its payload (len %u) runs past "
					    "the input; fix len", idx, m.len);
		rc = msg_check(b, &m, idx, now, cpl);
		if (rc == 0 && (b->flags & MF_SEND_FRAMES))
			rc = frame_check(b, &m, idx, cpl, &new_frame);
		if (rc != 0) {
			if (!best)
				return rc;
			/* skipped and counted; the reason of the last skip stays in cpl */
			b->skipped++;
			(*skipped)++;
			off += RTE_ALIGN_CEIL((uint32_t)m.len, 8u);
			continue;
		}
		rc = store_reserve(b, m.len, cpl);
		if (rc != 0)
			goto undo;
		e = &b->ents[b->n_msgs++];
		e->t = m.time;
		e->poff = (uint32_t)b->store_len;
		e->dest = m.dest;
		e->len = m.len;
		e->flags = m.flags & MF_MSG_FRAME_END;
		e->drop = 0;
		e->frame = 0;
		memcpy(b->store + b->store_len, in + off, m.len);
		b->store_len += m.len;
		if (b->flags & MF_SEND_FRAMES) {
			struct mf_send_frame *f;

			if (new_frame) {
				f = &b->frames[b->n_frames++];
				memset(f, 0, sizeof(*f));
				f->id = m.frame;
				f->type = m.frame_type;
				f->first = b->n_msgs - 1;
			}
			f = &b->frames[b->n_frames - 1];
			f->n++;
			e->frame = (uint16_t)(b->n_frames - 1);
			b->frame_open = !(m.flags & MF_MSG_FRAME_END);
		}
		off += RTE_ALIGN_CEIL((uint32_t)m.len, 8u);
	}
	if (*skipped == 0)
		cpl->reason[0] = '\0';
	return 0;
undo:
	b->n_dests = n_dests0;
	b->n_msgs = n_msgs0;
	b->n_frames = n_frames0;
	b->skipped = skipped0;
	b->store_len = store0;
	b->frame_open = open0;
	if (n_frames0 != 0)
		b->frames[n_frames0 - 1] = last0;
	*skipped = 0;
	return rc;
}

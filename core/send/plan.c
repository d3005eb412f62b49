/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The planner: see plan.h.
 */
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

#define DROP(r) ((uint8_t)(1 + MF_SEND_DROP_##r))

/* Order by departure, then batch index: stable. */
static int
by_departure(const void *a, const void *b, void *arg)
{
	const struct mf_send_ent *e = arg;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;

	if (e[i].t != e[j].t)
		return e[i].t < e[j].t ? -1 : 1;
	return i < j ? -1 : (i > j);
}

/* SEQ: order by sequence number (kept in t before planning), then batch index. */
static int
by_seq(const void *a, const void *b, void *arg)
{
	return by_departure(a, b, arg);
}

/* How many frames of `type` to drop, latest first, to bring `excess` down. */
static void
drop_frames_of(struct mf_send_frame *frames, uint32_t n_frames, uint8_t type,
	       uint32_t *excess, struct mf_plan_out *out)
{
	uint32_t k;

	for (k = n_frames; k > 0 && *excess > 0; k--) {
		struct mf_send_frame *f = &frames[k - 1];

		if (f->type != type || f->state == MF_FST_DROPPED)
			continue;
		f->state = MF_FST_DROPPED;
		out->frames_dropped++;
		(*excess)--;
	}
}

static void
plan_frames(const struct mf_plan_cfg *cfg, uint64_t base, struct mf_send_ent *ents,
	    struct mf_send_frame *frames, uint32_t n_frames, struct mf_plan_out *out)
{
	uint64_t F = cfg->interval_ns, slots = UINT64_MAX;
	uint32_t excess = 0, f, j, k = 0;

	if (cfg->end_ns != 0)
		slots = cfg->end_ns > base ? (cfg->end_ns - base) / F : 0;
	if (n_frames > slots)
		excess = (uint32_t)(n_frames - slots);
	/* least important first; I frames only when nothing else is left */
	drop_frames_of(frames, n_frames, MF_FRAME_B, &excess, out);
	drop_frames_of(frames, n_frames, MF_FRAME_P, &excess, out);
	drop_frames_of(frames, n_frames, MF_FRAME_I, &excess, out);
	for (f = 0; f < n_frames; f++) {
		struct mf_send_frame *fr = &frames[f];

		for (j = 0; j < fr->n; j++) {
			struct mf_send_ent *e = &ents[fr->first + j];

			if (fr->state == MF_FST_DROPPED) {
				e->t = base + (uint64_t)k * F; /* keeps the order ascending */
				e->drop = DROP(FRAME);
				out->dropped_frame++;
				continue;
			}
			e->t = base + (uint64_t)k * F + (uint64_t)j * F / fr->n;
		}
		if (fr->state != MF_FST_DROPPED)
			k++;
	}
}

int
mf_plan(const struct mf_plan_cfg *cfg, struct mf_send_ent *ents, uint32_t n,
	struct mf_send_frame *frames, uint32_t n_frames, uint32_t *order,
	struct mf_plan_out *out)
{
	uint64_t base = cfg->start_ns != 0 ? cfg->start_ns : cfg->now_ns;
	uint32_t i;

	memset(out, 0, sizeof(*out));
	if (cfg->frames) {
		plan_frames(cfg, base, ents, frames, n_frames, out);
	} else {
		switch (cfg->timing) {
		case MF_SEND_ASAP:
			for (i = 0; i < n; i++)
				ents[i].t = base;
			break;
		case MF_SEND_AT:
			break;
		case MF_SEND_DELAY:
			for (i = 0; i < n; i++)
				ents[i].t = base + ents[i].t;
			break;
		case MF_SEND_SEQ:
			for (i = 0; i < n; i++)
				order[i] = i;
			qsort_r(order, n, sizeof(*order), by_seq, ents);
			for (i = 0; i < n; i++)
				ents[order[i]].t = base + (uint64_t)i * cfg->interval_ns;
			out->sorted = false;
			goto deadline; /* order[] is the departure order already */
		case MF_SEND_WINDOW: {
			/* a commit after the window's end: everything at base, then dropped */
			uint64_t span = cfg->end_ns > base ? cfg->end_ns - base : 0;

			for (i = 0; i < n; i++)
				ents[i].t = base + (uint64_t)((unsigned __int128)span * i / n);
			break;
		}
		default:
			return -EINVAL;
		}
	}
	out->sorted = true;
	for (i = 1; i < n; i++) {
		if (ents[i].t < ents[i - 1].t) {
			out->sorted = false;
			break;
		}
	}
	if (!out->sorted) {
		for (i = 0; i < n; i++)
			order[i] = i;
		qsort_r(order, n, sizeof(*order), by_departure, ents);
	}
deadline:
	if (cfg->end_ns != 0) {
		for (i = 0; i < n; i++) {
			if (ents[i].drop == 0 && ents[i].t > cfg->end_ns) {
				ents[i].drop = DROP(DEADLINE);
				out->dropped_deadline++;
			}
		}
	}
	return 0;
}

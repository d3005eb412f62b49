/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The planner (DPDK-free, unit tested): at a batch's commit, each message gets its departure
 * time (CLOCK_MONOTONIC ns) from the batch's timing, and frames that cannot meet the batch's
 * deadline are dropped whole, least important first.
 *
 *   ASAP    every message at `base` (start_ns, or the commit), in order, as fast as the port
 *           takes them; not measured for lateness
 *   AT      msg.time
 *   DELAY   base + msg.time
 *   SEQ     the k-th in sequence-number order (ties: batch order) at base + k * interval
 *   WINDOW  the i-th of n at start + i * (end - start) / n
 *   FRAMES  (ASAP or WINDOW) frame k of those kept occupies [base + k F, base + (k+1) F),
 *           F = interval; its m packets at base + k F + j F / m. When end_ns leaves room
 *           for fewer frames than the batch has, frames are dropped whole: B frames first,
 *           then P, then I, the latest of each type first.
 *
 * Whatever would leave after end_ns (when set) is dropped with MF_SEND_DROP_DEADLINE.
 */
#ifndef MF_SEND_PLAN_H
#define MF_SEND_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "manifold_abi.h"

/* A message as the batch keeps it (compact; its payload is in the batch's byte store). */
struct mf_send_ent {
	uint64_t t;        /* in: msg.time; after planning: departure ns */
	uint32_t poff;     /* payload offset in the batch's byte store */
	uint16_t dest;
	uint16_t len;
	uint16_t frame;    /* index into the batch's frames (MF_SEND_FRAMES) */
	uint8_t flags;     /* MF_MSG_FRAME_END */
	uint8_t drop;      /* after planning: 0, or 1 + enum mf_send_drop */
	uint32_t reserved;
};

enum mf_frame_state { MF_FST_PLANNED = 0, MF_FST_STARTED = 1, MF_FST_DROPPED = 2 };

struct mf_send_frame {
	uint32_t id;
	uint32_t first;    /* index of its first message */
	uint32_t n;        /* its messages */
	uint8_t type;      /* enum mf_frame_type */
	uint8_t state;     /* enum mf_frame_state; changed at departure with a CAS */
	uint8_t reserved[2];
};

struct mf_plan_cfg {
	uint8_t timing;        /* enum mf_send_timing */
	bool frames;
	uint64_t start_ns;     /* 0: now_ns */
	uint64_t end_ns;       /* 0: none */
	uint64_t interval_ns;
	uint64_t now_ns;       /* the commit */
};

struct mf_plan_out {
	uint32_t dropped_deadline;
	uint32_t dropped_frame;     /* messages of dropped frames */
	uint32_t frames_dropped;
	bool sorted;                /* departures already ascend in batch order: no order[] */
};

/* Plan n messages (and n_frames frames, when cfg->frames). order (n entries) receives the
 * batch indexes in departure order unless out->sorted. 0, or -ENOMEM. */
int mf_plan(const struct mf_plan_cfg *cfg, struct mf_send_ent *ents, uint32_t n,
	    struct mf_send_frame *frames, uint32_t n_frames, uint32_t *order,
	    struct mf_plan_out *out);

#endif /* MF_SEND_PLAN_H */

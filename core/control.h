/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The control lcore: heartbeat, client slots (serve, detach, reap the dead), stats folding.
 */
#ifndef MF_CONTROL_H
#define MF_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"

/* Handle one request (control_ops.c): fills cpl (ctx, op, status, out_len, reason) and
 * writes any reply into `arena` (MF_ARENA_SLOT_SIZE bytes). */
int mf_control_dispatch(struct mf_core *core, const struct mf_request *req, void *arena,
			struct mf_completion *cpl, bool stopping);

void mf_control_init(struct mf_core *core);

/* One pass; returns the requests it served. Cheap enough to call every ~100 us. */
unsigned int mf_control_poll(struct mf_core *core);

/* Poll until mf_force_quit: spin for 200 us after a request, else sleep 10 us doubling to 1 ms. */
void mf_control_loop(struct mf_core *core);

/* While stopping: answer what is pending with -ESHUTDOWN and free detaching slots. */
void mf_control_drain(struct mf_core *core);

#endif /* MF_CONTROL_H */

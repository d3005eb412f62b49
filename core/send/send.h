/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Aggregate sends (manifold_abi_send.h) as the rest of the core sees them: set-up, the control
 * lcore's feeding pass, the worker's departure pass, and the hook that aborts and frees what a
 * client that detached or died had submitted. See core/send/README.md for the picture.
 */
#ifndef MF_SEND_H
#define MF_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core.h"

/* After the stack and the policies, before the workers start. 0 or -errno with err set. */
int mf_send_init(struct mf_core *core, char *err, size_t errlen);

/* Control loop: plan nothing, just feed the workers what is due soon; returns the messages
 * it handled (non-zero keeps the control loop from sleeping). */
unsigned int mf_send_poll(struct mf_core *core);

/* Worker loop, beside mf_stack_poll: what is due leaves now. Returns packets sent. Costs two
 * loads when there is nothing to send. */
unsigned int mf_send_worker_poll(struct mf_worker *w);

#define MF_SEND_WAKE_EARLY_NS 200000u /* a sleeping worker wakes this long before a departure */

/* How long the worker may sleep without making a held message late: 0 when something is due
 * within MF_SEND_WAKE_EARLY_NS (or waits in its ring), UINT64_MAX when nothing is held.
 * Sleeping rather than spinning while messages wait matters on a shared machine: a thread that
 * spins uses up its CPU share and then queues behind every other runnable thread, while one
 * that sleeps is woken ahead of them when its timer fires. */
uint64_t mf_send_worker_sleep_max_ns(const struct mf_worker *w, uint64_t now_tsc);

/* At the stop, after the workers joined: one line of what sending cost, if anything was sent. */
void mf_send_print_final(void);

/* Control loop: is a batch open (its client part way through submitting its chunks), or did
 * the last feeding pass leave due messages for want of room at a worker? Then it sleeps only
 * briefly. */
bool mf_send_expecting(void);

/* Control loop: client slot `client` was freed: its batches are aborted and freed. */
void mf_send_client_gone(unsigned int client);

#endif /* MF_SEND_H */

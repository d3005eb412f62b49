/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Control loop. Each pass:
 *   - refresh heartbeat_ns (a client that sees it stale knows the core hung or died);
 *   - for every client slot: ATTACHED -> serve its request ring, one completion per request;
 *     DETACHING -> reset the slot;
 *   - every --stats-ms: fold the stats;
 *   - every MF_REAP_MS: a slot whose owner_pid no longer exists (or is a zombie) is reset:
 *     the client died.
 *
 * A slot is reset in this order: the four ring indexes to 0, state FREE, generation + 1, and
 * last a release store of owner_pid 0, so a client that claims the slot with its CAS finds it
 * clean. Everything the core touches of a client is masked into that client's own rings and
 * arena slots, so a client that misbehaves or dies mid-request cannot disturb the others.
 */
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "control.h"
#include "control_ops.h"
#include "mf_proc.h"
#include "mf_ring.h"
#include "policy/policy.h"
#include "send/send.h"
#include "stack/stack.h"
#include "stats.h"

#define MF_CTL_BATCH 32          /* requests served per client per pass */
#define MF_REAP_MS 250
#define MF_CTL_SPIN_US 200       /* keep polling this long after the last request */
#define MF_CTL_SLEEP_MIN_NS 10000u
#define MF_CTL_SLEEP_MAX_NS 1000000u
/* While a client is part way through submitting an aggregate send (a batch open), its next
 * chunks are due any moment: sleep at most this long, so each ring-full of chunks does not
 * wait out a long back-off (the client has at most MF_RING_SIZE requests in flight). The same
 * while due messages wait for a worker to take more (core/send/feed.c). */
#define MF_CTL_SLEEP_OPEN_NS 50000u
#define MF_CTL_TIMER_SLACK_NS 1000 /* the default 50 us slack would swamp the short sleeps */

static struct {
	uint64_t fold_period;
	uint64_t reap_period;
	uint64_t next_fold;
	uint64_t next_reap;
	uint64_t seen_pid[MF_MAX_CLIENTS];   /* for the "attached" log line */
} ctl;

void
mf_control_init(struct mf_core *core)
{
	uint64_t now = rte_rdtsc();

	ctl.fold_period = RTE_MAX(core->tsc_hz * core->cfg.stats_ms / 1000, (uint64_t)1);
	ctl.reap_period = core->tsc_hz * MF_REAP_MS / 1000;
	ctl.next_fold = now;
	ctl.next_reap = now + ctl.reap_period;
	core->ctl.start_tsc = now;
}

static void
client_free(struct mf_client *c)
{
	mf_stack_client_gone((unsigned int)(c - mf_core.seg.clients)); /* its sockets */
	mf_policy_client_gone(&mf_core, (unsigned int)(c - mf_core.seg.clients)); /* its policies */
	mf_send_client_gone((unsigned int)(c - mf_core.seg.clients)); /* its batches */
	__atomic_store_n(&c->req_prod.value, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->req_cons.value, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->cpl_prod.value, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->cpl_cons.value, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->state, (uint32_t)MF_CLIENT_FREE, __ATOMIC_RELAXED);
	__atomic_store_n(&c->generation, c->generation + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->owner_start, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->owner_pid, 0, __ATOMIC_RELEASE);
}

static unsigned int
client_serve(struct mf_core *core, unsigned int idx, struct mf_client *c, bool stopping)
{
	struct mf_request req[MF_CTL_BATCH];
	struct mf_completion cpl[MF_CTL_BATCH];
	uint32_t room, first, n, i;

	/* Never more requests than completions the client has room for; a client that
	 * scribbled on its indexes only confuses its own rings. */
	room = mf_ring_free(&c->cpl_prod, &c->cpl_cons);
	n = mf_req_dequeue(c, req, RTE_MIN(room, (uint32_t)MF_CTL_BATCH), &first);
	for (i = 0; i < n; i++) {
		uint32_t slot = (first + i) & MF_RING_MASK;

		mf_control_dispatch(core, &req[i], mf_core_arena_slot(core, idx, slot),
				    &cpl[i], stopping || mf_force_quit);
		cpl[i].slot = slot;
	}
	if (n != 0)
		mf_cpl_enqueue(c, cpl, n);
	return n;
}

static unsigned int
clients_pass(struct mf_core *core, bool stopping)
{
	unsigned int i, served = 0;

	for (i = 0; i < MF_MAX_CLIENTS; i++) {
		struct mf_client *c = &core->seg.clients[i];
		uint64_t pid = __atomic_load_n(&c->owner_pid, __ATOMIC_ACQUIRE);
		uint32_t state;

		if (pid == 0)
			continue;
		state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
		if (state == MF_CLIENT_ATTACHED) {
			if (ctl.seen_pid[i] != pid) {
				ctl.seen_pid[i] = pid;
				printf("manifold-core: client %u attached (pid %" PRIu64 ")\n", i,
				       pid);
				fflush(stdout);
			}
			served += client_serve(core, i, c, stopping);
		} else if (state == MF_CLIENT_DETACHING) {
			client_free(c);
			ctl.seen_pid[i] = 0;
			printf("manifold-core: client %u detached (pid %" PRIu64 ")\n", i, pid);
			fflush(stdout);
		}
	}
	return served;
}

static void
clients_reap(struct mf_core *core)
{
	unsigned int i;

	for (i = 0; i < MF_MAX_CLIENTS; i++) {
		struct mf_client *c = &core->seg.clients[i];
		uint64_t pid = __atomic_load_n(&c->owner_pid, __ATOMIC_ACQUIRE);

		if (pid == 0)
			continue;
		if (mf_proc_alive(pid, __atomic_load_n(&c->owner_start, __ATOMIC_ACQUIRE)))
			continue;
		client_free(c);
		ctl.seen_pid[i] = 0;
		printf("manifold-core: client %u (pid %" PRIu64 ") died; slot reclaimed\n", i, pid);
		fflush(stdout);
	}
}

unsigned int
mf_control_poll(struct mf_core *core)
{
	uint64_t now = rte_rdtsc();
	unsigned int served;

	mf_segment_heartbeat(&core->seg);
	served = clients_pass(core, false);
	mf_policy_poll(core); /* free policy tables no worker can still read */
	served += mf_send_poll(core); /* hand the workers what leaves soon; busy while it does */
	if (now >= ctl.next_fold) {
		mf_stats_fold(core);
		ctl.next_fold = now + ctl.fold_period;
	}
	if (now >= ctl.next_reap) {
		clients_reap(core);
		ctl.next_reap = now + ctl.reap_period;
	}
	return served;
}

void
mf_control_loop(struct mf_core *core)
{
	uint64_t spin = core->tsc_hz * MF_CTL_SPIN_US / 1000000, spin_until = 0, t0, t1;
	uint32_t sleep_ns = MF_CTL_SLEEP_MIN_NS;
	struct timespec ts;

	prctl(PR_SET_TIMERSLACK, MF_CTL_TIMER_SLACK_NS, 0, 0, 0);
	while (!mf_force_quit) {
		t0 = rte_rdtsc();
		if (mf_control_poll(core) != 0) {
			/* A client at work is likely to send more soon: keep looking for a while
			 * instead of sleeping, so back-to-back calls do not pay a sleep each. */
			sleep_ns = MF_CTL_SLEEP_MIN_NS;
			t1 = rte_rdtsc();
			spin_until = t1 + spin;
			core->ctl.busy_cycles += t1 - t0;
		} else if (t0 < spin_until) {
			/* yield, not pause: on a small machine the client may be waiting for
			 * this very CPU */
			sched_yield();
			t1 = rte_rdtsc();
		} else {
			if (sleep_ns > MF_CTL_SLEEP_OPEN_NS && mf_send_expecting())
				sleep_ns = MF_CTL_SLEEP_OPEN_NS;
			ts.tv_sec = 0;
			ts.tv_nsec = sleep_ns;
			nanosleep(&ts, NULL);
			core->ctl.idle_sleeps++;
			sleep_ns = RTE_MIN(sleep_ns * 2, MF_CTL_SLEEP_MAX_NS);
			t1 = rte_rdtsc();
		}
		core->ctl.polls++;
		core->ctl.total_cycles = t1 - core->ctl.start_tsc;
	}
}

void
mf_control_drain(struct mf_core *core)
{
	clients_pass(core, true);
}

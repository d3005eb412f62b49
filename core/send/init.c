/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Set-up of the send path: per worker, its ring from the control lcore and its timing wheel.
 * The wheel's slot is the power of two of TSC cycles nearest to 1 us; its overflow heap can
 * hold every mbuf of the pools, so adding to a wheel never fails.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "send_priv.h"

static unsigned int
slot_shift(uint64_t tsc_hz)
{
	uint64_t per_us = tsc_hz / 1000000u;
	unsigned int s = 0;

	while (s < 40 && ((uint64_t)2 << s) <= per_us + per_us / 2)
		s++;
	return s;
}

int
mf_send_init(struct mf_core *core, char *err, size_t errlen)
{
	unsigned int j;
	char name[RTE_RING_NAMESIZE];

	mf_snd.core = core;
	mf_snd.n_workers = core->n_workers;
	mf_snd.tsc_hz = core->tsc_hz;
	mf_snd.tsc_per_ns = (uint64_t)(((unsigned __int128)core->tsc_hz << 32) / 1000000000u);
	mf_snd.ns_per_tsc = (uint64_t)((1000000000ull << 32) / core->tsc_hz);
	mf_snd.next_gen = 1;
	/* Batches come and go by the megabyte: keep that memory in the heap for the next one
	 * instead of mapping fresh pages (and taking their faults) each time. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mf_snd.held_max = RTE_MAX(core->cfg.mbufs / MF_SEND_MBUF_SHARE_DIV, 64u);
	for (j = 0; j < core->n_workers; j++) {
		const struct mf_worker *w = core->worker[j];
		int socket = (int)rte_lcore_to_socket_id(w->lcore_id);
		struct mf_send_worker *sw;
		int rc;

		sw = rte_zmalloc_socket("mf_send_worker", sizeof(*sw), RTE_CACHE_LINE_SIZE, socket);
		if (sw == NULL)
			goto nomem;
		snprintf(name, sizeof(name), "mf_send_w%u", j);
		sw->ring = rte_ring_create(name, MF_SEND_RING, socket,
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (sw->ring == NULL) {
			snprintf(err, errlen, "send: cannot create ring %s: %s; give more memory "
				 "(--mem)", name, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		rc = mf_wheel_init(&sw->wheel, slot_shift(core->tsc_hz), MF_SEND_WHEEL_LOG2,
				   core->cfg.mbufs * RTE_MAX_NUMA_NODES + MF_SEND_RING, rte_rdtsc());
		if (rc != 0)
			goto nomem;
		sw->lat.lcore_id = w->lcore_id;
		mf_snd.wk[j] = sw;
	}
	return 0;
nomem:
	snprintf(err, errlen, "send: cannot allocate the schedulers: out of memory; give more "
		 "memory (--mem)");
	return -ENOMEM;
}

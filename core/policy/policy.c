/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Engine life cycle on the control lcore: init (RCU variable with one reader per worker,
 * per-lcore counters and staging, the copies' mempools), the per-pass poll (reclaim what the
 * grace period freed, retry a publish that failed), and the end of a client's policies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "pol_internal.h"

#define MF_POL_MBUF_CACHE 256u   /* per lcore; at most half of a pool (--policy-mbufs) */
#define MF_POL_HDR_ROOM 128u      /* eth + ip with options + udp, rounded up */
#define MF_POL_AGG_MBUFS 4095u    /* aggregate: segments of the datagrams being packed */
#define MF_POL_AGG_CACHE 64u
#define MF_POL_AGG_ROOM 2048u
#define MF_POL_PIECE_ROOM 2048u   /* split: a piece this big (headers too) is copied whole */
#define MF_POL_PIECE_MBUFS 8191u  /* at most (about 19 MB); pieces leave within the burst */

struct mf_pol *mf_pol_staging[MF_MAX_CLIENTS];

int
mf_policy_init(struct mf_core *core, char *err, size_t errlen)
{
	unsigned int j, n = core->n_workers, np;
	size_t sz;
	int socket = (int)rte_socket_id();

	mf_pol.max_policies = MF_POLICY_DEF_MAX;
	mf_pol.max_dests = MF_POLICY_DEF_MAX_DESTS;
	for (j = 0; j < MF_MAX_PORTS; j++) {
		mf_pol.port_mtu[j] = j < core->n_ports ? core->port[j].mtu : RTE_ETHER_MTU;
		mf_pol.port_rx_prefetch[j] = j < core->n_ports && !core->port[j].rx_cpu_written;
	}
	if (n == 0)
		return 0; /* no worker, no packets: the ops still answer, nothing is published */
	mf_pol.n_lcores = n;
	sz = rte_rcu_qsbr_get_memsize(n);
	mf_pol_qsv = rte_zmalloc_socket("mf_pol_rcu", sz, RTE_CACHE_LINE_SIZE, socket);
	mf_pol.lcore = rte_zmalloc_socket("mf_pol_lcore", n * sizeof(mf_pol.lcore[0]),
					  RTE_CACHE_LINE_SIZE, socket);
	mf_pol.dslot_refs = calloc(MF_POL_DEST_SLOTS, sizeof(mf_pol.dslot_refs[0]));
	if (mf_pol_qsv == NULL || mf_pol.lcore == NULL || mf_pol.dslot_refs == NULL)
		goto nomem;
	if (rte_rcu_qsbr_init(mf_pol_qsv, n) != 0)
		goto nomem;
	for (j = 0; j < n; j++) {
		struct mf_pol_lcore *lc = &mf_pol.lcore[j];

		lc->pcnt = rte_zmalloc_socket("mf_pol_pcnt", MF_POLICY_CAP * sizeof(*lc->pcnt),
					      RTE_CACHE_LINE_SIZE, socket);
		lc->dcnt = rte_zmalloc_socket("mf_pol_dcnt", MF_POL_DEST_SLOTS * sizeof(*lc->dcnt),
					      RTE_CACHE_LINE_SIZE, socket);
		if (lc->pcnt == NULL || lc->dcnt == NULL)
			goto nomem;
		lc->agg.last = &lc->agg.bin[0];
		mf_pol_lcore_idx[core->worker[j]->lcore_id] = (uint16_t)j;
		rte_rcu_qsbr_thread_register(mf_pol_qsv, j);
		rte_rcu_qsbr_thread_online(mf_pol_qsv, j);
	}
	/* --policy-mbufs sizes three pools: header mbufs of copies and big pieces, indirect
	 * mbufs for payload clones, and (at most MF_POL_PIECE_MBUFS) the small pieces of a
	 * split, copied whole (one mbuf and a copy cost less than a header, a clone and two
	 * atomic reference counts).
	 * A small one makes copies run dry on purpose (tests). */
	np = core->cfg.policy_mbufs;
	mf_pol.hdr_pool = rte_pktmbuf_pool_create("mf_pol_hdr", np,
						  RTE_MIN(MF_POL_MBUF_CACHE, np / 2), 0,
						  RTE_PKTMBUF_HEADROOM + MF_POL_HDR_ROOM, socket);
	mf_pol.clone_pool = rte_pktmbuf_pool_create("mf_pol_clone", np,
						    RTE_MIN(MF_POL_MBUF_CACHE, np / 2), 0, 0, socket);
	mf_pol.piece_pool = rte_pktmbuf_pool_create("mf_pol_piece", RTE_MIN(np, MF_POL_PIECE_MBUFS),
						    RTE_MIN(MF_POL_MBUF_CACHE, np / 2), 0,
						    RTE_PKTMBUF_HEADROOM + MF_POL_PIECE_ROOM, socket);
	mf_pol.agg_pool = rte_pktmbuf_pool_create("mf_pol_agg", MF_POL_AGG_MBUFS,
						  MF_POL_AGG_CACHE, 0,
						  RTE_PKTMBUF_HEADROOM + MF_POL_AGG_ROOM, socket);
	if (mf_pol.hdr_pool == NULL || mf_pol.clone_pool == NULL || mf_pol.piece_pool == NULL ||
	    mf_pol.agg_pool == NULL)
		goto nomem;
	mf_pol.piece_room = MF_POL_PIECE_ROOM;
	mf_pol.agg_seg_cap = RTE_PKTMBUF_HEADROOM + MF_POL_AGG_ROOM;
	mf_pol.tsc_per_us = RTE_MAX(rte_get_tsc_hz() / 1000000, (uint64_t)1);
	return 0;
nomem:
	snprintf(err, errlen, "policy engine: cannot allocate its counters, RCU state or copy "
		 "mempools (%s); give the core more memory (--mem) or lower --policy-mbufs",
		 rte_strerror(rte_errno));
	return -ENOMEM;
}

void
mf_policy_poll(struct mf_core *core __rte_unused)
{
	if (mf_pol_qsv == NULL)
		return;
	if (mf_pol.retired_head != NULL)
		mf_pol_reclaim();
	if (mf_pol.dirty)
		mf_pol_publish(); /* a publish that failed for memory: try again */
	mf_pol_telemetry_poll(); /* a snapshot, when telemetry asked for one */
}

void
mf_policy_client_gone(struct mf_core *core __rte_unused, unsigned int client)
{
	uint32_t i = mf_pol.n_store, removed = 0;

	if (client < MF_MAX_CLIENTS && mf_pol_staging[client] != NULL) {
		mf_pol_put(mf_pol_staging[client]);
		mf_pol_staging[client] = NULL;
	}
	while (i-- > 0) {
		if (mf_pol.store[i]->owner == client) {
			printf("manifold-core: policy '%s' removed with its client %u\n",
			       mf_pol.store[i]->wire.id, client);
			mf_pol_store_del(i);
			removed++;
		}
	}
	if (removed != 0)
		mf_pol_publish();
	fflush(stdout);
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Forward engines, in the manner of testpmd's struct fwd_engine: one small file per mode
 * (fwd_io.c, fwd_mac.c, fwd_stack.c, fwd_drop.c) ending in its ops table, one registry
 * (fwd.c) indexed by enum mf_fwd_mode.
 *
 * What a port does with a burst is read from mf_fwd.word[port] (fwd_conf.h): one relaxed
 * atomic load per burst, replaced by the control lcore with one atomic store.
 */
#ifndef MF_FWD_H
#define MF_FWD_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "core.h"
#include "counters.h"
#include "fwd_conf.h"

struct mf_fwd_table {
	uint64_t word[MF_MAX_PORTS];                 /* changes at run time (MF_OP_FWD_SET) */
	uint16_t dpdk_id[MF_MAX_PORTS];              /* fixed once ports are up */
	struct rte_ether_addr mac[MF_MAX_PORTS];     /* fixed once ports are up */
} __rte_cache_aligned;

extern struct mf_fwd_table mf_fwd;

/* Handle a burst received on manifold port `port`; `word` is that port's forward word. The
 * engine owns the mbufs: it sends or frees every one and counts what it did. */
typedef void (*mf_pkt_burst_t)(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts,
			       uint16_t nb, uint64_t word);

struct mf_fwd_engine {
	const char *name;          /* as on the command line: mf_fwd_mode_names[] */
	mf_pkt_burst_t pkt_burst;
};

extern const struct mf_fwd_engine mf_fwd_io_engine;
extern const struct mf_fwd_engine mf_fwd_mac_engine;
extern const struct mf_fwd_engine mf_fwd_stack_engine;
extern const struct mf_fwd_engine mf_fwd_drop_engine;
extern const struct mf_fwd_engine *const mf_fwd_engines[MF_FWD_MAX];

/* Control side: fill the fixed part of the table from the started ports and publish every
 * port's configured word. 0 or -EINVAL if an engine's name disagrees with fwd_conf.c. */
int mf_fwd_init(const struct mf_core *core);

/* Control side: publish a port's new mode/peer/next-hop MAC in one store. */
void mf_fwd_publish(uint16_t port, uint8_t mode, uint16_t peer, const uint8_t mac[6]);

static inline uint64_t
mf_fwd_word_load(uint16_t port)
{
	return __atomic_load_n(&mf_fwd.word[port], __ATOMIC_RELAXED);
}

/* Send a burst out of `peer` on this worker's own tx queue (no lock: one queue per worker);
 * free and count what the queue did not take. */
static inline void
mf_fwd_send(struct mf_worker *w, uint16_t in_port, uint16_t peer, struct rte_mbuf **pkts,
	    uint16_t nb)
{
	uint16_t sent;

	if (unlikely(peer == MF_PORT_NONE)) {
		rte_pktmbuf_free_bulk(pkts, nb);
		mf_cnt_add(&w->cnt[in_port][MF_CNT_DROP_NO_EGRESS], nb);
		return;
	}
	sent = rte_eth_tx_burst(mf_fwd.dpdk_id[peer], w->txq, pkts, nb);
	mf_cnt_add(&w->cnt[peer][MF_CNT_FWD_OUT], sent);
	if (unlikely(sent < nb)) {
		rte_pktmbuf_free_bulk(&pkts[sent], nb - sent);
		mf_cnt_add(&w->cnt[peer][MF_CNT_DROP_TX_FULL], nb - sent);
	}
}

#endif /* MF_FWD_H */

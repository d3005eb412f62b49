/* SPDX-License-Identifier: BSD-3-Clause
 *
 * IPv4 reassembly for every worker (reasm.c): the policy engine puts fragments back together
 * before it classifies (a policy matches on ports, which only a first fragment carries), and
 * the stack does the same for what is addressed to the core. Both hand over fragments and get
 * the whole datagram back as one mbuf chain made of the fragments themselves.
 */
#ifndef MF_REASM_H
#define MF_REASM_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "core.h"

#define MF_REASM_SLOTS 8u         /* datagrams in reassembly per worker */
#define MF_REASM_FRAGS 128u       /* fragments per datagram: 64 KiB at the 576-byte minimum MTU */
#define MF_REASM_TIMEOUT_MS 30000u /* Linux ipfrag_time */

/* The worker tables; an error names what could not be allocated. */
int mf_reasm_init(struct mf_core *core, char *err, size_t errlen);

/* m is a fragment that came in on port: Ethernet header at offset 0, the IPv4 header
 * (ihl bytes, checked by the caller: version, length, addresses) right after it. Returns the
 * whole datagram when m completes one (the first fragment's mbuf heads the chain; total
 * length, MF and offset and the header checksum redone), else NULL: m is held, or it was
 * dropped and counted as reasm_drop on port. */
struct rte_mbuf *mf_reasm_take(struct mf_worker *w, uint16_t port, struct rte_mbuf *m,
			       uint32_t ihl);

/* Set while a worker holds fragments. */
extern uint8_t mf_reasm_busy[RTE_MAX_LCORE];
void mf_reasm_expire(struct mf_worker *w);

/* Worker: once per loop. Drops (and counts) what waited past MF_REASM_TIMEOUT_MS, so held
 * fragments time out even when no more traffic comes; one load while nothing is held. */
static inline void
mf_reasm_poll(struct mf_worker *w)
{
	if (unlikely(mf_reasm_busy[w->lcore_id]))
		mf_reasm_expire(w);
}

#endif /* MF_REASM_H */

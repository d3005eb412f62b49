/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Neighbour cache, one table per port, written only by the port's owner (the worker polling
 * it). Entries: INCOMPLETE (request sent, packets wait) -> REACHABLE (answered) -> STALE after
 * MF_NEIGH_REACHABLE_MS (still used; the first use after MF_NEIGH_REFRESH_MS sends a new
 * request) ; INCOMPLETE -> FAILED after MF_ARP_RETRIES unanswered requests (waiting packets
 * dropped as arp_resolve_failed).
 *
 * Other lcores read an entry under its seqlock (mf_stack_neigh_lookup) and, when it is not
 * usable, hand the packet to the owner through the port's tx ring, so resolution and the
 * bounded pending queue (MF_PENDING_MAX per port, MF_PENDING_PER_NEIGH per next hop) live in
 * one place.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>

#include "stack_priv.h"

static inline unsigned int
neigh_hash(uint32_t ip)
{
	return (ip * 2654435761u) >> 24; /* Knuth, top 8 bits: MF_NEIGH_SLOTS == 256 */
}

void
mf_neigh_init(struct mf_stack_port *sp)
{
	memset(sp->neigh, 0, sizeof(sp->neigh));
}

/* Owner-side write of an entry's visible part under its seqlock. */
static void
neigh_publish(struct mf_neigh *e, uint32_t ip, const uint8_t *mac, uint8_t state)
{
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->ip, ip, __ATOMIC_RELAXED);
	if (mac != NULL)
		memcpy(e->mac, mac, 6);
	__atomic_store_n(&e->state, state, __ATOMIC_RELAXED);
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELEASE);
}

static struct mf_neigh *
neigh_find(struct mf_stack_port *sp, uint32_t ip)
{
	unsigned int h = neigh_hash(ip), i;

	for (i = 0; i < MF_NEIGH_PROBE; i++) {
		struct mf_neigh *e = &sp->neigh[(h + i) & (MF_NEIGH_SLOTS - 1)];

		if (e->state != MF_NEIGH_FREE && e->ip == ip)
			return e;
	}
	return NULL;
}

/* A slot for ip: a free one in its probe window, else the least recently confirmed entry
 * that has no packet waiting. */
static struct mf_neigh *
neigh_alloc(struct mf_stack_port *sp, uint32_t ip)
{
	unsigned int h = neigh_hash(ip), i;
	struct mf_neigh *victim = NULL;

	for (i = 0; i < MF_NEIGH_PROBE; i++) {
		struct mf_neigh *e = &sp->neigh[(h + i) & (MF_NEIGH_SLOTS - 1)];

		if (e->state == MF_NEIGH_FREE)
			return e;
		if (e->queued == 0 && (victim == NULL || e->confirmed_tsc < victim->confirmed_tsc))
			victim = e;
	}
	if (victim != NULL)
		neigh_publish(victim, ip, NULL, MF_NEIGH_FREE);
	return victim;
}

/* Send (or drop, when failed) what waits for ip. */
static void
pending_release(struct mf_worker *w, uint16_t port, struct mf_neigh *e, bool send)
{
	struct mf_stack_port *sp = mf_stk.port[port];
	uint32_t i, k = 0;

	for (i = 0; i < sp->n_pend; i++) {
		struct mf_pending *p = &sp->pend[i];

		if (p->ip != e->ip) {
			sp->pend[k++] = *p;
			continue;
		}
		if (send) {
			struct rte_ether_hdr *eh = rte_pktmbuf_mtod(p->m, struct rte_ether_hdr *);

			memcpy(&eh->dst_addr, e->mac, 6);
			eh->src_addr = sp->mac;
			mf_stack_tx(w, port, p->m);
		} else {
			mf_stk_drop(w, port, p->m, MF_CNT_ARP_RESOLVE_FAILED);
		}
	}
	sp->n_pend = k;
	e->queued = 0;
}

void
mf_neigh_learn(struct mf_worker *w, uint16_t port, uint32_t ip, const uint8_t *mac, bool create)
{
	struct mf_stack_port *sp = mf_stk.port[port];
	struct mf_neigh *e = neigh_find(sp, ip);

	if (e == NULL) {
		if (!create)
			return;
		e = neigh_alloc(sp, ip);
		if (e == NULL)
			return;
		e->queued = 0;
		e->probes = 0;
	}
	e->confirmed_tsc = rte_rdtsc();
	e->probes = 0;
	neigh_publish(e, ip, mac, MF_NEIGH_REACHABLE);
	if (e->queued != 0)
		pending_release(w, port, e, true);
}

void
mf_neigh_timers(struct mf_worker *w, uint16_t port, uint64_t now)
{
	struct mf_stack_port *sp = mf_stk.port[port];
	uint64_t retry = MF_ARP_RETRY_MS * mf_stk.ms, reach = MF_NEIGH_REACHABLE_MS * mf_stk.ms;
	unsigned int i;

	for (i = 0; i < MF_NEIGH_SLOTS; i++) {
		struct mf_neigh *e = &sp->neigh[i];

		if (e->state == MF_NEIGH_INCOMPLETE && now - e->probe_tsc >= retry) {
			if (e->probes >= MF_ARP_RETRIES) {
				neigh_publish(e, e->ip, NULL, MF_NEIGH_FAILED);
				pending_release(w, port, e, false);
			} else {
				e->probes++;
				e->probe_tsc = now;
				mf_arp_request(w, port, mf_route_src_for(port, e->ip), e->ip);
			}
		} else if (e->state == MF_NEIGH_REACHABLE && now - e->confirmed_tsc >= reach) {
			neigh_publish(e, e->ip, NULL, MF_NEIGH_STALE);
		}
	}
}

int
mf_stack_neigh_lookup(uint16_t port, uint32_t ip, struct rte_ether_addr *mac)
{
	const struct mf_stack_port *sp;
	unsigned int h = neigh_hash(ip), i;

	if (port >= mf_stk.n_ports || (sp = mf_stk.port[port]) == NULL)
		return -ENOENT;
	for (i = 0; i < MF_NEIGH_PROBE; i++) {
		const struct mf_neigh *e = &sp->neigh[(h + i) & (MF_NEIGH_SLOTS - 1)];
		uint32_t s0, s1, eip;
		uint8_t state;
		int tries;

		for (tries = 0; tries < 16; tries++) {
			s0 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
			if (s0 & 1)
				continue;
			eip = __atomic_load_n(&e->ip, __ATOMIC_RELAXED);
			state = __atomic_load_n(&e->state, __ATOMIC_RELAXED);
			memcpy(mac->addr_bytes, e->mac, 6);
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			s1 = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);
			if (s0 == s1)
				break;
		}
		if (tries == 16)
			return -ENOENT;
		if (eip == ip && state != MF_NEIGH_FREE)
			return state == MF_NEIGH_REACHABLE || state == MF_NEIGH_STALE ? 0 : -ENOENT;
	}
	return -ENOENT;
}

void
mf_stack_output(struct mf_worker *w, uint16_t port, uint32_t next_hop, struct rte_mbuf *m)
{
	struct mf_stack_port *sp = mf_stk.port[port];
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ether_addr mac;
	struct mf_neigh *e;
	uint64_t now;

	if (w->txq != sp->owner) {
		/* not ours to resolve: send if known, else hand to the owner */
		if (mf_stack_neigh_lookup(port, next_hop, &mac) == 0) {
			eh->dst_addr = mac;
			eh->src_addr = sp->mac;
			mf_stack_tx(w, port, m);
			return;
		}
		m->hash.usr = next_hop;
		if (rte_ring_mp_enqueue(sp->txr, m) != 0)
			mf_stk_drop(w, port, m, MF_CNT_ARP_QUEUE_OVERFLOW);
		return;
	}
	if (next_hop == 0xffffffffu || mf_route_is_bcast(port, next_hop)) {
		memset(&eh->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
		eh->src_addr = sp->mac;
		mf_stack_tx(w, port, m);
		return;
	}
	e = neigh_find(sp, next_hop);
	if (e != NULL && (e->state == MF_NEIGH_REACHABLE || e->state == MF_NEIGH_STALE)) {
		memcpy(&eh->dst_addr, e->mac, 6);
		eh->src_addr = sp->mac;
		mf_stack_tx(w, port, m);
		if (e->state == MF_NEIGH_STALE) {
			now = rte_rdtsc();
			if (now - e->probe_tsc >= MF_NEIGH_REFRESH_MS * mf_stk.ms) {
				e->probe_tsc = now;
				mf_arp_request(w, port, mf_route_src_for(port, next_hop), next_hop);
			}
		}
		return;
	}
	if (e == NULL || e->state == MF_NEIGH_FAILED) {
		if (e == NULL)
			e = neigh_alloc(sp, next_hop);
		if (e == NULL) {
			mf_stk_drop(w, port, m, MF_CNT_ARP_QUEUE_OVERFLOW);
			return;
		}
		e->queued = 0;
		e->probes = 1;
		e->probe_tsc = rte_rdtsc();
		e->confirmed_tsc = e->probe_tsc;
		neigh_publish(e, next_hop, NULL, MF_NEIGH_INCOMPLETE);
		mf_arp_request(w, port, mf_route_src_for(port, next_hop), next_hop);
	}
	if (sp->n_pend >= MF_PENDING_MAX || e->queued >= MF_PENDING_PER_NEIGH) {
		mf_stk_drop(w, port, m, MF_CNT_ARP_QUEUE_OVERFLOW);
		return;
	}
	sp->pend[sp->n_pend].m = m;
	sp->pend[sp->n_pend].ip = next_hop;
	sp->n_pend++;
	e->queued++;
}

/* For NEIGH_LIST (control lcore): a consistent copy of each entry in use. */
unsigned int
mf_neigh_snapshot(uint16_t port, struct mf_neigh_info *out, unsigned int max, uint64_t now)
{
	const struct mf_stack_port *sp = mf_stk.port[port];
	unsigned int i, n = 0;

	for (i = 0; i < MF_NEIGH_SLOTS && n < max; i++) {
		const struct mf_neigh *e = &sp->neigh[i];
		struct mf_neigh_info ni;
		uint32_t s0;

		s0 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		if (s0 & 1)
			continue;
		memset(&ni, 0, sizeof(ni));
		ni.ip = __atomic_load_n(&e->ip, __ATOMIC_RELAXED);
		ni.state = __atomic_load_n(&e->state, __ATOMIC_RELAXED);
		memcpy(ni.mac, e->mac, 6);
		ni.queued = __atomic_load_n(&e->queued, __ATOMIC_RELAXED);
		ni.probes = __atomic_load_n(&e->probes, __ATOMIC_RELAXED);
		ni.age_ms = (uint32_t)((now - __atomic_load_n(&e->confirmed_tsc,
							       __ATOMIC_RELAXED)) / mf_stk.ms);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != s0 || ni.state == MF_NEIGH_FREE)
			continue;
		ni.port = port;
		out[n++] = ni;
	}
	return n;
}

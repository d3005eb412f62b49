/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Classify a burst and run the matched packets' action chains (the worker hook).
 *
 *   parse every packet (IPv4? protocol, addresses, ports, where the UDP header ends)
 *   -> exact services: one rte_hash_lookup_bulk_data on {dst ip, dst port, protocol}
 *      gives the bucket of policies for that service address, in priority order
 *   -> wildcard policies, in priority order, only while they could still beat the exact hit
 *   -> best match: its action chain; no match: the packet stays for the port's forward mode
 *   -> one tx burst per egress port for everything the chains staged
 *
 * The table is immutable; the control lcore replaces it under RCU (table.c), so nothing here
 * takes a lock and a burst sees one whole table.
 */
#include <stdio.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "../counters.h"
#include "pol_internal.h"

#define MF_POL_LOOKUP_MAX RTE_HASH_LOOKUP_BULK_MAX
#define MF_POL_PREFETCH 4 /* headers prefetched this many packets ahead of the parse */

static inline void
parse(const struct rte_mbuf *m, struct mf_pol_pkt *pk, struct mf_pol_key *k)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	uint16_t ihl;

	memset(pk, 0, sizeof(*pk));
	memset(k, 0, sizeof(*k));
	if (unlikely(m->data_len < RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr)))
		return;
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return;
	ip = (const struct rte_ipv4_hdr *)(eth + 1);
	ihl = (uint16_t)((ip->version_ihl & 0x0f) * 4);
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
		     RTE_ETHER_HDR_LEN + ihl > m->data_len))
		return;
	pk->ipv4 = true;
	pk->src = rte_be_to_cpu_32(ip->src_addr);
	pk->dst = rte_be_to_cpu_32(ip->dst_addr);
	pk->proto = ip->next_proto_id;
	pk->frag = (ip->fragment_offset &
		    RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
	pk->l4_off = (uint16_t)(RTE_ETHER_HDR_LEN + ihl);
	if ((pk->proto == IPPROTO_UDP || pk->proto == IPPROTO_TCP) && !pk->frag &&
	    pk->l4_off + sizeof(*udp) <= m->data_len) {
		udp = (const struct rte_udp_hdr *)((const uint8_t *)eth + pk->l4_off);
		pk->sport = rte_be_to_cpu_16(udp->src_port);
		pk->dport = rte_be_to_cpu_16(udp->dst_port);
		if (pk->proto == IPPROTO_UDP)
			pk->hdr_len = (uint16_t)(pk->l4_off + sizeof(*udp));
	}
	k->ip = pk->dst;
	k->port = pk->dport;
	k->proto = pk->proto;
}

static inline bool
pol_match(const struct mf_pol *p, const struct mf_pol_pkt *pk, uint16_t port)
{
	const struct mf_policy_match *mt = &p->wire.match;

	return pk->ipv4 &&
	       (mt->in_port == MF_POLICY_ANY_PORT || mt->in_port == port) &&
	       (mt->proto == 0 || mt->proto == pk->proto) &&
	       (pk->src & p->src_mask) == p->src_net &&
	       (pk->dst & p->dst_mask) == p->dst_net &&
	       (mt->src_port == 0 || mt->src_port == pk->sport) &&
	       (mt->dst_port == 0 || mt->dst_port == pk->dport);
}

static inline bool
pol_better(const struct mf_pol *a, const struct mf_pol *b)
{
	return a->wire.priority > b->wire.priority ||
	       (a->wire.priority == b->wire.priority && a->seq < b->seq);
}

static inline const struct mf_pol *
classify_one(const struct mf_pol_table *t, const struct mf_pol_bucket *b,
	     const struct mf_pol_pkt *pk, uint16_t port)
{
	const struct mf_pol *best = NULL;
	uint32_t i;

	if (b != NULL) {
		for (i = 0; i < b->n; i++) {
			if (pol_match(b->pol[i], pk, port)) {
				best = b->pol[i];
				break;
			}
		}
	}
	for (i = 0; i < t->n_wild; i++) {
		const struct mf_pol *p = t->wild[i];

		if (best != NULL && !pol_better(p, best))
			break;
		if (pol_match(p, pk, port))
			return p;
	}
	return best;
}

static inline void
run_chain(struct mf_pol_ctx *c, const struct mf_pol *p, struct rte_mbuf *m,
	  const struct mf_pol_pkt *pk)
{
	struct mf_pol_pcnt *pc = &c->lc->pcnt[p->cnt];
	unsigned int i;

	mf_cnt_add(&pc->matched, 1);
	mf_cnt_add(&pc->matched_bytes, m->pkt_len);
	for (i = 0; i < p->n_actions; i++)
		if (p->act[i].ops->apply(c, p, &p->act[i], m, pk))
			return;
	/* The chain ended in a replicate: the copies were the point, the original goes. */
	rte_pktmbuf_free(m);
}

/* A fragment: held (its slot becomes NULL) until it completes a datagram, which then takes
 * its slot and is classified whole; one not addressed to the core or a policy's service
 * stays as it is (reasm.c says which). */
static void
reasm(struct mf_pol_ctx *c, const struct mf_pol_table *t, struct rte_mbuf **slot,
      struct mf_pol_pkt *pk, struct mf_pol_key *k)
{
	struct rte_mbuf *whole;
	bool taken;

	whole = mf_pol_reasm_input(c, t, *slot, pk, &taken);
	if (!taken)
		return;
	*slot = whole;
	if (whole != NULL)
		parse(whole, pk, k);
}

static inline bool
key_eq(const struct mf_pol_key *a, const struct mf_pol_key *b)
{
	return a->ip == b->ip && a->port == b->port && a->proto == b->proto;
}

/* Traffic for a service comes in runs (a stream, a fan-out source): look up each run's key
 * once. uniq[i] is the index, among the keys looked up, of packet i's key. */
static inline void
lookup_runs(const struct mf_pol_table *t, const struct mf_pol_key *key, const void **kp,
	    uint16_t n, uint8_t *uniq, uint64_t *hits, void **data)
{
	uint16_t i, u = 0;

	kp[0] = &key[0];
	uniq[0] = 0;
	for (i = 1; i < n; i++) {
		if (!key_eq(&key[i], kp[u]))
			kp[++u] = &key[i];
		uniq[i] = (uint8_t)u;
	}
	rte_hash_lookup_bulk_data(t->hash, kp, (uint32_t)u + 1, hits, data);
}

uint16_t
mf_policy_classify_burst(const struct mf_pol_table *t, struct mf_worker *w, uint16_t port,
			 struct rte_mbuf **pkts, uint16_t nb)
{
	struct mf_pol_ctx c = {
		.w = w,
		.lc = &mf_pol.lcore[mf_pol_lcore_idx[w->lcore_id]],
		.in_port = port,
	};
	struct mf_pol_pkt pk[MF_POL_LOOKUP_MAX];
	struct mf_pol_key key[MF_POL_LOOKUP_MAX];
	const void *kp[MF_POL_LOOKUP_MAX];
	void *data[MF_POL_LOOKUP_MAX];
	uint8_t uniq[MF_POL_LOOKUP_MAX];
	uint16_t base, i, n, keep = 0;
	uint64_t hits;

	for (base = 0; base < nb; base += n) {
		n = (uint16_t)RTE_MIN(nb - base, MF_POL_LOOKUP_MAX);
		for (i = 0; i < n && i < MF_POL_PREFETCH; i++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[base + i], void *));
		for (i = 0; i < n; i++) {
			if (i + MF_POL_PREFETCH < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[base + i + MF_POL_PREFETCH], void *));
			parse(pkts[base + i], &pk[i], &key[i]);
			if (unlikely(pk[i].frag))
				reasm(&c, t, &pkts[base + i], &pk[i], &key[i]);
		}
		hits = 0;
		if (t->hash != NULL)
			lookup_runs(t, key, kp, n, uniq, &hits, data);
		for (i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[base + i];
			const struct mf_pol_bucket *b =
				t->hash != NULL && ((hits >> uniq[i]) & 1) ? &t->buckets[(uintptr_t)data[uniq[i]]] : NULL;
			const struct mf_pol *p;

			if (m == NULL)
				continue; /* a fragment held for reassembly, or dropped there */
			p = classify_one(t, b, &pk[i], port);
			if (p == NULL)
				pkts[keep++] = m;
			else
				run_chain(&c, p, m, &pk[i]);
		}
	}
	if (c.lc->dirty != 0)
		mf_pol_flush(&c);
	return keep;
}

int
mf_policy_trace_one(struct mf_worker *w, uint16_t port, struct rte_mbuf *m,
		    struct mf_trace_rec *r)
{
	const struct mf_pol_table *t = __atomic_load_n(&mf_pol_current, __ATOMIC_ACQUIRE);
	uint64_t drops[MF_POLICY_DROP_MAX], delivered[MF_POLICY_MAX_ACTIONS] = { 0 };
	const struct mf_pol_bucket *b = NULL;
	const struct mf_pol_pcnt *pc;
	const struct mf_pol *p;
	struct mf_pol_ctx c;
	struct mf_pol_pkt pk;
	struct mf_pol_key key;
	unsigned int i;
	void *data;

	parse(m, &pk, &key);
	r->src = pk.src;
	r->dst = pk.dst;
	r->sport = pk.sport;
	r->dport = pk.dport;
	r->proto = pk.proto;
	if (t == NULL)
		return 0;
	if (t->hash != NULL && rte_hash_lookup_data(t->hash, &key, &data) >= 0)
		b = &t->buckets[(uintptr_t)data];
	p = classify_one(t, b, &pk, port);
	if (p == NULL)
		return 0;
	c.w = w;
	c.lc = &mf_pol.lcore[mf_pol_lcore_idx[w->lcore_id]];
	c.in_port = port;
	/* what the actions are; what they did shows in this worker's own counters */
	snprintf(r->policy, sizeof(r->policy), "%s", p->wire.id);
	r->n_actions = (uint8_t)p->n_actions;
	for (i = 0; i < p->n_actions; i++) {
		const struct mf_pol_action *a = &p->act[i];
		struct mf_trace_action *ta = &r->action[i];

		ta->type = a->ops->type;
		if (a->n_dests > 0) {
			ta->port = a->dests[0].wire.port;
			ta->ip = a->dests[0].wire.ip;
			ta->udp_port = a->dests[0].wire.udp_port;
		}
		ta->n = a->n_dests;
		if (ta->type == MF_ACTION_DELIVER)
			delivered[i] = c.lc->dcnt[a->dests[0].cnt].packets;
	}
	pc = &c.lc->pcnt[p->cnt];
	memcpy(drops, pc->drop, sizeof(drops));
	run_chain(&c, p, m, &pk);
	if (c.lc->dirty != 0)
		mf_pol_flush(&c); /* tx drops are counted here */
	for (i = 0; i < MF_POLICY_DROP_MAX; i++) {
		if (pc->drop[i] != drops[i]) {
			r->drop_mask |= 1u << i;
			r->drops += (uint32_t)(pc->drop[i] - drops[i]);
		}
	}
	for (i = 0; i < p->n_actions; i++)
		if (r->action[i].type == MF_ACTION_DELIVER)
			r->action[i].n = (uint32_t)(c.lc->dcnt[p->act[i].dests[0].cnt].packets -
						    delivered[i]);
	return 1;
}

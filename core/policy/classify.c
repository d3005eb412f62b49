/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Classify a burst and run the matched packets' action chains (the worker hook).
 *
 *   the burst starts with the flow the port's memo knows, and it is a lone redirect?
 *      -> rewrite those packets with the memo's template and send them at once (direct_loop)
 *   the rest, 64 at a time:
 *   1. cut into runs: consecutive packets with the same flow key (IPv4 without options:
 *      addresses, ports, protocol, fragment bits) are one run; only a run's first packet is
 *      parsed in full (IPv4? protocol, addresses, ports, where the UDP header ends)
 *   2. per run: the memo, or one rte_hash_lookup_bulk_data on {dst ip, dst port, protocol}
 *      for all runs, giving the bucket of policies for that service, in priority order
 *   3. per run: wildcard policies, in priority order, only while they could still beat the
 *      exact hit -> best match: counted once, then its action on the whole run (apply_run) or
 *      its chain per packet; no match: the packets stay for the port's forward mode
 *   -> one tx burst per egress port for everything the chains staged
 *
 * Packets of one flow classify alike, so a run is classified once; the flow key decides all
 * that the full parse would learn (flow_key). The memo (one per worker and ingress port)
 * carries the last flow's answer to the next burst, tagged with the table's gen: a new table
 * has a new gen, so the memo never outlives the table its policy pointer came from.
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

/* The chain of p on one packet; the caller counted the match. */
static inline void
chain(struct mf_pol_ctx *c, const struct mf_pol *p, struct rte_mbuf *m,
      const struct mf_pol_pkt *pk)
{
	unsigned int i;

	for (i = 0; i < p->n_actions; i++)
		if (p->act[i].ops->apply(c, p, &p->act[i], m, pk))
			return;
	/* The chain ended in a replicate: the copies were the point, the original goes. */
	rte_pktmbuf_free(m);
}

static inline void
count_matched(struct mf_pol_ctx *c, const struct mf_pol *p, uint32_t n, uint64_t bytes)
{
	struct mf_pol_pcnt *pc = &c->lc->pcnt[p->cnt];

	mf_cnt_add(&pc->matched, n);
	mf_cnt_add(&pc->matched_bytes, bytes);
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

static inline bool
fkey_eq(const struct mf_pol_fkey *a, const struct mf_pol_fkey *b)
{
	return a->addrs == b->addrs && a->ports == b->ports && a->pf == b->pf;
}

/* The flow key of the common packet: IPv4 without options, at least Ethernet + IPv4 + 8 bytes
 * (the ports) in the first segment. Everything parse() would learn of such a packet follows
 * from this key, so packets with equal keys classify alike. false: parse it on its own. */
/* Bytes 12..15 of the frame: EtherType IPv4, version 4, IHL 5 (the TOS byte masked off). */
#define MF_POL_L2L3_MASK RTE_BE32(0xffffff00)
#define MF_POL_L2L3_IPV4 RTE_BE32(0x08004500)
/* Bytes 6..9 of the IPv4 header: the MF and offset bits, and the protocol (not DF, not TTL). */
#define MF_POL_PF_MASK RTE_BE32(0x3fff00ff)
#define MF_POL_FRAG_MASK RTE_BE32(0x3fff0000) /* of those, the MF and offset bits */

static inline uint32_t
load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The flow key of the common packet: IPv4 without options, at least Ethernet + IPv4 + 8 bytes
 * (the ports) in the first segment. Everything parse() would learn of such a packet follows
 * from this key, so packets with equal keys classify alike. false: parse it on its own.
 * Raw header words, masked: no byte swap, two compares to qualify. */
static inline bool
flow_key(const struct rte_mbuf *m, struct mf_pol_fkey *k)
{
	const uint8_t *hdr = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *ip = hdr + RTE_ETHER_HDR_LEN;

	if (unlikely(m->data_len < RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) +
				   sizeof(struct rte_udp_hdr)) ||
	    (load32(hdr + RTE_ETHER_HDR_LEN - 2) & MF_POL_L2L3_MASK) != MF_POL_L2L3_IPV4)
		return false;
	memcpy(&k->addrs, ip + offsetof(struct rte_ipv4_hdr, src_addr), sizeof(k->addrs));
	k->ports = load32(ip + sizeof(struct rte_ipv4_hdr));
	k->pf = load32(ip + offsetof(struct rte_ipv4_hdr, fragment_offset)) & MF_POL_PF_MASK;
	return true;
}

#define MF_POL_NO_LOOKUP UINT8_MAX
/* Where the UDP header of a packet with a flow key starts: Ethernet + IPv4 without options */
#define MF_POL_L4_OFF (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr))

/* Consecutive packets of one flow (or one packet that has no flow key), classified once. */
struct mf_pol_run {
	uint16_t start;
	uint16_t n;
	bool keyed;                     /* key is valid: the packets share it */
	bool known;                     /* p came from the memo */
	uint8_t look;                   /* index among the hash lookups, or MF_POL_NO_LOOKUP */
	uint64_t bytes;
	struct mf_pol_fkey key;
	struct mf_pol_pkt pk;           /* of the first packet, true of all */
	const struct mf_pol *p;
};

/* Pass 1: parse in a tight loop, headers prefetched ahead, cutting the packets into runs.
 * Only a run's first packet is parsed in full; the others are compared by flow key. */
static inline uint16_t
cut_runs(struct mf_pol_ctx *c, const struct mf_pol_table *t, struct rte_mbuf **pkts, uint16_t n,
	 struct mf_pol_run *run, struct mf_pol_key *lkey)
{
	struct mf_pol_run *cur = NULL;
	struct mf_pol_fkey k = { 0 }; /* what an unkeyed run records; never compared */
	uint16_t i, nr = 0;
	bool keyed;

	for (i = 0; i < n && i < MF_POL_PREFETCH; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + MF_POL_PREFETCH < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + MF_POL_PREFETCH], void *));
		/* a fragment is never part of a run: each goes through reassembly on its own */
		keyed = flow_key(m, &k) && (k.pf & MF_POL_FRAG_MASK) == 0;
		if (likely(keyed && cur != NULL && cur->keyed && fkey_eq(&cur->key, &k))) {
			cur->n++;
			cur->bytes += m->pkt_len;
			continue;
		}
		cur = &run[nr];
		cur->start = i;
		cur->n = 1;
		cur->bytes = m->pkt_len;
		cur->keyed = keyed;
		cur->key = k;
		parse(m, &cur->pk, &lkey[nr]);
		if (unlikely(cur->pk.frag)) {
			reasm(c, t, &pkts[i], &cur->pk, &lkey[nr]);
			if (pkts[i] == NULL) { /* held for reassembly, or dropped there: no run */
				cur = NULL;
				continue;
			}
			cur->bytes = pkts[i]->pkt_len; /* the whole datagram took the fragment's place */
		}
		nr++;
	}
	return nr;
}

/* Pass 2: what the memo knows, and one bulk hash lookup for the rest (one per run of equal
 * service keys). */
static inline void
look_up(const struct mf_pol_table *t, const struct mf_pol_memo *memo, struct mf_pol_run *run,
	uint16_t nr, const struct mf_pol_key *lkey, uint64_t *hits, void **data)
{
	const void *kp[MF_POL_LOOKUP_MAX];
	bool memo_ok = memo->gen == t->gen;
	uint16_t r, nl = 0;

	for (r = 0; r < nr; r++) {
		struct mf_pol_run *u = &run[r];

		u->look = MF_POL_NO_LOOKUP;
		u->known = memo_ok && u->keyed && fkey_eq(&memo->key, &u->key);
		if (u->known) {
			u->p = memo->p;
			continue;
		}
		if (t->hash == NULL)
			continue;
		if (nl == 0 || !key_eq(&lkey[r], kp[nl - 1]))
			kp[nl++] = &lkey[r];
		u->look = (uint8_t)(nl - 1);
	}
	*hits = 0;
	if (nl != 0)
		rte_hash_lookup_bulk_data(t->hash, kp, nl, hits, data);
}

/* The burst starts with the memo's flow and the memo knows its redirect: rewrite and send that
 * prefix in one loop, with no parse beyond the flow key, no lookup and no staging. Returns how
 * many packets it took (it stops at the first of another flow). `prefetch`: fetch headers
 * ahead, for frames a device wrote by DMA; a frame a software device's rx routine just copied
 * is in L1 already, and the prefetch (two dependent loads per packet) only costs there. */
static __rte_always_inline uint16_t
direct_loop(struct mf_pol_ctx *c, const struct mf_pol_memo *memo, struct rte_mbuf **pkts,
	    uint16_t nb, const bool prefetch)
{
	/* Local copies: the header stores below could alias the memo, the copies they cannot,
	 * so the key and template stay in registers. */
	const struct mf_pol_fkey key = memo->key;
	const struct mf_pol_rw rw = memo->rw;
	/* what fits the egress MTU goes this way; a larger packet takes the path that fragments */
	const uint32_t max_len = RTE_ETHER_HDR_LEN + mf_pol.port_mtu[memo->direct->port];
	struct mf_pol_fkey k;
	uint64_t bytes = 0;
	uint16_t i;

	for (i = 0; prefetch && i < nb && i < MF_POL_PREFETCH; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];

		if (prefetch && i + MF_POL_PREFETCH < nb)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + MF_POL_PREFETCH], void *));
		if (unlikely(!flow_key(m, &k) || !fkey_eq(&k, &key) || m->pkt_len > max_len))
			break;
		mf_pol_rw_apply(&rw, rte_pktmbuf_mtod(m, uint8_t *), MF_POL_L4_OFF);
		m->ol_flags = 0;
		bytes += m->pkt_len;
	}
	if (i != 0) {
		count_matched(c, memo->p, i, bytes);
		mf_pol_tx_now(c, memo->p, memo->direct, pkts, i, bytes);
	}
	return i;
}

/* Each its own frame: the loop keeps its values in registers. */
static __rte_noinline uint16_t
direct_prefix_dma(struct mf_pol_ctx *c, const struct mf_pol_memo *memo, struct rte_mbuf **pkts,
		  uint16_t nb)
{
	return direct_loop(c, memo, pkts, nb, true);
}

static __rte_noinline uint16_t
direct_prefix_cpu(struct mf_pol_ctx *c, const struct mf_pol_memo *memo, struct rte_mbuf **pkts,
		  uint16_t nb)
{
	return direct_loop(c, memo, pkts, nb, false);
}

uint16_t
mf_policy_classify_burst(const struct mf_pol_table *t, struct mf_worker *w, uint16_t port,
			 struct rte_mbuf **pkts, uint16_t nb)
{
	struct mf_pol_ctx c;
	struct mf_pol_memo *memo;
	struct mf_pol_run run[MF_POL_LOOKUP_MAX];
	struct mf_pol_key lkey[MF_POL_LOOKUP_MAX];
	void *data[MF_POL_LOOKUP_MAX];
	uint16_t base, i, n, r, nr, keep = 0;
	uint64_t hits;

	/* Field by field: an initializer would zero the spent array on every burst. */
	c.w = w;
	c.lc = &mf_pol.lcore[mf_pol_lcore_idx[w->lcore_id]];
	c.t = t;
	c.now = 0;
	c.in_port = port;
	c.frag_mtu = 0;
	c.n_spent = 0;
	memo = &c.lc->memo[port];
	base = 0;
	if (memo->direct != NULL && memo->gen == t->gen)
		base = mf_pol.port_rx_prefetch[port] ? direct_prefix_dma(&c, memo, pkts, nb) :
						       direct_prefix_cpu(&c, memo, pkts, nb);
	for (; base < nb; base += n) {
		n = (uint16_t)RTE_MIN(nb - base, MF_POL_LOOKUP_MAX);
		nr = cut_runs(&c, t, &pkts[base], n, run, lkey);
		look_up(t, memo, run, nr, lkey, &hits, data);
		/* Pass 3: classify each run once, then its actions on the whole run. */
		for (r = 0; r < nr; r++) {
			struct mf_pol_run *u = &run[r];
			struct rte_mbuf **rp = &pkts[base + u->start];
			const struct mf_pol *p = u->p;

			if (!u->known) {
				const struct mf_pol_bucket *b =
					u->look != MF_POL_NO_LOOKUP && ((hits >> u->look) & 1) ?
					&t->buckets[(uintptr_t)data[u->look]] : NULL;

				p = classify_one(t, b, &u->pk, port);
				if (u->keyed) { /* before the actions rewrite the headers */
					memo->gen = t->gen;
					memo->key = u->key;
					memo->p = p;
					memo->direct = p == NULL ? NULL :
						mf_redirect_direct(p, &u->pk, rte_pktmbuf_mtod(rp[0],
							const uint8_t *), &memo->rw);
				}
			}
			if (p == NULL) { /* for the forward mode; keep <= base + start: no overlap */
				for (i = 0; i < u->n; i++)
					pkts[keep++] = rp[i];
				continue;
			}
			count_matched(&c, p, u->n, u->bytes);
			if (p->n_actions == 1 && p->act[0].ops->apply_run != NULL) {
				p->act[0].ops->apply_run(&c, p, &p->act[0], rp, u->n, &u->pk, u->bytes);
				continue;
			}
			for (i = 0; i < u->n; i++)
				chain(&c, p, rp[i], &u->pk);
		}
	}
	mf_pol_spent_free(&c);
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
	memset(&c, 0, sizeof(c));
	c.w = w;
	c.lc = &mf_pol.lcore[mf_pol_lcore_idx[w->lcore_id]];
	c.t = t;
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
	count_matched(&c, p, 1, m->pkt_len);
	chain(&c, p, m, &pk);
	mf_pol_spent_free(&c);
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

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * aggregate: pack small UDP messages bound for the same destination (address and port) into
 * fewer datagrams, each message preceded by its length (u16 or u32, big-endian, not counting
 * the prefix), the form split framed reads, so split framed on a second manifold (or the
 * TypeScript decodeAggregated, apps/policy/decoders.ts) gives the messages back. Not
 * terminal: each packed datagram goes on down the chain (redirect, replicate, split); when
 * aggregate is the last action it is counted "end_of_chain" and freed.
 *
 *   message (eth|ip|udp|payload) -> the worker's bin for (policy, dst ip, dst port):
 *     [seg 0: eth|ip|udp of its first message | len|msg | len|msg ...] -> [seg 1 ...] ...
 *   sent on when the next message would not fit in maxBytes ("full"), when its oldest
 *   message has waited maxDelayUs ("timer"), when its policy is updated or removed
 *   ("update"), when the worker's bins for that hash are all taken and it is the oldest
 *   ("evict"), or when the core stops ("stop").
 *
 * Messages are copied into segments of mf_pol.agg_pool: a 64-byte message costs one short
 * copy, where chaining it as a segment of its own would cost every NIC and receiver a
 * descriptor, and the rx mbuf goes back to its port's pool at once, so what is held is
 * bounded by this pool, not by the ports'. A message larger than maxBytes is counted
 * "oversize" and, after what its bin held, goes framed in a datagram of its own, or is
 * dropped (option), never cut.
 *
 * The timer: one compare per worker loop while nothing is held (mf_policy_timer, policy.h).
 * While something is, the worker looks at the deadlines and at the policy table every
 * iteration, and its idle back-off never sleeps past the earliest deadline (worker.c).
 * Per-worker state only: no lock, no atomic but the counters' relaxed stores.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "../counters.h"
#include "pol_internal.h"

#define MF_AGG_MIN 16u                /* smallest maxBytes */
#define MF_AGG_MAX 65507u             /* largest UDP payload over IPv4 */
#define MF_AGG_MAX_DELAY_US 10000000u /* 10 s */
#define MF_AGG_SEGS_MAX 40u           /* (65507 + 4 + headers) / 2048 rounded up, and spare */

struct mf_pol_timer mf_pol_timer[RTE_MAX_LCORE] = {
	[0 ... RTE_MAX_LCORE - 1] = { .next = UINT64_MAX },
};

/* ---- the packed datagram's segments ------------------------------------------------------ */

/* Makes room for `need` more bytes after b->tail: fresh segments chained, all or none. */
static int
chain_reserve(struct mf_agg_bin *b, uint32_t need)
{
	uint32_t have = rte_pktmbuf_tailroom(b->tail), cap = mf_pol.agg_seg_cap, k, i;
	struct rte_mbuf *segs[MF_AGG_SEGS_MAX];

	if (need <= have)
		return 0;
	k = (need - have + cap - 1) / cap;
	if (unlikely(k > MF_AGG_SEGS_MAX || rte_pktmbuf_alloc_bulk(mf_pol.agg_pool, segs, k) != 0))
		return -ENOBUFS;
	for (i = 0; i < k; i++) {
		segs[i]->data_off = 0; /* no headroom needed past the first segment */
		if (i != 0)
			segs[i - 1]->next = segs[i];
	}
	b->tail->next = segs[0];
	b->head->nb_segs = (uint16_t)(b->head->nb_segs + k);
	return 0;
}

/* Appends n bytes; chain_reserve made the room. */
static inline void
chain_write(struct mf_agg_bin *b, const uint8_t *src, uint32_t n)
{
	while (n != 0) {
		struct rte_mbuf *t = b->tail;
		uint32_t k = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(t), n);

		if (k == 0) {
			b->tail = t->next;
			continue;
		}
		rte_memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len), src, k);
		t->data_len = (uint16_t)(t->data_len + k);
		b->head->pkt_len += k;
		src += k;
		n -= k;
	}
}

/* Appends bytes [off, off + len) of m, segment by segment. */
static void
chain_write_mbuf(struct mf_agg_bin *b, const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	uint32_t n;

	for (; m != NULL && len != 0; m = m->next) {
		if (off >= m->data_len) {
			off -= m->data_len;
			continue;
		}
		n = RTE_MIN((uint32_t)m->data_len - off, len);
		chain_write(b, rte_pktmbuf_mtod_offset(m, const uint8_t *, off), n);
		len -= n;
		off = 0;
	}
}

static inline void
put_len(uint8_t *d, uint32_t plen, bool p32)
{
	if (p32) {
		d[0] = (uint8_t)(plen >> 24);
		d[1] = (uint8_t)(plen >> 16);
		d = d + 2;
	}
	d[0] = (uint8_t)(plen >> 8);
	d[1] = (uint8_t)plen;
}

/* bin_add when the message needs another segment, or comes in several. */
static __rte_noinline int
bin_add_chained(struct mf_agg_bin *b, const struct rte_mbuf *m, const struct mf_pol_pkt *pk,
		uint32_t plen, bool p32)
{
	uint32_t pre = p32 ? 4 : 2;
	uint8_t len[4];

	if (chain_reserve(b, pre + plen) < 0)
		return -ENOBUFS;
	put_len(len, plen, p32);
	chain_write(b, len, pre);
	chain_write_mbuf(b, m, pk->hdr_len, plen);
	b->bytes += pre + plen;
	b->msgs++;
	return 0;
}

/* One framed message: its length prefix, then its payload bytes. */
static inline int
bin_add(struct mf_agg_bin *b, const struct rte_mbuf *m, const struct mf_pol_pkt *pk,
	uint32_t plen, bool p32)
{
	uint32_t pre = p32 ? 4 : 2;
	struct rte_mbuf *t = b->tail;
	uint8_t *d;

	/* The common case: a one-segment message that fits the current segment. */
	if (likely(m->nb_segs == 1 && pre + plen <= rte_pktmbuf_tailroom(t))) {
		d = rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len);
		put_len(d, plen, p32);
		rte_memcpy(d + pre, rte_pktmbuf_mtod_offset(m, const uint8_t *, pk->hdr_len), plen);
		t->data_len = (uint16_t)(t->data_len + pre + plen);
		b->head->pkt_len += pre + plen;
		b->bytes += pre + plen;
		b->msgs++;
		return 0;
	}
	return bin_add_chained(b, m, pk, plen, p32);
}

/* A new datagram for b: the headers of its first message m. */
static int
bin_open(struct mf_agg_bin *b, struct rte_mbuf *m, const struct mf_pol_pkt *pk)
{
	struct rte_mbuf *h = rte_pktmbuf_alloc(mf_pol.agg_pool);

	if (unlikely(h == NULL))
		return -ENOBUFS;
	rte_memcpy(rte_pktmbuf_append(h, pk->hdr_len), rte_pktmbuf_mtod(m, const void *),
		   pk->hdr_len);
	b->head = h;
	b->tail = h;
	b->bytes = 0;
	b->msgs = 0;
	b->pk = *pk;
	return 0;
}

/* Lengths and checksums of the packed datagram, which is then a valid IPv4/UDP packet. */
static struct rte_mbuf *
bin_finish(struct mf_agg_bin *b)
{
	struct rte_mbuf *m = b->head;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							  RTE_ETHER_HDR_LEN);
	struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, b->pk.l4_off);
	uint16_t ulen = (uint16_t)(sizeof(*udp) + b->bytes), sum = 0, ck;

	ip->total_length = rte_cpu_to_be_16((uint16_t)(b->pk.l4_off - RTE_ETHER_HDR_LEN + ulen));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_len = rte_cpu_to_be_16(ulen);
	udp->dgram_cksum = 0;
	/* Over the whole datagram: a receiver checks what the messages became together. */
	mf_pol_udp_sum(m, ip, b->pk.l4_off, ulen, &sum); /* the bytes are ours: always there */
	ck = (uint16_t)~sum;
	udp->dgram_cksum = ck == 0 ? 0xffff : ck;
	m->ol_flags = 0;
	b->pk.hdr_len = (uint16_t)(b->pk.l4_off + sizeof(*udp));
	return m;
}

/* ---- counters ------------------------------------------------------------------------------- */

static inline unsigned int
hold_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned int k = us == 0 ? 0 : 64u - (unsigned int)__builtin_clzll(us);

	return RTE_MIN(k, (unsigned int)MF_AGG_HOLD_BUCKETS - 1);
}

static void
count_datagram(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_agg_bin *b)
{
	struct mf_pol_acnt *ac = &c->lc->pcnt[p->cnt].agg;
	uint64_t ns = c->now > b->first_tsc ?
		      (c->now - b->first_tsc) * 1000 / mf_pol.tsc_per_us : 0;

	mf_cnt_add(&ac->datagrams, 1);
	mf_cnt_add(&ac->packed, b->msgs);
	mf_cnt_add(&ac->hold_hist[hold_bucket(ns)], 1);
	if (ns > ac->hold_max_ns)
		__atomic_store_n(&ac->hold_max_ns, ns, __ATOMIC_RELAXED);
}

/* ---- bins ----------------------------------------------------------------------------------- */

/* The rest of the chain after action ai, for a packed datagram. */
static void
chain_rest(struct mf_pol_ctx *c, const struct mf_pol *p, unsigned int ai, struct rte_mbuf *m,
	   const struct mf_pol_pkt *pk)
{
	unsigned int i;

	if (ai + 1 == p->n_actions) {
		mf_pol_drop(c, p, MF_POLICY_DROP_END_OF_CHAIN, m);
		return;
	}
	for (i = ai + 1; i < p->n_actions; i++)
		if (p->act[i].ops->apply(c, p, &p->act[i], m, pk))
			return;
	rte_pktmbuf_free(m); /* a replicate ended it: the copies were the point */
}

static void
bin_detach(struct mf_pol_ctx *c, struct mf_agg_bin *b)
{
	struct mf_agg_lcore *ag = &c->lc->agg;
	uint16_t last = ag->active[--ag->n_active];

	ag->active[b->slot] = last;
	ag->bin[last].slot = b->slot;
	b->p = NULL;
	b->head = NULL;
	b->tail = NULL;
	if (ag->n_active == 0)
		mf_pol_timer[c->w->lcore_id].next = UINT64_MAX;
}

/* Send on what b holds, for reason `why`. */
static void
bin_flush(struct mf_pol_ctx *c, struct mf_agg_bin *b, enum mf_agg_flush why)
{
	const struct mf_pol *p = b->p;
	unsigned int ai = b->ai;
	uint16_t in_port = c->in_port;
	struct rte_mbuf *m = bin_finish(b);
	struct mf_pol_pkt pk = b->pk;

	count_datagram(c, p, b);
	mf_cnt_add(&c->lc->pcnt[p->cnt].agg.flush[why], 1);
	bin_detach(c, b);
	c->in_port = b->in_port;
	chain_rest(c, p, ai, m, &pk);
	c->in_port = in_port;
}

static inline uint32_t
bin_hash(const struct mf_pol *p, uint32_t dst, uint16_t dport)
{
	uint64_t h = ((uint64_t)dst << 16 | dport) ^ ((uintptr_t)p >> 4);

	return (uint32_t)((h * 0x9e3779b97f4a7c15ull) >> 40) & (MF_AGG_BINS - 1);
}

/* The bin of (p, destination); else a free one among its ways; else, when `create`, the oldest
 * of them flushed ("evict") and returned free, and NULL otherwise. A returned bin with p NULL
 * holds nothing yet. */
static struct mf_agg_bin *
bin_get(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_pkt *pk, bool create)
{
	struct mf_agg_lcore *ag = &c->lc->agg;
	struct mf_agg_bin *b = ag->last, *free_bin = NULL, *oldest = NULL;
	uint32_t h, i;

	/* A stream to one destination comes in runs: its bin is most often the last one. */
	if (b->p == p && b->dst == pk->dst && b->dport == pk->dport)
		return b;
	h = bin_hash(p, pk->dst, pk->dport);
	for (i = 0; i < MF_AGG_WAYS; i++) {
		b = &ag->bin[(h + i) & (MF_AGG_BINS - 1)];
		if (b->p == NULL) {
			if (free_bin == NULL)
				free_bin = b;
		} else if (b->p == p && b->dst == pk->dst && b->dport == pk->dport) {
			ag->last = b;
			return b;
		} else if (oldest == NULL || b->first_tsc < oldest->first_tsc) {
			oldest = b;
		}
	}
	if (!create || free_bin != NULL)
		return free_bin;
	bin_flush(c, oldest, MF_AGG_FLUSH_EVICT);
	return oldest;
}

static void
bin_take(struct mf_pol_ctx *c, struct mf_agg_bin *b, const struct mf_pol *p, unsigned int ai,
	 const struct mf_pol_pkt *pk, uint32_t delay_us)
{
	struct mf_agg_lcore *ag = &c->lc->agg;
	uint64_t *next = &mf_pol_timer[c->w->lcore_id].next;

	b->p = p;
	b->ai = (uint8_t)ai;
	b->dst = pk->dst;
	b->dport = pk->dport;
	b->in_port = c->in_port;
	b->first_tsc = c->now;
	b->deadline = c->now + (uint64_t)delay_us * mf_pol.tsc_per_us;
	b->slot = (uint16_t)ag->n_active;
	ag->active[ag->n_active++] = (uint16_t)(b - ag->bin);
	ag->last = b;
	if (b->deadline < *next)
		*next = b->deadline;
}

/* ---- outside the burst ------------------------------------------------------------------------ */

static bool
in_table(const struct mf_pol_table *t, const struct mf_pol *p)
{
	uint32_t i;

	if (t == NULL)
		return false;
	for (i = 0; i < t->n; i++)
		if (t->all[i] == p)
			return true;
	return false;
}

/* c->t is not the table the bins were checked against: flush the bins whose policy it no
 * longer lists (updated or removed). Their objects are still valid: see struct mf_agg_lcore. */
void
mf_pol_agg_retable(struct mf_pol_ctx *c)
{
	struct mf_agg_lcore *ag = &c->lc->agg;
	uint32_t i = ag->n_active;

	while (i-- > 0) { /* backwards: a flush moves the last active bin into its place */
		struct mf_agg_bin *b = &ag->bin[ag->active[i]];

		if (!in_table(c->t, b->p))
			bin_flush(c, b, MF_AGG_FLUSH_UPDATE);
	}
	ag->table = c->t;
}

void
mf_pol_agg_expire(struct mf_pol_ctx *c)
{
	struct mf_agg_lcore *ag = &c->lc->agg;
	uint64_t next = UINT64_MAX;
	uint32_t i = ag->n_active;

	while (i-- > 0) {
		struct mf_agg_bin *b = &ag->bin[ag->active[i]];

		if (b->deadline <= c->now)
			bin_flush(c, b, MF_AGG_FLUSH_TIMER);
		else if (b->deadline < next)
			next = b->deadline;
	}
	mf_pol_timer[c->w->lcore_id].next = ag->n_active != 0 ? next : UINT64_MAX;
}

void
mf_pol_agg_flush_all(struct mf_pol_ctx *c, enum mf_agg_flush why)
{
	struct mf_agg_lcore *ag = &c->lc->agg;

	while (ag->n_active != 0)
		bin_flush(c, &ag->bin[ag->active[ag->n_active - 1]], why);
}

/* A context outside the burst (its spent array stays unused: nothing is consumed here). */
static void
agg_ctx(struct mf_pol_ctx *c, struct mf_worker *w, const struct mf_pol_table *t, uint64_t now)
{
	c->w = w;
	c->lc = &mf_pol.lcore[mf_pol_lcore_idx[w->lcore_id]];
	c->t = t;
	c->now = now;
	c->in_port = 0;
	c->frag_mtu = 0;
	c->n_spent = 0;
}

void
mf_policy_agg_poll(struct mf_worker *w, uint64_t now)
{
	const struct mf_pol_table *t = __atomic_load_n(&mf_pol_current, __ATOMIC_ACQUIRE);
	struct mf_pol_ctx c;

	/* Under traffic this runs every loop: most often nothing is due and nothing changed. */
	if (likely(t == mf_pol.lcore[mf_pol_lcore_idx[w->lcore_id]].agg.table &&
		   now < mf_pol_timer[w->lcore_id].next))
		return;
	agg_ctx(&c, w, t, now);
	if (c.t != c.lc->agg.table)
		mf_pol_agg_retable(&c);
	if (now >= mf_pol_timer[w->lcore_id].next)
		mf_pol_agg_expire(&c);
	if (c.lc->dirty != 0)
		mf_pol_flush(&c);
}

void
mf_policy_worker_stop(struct mf_worker *w)
{
	struct mf_pol_ctx c;

	if (mf_pol.lcore == NULL || mf_pol_timer[w->lcore_id].next == UINT64_MAX)
		return;
	agg_ctx(&c, w, __atomic_load_n(&mf_pol_current, __ATOMIC_ACQUIRE), rte_rdtsc());
	if (c.t != c.lc->agg.table)
		mf_pol_agg_retable(&c);
	mf_pol_agg_flush_all(&c, MF_AGG_FLUSH_STOP);
	if (c.lc->dirty != 0)
		mf_pol_flush(&c);
}

/* ---- the fast path ------------------------------------------------------------------------------ */

/* A message over maxBytes, framed in a datagram of its own (what its bin held went first). */
static void
send_alone(struct mf_pol_ctx *c, const struct mf_pol *p, unsigned int ai, struct rte_mbuf *m,
	   const struct mf_pol_pkt *pk, uint32_t plen, bool p32)
{
	struct mf_agg_bin one;
	struct rte_mbuf *out;

	if (plen + (p32 ? 4 : 2) > MF_AGG_MAX) { /* framed, it would not fit any datagram */
		mf_pol_drop(c, p, MF_POLICY_DROP_OVERSIZE, m);
		return;
	}
	memset(&one, 0, sizeof(one));
	if (bin_open(&one, m, pk) < 0) {
		mf_pol_drop(c, p, MF_POLICY_DROP_NOMBUF, m);
		return;
	}
	if (bin_add(&one, m, pk, plen, p32) < 0) {
		rte_pktmbuf_free(one.head);
		mf_pol_drop(c, p, MF_POLICY_DROP_NOMBUF, m);
		return;
	}
	rte_pktmbuf_free(m);
	one.first_tsc = c->now;
	out = bin_finish(&one);
	count_datagram(c, p, &one);
	chain_rest(c, p, ai, out, &one.pk);
}

static int
aggregate_apply(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_action *a,
		struct rte_mbuf *m, const struct mf_pol_pkt *pk)
{
	unsigned int ai = (unsigned int)(a - p->act);
	/* The parameters live in the policy's wire form, immutable like the rest of it. */
	const struct mf_policy_action *w = &p->wire.action[ai];
	bool p32 = (w->flags & MF_AGG_PREFIX32) != 0;
	uint32_t pre = p32 ? 4 : 2, plen;
	const struct rte_udp_hdr *udp;
	struct mf_agg_bin *b;

	if (mf_pol_drop_unless_udp(c, p, m, pk))
		return 1;
	/* The UDP length, not the frame's: a short frame carries Ethernet padding. */
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, pk->l4_off);
	plen = RTE_MIN((uint32_t)rte_be_to_cpu_16(udp->dgram_len), m->pkt_len - pk->l4_off);
	if (unlikely(plen < sizeof(*udp))) {
		mf_pol_drop(c, p, MF_POLICY_DROP_NOT_UDP, m);
		return 1;
	}
	plen -= (uint32_t)sizeof(*udp);
	if (c->now == 0)
		c->now = rte_rdtsc();
	if (unlikely(c->lc->agg.table != c->t)) {
		if (c->lc->agg.n_active != 0)
			mf_pol_agg_retable(c);
		c->lc->agg.table = c->t;
	}
	mf_cnt_add(&c->lc->pcnt[p->cnt].agg.messages, 1);

	if (unlikely(pre + plen > w->param)) {
		mf_cnt_add(&c->lc->pcnt[p->cnt].agg.oversize, 1);
		b = bin_get(c, p, pk, false);
		if (b != NULL && b->p != NULL)
			bin_flush(c, b, MF_AGG_FLUSH_FULL); /* order kept: what came before goes first */
		if (w->flags & MF_AGG_OVERSIZE_DROP)
			mf_pol_drop(c, p, MF_POLICY_DROP_OVERSIZE, m);
		else
			send_alone(c, p, ai, m, pk, plen, p32);
		return 1;
	}
	b = bin_get(c, p, pk, true);
	if (b->p != NULL && b->bytes + pre + plen > w->param)
		bin_flush(c, b, MF_AGG_FLUSH_FULL);
	if (b->p == NULL) {
		if (bin_open(b, m, pk) < 0) {
			mf_pol_drop(c, p, MF_POLICY_DROP_NOMBUF, m);
			return 1;
		}
		bin_take(c, b, p, ai, pk, w->param32);
	}
	if (unlikely(bin_add(b, m, pk, plen, p32) < 0)) {
		mf_pol_drop(c, p, MF_POLICY_DROP_NOMBUF, m);
		if (b->msgs == 0) { /* opened for this message: nothing to send */
			rte_pktmbuf_free(b->head);
			bin_detach(c, b);
		}
		return 1;
	}
	mf_pol_spent(c, m);
	if (w->param - b->bytes < pre) /* not even an empty message fits any more */
		bin_flush(c, b, MF_AGG_FLUSH_FULL);
	return 1;
}

static int
aggregate_validate(const struct mf_policy_wire *wire, unsigned int ai, char *err, size_t len)
{
	const struct mf_policy_action *a = &wire->action[ai];
	unsigned int i;

	if ((a->flags & ~(MF_AGG_PREFIX32 | MF_AGG_OVERSIZE_DROP)) != 0) {
		snprintf(err, len, "actions[%u]: flags 0x%02x are not aggregate options; they are "
			 "prefix32 0x01 and oversize drop 0x02", ai, a->flags);
		return -EINVAL;
	}
	if (a->param < MF_AGG_MIN || a->param > MF_AGG_MAX) {
		snprintf(err, len, "actions[%u].maxBytes: %u is out of range; use %u..%u bytes of "
			 "UDP payload", ai, a->param, MF_AGG_MIN, MF_AGG_MAX);
		return -EINVAL;
	}
	if (a->param32 < 1 || a->param32 > MF_AGG_MAX_DELAY_US) {
		snprintf(err, len, "actions[%u].maxDelayUs: %u is out of range; use 1..%u "
			 "microseconds", ai, a->param32, MF_AGG_MAX_DELAY_US);
		return -EINVAL;
	}
	for (i = 0; i < ai; i++) {
		if (wire->action[i].type == MF_ACTION_AGGREGATE) {
			snprintf(err, len, "actions[%u]: a chain takes one aggregate, and actions[%u] "
				 "is one already", ai, i);
			return -EINVAL;
		}
	}
	return 0;
}

const struct mf_action_ops mf_action_aggregate = {
	.name = "aggregate",
	.type = MF_ACTION_AGGREGATE,
	.terminal = false,
	.needs_udp = true,
	.dest_key = NULL,
	.min_dests = 0,
	.max_dests = 0,
	.validate = aggregate_validate,
	.apply = aggregate_apply,
	.fini = NULL,
};

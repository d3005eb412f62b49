/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Inside the policy engine: the policy object, the published table, per-lcore counters and
 * tx staging, and the action ops table. Nothing outside core/policy/ includes this.
 *
 * Life of a policy object: built and validated by the control lcore (validate.c), immutable
 * once published. A change (update, destinations added or removed) builds a new object and a
 * new table; the old ones are freed after an RCU grace period. `refs` counts the store (1
 * while current) plus every table that lists the object; counter slots are reference counted
 * the same way, so a destination's counters survive the objects that come and go around it.
 */
#ifndef MF_POL_INTERNAL_H
#define MF_POL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "../core.h"
#include "policy.h"
#include "rewrite.h"

#define MF_POL_DEST_SLOTS 65536u /* destinations over all policies */
#define MF_POL_STAGE 64u         /* copies staged per egress port before a tx burst */
#define MF_POL_SEND_BURST 32u
#define MF_POL_SPENT 64u         /* consumed packets a burst frees at once */

/* Per-lcore counters, written by their worker only (mf_cnt_add), summed on request. */
/* What an aggregate action did: the terms of struct mf_policy_agg_stats. */
struct mf_pol_acnt {
	uint64_t messages;
	uint64_t packed;
	uint64_t datagrams;
	uint64_t flush[MF_AGG_FLUSH_MAX];
	uint64_t oversize;
	uint64_t hold_max_ns;           /* a maximum: folded by max, not summed */
	uint64_t hold_hist[MF_AGG_HOLD_BUCKETS];
};

struct mf_pol_pcnt {
	uint64_t matched;
	uint64_t matched_bytes;
	uint64_t sent;
	uint64_t sent_bytes;
	uint64_t drop[MF_POLICY_DROP_MAX];
	struct mf_pol_acnt agg;
};

struct mf_pol_dcnt {
	uint64_t packets;
	uint64_t bytes;
	uint64_t drop_nombuf;
	uint64_t drop_tx_full;
};

/* A destination, with what the fast path needs prebuilt. */
struct mf_pol_dest {
	struct rte_ether_addr dst_mac;  /* dst_mac and src_mac, in this order, are the 12 bytes */
	struct rte_ether_addr src_mac;  /* the egress port's; of the new Ethernet header */
	uint16_t port;
	uint16_t dpdk_id;
	rte_be32_t ip_be;
	rte_be32_t src_ip_be;
	rte_be16_t udp_port_be;
	rte_be16_t src_udp_port_be;     /* 0: keep the packet's */
	uint32_t cnt;                   /* counter slot */
	uint32_t next_hop;              /* host order: ARP target when !has_mac */
	bool has_mac;                   /* else the stack fills the MAC (mf_stack_output) */
	uint8_t action;                 /* index of its action in the chain */
	struct mf_policy_dest wire;     /* as it was given, for GET */
};

_Static_assert(offsetof(struct mf_pol_dest, src_mac) ==
	       offsetof(struct mf_pol_dest, dst_mac) + RTE_ETHER_ADDR_LEN,
	       "the rewrite copies dst_mac and src_mac as one 12-byte Ethernet prefix");

struct mf_pol;
struct mf_pol_ctx;
struct mf_pol_pkt;
struct mf_pol_action;

/* One action kind (one file each), in the manner of testpmd's struct fwd_engine. */
struct mf_action_ops {
	const char *name;          /* as in the JSON form: "redirect" */
	uint8_t type;              /* enum mf_action_type */
	bool terminal;             /* consumes the packet: must end the chain */
	bool needs_udp;            /* rewrites UDP: the match must say protocol udp */
	const char *dest_key;      /* JSON key of its destinations, NULL if it has none */
	uint32_t min_dests;
	uint32_t max_dests;        /* 0: the core's destinations-per-policy limit */
	/* Extra checks beyond the common ones; 0 or -errno with "field: why" in err. */
	int (*validate)(const struct mf_policy_wire *wire, unsigned int ai, char *err, size_t len);
	/* Checks one destination instead of mf_pol_dest_check (may be NULL): deliver's socket. */
	int (*dest_check)(const struct mf_core *core, const struct mf_policy_dest *d,
			  const char *where, char *err, size_t len);
	/* Fast path: 1 if it consumed m, 0 if m goes on to the next action. */
	int (*apply)(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_action *a,
		     struct rte_mbuf *m, const struct mf_pol_pkt *pk);
	/* Fast path, optional, for a policy whose whole chain is this action: consume a run of
	 * n packets of one flow (pk describes each of them), `bytes` long in all, in one call. */
	void (*apply_run)(struct mf_pol_ctx *c, const struct mf_pol *p,
			  const struct mf_pol_action *a, struct rte_mbuf **pkts, uint16_t n,
			  const struct mf_pol_pkt *pk, uint64_t bytes);
	/* Release what the action holds when its policy object is freed (may be NULL). */
	void (*fini)(struct mf_pol_action *a);
};

struct mf_pol_action {
	const struct mf_action_ops *ops;
	uint32_t n_dests;
	struct mf_pol_dest *dests;      /* into mf_pol.dests */
};

struct mf_pol {
	struct mf_policy_wire wire;     /* id, priority, lifetime, match, action types */
	uint64_t seq;                   /* order of first add: ties in priority go to the older */
	uint32_t owner;                 /* client slot, or MF_POLICY_NO_OWNER */
	uint32_t cnt;                   /* policy counter slot */
	uint32_t refs;
	bool staged;
	/* match, prebuilt in host order */
	uint32_t src_net, src_mask, dst_net, dst_mask;
	bool exact;                     /* dst ip/32 + dst port + proto: found through the hash */
	unsigned int n_actions;
	struct mf_pol_action act[MF_POLICY_MAX_ACTIONS];
	uint32_t n_dests;
	struct mf_pol_dest dests[];
};

/* Key of the exact-service hash. */
struct mf_pol_key {
	uint32_t ip;     /* host order */
	uint16_t port;   /* host order */
	uint8_t proto;
	uint8_t pad[9];  /* 16 bytes: rte_hash compares those with SSE, not memcmp */
};

struct mf_pol_bucket {
	uint32_t n;
	struct mf_pol **pol;            /* priority order */
};

/* An rte_hash from service key to bucket index, shared by successive tables with the same
 * exact keys (an update that changes destinations or actions builds no new hash). */
struct mf_pol_hash {
	struct rte_hash *h;
	uint32_t refs;
	uint32_t n;
	struct mf_pol_key keys[];       /* bucket order */
};

/* A destination prefix some policy of a table names: fragments to it are reassembled. */
struct mf_pol_svc {
	uint32_t net;
	uint32_t mask;
};

struct mf_pol_table {
	struct rte_hash *hash;          /* hs->h: key -> bucket index; NULL if none is exact */
	struct mf_pol_hash *hs;
	struct mf_pol_bucket *buckets;
	uint32_t n_buckets;
	uint32_t n_wild;
	struct mf_pol **wild;           /* priority order */
	uint32_t n;
	struct mf_pol **all;            /* every policy it references (for refs) */
	bool has_agg;                   /* some policy has an aggregate action */
	uint64_t gen;                   /* unique per table, never 0: names it in a flow memo */
	uint32_t n_svc;
	struct mf_pol_svc *svc;         /* distinct destination prefixes of its policies */
	/* retirement */
	struct mf_pol_table *next;
	uint64_t token;
	uint8_t graces;                 /* grace periods still to wait (2 with has_agg, else 1) */
};

/* What classify learned of a packet. */
struct mf_pol_pkt {
	bool ipv4;
	uint32_t src;       /* host order */
	uint32_t dst;
	uint16_t sport;     /* host order; 0 if not UDP/TCP or a fragment */
	uint16_t dport;
	uint8_t proto;      /* 0 if not IPv4 */
	bool frag;
	uint16_t l4_off;    /* offset of the UDP header */
	uint16_t hdr_len;   /* l4_off + 8 for UDP */
};

/* Consecutive staged mbufs for one (policy, destination): counted together once sent. */
struct mf_pol_seg {
	uint32_t pslot;
	uint32_t dslot;
	uint32_t n;
	uint64_t bytes;
};

/* A worker's tx staging for one egress port: the mbufs, and their counter slots in runs. */
struct mf_pol_stage {
	uint16_t n;
	uint16_t n_seg;
	struct rte_mbuf *m[MF_POL_STAGE];
	struct mf_pol_seg seg[MF_POL_STAGE];
};

/* The flow key of an IPv4 packet without options whose first segment holds its UDP/TCP ports:
 * the raw header fields that decide its classification (the addresses, the ports, the
 * protocol, whether it is a fragment). Equal keys on one ingress port match the same policy. */
struct mf_pol_fkey {
	uint64_t addrs;     /* source and destination, as in the header */
	uint32_t ports;     /* source and destination, as in the header */
	uint32_t pf;        /* the MF and offset bits and the protocol, as in the header */
};

/* The last flow a worker classified on one ingress port, reused while the table is the same
 * one (gen): a stream of one flow skips the hash lookup in every burst, not only in runs
 * within a burst. When its policy is a lone redirect, the flow's rewrite template is kept too,
 * and a burst that starts with that flow is rewritten and sent in one loop (classify.c,
 * direct_prefix). */
struct mf_pol_memo {
	uint64_t gen;                   /* of the table it was classified against; 0: none */
	struct mf_pol_fkey key;
	const struct mf_pol *p;         /* NULL: no policy matched */
	const struct mf_pol_dest *direct; /* non-NULL: p redirects the flow here, with rw */
	struct mf_pol_rw rw;
};

/* aggregate (action_aggregate.c): one bin per (policy, destination address and port) that
 * holds messages, per worker. */
#define MF_AGG_BINS 256u /* per worker, a power of 2 */
#define MF_AGG_WAYS 4u   /* bins a key may use: its hash slot and the next three */

struct mf_agg_bin {
	const struct mf_pol *p;         /* NULL: free. Valid while agg.table lists it (see below) */
	uint32_t dst;                   /* key, host order */
	uint16_t dport;
	uint16_t in_port;
	uint8_t ai;                     /* index of the aggregate action in p's chain */
	uint16_t slot;                  /* index in the active list */
	uint32_t bytes;                 /* UDP payload packed so far, prefixes included */
	uint32_t msgs;
	uint64_t first_tsc;             /* when its oldest message came */
	uint64_t deadline;              /* first_tsc + maxDelayUs */
	struct rte_mbuf *head;          /* headers of the first message, then the messages */
	struct rte_mbuf *tail;
	struct mf_pol_pkt pk;           /* the first message's header offsets */
};

struct mf_agg_lcore {
	/* The table the held bins' policies were last found in. A worker checks every loop
	 * iteration while it holds anything (mf_policy_timer) and at the first aggregate of a
	 * burst; a bin whose policy left the table is flushed then, in the same iteration, and
	 * retired tables that listed aggregate policies wait two grace periods (table.c), so a
	 * held policy is never freed under its bin. */
	const struct mf_pol_table *table;
	struct mf_agg_bin *last;        /* the bin last used (never NULL once initialised) */
	uint32_t n_active;
	uint16_t active[MF_AGG_BINS];   /* bins holding messages */
	struct mf_agg_bin bin[MF_AGG_BINS];
};

struct mf_pol_lcore {
	struct mf_pol_stage stage[MF_MAX_PORTS];
	uint32_t dirty;                 /* bit p: stage[p] has packets */
	struct mf_pol_memo memo[MF_MAX_PORTS]; /* by ingress port */
	struct mf_pol_pcnt *pcnt;       /* [MF_POLICY_CAP] */
	struct mf_pol_dcnt *dcnt;       /* [MF_POL_DEST_SLOTS] */
	struct mf_agg_lcore agg;
} __rte_cache_aligned;

/* What an action gets besides the packet. */
struct mf_pol_ctx {
	struct mf_worker *w;
	struct mf_pol_lcore *lc;
	const struct mf_pol_table *t;   /* the table this burst classifies against */
	uint64_t now;                   /* TSC of the burst, read by the first action needing it */
	uint16_t in_port;
	uint16_t frag_mtu;              /* != 0 while a split ipfrag runs: sends fragment */
	uint16_t n_spent;
	struct rte_mbuf *spent[MF_POL_SPENT]; /* consumed packets, freed in bulk */
};

/* A packet the chain is done with (its bytes were copied): freed with the others in bulk. */
static inline void
mf_pol_spent(struct mf_pol_ctx *c, struct rte_mbuf *m)
{
	if (unlikely(c->n_spent == MF_POL_SPENT)) {
		rte_pktmbuf_free_bulk(c->spent, c->n_spent);
		c->n_spent = 0;
	}
	c->spent[c->n_spent++] = m;
}

static inline void
mf_pol_spent_free(struct mf_pol_ctx *c)
{
	if (c->n_spent != 0) {
		rte_pktmbuf_free_bulk(c->spent, c->n_spent);
		c->n_spent = 0;
	}
}

/* Shared state of the engine (policy.c). */
struct mf_pol_state {
	unsigned int n_lcores;
	struct mf_pol_lcore *lcore;             /* [n_lcores] */
	struct rte_mempool *hdr_pool;           /* copies' header mbufs */
	struct rte_mempool *clone_pool;         /* indirect mbufs for payload clones */
	struct rte_mempool *piece_pool;         /* split: pieces small enough to copy whole */
	uint32_t piece_room;                    /* bytes of one of its mbufs, no headroom */
	struct rte_mempool *agg_pool;           /* aggregate: segments of packed datagrams */
	uint32_t agg_seg_cap;                   /* bytes of one of its segments, no headroom */
	uint64_t tsc_per_us;
	uint16_t port_mtu[MF_MAX_PORTS];        /* what a send may be before it is fragmented */
	bool port_rx_prefetch[MF_MAX_PORTS];    /* its frames are not in cache (struct mf_port) */
	uint32_t max_policies;
	uint32_t max_dests;
	/* control-side store */
	uint32_t n_store;
	struct mf_pol *store[MF_POLICY_CAP];
	uint64_t next_seq;
	uint32_t n_dslots_used;
	uint32_t pslot_refs[MF_POLICY_CAP];
	uint32_t *dslot_refs;                   /* [MF_POL_DEST_SLOTS] */
	uint32_t dslot_hint;
	uint32_t pslot_hint;
	/* retired tables, oldest first */
	struct mf_pol_table *retired_head;
	struct mf_pol_table *retired_tail;
	uint32_t n_retired;
	uint32_t hash_seq;
	uint64_t table_gen;                     /* the last table's gen */
	struct mf_pol_hash *last_hash;          /* the newest, reused while its keys fit */
	bool dirty;                             /* store changed since the last publish */
};

extern struct mf_pol_state mf_pol;
extern struct mf_pol *mf_pol_staging[MF_MAX_CLIENTS]; /* a staged policy per client */

/* Whether m leaves destination d's port as it is, without fragmentation (the fast paths
 * send only such packets; mf_pol_send fragments the others). */
static inline bool
mf_pol_fits_mtu(const struct mf_pol_dest *d, const struct rte_mbuf *m)
{
	return m->pkt_len <= (uint32_t)RTE_ETHER_HDR_LEN + mf_pol.port_mtu[d->port];
}

/* The UDP checksum's sum: ulen bytes of m from l4_off (in any segments) and the IPv4 pseudo
 * header for that length, folded. A datagram whose checksum is right sums to 0xffff; a sender
 * stores ~sum (0xffff for 0). false when m does not hold those bytes. */
static inline bool
mf_pol_udp_sum(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t l4_off,
	       uint32_t ulen, uint16_t *sum)
{
	struct {
		rte_be32_t src, dst;
		uint8_t zero, proto;
		rte_be16_t len;
	} __rte_packed ph = { ip->src_addr, ip->dst_addr, 0, IPPROTO_UDP,
			      rte_cpu_to_be_16((uint16_t)ulen) };
	uint16_t raw;
	uint32_t s;

	if (rte_raw_cksum_mbuf(m, l4_off, ulen, &raw) != 0)
		return false;
	s = (uint32_t)rte_raw_cksum(&ph, sizeof(ph)) + raw;
	s = (s & 0xffff) + (s >> 16);
	*sum = (uint16_t)((s & 0xffff) + (s >> 16));
	return true;
}

/* action.c */
extern const struct mf_action_ops mf_action_redirect;
extern const struct mf_action_ops mf_action_replicate;
extern const struct mf_action_ops mf_action_deliver;
extern const struct mf_action_ops mf_action_drop;
extern const struct mf_action_ops mf_action_split;
extern const struct mf_action_ops mf_action_aggregate;
const struct mf_action_ops *mf_action_find(uint8_t type);
/* "redirect, replicate, deliver, drop" */
const char *mf_action_names(void);

/* send.c: fast-path helpers shared by actions */
/* Send a rewritten packet to d: staged for a tx burst, or through the stack's neighbour
 * cache when d has no MAC. */
void mf_pol_send(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d,
		 struct rte_mbuf *m);
void mf_pol_stage_send(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d,
		       struct rte_mbuf *m);
/* Stage n packets for d at once, `bytes` long in all (every one has a MAC: d->has_mac). */
void mf_pol_stage_run(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d,
		      struct rte_mbuf **pkts, uint16_t n, uint64_t bytes);
/* Send n packets for d now, on this worker's queue of d->port, and count them; only while
 * nothing is staged for that port (the start of a burst), so the order stays. */
void mf_pol_tx_now(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d,
		   struct rte_mbuf **pkts, uint16_t n, uint64_t bytes);
void mf_pol_flush(struct mf_pol_ctx *c);
/* split_frag.c: send m to d as IPv4 fragments of at most mtu bytes */
void mf_pol_frag_send(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d,
		      struct rte_mbuf *m, uint16_t mtu);
void mf_pol_rewrite(const struct mf_pol_dest *d, const struct mf_pol_pkt *pk, uint8_t *hdr);

/* The rewrite template toward d for packets with the headers at hdr (as they are now). */
static inline void
mf_pol_rw_for(struct mf_pol_rw *rw, const struct mf_pol_dest *d, const struct mf_pol_pkt *pk,
	      const uint8_t *hdr)
{
	const struct mf_pol_rw_dest rd = {
		.eth = d->dst_mac.addr_bytes,
		.src_ip_be = d->src_ip_be,
		.dst_ip_be = d->ip_be,
		.src_port_be = d->src_udp_port_be,
		.dst_port_be = d->udp_port_be,
	};

	mf_pol_rw_prepare(rw, &rd, hdr + RTE_ETHER_HDR_LEN, hdr + pk->l4_off);
}

/* action_redirect.c: if p is a lone redirect that packets like pk (headers at hdr, before any
 * rewrite) take without the chain, its destination, with their template in rw; else NULL. */
const struct mf_pol_dest *mf_redirect_direct(const struct mf_pol *p, const struct mf_pol_pkt *pk,
					     const uint8_t *hdr, struct mf_pol_rw *rw);

static inline void
mf_pol_drop(struct mf_pol_ctx *c, const struct mf_pol *p, enum mf_policy_drop why,
	    struct rte_mbuf *m)
{
	struct mf_pol_pcnt *pc = &c->lc->pcnt[p->cnt];

	__atomic_store_n(&pc->drop[why], pc->drop[why] + 1, __ATOMIC_RELAXED);
	rte_pktmbuf_free(m);
}

/* The UDP actions need a whole datagram whose UDP header is in the first segment. When m is
 * not one, it is dropped, counted by reason, and this returns true. */
static inline bool
mf_pol_drop_unless_udp(struct mf_pol_ctx *c, const struct mf_pol *p, struct rte_mbuf *m,
		       const struct mf_pol_pkt *pk)
{
	if (unlikely(pk->frag)) {
		mf_pol_drop(c, p, MF_POLICY_DROP_FRAGMENT, m);
		return true;
	}
	if (unlikely(pk->hdr_len == 0)) {
		mf_pol_drop(c, p, MF_POLICY_DROP_NOT_UDP, m);
		return true;
	}
	return false;
}

/* action_aggregate.c: the worker's held bins, outside the burst */
void mf_pol_agg_retable(struct mf_pol_ctx *c);
void mf_pol_agg_expire(struct mf_pol_ctx *c);
void mf_pol_agg_flush_all(struct mf_pol_ctx *c, enum mf_agg_flush why);

/* validate.c: wire -> policy object (not yet in the store); 0 or -errno with the field. */
int mf_pol_build(struct mf_core *core, const struct mf_policy_wire *wire,
		 const struct mf_policy_dest *dests, uint32_t n_in, uint32_t in_len,
		 struct mf_pol **out, char *err, size_t len);
int mf_pol_dest_check(const struct mf_core *core, const struct mf_policy_dest *d,
		      const char *where, char *err, size_t len);
void mf_pol_dest_prepare(struct mf_pol_dest *rt, const struct mf_policy_dest *d,
			 uint8_t action);
int mf_pol_id_check(const char *id, char *err, size_t len);

/* table.c: the store, counter slots, build + publish + reclaim */
struct mf_pol *mf_pol_find(const char *id, uint32_t *index);
struct mf_pol *mf_pol_alloc(uint32_t n_dests);
int mf_pol_slots_take(struct mf_pol *p, const struct mf_pol *prev);
void mf_pol_put(struct mf_pol *p);
void mf_pol_store_set(uint32_t index, struct mf_pol *p); /* index == n_store appends */
void mf_pol_store_del(uint32_t index);
int mf_pol_publish(void);
void mf_pol_reclaim(void);
void mf_pol_sum(const struct mf_pol *p, struct mf_pol_pcnt *out);
void mf_pol_dsum(uint32_t slot, struct mf_pol_dcnt *out);

/* reasm.c: a fragment m (pk->frag) of this worker's burst. *taken false: not one to
 * reassemble, m is still the caller's. Else m is held or dropped (and counted), and the
 * return is the whole datagram it completed (an mbuf chain starting at its Ethernet header),
 * or NULL. */
struct rte_mbuf *mf_pol_reasm_input(struct mf_pol_ctx *c, const struct mf_pol_table *t,
				    struct rte_mbuf *m, const struct mf_pol_pkt *pk, bool *taken);

/* telemetry.c: control loop, copies the store for /manifold/policies when asked. */
void mf_pol_telemetry_poll(void);

#endif /* MF_POL_INTERNAL_H */

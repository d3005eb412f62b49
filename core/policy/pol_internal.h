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
#include <rte_mbuf.h>

#include "../core.h"
#include "policy.h"

#define MF_POL_DEST_SLOTS 65536u /* destinations over all policies */
#define MF_POL_STAGE 64u         /* copies staged per egress port before a tx burst */
#define MF_POL_SEND_BURST 32u
#define MF_POL_REASM_SLOTS 8u    /* datagrams in reassembly per worker (reasm.c) */
#define MF_POL_REASM_FRAGS 128u  /* fragments per datagram: 64 KiB at the 576-byte minimum MTU */
#define MF_POL_REASM_TIMEOUT_MS 30000u /* as the stack's reassembly (Linux ipfrag_time) */

/* Per-lcore counters, written by their worker only (mf_cnt_add), summed on request. */
struct mf_pol_pcnt {
	uint64_t matched;
	uint64_t matched_bytes;
	uint64_t sent;
	uint64_t sent_bytes;
	uint64_t drop[MF_POLICY_DROP_MAX];
};

struct mf_pol_dcnt {
	uint64_t packets;
	uint64_t bytes;
	uint64_t drop_nombuf;
	uint64_t drop_tx_full;
};

/* A destination, with what the fast path needs prebuilt. */
struct mf_pol_dest {
	struct rte_ether_addr dst_mac;
	struct rte_ether_addr src_mac;  /* the egress port's */
	uint16_t port;
	uint16_t dpdk_id;
	rte_be32_t ip_be;
	rte_be32_t src_ip_be;
	rte_be16_t udp_port_be;
	rte_be16_t src_udp_port_be;     /* 0: keep the packet's */
	uint32_t ck_ip;                 /* ones' complement sum of the new src and dst ip */
	uint32_t ck_add;                /* ck_ip + the new dst port */
	uint32_t cnt;                   /* counter slot */
	uint32_t next_hop;              /* host order: ARP target when !has_mac */
	bool has_mac;                   /* else the stack fills the MAC (mf_stack_output) */
	uint8_t action;                 /* index of its action in the chain */
	struct mf_policy_dest wire;     /* as it was given, for GET */
};

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
	uint32_t n_svc;
	struct mf_pol_svc *svc;         /* distinct destination prefixes of its policies */
	/* retirement */
	struct mf_pol_table *next;
	uint64_t token;
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

/* A worker's tx staging for one egress port: mbuf, policy slot, destination slot. */
struct mf_pol_stage {
	uint16_t n;
	struct rte_mbuf *m[MF_POL_STAGE];
	uint32_t pslot[MF_POL_STAGE];
	uint32_t dslot[MF_POL_STAGE];
};

/* One datagram in reassembly (reasm.c): its fragments so far, in offset order. */
struct mf_pol_reasm {
	bool used;
	uint8_t proto;
	uint16_t port;
	rte_be16_t id;
	rte_be32_t src, dst;
	uint32_t n;                     /* fragments held */
	uint32_t got;                   /* payload bytes held (they never overlap) */
	uint32_t total;                 /* payload bytes, once the last fragment came; else 0 */
	uint64_t first_tsc;
	struct rte_mbuf *frag[MF_POL_REASM_FRAGS];
	uint16_t off[MF_POL_REASM_FRAGS];  /* payload offset */
	uint16_t len[MF_POL_REASM_FRAGS];  /* payload bytes */
	uint8_t hlen[MF_POL_REASM_FRAGS];  /* Ethernet + IPv4 header bytes in front */
};

struct mf_pol_lcore {
	struct mf_pol_stage stage[MF_MAX_PORTS];
	uint32_t dirty;                 /* bit p: stage[p] has packets */
	struct mf_pol_pcnt *pcnt;       /* [MF_POLICY_CAP] */
	struct mf_pol_dcnt *dcnt;       /* [MF_POL_DEST_SLOTS] */
	struct mf_pol_reasm *reasm;     /* [MF_POL_REASM_SLOTS] */
	uint32_t reasm_used;
	uint64_t reasm_next_tsc;        /* next timeout sweep */
} __rte_cache_aligned;

/* What an action gets besides the packet. */
struct mf_pol_ctx {
	struct mf_worker *w;
	struct mf_pol_lcore *lc;
	uint16_t in_port;
	uint16_t frag_mtu;              /* != 0 while a split ipfrag runs: sends fragment */
};

/* Shared state of the engine (policy.c). */
struct mf_pol_state {
	unsigned int n_lcores;
	struct mf_pol_lcore *lcore;             /* [n_lcores] */
	struct rte_mempool *hdr_pool;           /* copies' header mbufs */
	struct rte_mempool *clone_pool;         /* indirect mbufs for payload clones */
	uint16_t port_mtu[MF_MAX_PORTS];        /* what a send may be before it is fragmented */
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
	struct mf_pol_hash *last_hash;          /* the newest, reused while its keys fit */
	bool dirty;                             /* store changed since the last publish */
};

extern struct mf_pol_state mf_pol;
extern struct mf_pol *mf_pol_staging[MF_MAX_CLIENTS]; /* a staged policy per client */

/* action.c */
extern const struct mf_action_ops mf_action_redirect;
extern const struct mf_action_ops mf_action_replicate;
extern const struct mf_action_ops mf_action_deliver;
extern const struct mf_action_ops mf_action_drop;
extern const struct mf_action_ops mf_action_split;
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
void mf_pol_flush(struct mf_pol_ctx *c);
/* split_frag.c: send m to d as IPv4 fragments of at most mtu bytes */
void mf_pol_frag_send(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_dest *d,
		      struct rte_mbuf *m, uint16_t mtu);
void mf_pol_rewrite(const struct mf_pol_dest *d, const struct mf_pol_pkt *pk, uint8_t *hdr);

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

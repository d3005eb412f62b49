/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Inside core/send/: batches, destinations, the metadata each packet carries in its mbuf's
 * headroom, and per-worker scheduler state. Nothing outside core/send/ includes this.
 *
 * Who writes what (no lock anywhere):
 *   - a batch's settings, destinations, messages and feed cursor: the control lcore;
 *   - a batch's per-worker accounting block acc[w]: worker w only (release-stores
 *     `accounted` last); the control lcore's own drops go into acc[n_workers];
 *   - a batch's `aborted` flag: the control lcore (release); workers load it per departure;
 *   - a frame's state: CAS by whichever worker sends its first packet;
 *   - a worker's ring: control lcore produces, the worker consumes (SP/SC);
 *   - a worker's wheel and lateness histogram: the worker (the control lcore reads the
 *     histogram with relaxed loads).
 * A batch's slot is reused only once every message is accounted for, so a packet in a wheel
 * always names a live batch.
 */
#ifndef MF_SEND_PRIV_H
#define MF_SEND_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "../core.h"
#include "lateness.h"
#include "plan.h"
#include "run.h"
#include "send.h"
#include "wheel.h"

#define MF_SEND_RING 16384            /* control -> worker, packets per worker */
#define MF_SEND_WHEEL_LOG2 12         /* 4096 slots of ~1 us: a ~4 ms horizon */
#define MF_SEND_FEED_AHEAD_MS 20      /* packets are built and handed over this far ahead */
#define MF_SEND_EXPECT_MS 5           /* an open batch fed this recently: more chunks are near */
#define MF_SEND_BURST 64              /* packets a worker sends per tx burst */
#define MF_SEND_STORE_MAX (1ull << 30) /* bytes all batches together may keep */
#define MF_SEND_AT_PAST_S 60          /* AT times this far in the past are a clock mix-up */
#define MF_SEND_AT_FUTURE_S 3600      /* ... and this far ahead too */
#define MF_SEND_ARP_WAIT_MS 3500      /* a next hop gets this long to answer ARP */
#define MF_SEND_NOMBUF_WAIT_MS 1000   /* an mbuf shortage is waited out this long past the
				       * departure time, then the message is dropped (nombuf) */
/* Packets handed to the workers and not yet departed: at most this share of the mbufs, so
 * that a big batch never starves the ports' rx rings (ARP replies must still come in). */
#define MF_SEND_MBUF_SHARE_DIV 2
/* Fragments one message becomes at most (8 KiB of payload past the smallest MTU). */
#define MF_SEND_FRAG_MAX (MF_SEND_MAX_PAYLOAD / 512 + 2)
/* Runs (messages the worker builds itself, see struct mf_send_run): messages per run, and runs
 * a worker may have waiting in its ring. A run holds no mbuf until the worker builds it, so
 * this bounds the work queued ahead of later timed packets (~16 k messages), not memory. */
#define MF_SEND_RUN_MAX 256u
#define MF_SEND_RUNS_AHEAD 64u
_Static_assert(MF_SEND_MAX_BATCHES <= 64 && MF_SEND_MAX_MSGS <= MF_SEND_RUN_FIRST_MAX,
	       "a run's batch slot and message index fit its word");
/* What keeps a run word from ever being taken for an mbuf pointer in a worker's ring (the
 * unit test can only show it for memory it aligns itself). */
_Static_assert(_Alignof(struct rte_mbuf) > MF_SEND_RUN_TAG,
	       "an mbuf pointer has bit 0 clear, where a run word has it set");

enum mf_batch_state {
	MF_BATCH_FREE = 0,
	MF_BATCH_OPEN,      /* chunks arriving */
	MF_BATCH_RUNNING,   /* committed: feeding, departing */
	MF_BATCH_ORPHAN,    /* its client is gone: freed once every message is accounted */
};

enum mf_dest_state {
	MF_DST_NEW = 0,     /* not resolved yet */
	MF_DST_READY,       /* template complete (MAC known) */
	MF_DST_ARP_WAIT,    /* first packet handed to the stack; waiting for the MAC */
	MF_DST_DEAD,        /* its messages are dropped with `dead_why` */
};

/* A destination of a batch, with its prebuilt header (once per batch, at first use). */
struct mf_send_dst {
	struct mf_send_dest wire;
	uint8_t state;            /* enum mf_dest_state */
	uint8_t dead_why;         /* enum mf_send_drop */
	bool handed;              /* ARP_WAIT: its first packet went to the stack */
	uint16_t port;            /* egress port */
	uint16_t worker;          /* the worker that sends it (the port's owner) */
	uint16_t mtu;
	uint32_t src_ip;
	uint32_t next_hop;
	uint64_t arp_deadline_tsc;
	uint32_t ck_base;         /* ones' complement sum of the pseudo-header addresses, the
				   * protocol and both ports */
	uint32_t ip_sum;          /* sum of the IPv4 header without length, id and checksum */
	uint8_t hdr[RTE_ETHER_HDR_LEN + 20 + 8]; /* Ethernet + IPv4 + UDP */
};

/* What a worker accounts for a batch (per worker, single writer). */
struct mf_send_acc {
	uint64_t accounted;       /* messages finished here (sent or dropped); release-stored */
	uint64_t sent;
	uint64_t late;
	uint64_t drop[MF_SEND_DROP_CAPACITY];
	uint64_t first_tsc;
	uint64_t last_tsc;
	uint64_t late_max;
	uint64_t lat_n;
	uint64_t hist[MF_LAT_BUCKETS];
	uint64_t runs_done;       /* runs of this batch the worker is finished with; release-
				   * stored after its last touch of the batch for that run */
} __rte_cache_aligned;

struct mf_send_batch {
	uint32_t state;           /* enum mf_batch_state */
	uint32_t id;
	uint16_t client;
	uint16_t flags;           /* MF_SEND_BEST_EFFORT | MF_SEND_FRAMES */
	uint8_t timing;
	bool measure;             /* lateness measured (not ASAP) */
	uint32_t aborted;         /* release-stored by the control lcore */
	uint64_t last_chunk_tsc;  /* when its last SUBMIT chunk came (control lcore) */
	uint32_t total;
	uint64_t start_ns, end_ns, interval_ns;
	uint64_t end_tsc;         /* 0: no deadline */
	/* clock pair of the commit: tsc = tsc0 + (ns - ns0) * tsc_hz / 1e9 */
	uint64_t ns0, tsc0;
	uint32_t skipped;         /* best effort: bad messages */
	uint32_t n_msgs;          /* accepted */
	uint32_t n_dests;
	uint32_t n_frames;
	bool frame_open;          /* the last accepted message did not end its frame */
	struct mf_send_ent *ents;
	struct mf_send_dst *dsts; /* [MF_SEND_MAX_DESTS], allocated as they come */
	uint32_t dst_cap;
	struct mf_send_frame *frames; /* [MF_SEND_MAX_FRAMES] when MF_SEND_FRAMES */
	uint8_t *store;           /* payload bytes */
	uint64_t store_len, store_cap;
	uint32_t *order;          /* departure order, or NULL (batch order) */
	uint32_t cursor;          /* next message (in departure order) to feed */
	uint32_t frames_dropped;
	/* Runs: once every destination is settled (READY or DEAD: states that never change
	 * again) the feeder hands due messages to the workers as runs, not packets. */
	bool settled;
	uint32_t settle_at;       /* destinations before this one are settled */
	uint32_t run_workers;     /* bit w: worker w owns (or drops for) a destination */
	uint32_t runs_pub[MF_MAX_LCORES]; /* runs handed to worker w (control lcore) */
	struct mf_send_batch *next_running; /* the feed list, commit order */
	struct mf_send_acc *acc;  /* [n_workers + 1]: the last is the control lcore's */
};

/* What each packet carries in its mbuf's headroom (never overlapping the frame: the frame
 * starts RTE_ETHER_HDR_LEN before RTE_PKTMBUF_HEADROOM). */
struct mf_send_meta {
	struct mf_wnode node;     /* first: a node is its meta. node.tsc: departure */
	struct rte_mbuf *m;       /* the mbuf whose headroom this is */
	uint8_t batch;            /* slot */
	uint8_t flags;            /* MF_META_* */
	uint16_t dest;
	uint16_t frame;
	uint16_t port;
};
#define MF_META_MSG 0x1u      /* the last packet of its message: accounts for it */
#define MF_META_POLICY 0x2u   /* through a policy's chain, not straight to the port */
#define MF_META_FRAME 0x4u    /* its message is part of a frame */
#define MF_SEND_META_OFF 64u

static inline struct mf_send_meta *
mf_send_meta(struct rte_mbuf *m)
{
	return (struct mf_send_meta *)((uint8_t *)m->buf_addr + MF_SEND_META_OFF);
}

_Static_assert(MF_SEND_META_OFF + sizeof(struct mf_send_meta) <=
	       RTE_PKTMBUF_HEADROOM - RTE_ETHER_HDR_LEN, "send metadata fits before the frame");

/* What a pass costs per message, pass by pass (ns per message, 1 ns buckets): the median is
 * what one core sustains, robust to the passes a shared machine preempts. */
#define MF_SEND_COST_BUCKETS 1024
struct mf_send_cost {
	uint64_t msgs;            /* messages of the measured passes */
	uint64_t passes;
	uint32_t hist[MF_SEND_COST_BUCKETS];
};

static inline void
mf_send_cost_add(struct mf_send_cost *c, uint64_t cycles, uint64_t msgs, uint64_t tsc_hz)
{
	uint64_t ns = (uint64_t)((double)cycles * 1e9 / (double)tsc_hz / (double)msgs);

	__atomic_store_n(&c->msgs, c->msgs + msgs, __ATOMIC_RELAXED);
	__atomic_store_n(&c->passes, c->passes + 1, __ATOMIC_RELAXED);
	ns = ns < MF_SEND_COST_BUCKETS ? ns : MF_SEND_COST_BUCKETS - 1;
	__atomic_store_n(&c->hist[ns], c->hist[ns] + 1, __ATOMIC_RELAXED);
}

/* Per worker. */
struct mf_send_worker {
	struct rte_ring *ring;
	uint64_t fed;             /* packets the control lcore enqueued (control only) */
	uint64_t departed;        /* packets that left the wheel (worker; relaxed store) */
	uint64_t runs_fed;        /* runs the control lcore enqueued (control only) */
	uint64_t runs_taken;      /* runs the worker dequeued (worker; relaxed store) */
	uint64_t run_msgs;        /* messages the worker built from runs (worker; relaxed) */
	struct mf_send_run run;   /* the run in progress (worker only) */
	struct mf_send_cost cost; /* passes of >= 64 packets */
	struct mf_wheel wheel;
	uint32_t abort_seen;
	struct mf_lateness lat;
	/* tx staging per port */
	uint16_t n_tx[MF_MAX_PORTS];
	struct rte_mbuf *tx[MF_MAX_PORTS][MF_SEND_BURST];
} __rte_cache_aligned;

struct mf_send_state {
	struct mf_core *core;
	unsigned int n_workers;
	uint64_t tsc_hz;
	uint64_t tsc_per_ns;      /* 32.32 fixed point, for mf_send_dep_tsc() */
	uint64_t ns_per_tsc;      /* 32.32 fixed point, for lateness */
	uint32_t abort_seq;       /* bumped (release) when a running batch is aborted */
	uint64_t held_max;        /* packets in the workers' hands at most (mbuf share) */
	uint64_t fed_msgs;        /* messages the feeder handled (control lcore) */
	bool feed_blocked;        /* the last pass left due messages for want of worker room */
	struct mf_send_cost cost; /* feeding passes of >= 64 messages */
	struct mf_send_cost submit_cost; /* SUBMIT chunks of >= 64 messages (parse + copy) */
	uint64_t store_bytes;     /* held by all batches */
	uint32_t next_gen;
	struct mf_send_batch batch[MF_SEND_MAX_BATCHES];
	struct mf_send_batch *running_head;
	struct mf_send_worker *wk[MF_MAX_LCORES];
	uint16_t ip_id;           /* next IPv4 id: control lcore and workers, atomic add */
};

extern struct mf_send_state mf_snd;

/* clock */
uint64_t mf_send_mono_ns(void);
static inline uint64_t
mf_send_ns_to_tsc(const struct mf_send_batch *b, uint64_t ns)
{
	if (ns <= b->ns0)
		return b->tsc0 - (uint64_t)((unsigned __int128)(b->ns0 - ns) * mf_snd.tsc_hz /
					    1000000000u);
	return b->tsc0 + (uint64_t)((unsigned __int128)(ns - b->ns0) * mf_snd.tsc_hz / 1000000000u);
}
/* mf_send_ns_to_tsc() per message on the hot paths (feeding, runs): a multiply by
 * mf_snd.tsc_per_ns instead of a division. */
static inline uint64_t
mf_send_dep_tsc(const struct mf_send_batch *b, uint64_t ns)
{
	if (ns >= b->ns0)
		return b->tsc0 + (uint64_t)(((unsigned __int128)(ns - b->ns0) * mf_snd.tsc_per_ns) >> 32);
	return b->tsc0 - (uint64_t)(((unsigned __int128)(b->ns0 - ns) * mf_snd.tsc_per_ns) >> 32);
}
static inline uint64_t
mf_send_tsc_to_ns(const struct mf_send_batch *b, uint64_t tsc)
{
	if (tsc <= b->tsc0)
		return b->ns0 - (uint64_t)((unsigned __int128)(b->tsc0 - tsc) * 1000000000u /
					   mf_snd.tsc_hz);
	return b->ns0 + (uint64_t)((unsigned __int128)(tsc - b->tsc0) * 1000000000u / mf_snd.tsc_hz);
}

/* batch.c */
struct mf_send_batch *mf_send_batch_open(unsigned int client, const struct mf_send_arg *a,
					 struct mf_completion *cpl, int *rc);
struct mf_send_batch *mf_send_batch_find(uint32_t id);
void mf_send_batch_free(struct mf_send_batch *b);
int mf_send_batch_commit(struct mf_send_batch *b, struct mf_completion *cpl);
void mf_send_batch_abort(struct mf_send_batch *b);
bool mf_send_batch_done(const struct mf_send_batch *b);
/* The report (and its frames) into out, at most room bytes; returns bytes, 0 if it does
 * not fit. */
uint32_t mf_send_batch_report(const struct mf_send_batch *b, uint8_t *out, uint32_t room);
static inline void
mf_send_ctl_drop(struct mf_send_batch *b, enum mf_send_drop why, uint32_t n)
{
	struct mf_send_acc *a = &b->acc[mf_snd.n_workers];

	a->drop[why] += n;
	a->accounted += n;
}

/* validate.c: one chunk into an open batch. 0; -EINVAL (the batch must be discarded);
 * -ENOBUFS (the batch is as it was before the chunk). skipped: best-effort skips. */
int mf_send_chunk_take(struct mf_send_batch *b, const uint8_t *in, uint32_t in_len,
		       struct mf_completion *cpl, uint32_t *skipped);

/* build.c */
int mf_send_dst_resolve(struct mf_send_batch *b, struct mf_send_dst *d, uint64_t now);
/* Mbufs taken from a pool in bulk, for one feeding pass. */
struct mf_mbuf_cache {
	struct rte_mempool *pool;
	unsigned int n;
	struct rte_mbuf *m[64];
};
void mf_mbuf_cache_release(struct mf_mbuf_cache *mc);
/* Build message e's packets (1, or fragments) into out, IPv4 id `ip_id`; returns how many,
 * -ENOBUFS. Runs on the control lcore (timed packets) and on workers (runs): it reads only
 * the batch's store and d's template, which no longer change once d is READY. */
int mf_send_build(const struct mf_send_batch *b, const struct mf_send_dst *d,
		  const struct mf_send_ent *e, uint16_t ip_id, struct mf_mbuf_cache *mc,
		  struct rte_mbuf **out, unsigned int max);
static inline uint16_t
mf_send_ip_ids(uint16_t n)
{
	return __atomic_fetch_add(&mf_snd.ip_id, n, __ATOMIC_RELAXED);
}
/* The stack resolves d's next hop: hand it this packet (ARP goes out, it waits queued).
 * 0, or -ENOBUFS (m freed: the port's hand-over ring is full). */
int mf_send_via_stack(const struct mf_send_dst *d, struct rte_mbuf *m);

/* policy_dest.c */
bool mf_send_policy_exists(const char *id);
/* Worker: m (built for the destination) through policy `id`'s action chain. 0, or -ENOENT
 * when no such policy is installed (m is then still the caller's). */
int mf_send_policy_apply(struct mf_worker *w, const char *id, struct rte_mbuf *m);
void mf_send_policy_flush(struct mf_worker *w);

#endif /* MF_SEND_PRIV_H */

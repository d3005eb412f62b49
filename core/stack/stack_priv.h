/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The stack's internal state, shared by its files (eth.c, arp.c, neigh.c, ipv4.c, reasm.c,
 * icmp.c, udp.c, route.c, udp_sock.c, stack_ops.c). Nothing outside core/stack/ includes it.
 *
 * Who writes what (no lock anywhere):
 *   - addresses, gateways, sockets: the control lcore; workers read them (release/acquire);
 *   - a port's neighbour table, pending queue, ICMP rate limiter: the worker that polls the
 *     port (its "owner"). Other lcores read neighbour entries through a per-entry seqlock and
 *     hand packets they cannot send yet to the owner through the port's tx ring (MP/SC);
 *   - per-lcore context (reassembly, tx buffers, scratch): its lcore.
 */
#ifndef MF_STACK_PRIV_H
#define MF_STACK_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "../counters.h"
#include "../fwd.h"
#include "stack.h"

#define MF_NEIGH_SLOTS 256          /* neighbour entries per port (power of two) */
#define MF_NEIGH_PROBE 16           /* linear probe length */
#define MF_PENDING_MAX 1024         /* packets waiting for ARP, per port */
#define MF_PENDING_PER_NEIGH 256    /* ... and per next hop */
#define MF_ARP_RETRY_MS 1000        /* resend an unanswered request after */
#define MF_ARP_RETRIES 3            /* requests before the next hop counts as failed */
#define MF_NEIGH_REACHABLE_MS 30000 /* reachable -> stale after (Linux base_reachable_time) */
#define MF_NEIGH_REFRESH_MS 5000    /* a stale entry in use is re-probed at most this often */
#define MF_TIMER_MS 10              /* neighbour timers run this often */
#define MF_TXR_SIZE 4096            /* per-port ring of packets handed to the owner */
#define MF_TX_BUF 32                /* per-lcore, per-port tx buffer */
#define MF_TXR_ROUNDS 8             /* bursts taken from a port's tx ring per poll */
#define MF_REASM_MAX 65535u         /* the largest IPv4 datagram (reassembly: core/reasm.c) */
#define MF_ICMP_RATE 100            /* ICMP errors per second and port (token bucket) */
#define MF_ICMP_BURST 50
#define MF_IP_TTL 64
#define MF_SOCK_RING 4096           /* datagrams queued per socket */
/* All sockets together hold at most a quarter of the mbufs (mf_stk.udp_held_max): an app that
 * stops reading must not starve the ports' rx rings (ARP and ping would stop with them). */

struct mf_neigh {
	uint32_t seq;       /* seqlock: odd while the owner writes */
	uint32_t ip;
	uint8_t mac[6];
	uint8_t state;      /* enum mf_neigh_state */
	uint8_t probes;
	uint16_t queued;    /* owner only from here */
	uint64_t confirmed_tsc;
	uint64_t probe_tsc;
};

struct mf_pending {
	struct rte_mbuf *m;
	uint32_t ip;
};

struct mf_stack_addr {
	uint32_t ip;
	uint32_t mask;
	uint8_t prefix_len;
};

struct mf_stack_port {
	/* control writes, everyone reads */
	uint32_t n_addrs;                              /* release-stored after addr[n] */
	struct mf_stack_addr addr[MF_STACK_MAX_ADDRS];
	uint32_t gateway;
	uint32_t garp_pending;                         /* owner sends gratuitous ARP */
	/* fixed at init */
	uint16_t owner;                                /* worker index polling the port */
	uint16_t dpdk_id;
	uint16_t mtu;
	struct rte_ether_addr mac;
	struct rte_mempool *pool;
	struct rte_ring *txr;                          /* to the owner: packets to resolve/send */
	/* owner only */
	uint64_t next_timer_tsc;
	uint64_t icmp_tokens_tsc;
	double icmp_tokens;
	uint32_t n_pend;
	struct mf_pending pend[MF_PENDING_MAX];
	struct mf_neigh neigh[MF_NEIGH_SLOTS];
} __rte_cache_aligned;

struct mf_txbuf {
	uint16_t n;
	struct rte_mbuf *m[MF_TX_BUF];
};

/* Per-lcore state of the stack, for worker `idx`. */
struct mf_stack_lcore {
	struct mf_worker *w;
	uint16_t ip_id;
	struct mf_txbuf tx[MF_MAX_PORTS];
	uint8_t scratch[MF_REASM_MAX + 64];
} __rte_cache_aligned;

struct mf_stack {
	uint64_t tsc_hz;
	uint64_t ms;                     /* TSC cycles per millisecond */
	unsigned int n_ports;
	struct mf_stack_port *port[MF_MAX_PORTS];
	struct mf_stack_lcore *lc[MF_MAX_LCORES];
	uint16_t ctl_ip_id;
	uint32_t udp_held;               /* datagrams queued on sockets (atomic) */
	uint32_t udp_held_max;
};

extern struct mf_stack mf_stk;

static inline struct mf_stack_lcore *
mf_stack_lc(const struct mf_worker *w)
{
	return mf_stk.lc[w->txq];
}

static inline void
mf_stk_cnt(struct mf_worker *w, uint16_t port, enum mf_port_counter c)
{
	mf_cnt_add(&w->cnt[port][c], 1);
}

/* Count and free. */
static inline void
mf_stk_drop(struct mf_worker *w, uint16_t port, struct rte_mbuf *m, enum mf_port_counter c)
{
	rte_pktmbuf_free(m);
	mf_stk_cnt(w, port, c);
}

/* route.c */
bool mf_route_is_local(uint16_t port, uint32_t ip);      /* one of port's addresses */
bool mf_route_is_local_any(uint32_t ip);                 /* one of any port's addresses */
uint32_t mf_route_src_for(uint16_t port, uint32_t dst);  /* source address toward dst */
bool mf_route_is_bcast(uint16_t port, uint32_t ip);      /* limited or directed broadcast */
int mf_route_addr_add(uint16_t port, uint32_t ip, uint8_t prefix_len, char *err, size_t len);

/* tx buffering (stack.c) */
void mf_stack_tx(struct mf_worker *w, uint16_t port, struct rte_mbuf *m);
void mf_stack_tx_flush(struct mf_worker *w);

/* arp.c */
void mf_arp_input(struct mf_worker *w, uint16_t port, struct rte_mbuf *m);
void mf_arp_request(struct mf_worker *w, uint16_t port, uint32_t sip, uint32_t tip);

/* neigh.c (owner lcore unless said) */
void mf_neigh_learn(struct mf_worker *w, uint16_t port, uint32_t ip, const uint8_t *mac,
		    bool create);
void mf_neigh_timers(struct mf_worker *w, uint16_t port, uint64_t now);
void mf_neigh_init(struct mf_stack_port *sp);
unsigned int mf_neigh_snapshot(uint16_t port, struct mf_neigh_info *out, unsigned int max,
			       uint64_t now);

/* ipv4.c */
void mf_ipv4_input(struct mf_worker *w, uint16_t port, struct rte_mbuf *m);
/* Build an IPv4 datagram (fragments when it exceeds the MTU) from hdr||data: mbufs with room
 * for the Ethernet header in front. Returns the number of mbufs, or -ENOBUFS. */
int mf_ipv4_build(struct rte_mempool *mp, uint16_t mtu, uint16_t id, uint32_t src,
		  uint32_t dst, uint8_t proto, const void *hdr, uint32_t hdr_len,
		  const void *data, uint32_t data_len, struct rte_mbuf **out, unsigned int max);
/* Route and send a datagram the worker originates (replies, errors). */
void mf_ipv4_send(struct mf_worker *w, uint16_t in_port, uint32_t src, uint32_t dst,
		  uint8_t proto, const void *hdr, uint32_t hdr_len, const void *data,
		  uint32_t data_len);
uint16_t mf_cksum_fold(uint32_t sum);
uint32_t mf_l4_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len);
/* What a datagram addressed to us carries, once it is whole (from one mbuf or reassembled). */
struct mf_ip_dgram {
	uint16_t port;
	uint32_t src, dst;           /* host order */
	uint8_t proto;
	const struct rte_ipv4_hdr *ip;
	const uint8_t *l4;
	uint32_t l4_len;
	struct rte_mbuf *m;          /* the frame (ip at its data start), or NULL if it was a chain
	                              * (read from the scratch copy) */
};
void mf_l4_input(struct mf_worker *w, struct mf_ip_dgram *d);

/* icmp.c */
void mf_icmp_input(struct mf_worker *w, struct mf_ip_dgram *d);
void mf_icmp_unreach(struct mf_worker *w, struct mf_ip_dgram *d, uint8_t code);

/* udp.c */
void mf_udp_input(struct mf_worker *w, struct mf_ip_dgram *d);

/* udp_sock.c */
struct rte_ring *mf_udp_sock_lookup(uint32_t ip, uint16_t port);

#endif /* MF_STACK_PRIV_H */

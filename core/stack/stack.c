/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The stack's entry points: set-up, the Ethernet demultiplexer (mf_stack_input), the owner's
 * periodic work (mf_stack_poll: packets handed over by other lcores, timers, gratuitous ARP)
 * and the per-lcore tx buffers every reply leaves through.
 *
 *   rx burst -> eth check (length, destination MAC) -> ARP (arp.c) | IPv4 (ipv4.c) | drop
 *
 * Where stack tx happens: always on a worker, on its own tx queue. Replies leave from the worker
 * that received the request. What the control lcore sends for an app (UDP_SEND) goes into the
 * egress port's tx ring and leaves from the worker that polls that port (its owner), which also
 * owns the port's neighbour table: so no tx queue is shared, the table has a single writer, and
 * packets waiting for ARP have exactly one place to wait.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "stack_priv.h"

struct mf_stack mf_stk;

int
mf_stack_init(struct mf_core *core, char *err, size_t errlen)
{
	unsigned int p, j, a;
	char name[RTE_RING_NAMESIZE];

	mf_stk.tsc_hz = core->tsc_hz;
	mf_stk.ms = RTE_MAX(core->tsc_hz / 1000, (uint64_t)1);
	mf_stk.n_ports = core->n_ports;
	mf_stk.udp_held_max = RTE_MAX(core->cfg.mbufs / 4, 64u);
	for (j = 0; j < core->n_workers; j++) {
		mf_stk.lc[j] = rte_zmalloc_socket("mf_stack_lcore", sizeof(struct mf_stack_lcore),
						  RTE_CACHE_LINE_SIZE,
						  (int)rte_lcore_to_socket_id(core->worker[j]->lcore_id));
		if (mf_stk.lc[j] == NULL)
			goto nomem;
		mf_stk.lc[j]->w = core->worker[j];
		mf_stk.lc[j]->ip_id = (uint16_t)(j << 12);
	}
	for (p = 0; p < core->n_ports; p++) {
		const struct mf_port_conf *pc = &core->cfg.port[p];
		struct mf_stack_port *sp;

		sp = rte_zmalloc_socket("mf_stack_port", sizeof(*sp), RTE_CACHE_LINE_SIZE,
					core->port[p].socket);
		if (sp == NULL)
			goto nomem;
		mf_stk.port[p] = sp;
		sp->owner = (uint16_t)core->port[p].worker;
		sp->dpdk_id = core->port[p].dpdk_id;
		sp->mtu = core->port[p].mtu;
		sp->mac = core->port[p].mac;
		sp->pool = core->pool[core->port[p].socket];
		sp->icmp_tokens = MF_ICMP_BURST;
		mf_neigh_init(sp);
		snprintf(name, sizeof(name), "mf_stk_tx%u", p);
		sp->txr = rte_ring_create(name, MF_TXR_SIZE, core->port[p].socket, RING_F_SC_DEQ);
		if (sp->txr == NULL) {
			snprintf(err, errlen, "stack: cannot create ring %s: %s; give more memory "
				 "(--mem)", name, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		for (a = 0; a < pc->n_addrs; a++) {
			if (mf_route_addr_add((uint16_t)p, pc->addr[a].ip, pc->addr[a].prefix_len,
					      err, errlen) < 0)
				return -EINVAL;
		}
		sp->gateway = pc->gateway;
	}
	return 0;
nomem:
	snprintf(err, errlen, "stack: cannot allocate its tables: out of memory; give more "
		 "memory (--mem)");
	return -ENOMEM;
}

/* Like mf_fwd_send, for a port the stack already knows is valid. */
static void
stack_send(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t nb)
{
	uint16_t sent = rte_eth_tx_burst(mf_stk.port[port]->dpdk_id, w->txq, pkts, nb);

	mf_cnt_add(&w->cnt[port][MF_CNT_FWD_OUT], sent);
	if (unlikely(sent < nb)) {
		rte_pktmbuf_free_bulk(&pkts[sent], nb - sent);
		mf_cnt_add(&w->cnt[port][MF_CNT_DROP_TX_FULL], nb - sent);
	}
}

void
mf_stack_tx(struct mf_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct mf_txbuf *tb = &mf_stack_lc(w)->tx[port];

	tb->m[tb->n++] = m;
	if (tb->n == MF_TX_BUF) {
		uint16_t n = tb->n;

		tb->n = 0;
		stack_send(w, port, tb->m, n);
	}
}

void
mf_stack_tx_flush(struct mf_worker *w)
{
	struct mf_stack_lcore *lc = mf_stack_lc(w);
	unsigned int p;

	for (p = 0; p < mf_stk.n_ports; p++) {
		struct mf_txbuf *tb = &lc->tx[p];
		uint16_t n = tb->n;

		if (n == 0)
			continue;
		tb->n = 0;
		stack_send(w, (uint16_t)p, tb->m, n);
	}
}

static bool
eth_for_us(const struct mf_stack_port *sp, const struct rte_ether_addr *d)
{
	return rte_is_same_ether_addr(d, &sp->mac) || rte_is_broadcast_ether_addr(d);
}

void
mf_stack_input(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	const struct mf_stack_port *sp = mf_stk.port[port];
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eh;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eh))) {
			mf_stk_drop(w, port, m, MF_CNT_ETH_TRUNCATED);
			continue;
		}
		eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (!eth_for_us(sp, &eh->dst_addr)) {
			mf_stk_drop(w, port, m, MF_CNT_ETH_NOT_FOR_US);
			continue;
		}
		switch (eh->ether_type) {
		case RTE_BE16(RTE_ETHER_TYPE_IPV4):
			mf_ipv4_input(w, port, m);
			break;
		case RTE_BE16(RTE_ETHER_TYPE_ARP):
			/* IPv4 takes chains (mf_ipv4_input); an ARP frame is small enough to be
			 * made one segment in place */
			if (unlikely(m->nb_segs > 1) && rte_pktmbuf_linearize(m) != 0) {
				mf_stk_drop(w, port, m, MF_CNT_ARP_BAD);
				continue;
			}
			mf_arp_input(w, port, m);
			break;
		default:
			mf_stk_drop(w, port, m, MF_CNT_ETH_UNKNOWN_TYPE);
			break;
		}
	}
	mf_stack_tx_flush(w);
}

static void
garp_send(struct mf_worker *w, uint16_t port)
{
	struct mf_stack_port *sp = mf_stk.port[port];
	uint32_t n = __atomic_load_n(&sp->n_addrs, __ATOMIC_ACQUIRE), a;

	for (a = 0; a < n; a++)
		mf_arp_request(w, port, sp->addr[a].ip, sp->addr[a].ip);
}

unsigned int
mf_stack_poll(struct mf_worker *w)
{
	struct rte_mbuf *pkts[MF_TX_BUF];
	unsigned int i, k, work = 0;
	uint64_t now = 0;

	if (unlikely(mf_stk.lc[w->txq] == NULL))
		return 0;
	for (i = 0; i < w->n_rx; i++) {
		uint16_t port = w->rx_port[i];
		struct mf_stack_port *sp = mf_stk.port[port];
		unsigned int n, round = 0;

again:
		n = rte_ring_sc_dequeue_burst(sp->txr, (void **)pkts, MF_TX_BUF, NULL);
		for (k = 0; k < n; k++) {
			const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(
				pkts[k], const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));

			/* handed over by the control lcore (app sends): count them here, where
			 * they leave */
			if (ip->next_proto_id == IPPROTO_UDP &&
			    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) == 0)
				mf_stk_cnt(w, port, MF_CNT_UDP_TX);
			if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG |
							   RTE_IPV4_HDR_OFFSET_MASK))
				mf_stk_cnt(w, port, MF_CNT_FRAG_TX);
			mf_stack_output(w, port, pkts[k]->hash.usr, pkts[k]);
		}
		work += n;
		/* an app sending fast fills the ring: take a few bursts, not just one */
		if (n == MF_TX_BUF && ++round < MF_TXR_ROUNDS)
			goto again;
		if (now == 0)
			now = rte_rdtsc();
		if (now >= sp->next_timer_tsc) {
			sp->next_timer_tsc = now + MF_TIMER_MS * mf_stk.ms;
			if (__atomic_exchange_n(&sp->garp_pending, 0, __ATOMIC_ACQ_REL))
				garp_send(w, port);
			mf_neigh_timers(w, port, now);
		}
	}
	mf_stack_tx_flush(w);
	return work;
}

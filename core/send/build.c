/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Packets of a batch, built on the worker that sends them (runs: depart.c) or, for timed
 * packets handed over ahead of their time, on the control lcore (feed.c). Each destination
 * gets, at its first use, a prebuilt Ethernet + IPv4 + UDP header and the constant part of
 * both checksums (route, source address, next-hop MAC resolved once per batch); a message then
 * costs an mbuf, a 42-byte copy, its payload's copy and sum, and two folds. A datagram past the egress MTU is fragmented as
 * UDP_SEND does (mf_ipv4_build).
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "../stack/stack_priv.h"
#include "send_priv.h"


static inline uint32_t
sum16(uint32_t v_be)
{
	return (v_be & 0xffff) + (v_be >> 16);
}

int
mf_send_dst_resolve(struct mf_send_batch *b, struct mf_send_dst *d, uint64_t now)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)d->hdr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	const struct mf_stack_port *sp;
	struct rte_ether_addr mac;
	uint16_t sport;

	RTE_SET_USED(b);
	if (d->state == MF_DST_READY || d->state == MF_DST_DEAD)
		return 0;
	if (d->state == MF_DST_ARP_WAIT) {
		if (mf_stack_neigh_lookup(d->port, d->next_hop, &mac) == 0) {
			eh->dst_addr = mac;
			d->state = MF_DST_READY;
		} else if (now >= d->arp_deadline_tsc) {
			d->state = MF_DST_DEAD;
			d->dead_why = MF_SEND_DROP_NO_NEXT_HOP;
		}
		return 0;
	}
	if (mf_stack_route(d->wire.ip, &d->port, &d->next_hop) != 0) {
		d->state = MF_DST_DEAD;
		d->dead_why = MF_SEND_DROP_NO_ROUTE;
		return 0;
	}
	sp = mf_stk.port[d->port];
	d->worker = sp->owner;
	d->mtu = sp->mtu;
	d->src_ip = d->wire.src_ip != 0 ? d->wire.src_ip : mf_route_src_for(d->port, d->wire.ip);
	sport = d->wire.src_udp_port != 0 ? d->wire.src_udp_port : d->wire.udp_port;
	memset(d->hdr, 0, sizeof(d->hdr));
	eh->src_addr = sp->mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = MF_IP_TTL;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(d->src_ip);
	ip->dst_addr = rte_cpu_to_be_32(d->wire.ip);
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(d->wire.udp_port);
	/* pseudo-header addresses and protocol, and both ports: what never changes */
	d->ck_base = sum16(ip->src_addr) + sum16(ip->dst_addr) + rte_cpu_to_be_16(IPPROTO_UDP) +
		     uh->src_port + uh->dst_port;
	d->ip_sum = rte_raw_cksum(ip, sizeof(*ip)); /* length, id, checksum still 0 */
	if (d->wire.kind == MF_SEND_DEST_POLICY || d->wire.has_mac) {
		if (d->wire.has_mac)
			memcpy(&eh->dst_addr, d->wire.mac, RTE_ETHER_ADDR_LEN);
		d->state = MF_DST_READY;
	} else if (mf_stack_neigh_lookup(d->port, d->next_hop, &eh->dst_addr) == 0) {
		d->state = MF_DST_READY;
	} else {
		/* the feeder hands the first packet to the stack, which asks ARP */
		d->state = MF_DST_ARP_WAIT;
		d->arp_deadline_tsc = now + mf_snd.tsc_hz * MF_SEND_ARP_WAIT_MS / 1000;
	}
	return 0;
}

static inline uint16_t
ck_fold_final(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

void
mf_mbuf_cache_release(struct mf_mbuf_cache *mc)
{
	if (mc->n != 0)
		rte_pktmbuf_free_bulk(mc->m, mc->n);
	mc->n = 0;
}

static inline struct rte_mbuf *
cache_get(struct mf_mbuf_cache *mc, struct rte_mempool *pool)
{
	if (unlikely(mc->pool != pool)) {
		mf_mbuf_cache_release(mc);
		mc->pool = pool;
	}
	if (unlikely(mc->n == 0)) {
		if (rte_pktmbuf_alloc_bulk(pool, mc->m, RTE_DIM(mc->m)) == 0)
			mc->n = RTE_DIM(mc->m);
		else
			return rte_pktmbuf_alloc(pool); /* the pool is low: one at a time */
	}
	/* the next one's first data lines: it was last written on a worker */
	if (mc->n >= 2)
		rte_prefetch0((uint8_t *)mc->m[mc->n - 2]->buf_addr + RTE_PKTMBUF_HEADROOM);
	return mc->m[--mc->n];
}

int
mf_send_build(const struct mf_send_batch *b, const struct mf_send_dst *d,
	      const struct mf_send_ent *e, uint16_t ip_id, struct mf_mbuf_cache *mc,
	      struct rte_mbuf **out, unsigned int max)
{
	const struct mf_stack_port *sp = mf_stk.port[d->port];
	const uint8_t *payload = b->store + e->poff;
	uint16_t udp_len = (uint16_t)(sizeof(struct rte_udp_hdr) + e->len);
	uint16_t id = rte_cpu_to_be_16(ip_id);
	uint32_t usum;
	uint16_t uck;

	usum = d->ck_base + 2u * rte_cpu_to_be_16(udp_len) +
	       (e->len != 0 ? rte_raw_cksum(payload, e->len) : 0);
	uck = ck_fold_final(usum);
	if (uck == 0)
		uck = 0xffff;
	if (likely(sizeof(struct rte_ipv4_hdr) + udp_len <= d->mtu)) {
		struct rte_mbuf *m = cache_get(mc, sp->pool);
		uint16_t tot = rte_cpu_to_be_16((uint16_t)(sizeof(struct rte_ipv4_hdr) + udp_len));
		struct rte_ipv4_hdr *ip;
		struct rte_udp_hdr *uh;
		uint8_t *p;

		if (unlikely(m == NULL || max == 0)) {
			rte_pktmbuf_free(m);
			return -ENOBUFS;
		}
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(sizeof(d->hdr) + e->len));
		if (unlikely(p == NULL)) {
			rte_pktmbuf_free(m);
			return -ENOBUFS;
		}
		memcpy(p, d->hdr, sizeof(d->hdr));
		ip = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
		uh = (struct rte_udp_hdr *)(ip + 1);
		ip->total_length = tot;
		ip->packet_id = id;
		/* the header's constant sum, plus what changes per packet */
		ip->hdr_checksum = ck_fold_final(d->ip_sum + tot + id);
		uh->dgram_len = rte_cpu_to_be_16(udp_len);
		uh->dgram_cksum = uck;
		memcpy(p + sizeof(d->hdr), payload, e->len);
		out[0] = m;
		return 1;
	} else {
		struct rte_mbuf *frags[MF_SEND_FRAG_MAX];
		struct rte_udp_hdr uh;
		int n, j;

		memcpy(&uh, d->hdr + RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr), sizeof(uh));
		uh.dgram_len = rte_cpu_to_be_16(udp_len);
		uh.dgram_cksum = uck;
		n = mf_ipv4_build(sp->pool, d->mtu, rte_be_to_cpu_16(id), d->src_ip, d->wire.ip,
				  IPPROTO_UDP, &uh, sizeof(uh), payload, e->len, frags,
				  RTE_MIN((unsigned int)RTE_DIM(frags), max));
		if (n < 0)
			return -ENOBUFS;
		for (j = 0; j < n; j++) {
			memcpy(rte_pktmbuf_mtod(frags[j], uint8_t *), d->hdr,
			       2 * RTE_ETHER_ADDR_LEN); /* MACs; mf_ipv4_build set the type */
			out[j] = frags[j];
		}
		return n;
	}
}

int
mf_send_via_stack(const struct mf_send_dst *d, struct rte_mbuf *m)
{
	m->hash.usr = d->next_hop;
	if (rte_ring_mp_enqueue(mf_stk.port[d->port]->txr, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * IPv4: validate what arrives (each reason for a drop has its counter), hand fragments to
 * reassembly, whole datagrams to ICMP or UDP; build what the stack sends, fragmenting what
 * exceeds the egress port's MTU (RFC 791: 8-byte aligned pieces, MF on all but the last).
 * Received checksums: the NIC's verdict where the mbuf carries one (RTE_MBUF_F_RX_*_CKSUM_GOOD
 * or _BAD), else software. Sent checksums are computed in software (ports are configured
 * without tx offloads for now).
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>

#include "../reasm.h"
#include "stack_priv.h"

uint16_t
mf_cksum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Pseudo-header sum (RFC 768), as rte_raw_cksum would sum the header bytes. */
uint32_t
mf_l4_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len)
{
	struct {
		uint32_t src, dst;
		uint8_t zero, proto;
		uint16_t len;
	} __rte_packed ph = { rte_cpu_to_be_32(src), rte_cpu_to_be_32(dst), 0, proto,
			      rte_cpu_to_be_16((uint16_t)len) };

	return rte_raw_cksum(&ph, sizeof(ph));
}

int
mf_ipv4_build(struct rte_mempool *mp, uint16_t mtu, uint16_t id, uint32_t src, uint32_t dst,
	      uint8_t proto, const void *hdr, uint32_t hdr_len, const void *data,
	      uint32_t data_len, struct rte_mbuf **out, unsigned int max)
{
	uint32_t total = hdr_len + data_len, off = 0, room, chunk;
	const uint8_t *h = hdr, *d = data;
	unsigned int n = 0;

	if (total > MF_REASM_MAX - sizeof(struct rte_ipv4_hdr))
		return -EMSGSIZE;
	/* fragment payload: what the MTU and one mbuf hold, a multiple of 8 */
	room = RTE_MIN((uint32_t)mtu, (uint32_t)(rte_pktmbuf_data_room_size(mp) -
						 RTE_PKTMBUF_HEADROOM - RTE_ETHER_HDR_LEN)) -
	       (uint32_t)sizeof(struct rte_ipv4_hdr);
	if (total > room)
		room &= ~7u;
	do {
		struct rte_mbuf *m;
		struct rte_ipv4_hdr *ip;
		uint8_t *p;
		uint32_t c;

		if (n == max)
			goto nobufs;
		m = rte_pktmbuf_alloc(mp);
		if (m == NULL)
			goto nobufs;
		out[n++] = m;
		chunk = RTE_MIN(room, total - off);
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(RTE_ETHER_HDR_LEN +
							       sizeof(*ip) + chunk));
		((struct rte_ether_hdr *)p)->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		ip = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + chunk));
		ip->packet_id = rte_cpu_to_be_16(id);
		ip->fragment_offset = rte_cpu_to_be_16((uint16_t)((off >> 3) |
			(off + chunk < total ? RTE_IPV4_HDR_MF_FLAG : 0)));
		ip->time_to_live = MF_IP_TTL;
		ip->next_proto_id = proto;
		ip->src_addr = rte_cpu_to_be_32(src);
		ip->dst_addr = rte_cpu_to_be_32(dst);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		p = (uint8_t *)(ip + 1);
		/* copy [off, off + chunk) of hdr||data */
		for (c = 0; c < chunk;) {
			uint32_t at = off + c, k;

			if (at < hdr_len) {
				k = RTE_MIN(hdr_len - at, chunk - c);
				memcpy(p + c, h + at, k);
			} else {
				k = chunk - c;
				memcpy(p + c, d + (at - hdr_len), k);
			}
			c += k;
		}
		off += chunk;
	} while (off < total);
	return (int)n;
nobufs:
	rte_pktmbuf_free_bulk(out, n);
	return -ENOBUFS;
}

void
mf_ipv4_send(struct mf_worker *w, uint16_t in_port, uint32_t src, uint32_t dst, uint8_t proto,
	     const void *hdr, uint32_t hdr_len, const void *data, uint32_t data_len)
{
	struct rte_mbuf *frags[MF_REASM_MAX / 512 + 2];
	struct mf_stack_lcore *lc = mf_stack_lc(w);
	uint32_t nh;
	uint16_t port;
	int n, i;

	if (mf_stack_route(dst, &port, &nh) != 0) {
		mf_stk_cnt(w, in_port, MF_CNT_STACK_NO_ROUTE);
		return;
	}
	n = mf_ipv4_build(mf_stk.port[port]->pool, mf_stk.port[port]->mtu, lc->ip_id++, src, dst,
			  proto, hdr, hdr_len, data, data_len, frags, RTE_DIM(frags));
	if (n < 0) {
		mf_stk_cnt(w, port, MF_CNT_STACK_TX_NOMBUF);
		return;
	}
	if (n > 1)
		mf_cnt_add(&w->cnt[port][MF_CNT_FRAG_TX], (uint64_t)n);
	for (i = 0; i < n; i++)
		mf_stack_output(w, port, nh, frags[i]);
}

void
mf_l4_input(struct mf_worker *w, struct mf_ip_dgram *d)
{
	switch (d->proto) {
	case IPPROTO_ICMP:
		mf_icmp_input(w, d);
		break;
	case IPPROTO_UDP:
		mf_udp_input(w, d);
		break;
	default:
		mf_stk_cnt(w, d->port, MF_CNT_IPV4_UNKNOWN_PROTO);
		mf_icmp_unreach(w, d, 2 /* protocol unreachable */);
		if (d->m != NULL)
			rte_pktmbuf_free(d->m);
		break;
	}
}

/* A frame in one segment is read in place; a chain (rx scatter, a reassembled datagram) is
 * copied whole into the lcore's scratch buffer first, and what follows reads the copy: the
 * checks and ICMP/UDP input want contiguous bytes. Then d.m is NULL and m is freed once
 * read. */
void
mf_ipv4_input(struct mf_worker *w, uint16_t port, struct rte_mbuf *m)
{
	uint32_t avail = rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN, ihl, tot, dst;
	bool flat = m->nb_segs > 1;
	struct rte_ipv4_hdr *ip;
	struct mf_ip_dgram d;

	if (unlikely(flat)) {
		uint8_t *scratch = mf_stack_lc(w)->scratch;

		avail = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
		if (rte_pktmbuf_pkt_len(m) > sizeof(mf_stack_lc(w)->scratch)) {
			mf_stk_drop(w, port, m, MF_CNT_IPV4_BAD_LEN); /* no IPv4 datagram is longer */
			return;
		}
		/* a chain is never contiguous: this copies, segment by segment */
		if (rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), scratch) == NULL) {
			mf_stk_drop(w, port, m, MF_CNT_IPV4_TRUNCATED);
			return;
		}
	}
	if (avail < sizeof(*ip)) {
		mf_stk_drop(w, port, m, MF_CNT_IPV4_TRUNCATED);
		return;
	}
	ip = flat ? (struct rte_ipv4_hdr *)(mf_stack_lc(w)->scratch + RTE_ETHER_HDR_LEN) :
		    rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	if ((ip->version_ihl >> 4) != 4) {
		mf_stk_drop(w, port, m, MF_CNT_IPV4_BAD_VERSION);
		return;
	}
	ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	if (ihl < sizeof(*ip)) {
		mf_stk_drop(w, port, m, MF_CNT_IPV4_BAD_IHL);
		return;
	}
	if (ihl > avail) {
		mf_stk_drop(w, port, m, MF_CNT_IPV4_TRUNCATED);
		return;
	}
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < ihl) {
		mf_stk_drop(w, port, m, MF_CNT_IPV4_BAD_LEN);
		return;
	}
	if (tot > avail) {
		mf_stk_drop(w, port, m, MF_CNT_IPV4_TRUNCATED);
		return;
	}
	/* the NIC's verdict where it gives one, else software */
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
		break;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		mf_stk_drop(w, port, m, MF_CNT_IPV4_BAD_CHECKSUM);
		return;
	default:
		if (rte_raw_cksum(ip, ihl) != 0xffff) {
			mf_stk_drop(w, port, m, MF_CNT_IPV4_BAD_CHECKSUM);
			return;
		}
	}
	if (ip->time_to_live == 0) {
		mf_stk_drop(w, port, m, MF_CNT_IPV4_TTL_EXPIRED);
		return;
	}
	dst = rte_be_to_cpu_32(ip->dst_addr);
	if (!mf_route_is_local(port, dst) && !mf_route_is_bcast(port, dst)) {
		mf_stk_drop(w, port, m, MF_CNT_IPV4_NOT_FOR_US);
		return;
	}
	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		/* the fragment itself goes to the worker's reassembly (core/reasm.c); the whole
		 * datagram comes back as a chain of the fragments and takes this path again, as
		 * any chain does (no longer a fragment) */
		m = mf_reasm_take(w, port, m, ihl);
		if (m != NULL)
			mf_ipv4_input(w, port, m);
		return;
	}
	if (flat) {
		rte_pktmbuf_free(m); /* what follows reads the copy */
		m = NULL;
	} else {
		/* Ethernet padding and the Ethernet header go: the mbuf starts at the IP header */
		rte_pktmbuf_trim(m, avail - tot);
		rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
	}
	d.port = port;
	d.src = rte_be_to_cpu_32(ip->src_addr);
	d.dst = dst;
	d.proto = ip->next_proto_id;
	d.ip = ip;
	d.l4 = (const uint8_t *)ip + ihl;
	d.l4_len = tot - ihl;
	d.m = m;
	mf_l4_input(w, &d);
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Reassembly of fragments addressed to the core (RFC 815 in its simplest form): per lcore a
 * bounded table of MF_REASM_SLOTS datagrams keyed by (port, src, dst, proto, id), each a flat
 * 64 KiB buffer with one bit per 8-byte block received. The fragments of one datagram arrive
 * on one port, so on one lcore: no sharing. A datagram completes when every block up to the
 * last fragment's end is in; an overlap that disagrees, a datagram beyond 64 KiB, a full
 * table (the oldest entry is evicted) or MF_REASM_TIMEOUT_MS without completion count as
 * reasm_drop.
 */
#include <string.h>

#include <rte_cycles.h>

#include "stack_priv.h"

static inline bool
block_seen(const struct mf_reasm *r, uint32_t b)
{
	return (r->seen[b >> 3] >> (b & 7)) & 1;
}

static struct mf_reasm *
reasm_slot(struct mf_worker *w, uint16_t port, const struct rte_ipv4_hdr *ip)
{
	struct mf_stack_lcore *lc = mf_stack_lc(w);
	struct mf_reasm *free_slot = NULL, *oldest = NULL;
	unsigned int i;

	for (i = 0; i < MF_REASM_SLOTS; i++) {
		struct mf_reasm *r = &lc->reasm[i];

		if (!r->used) {
			if (free_slot == NULL)
				free_slot = r;
			continue;
		}
		if (r->port == port && r->id == ip->packet_id && r->proto == ip->next_proto_id &&
		    r->src == ip->src_addr && r->dst == ip->dst_addr)
			return r;
		if (oldest == NULL || r->first_tsc < oldest->first_tsc)
			oldest = r;
	}
	if (free_slot == NULL) {
		mf_stk_cnt(w, oldest->port, MF_CNT_REASM_DROP);
		free_slot = oldest;
	}
	memset(free_slot->seen, 0, sizeof(free_slot->seen));
	free_slot->used = true;
	free_slot->port = port;
	free_slot->id = ip->packet_id;
	free_slot->proto = ip->next_proto_id;
	free_slot->src = ip->src_addr;
	free_slot->dst = ip->dst_addr;
	free_slot->total = 0;
	free_slot->got = 0;
	free_slot->first_tsc = rte_rdtsc();
	memcpy(free_slot->hdr, ip, sizeof(free_slot->hdr));
	return free_slot;
}

/* The datagram is whole: as an mbuf chain (IP header without options, then the payload) for
 * UDP delivery, or straight from the buffer for ICMP. */
static void
reasm_deliver(struct mf_worker *w, struct mf_reasm *r)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)r->hdr;
	struct mf_ip_dgram d;

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + r->total));
	ip->fragment_offset = 0;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	mf_stk_cnt(w, r->port, MF_CNT_REASM_DONE);
	d.port = r->port;
	d.src = rte_be_to_cpu_32(ip->src_addr);
	d.dst = rte_be_to_cpu_32(ip->dst_addr);
	d.proto = ip->next_proto_id;
	d.ip = ip;
	d.l4 = r->data;
	d.l4_len = r->total;
	d.m = NULL;
	mf_l4_input(w, &d);
	r->used = false;
}

void
mf_reasm_input(struct mf_worker *w, uint16_t port, const struct rte_ipv4_hdr *ip,
	       struct rte_mbuf *m)
{
	uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	uint32_t len = rte_be_to_cpu_16(ip->total_length) - ihl;
	uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
	uint32_t off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * 8, b;
	bool last = !(fo & RTE_IPV4_HDR_MF_FLAG);
	struct mf_reasm *r;

	/* every fragment but the last carries a multiple of 8 bytes */
	if ((!last && (len & 7) != 0) || len == 0 || off + len > MF_REASM_MAX - sizeof(*ip)) {
		mf_stk_drop(w, port, m, MF_CNT_REASM_DROP);
		return;
	}
	r = reasm_slot(w, port, ip);
	if (last) {
		if (r->total != 0 && r->total != off + len)
			goto bad;
		r->total = off + len;
	} else if (r->total != 0 && off + len > r->total) {
		goto bad;
	}
	if (off == 0)
		memcpy(r->hdr, ip, sizeof(r->hdr));
	for (b = off / 8; b < (off + len + 7) / 8; b++) {
		if (block_seen(r, b))
			continue; /* duplicate: the first copy stays */
		r->seen[b >> 3] |= (uint8_t)(1u << (b & 7));
		r->got += RTE_MIN(8u, off + len - b * 8);
	}
	memcpy(r->data + off, (const uint8_t *)ip + ihl, len);
	rte_pktmbuf_free(m);
	if (r->total != 0 && r->got >= r->total)
		reasm_deliver(w, r);
	return;
bad:
	r->used = false;
	mf_stk_drop(w, port, m, MF_CNT_REASM_DROP);
}

void
mf_reasm_timers(struct mf_worker *w, uint64_t now)
{
	struct mf_stack_lcore *lc = mf_stack_lc(w);
	uint64_t limit = MF_REASM_TIMEOUT_MS * mf_stk.ms;
	unsigned int i;

	for (i = 0; i < MF_REASM_SLOTS; i++) {
		struct mf_reasm *r = &lc->reasm[i];

		if (r->used && now - r->first_tsc >= limit) {
			r->used = false;
			mf_stk_cnt(w, r->port, MF_CNT_REASM_DROP);
		}
	}
}

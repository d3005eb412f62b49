/* SPDX-License-Identifier: BSD-3-Clause
 *
 * IPv4 reassembly with no copy: the fragments themselves become the datagram. The first keeps
 * its Ethernet and IPv4 headers, every other one is advanced past its headers and chained
 * behind it, in offset order. The IPv4 header then gets the whole length, MF and the offset
 * cleared (DF kept) and a new checksum; the UDP checksum, over the payload, is the sender's
 * and holds.
 *
 *   held:   [eth|ip|udp|data 0..1479] [eth|ip|data 1480..2959] [eth|ip|data 2960..]
 *   whole:  [eth|ip(total)|udp|data 0..1479] -> [data 1480..2959] -> [data 2960..]
 *
 * Used before policy classification (core/policy/classify.c, for fragments addressed to the
 * core or to a policy's service) and by the stack (core/stack/ipv4.c), which then reads the
 * whole chain as it reads any chain.
 *
 * Per worker, MF_REASM_SLOTS datagrams at a time, each of at most MF_REASM_FRAGS fragments,
 * keyed by (port, src, dst, protocol, id); the fragments of one datagram come in on one port,
 * so on one worker: nothing is shared. Overlapping fragments drop the datagram (as Linux does
 * since 4.19; an exact duplicate drops just itself), so what is held never overlaps and the
 * datagram is whole when the bytes held reach the length the last fragment gave. Every
 * fragment freed here counts once as reasm_drop on the port it came in on: malformed,
 * duplicate, overlapping, too many, evicted from a full table, or older than
 * MF_REASM_TIMEOUT_MS (checked once per worker loop while anything is held).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "counters.h"
#include "reasm.h"

/* One datagram in reassembly: its fragments so far, in offset order. */
struct mf_reasm {
	bool used;
	uint8_t proto;
	uint16_t port;
	rte_be16_t id;
	rte_be32_t src, dst;
	uint32_t n;                     /* fragments held */
	uint32_t got;                   /* payload bytes held (they never overlap) */
	uint32_t total;                 /* payload bytes, once the last fragment came; else 0 */
	uint64_t first_tsc;
	struct rte_mbuf *frag[MF_REASM_FRAGS];
	uint16_t off[MF_REASM_FRAGS];   /* payload offset */
	uint16_t len[MF_REASM_FRAGS];   /* payload bytes */
	uint8_t hlen[MF_REASM_FRAGS];   /* Ethernet + IPv4 header bytes in front */
};

/* A worker's datagrams in reassembly. */
struct mf_reasm_table {
	uint32_t used;
	uint64_t next_sweep_tsc;
	struct mf_reasm slot[MF_REASM_SLOTS];
};

uint8_t mf_reasm_busy[RTE_MAX_LCORE];
static struct mf_reasm_table *tables[RTE_MAX_LCORE]; /* by worker lcore id */

int
mf_reasm_init(struct mf_core *core, char *err, size_t errlen)
{
	unsigned int j;

	for (j = 0; j < core->n_workers; j++) {
		unsigned int lcore = core->worker[j]->lcore_id;

		tables[lcore] = rte_zmalloc_socket("mf_reasm", sizeof(*tables[lcore]),
						   RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
		if (tables[lcore] == NULL) {
			snprintf(err, errlen, "reassembly: cannot allocate %zu bytes for worker "
				 "lcore %u; give the core more memory (--mem)",
				 sizeof(*tables[lcore]), lcore);
			return -ENOMEM;
		}
	}
	return 0;
}

static inline void
frag_drop(struct mf_worker *w, uint16_t port, struct rte_mbuf *m)
{
	mf_cnt_add(&w->cnt[port][MF_CNT_REASM_DROP], 1);
	rte_pktmbuf_free(m);
}

static void
slot_release(struct mf_worker *w, struct mf_reasm_table *tb, struct mf_reasm *r)
{
	r->n = 0;
	r->used = false;
	tb->used--;
	if (tb->used == 0)
		mf_reasm_busy[w->lcore_id] = 0;
}

static void
slot_drop(struct mf_worker *w, struct mf_reasm_table *tb, struct mf_reasm *r)
{
	uint32_t i;

	for (i = 0; i < r->n; i++)
		frag_drop(w, r->port, r->frag[i]);
	slot_release(w, tb, r);
}

static struct mf_reasm *
slot_find(struct mf_worker *w, struct mf_reasm_table *tb, uint16_t port,
	  const struct rte_ipv4_hdr *ip)
{
	struct mf_reasm *free_slot = NULL, *oldest = NULL;
	unsigned int i;

	for (i = 0; i < MF_REASM_SLOTS; i++) {
		struct mf_reasm *r = &tb->slot[i];

		if (!r->used) {
			if (free_slot == NULL)
				free_slot = r;
			continue;
		}
		if (r->id == ip->packet_id && r->src == ip->src_addr && r->dst == ip->dst_addr &&
		    r->proto == ip->next_proto_id && r->port == port)
			return r;
		if (oldest == NULL || r->first_tsc < oldest->first_tsc)
			oldest = r;
	}
	if (free_slot == NULL) {
		slot_drop(w, tb, oldest); /* a full table makes room by its oldest */
		free_slot = oldest;
	}
	free_slot->used = true;
	free_slot->port = port;
	free_slot->id = ip->packet_id;
	free_slot->src = ip->src_addr;
	free_slot->dst = ip->dst_addr;
	free_slot->proto = ip->next_proto_id;
	free_slot->n = 0;
	free_slot->got = 0;
	free_slot->total = 0;
	free_slot->first_tsc = rte_rdtsc();
	tb->used++;
	mf_reasm_busy[w->lcore_id] = 1;
	return free_slot;
}

/* The held fragments, in offset order, as one datagram (see the picture above). */
static struct rte_mbuf *
slot_join(struct mf_worker *w, struct mf_reasm_table *tb, struct mf_reasm *r)
{
	struct rte_mbuf *head = r->frag[0], *tail = rte_pktmbuf_lastseg(head);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(head, struct rte_ipv4_hdr *,
							  RTE_ETHER_HDR_LEN);
	uint32_t i;

	for (i = 1; i < r->n; i++) {
		struct rte_mbuf *f = r->frag[i];

		rte_pktmbuf_adj(f, r->hlen[i]); /* headers are in the first segment: checked */
		tail->next = f;
		tail = rte_pktmbuf_lastseg(f);
		head->nb_segs = (uint16_t)(head->nb_segs + f->nb_segs);
		head->pkt_len += f->pkt_len;
	}
	ip->total_length = rte_cpu_to_be_16((uint16_t)(r->hlen[0] - RTE_ETHER_HDR_LEN + r->total));
	ip->fragment_offset &= RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* the device's checksum verdicts were for the first fragment alone */
	head->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
	mf_cnt_add(&w->cnt[r->port][MF_CNT_REASM_DONE], 1);
	slot_release(w, tb, r);
	return head;
}

struct rte_mbuf *
mf_reasm_take(struct mf_worker *w, uint16_t port, struct rte_mbuf *m, uint32_t ihl)
{
	struct mf_reasm_table *tb = tables[w->lcore_id];
	const struct rte_ipv4_hdr *ip;
	struct mf_reasm *r;
	uint32_t tot, off, len, i, at;
	uint16_t fo;
	bool last;

	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	/* A header not in the first segment, or that lies (length, checksum), an empty or
	 * misaligned piece, a datagram past 64 KiB: the fragment goes, what is held of its
	 * datagram waits for a good one. */
	if (unlikely(tb == NULL) || m->data_len < RTE_ETHER_HDR_LEN + ihl) {
		frag_drop(w, port, m);
		return NULL;
	}
	tot = rte_be_to_cpu_16(ip->total_length);
	fo = rte_be_to_cpu_16(ip->fragment_offset);
	off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * 8;
	last = !(fo & RTE_IPV4_HDR_MF_FLAG);
	if (tot <= ihl || RTE_ETHER_HDR_LEN + tot > m->pkt_len ||
	    rte_raw_cksum(ip, ihl) != 0xffff) {
		frag_drop(w, port, m);
		return NULL;
	}
	len = tot - ihl;
	if ((!last && (len & 7) != 0) || off + len > 65535 - ihl ||
	    (RTE_ETHER_HDR_LEN + tot < m->pkt_len &&
	     rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - RTE_ETHER_HDR_LEN - tot)) != 0)) {
		frag_drop(w, port, m); /* (trim fails only on padding across segments) */
		return NULL;
	}
	r = slot_find(w, tb, port, ip);
	/* where it goes, by offset; the neighbours must not overlap it */
	for (at = r->n; at > 0 && r->off[at - 1] > off; at--)
		;
	if (at > 0 && r->off[at - 1] == off && r->len[at - 1] == len) {
		frag_drop(w, port, m); /* a duplicate: the first copy stays */
		return NULL;
	}
	if ((at > 0 && r->off[at - 1] + r->len[at - 1] > off) ||
	    (at < r->n && off + len > r->off[at]) || r->n == MF_REASM_FRAGS ||
	    (last && r->total != 0 && r->total != off + len) ||
	    (r->total != 0 && off + len > r->total) ||
	    (last && r->n > 0 && r->off[r->n - 1] + r->len[r->n - 1] > off + len)) {
		frag_drop(w, port, m);
		slot_drop(w, tb, r);
		return NULL;
	}
	for (i = r->n; i > at; i--) {
		r->frag[i] = r->frag[i - 1];
		r->off[i] = r->off[i - 1];
		r->len[i] = r->len[i - 1];
		r->hlen[i] = r->hlen[i - 1];
	}
	r->frag[at] = m;
	r->off[at] = (uint16_t)off;
	r->len[at] = (uint16_t)len;
	r->hlen[at] = (uint8_t)(RTE_ETHER_HDR_LEN + ihl);
	r->n++;
	r->got += len;
	if (last)
		r->total = off + len;
	/* nothing overlaps and everything lies below total: total bytes held is all of it */
	if (r->total == 0 || r->got != r->total)
		return NULL;
	return slot_join(w, tb, r);
}

void
mf_reasm_expire(struct mf_worker *w)
{
	struct mf_reasm_table *tb = tables[w->lcore_id];
	uint64_t now = rte_rdtsc(), limit = rte_get_tsc_hz() / 1000 * MF_REASM_TIMEOUT_MS;
	unsigned int i;

	if (now < tb->next_sweep_tsc)
		return;
	tb->next_sweep_tsc = now + rte_get_tsc_hz() / 100; /* every 10 ms at most */
	for (i = 0; i < MF_REASM_SLOTS; i++) {
		struct mf_reasm *r = &tb->slot[i];

		if (r->used && now - r->first_tsc >= limit)
			slot_drop(w, tb, r);
	}
}

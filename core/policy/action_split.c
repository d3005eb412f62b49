/* SPDX-License-Identifier: BSD-3-Clause
 *
 * split: cut one UDP datagram into several, each a whole valid datagram, and run the rest of
 * the chain (redirect, replicate) on every piece. Not terminal, and it needs an action after
 * it: the pieces must go somewhere.
 *
 *   datagram  the payload in runs of at most maxPayload bytes (like UDP GSO); with `header`
 *             each piece starts with struct mf_split_hdr (message id, index, count) so the
 *             receiver can put the message back together (apps/policy/decoders.ts).
 *   framed    the payload is a sequence of length-prefixed messages (u16 or u32, big-endian);
 *             cut only between messages, packing as many whole messages as fit in maxPayload.
 *             A message larger than that is dropped and counted ("oversize"), or cut across
 *             consecutive datagrams of its own (the framed decoder joins them again).
 *   ipfrag    IPv4 fragments of at most `mtu` bytes, which any IPv4 host reassembles: the
 *             rest of the chain runs on the whole datagram and split_frag.c fragments what
 *             it sends.
 *
 *   small piece (fits MF_POL_PIECE_ROOM, e.g. 1200 bytes for an MTU of 1500):
 *           [one mbuf: eth|ip|udp (lengths and checksums redone) |split hdr |payload copy]
 *   big piece:
 *           [hdr mbuf: eth|ip|udp |split hdr] -> [indirect: the payload bytes, per segment]
 *
 * Why two forms: a small piece copied whole costs one mbuf and a copy fused with the
 * checksum pass that must read every byte anyway (mf_cksum_copy), where an indirect mbuf
 * costs a second mbuf, a chain, and an atomic reference count taken on attach and again on
 * free. Past about 2 KiB the copy costs more than the references, so big pieces share the
 * packet's buffers. The UDP checksum of a piece is computed over its bytes, unless the
 * packet carried none. A payload that already fits (and needs no header) goes on unchanged.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "../cksum.h"
#include "pol_internal.h"

#define MF_SPLIT_MIN 16u     /* smallest maxPayload */
#define MF_SPLIT_MAX 65507u  /* largest UDP payload over IPv4 */
#define MF_SPLIT_MIN_MTU 576u /* what every IPv4 host must reassemble (RFC 791) */

#define MF_SPLIT_BULK 32u     /* mbufs a datagram split takes from a pool at a time */

static uint32_t split_msg_id[RTE_MAX_LCORE]; /* per lcore: no sharing on the fast path */

/* mbufs taken from a pool in bulk for the pieces of one datagram (a 64 KiB message cut to
 * 1200 bytes is 55 pieces, one copied mbuf each, or a header and a clone each when the pieces
 * are big: one bulk get per 32 instead of one get each);
 * what is left is given back when the datagram is done. */
struct mbuf_stash {
	uint32_t i, n;
	struct rte_mbuf *m[MF_SPLIT_BULK];
};

static inline struct rte_mbuf *
stash_get(struct mbuf_stash *st, struct rte_mempool *mp, uint32_t want)
{
	if (st == NULL)
		return rte_pktmbuf_alloc(mp);
	if (st->i == st->n) {
		uint32_t k = RTE_MIN(want, MF_SPLIT_BULK);

		st->i = 0;
		st->n = 0;
		if (k < 2 || rte_pktmbuf_alloc_bulk(mp, st->m, k) != 0)
			return rte_pktmbuf_alloc(mp); /* the last few, or a pool running dry */
		st->n = k;
	}
	return st->m[st->i++];
}

static inline void
stash_release(struct mbuf_stash *st)
{
	if (st->i < st->n)
		rte_pktmbuf_free_bulk(&st->m[st->i], st->n - st->i);
	st->i = st->n = 0;
}

/* Indirect mbufs covering bytes [off, off + len) of m's data; NULL if the pool ran dry. */
static struct rte_mbuf *
slice(struct rte_mbuf *m, uint32_t off, uint32_t len, struct mbuf_stash *st, uint32_t want)
{
	struct rte_mbuf *head = NULL, **tail = &head, *seg, *mi;
	uint32_t total = len;
	uint16_t nseg = 0, n;

	for (seg = m; seg != NULL && len != 0; seg = seg->next) {
		if (off >= seg->data_len) {
			off -= seg->data_len;
			continue;
		}
		n = (uint16_t)RTE_MIN(seg->data_len - off, len);
		mi = stash_get(st, mf_pol.clone_pool, want);
		if (unlikely(mi == NULL)) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		rte_pktmbuf_attach(mi, seg);
		mi->data_off = (uint16_t)(seg->data_off + off);
		mi->data_len = n;
		mi->pkt_len = n;
		*tail = mi;
		tail = &mi->next;
		nseg++;
		len -= n;
		off = 0;
	}
	if (head != NULL) {
		head->pkt_len = total;
		head->nb_segs = nseg;
	}
	return head;
}

/* Ones' complement sum of a slice, segment by segment; a segment that starts at an odd
 * offset of the slice has its sum byte-swapped (RFC 1071's byte order independence), as
 * rte_raw_cksum_mbuf does. mf_cksum_sum is about twice as fast as rte_raw_cksum here. */
static inline uint32_t
slice_sum(const struct rte_mbuf *seg)
{
	uint32_t s = 0, done = 0;

	for (; seg != NULL; seg = seg->next) {
		uint16_t f = mf_cksum_sum(rte_pktmbuf_mtod(seg, const void *), seg->data_len);

		s += (done & 1) ? rte_bswap16(f) : f;
		done += seg->data_len;
	}
	return s;
}

/* Copies bytes [off, off + len) of m's data to dst and returns their sum as slice_sum
 * would: one pass over the bytes. */
static inline uint32_t
copy_sum(const struct rte_mbuf *seg, uint32_t off, uint32_t len, uint8_t *dst)
{
	uint32_t s = 0, done = 0, n;
	uint16_t f;

	if (likely(off + len <= seg->data_len)) /* one segment: the common case */
		return mf_cksum_copy(dst, rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), len);
	for (; seg != NULL && len != 0; seg = seg->next) {
		if (off >= seg->data_len) {
			off -= seg->data_len;
			continue;
		}
		n = RTE_MIN(seg->data_len - off, len);
		f = mf_cksum_copy(dst + done, rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), n);

		s += (done & 1) ? rte_bswap16(f) : f;
		done += n;
		len -= n;
		off = 0;
	}
	return s;
}

/* The rest of the chain after action `ai` for one piece; freed if no action took it. */
static void
chain_rest(struct mf_pol_ctx *c, const struct mf_pol *p, unsigned int ai, struct rte_mbuf *m,
	   const struct mf_pol_pkt *pk)
{
	unsigned int i;

	for (i = ai + 1; i < p->n_actions; i++)
		if (p->act[i].ops->apply(c, p, &p->act[i], m, pk))
			return;
	rte_pktmbuf_free(m);
}

/* The headers every full-size piece of one message shares, built once per message: with
 * the IPv4 checksum done and the UDP pseudo-header + header summed, a full piece costs one
 * copy of them plus the sum of its own payload. The short last piece (and every framed
 * piece) builds its own. */
struct piece_tmpl {
	uint32_t len;          /* payload bytes of a full piece; 0: no template */
	uint32_t hdr_sum;      /* pseudo-header + UDP header (checksum field 0), unfolded */
	uint32_t left;         /* pieces still to cut, this one included */
	bool copy;             /* every piece of this message is copied whole (one stash pool) */
	struct mbuf_stash *hdr_stash, *clone_stash;
	/* A lone redirect after the split (to a known MAC, within the MTU): the template is
	 * already rewritten for its destination and full pieces are staged for tx in runs,
	 * with no per-piece trip through the redirect. NULL: the chain runs per piece. */
	const struct mf_pol_dest *direct;
	uint16_t n_out;
	uint64_t out_bytes;
	struct rte_mbuf *out[MF_SPLIT_BULK];
	uint8_t hdr[RTE_ETHER_HDR_LEN + 60 + sizeof(struct rte_udp_hdr)];
};

/* The full pieces the template made for its direct redirect, staged for tx as one run. */
static void
direct_flush(struct mf_pol_ctx *c, const struct mf_pol *p, struct piece_tmpl *t)
{
	mf_pol_stage_run(c, p, t->direct, t->out, t->n_out, t->out_bytes);
	t->n_out = 0;
	t->out_bytes = 0;
}

/* The redirect that may take the full pieces directly: the action right after the split,
 * the chain's last, to a known MAC, with pieces that fit its port's MTU; otherwise NULL. */
static const struct mf_pol_dest *
direct_redirect(const struct mf_pol_ctx *c, const struct mf_pol *p, unsigned int ai,
		const struct mf_pol_pkt *pk, uint32_t piece_bytes)
{
	const struct mf_pol_dest *d;

	if (ai + 2 != p->n_actions || p->act[ai + 1].ops != &mf_action_redirect ||
	    c->frag_mtu != 0)
		return NULL;
	d = &p->act[ai + 1].dests[0];
	if (!d->has_mac || pk->hdr_len - RTE_ETHER_HDR_LEN + piece_bytes > mf_pol.port_mtu[d->port])
		return NULL;
	return d;
}

/* The headers of m for a piece of `elen` + `len` bytes into `data`; returns the unfolded
 * sum the UDP checksum starts from (pseudo-header + UDP header with checksum 0). */
static uint32_t
piece_hdr(const struct rte_mbuf *m, const struct mf_pol_pkt *pk, uint16_t elen, uint32_t len,
	  uint8_t *data)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(data + RTE_ETHER_HDR_LEN);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(data + pk->l4_off);
	uint16_t hlen = pk->hdr_len;

	rte_memcpy(data, rte_pktmbuf_mtod(m, const uint8_t *), hlen);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hlen - RTE_ETHER_HDR_LEN + elen + len));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + elen + len));
	if (udp->dgram_cksum == 0)
		return 0; /* the sender sent none: the pieces carry none */
	udp->dgram_cksum = 0;
	return rte_ipv4_phdr_cksum(ip, 0) + rte_raw_cksum(udp, sizeof(*udp));
}

/* One piece: m's headers, then `extra` bytes (a split header or nothing), then bytes
 * [off, off + len) of m's UDP payload. 0, or -ENOBUFS (counted by the caller). */
static int
piece(struct mf_pol_ctx *c, const struct mf_pol *p, unsigned int ai, struct rte_mbuf *m,
      const struct mf_pol_pkt *pk, struct piece_tmpl *t, const void *extra,
      uint16_t elen, uint32_t off, uint32_t len)
{
	/* datagram mode: mbufs from the template's stashes, `left` pieces still to come */
	struct mbuf_stash *sh = t != NULL ? t->hdr_stash : NULL;
	struct mbuf_stash *sc = t != NULL ? t->clone_stash : NULL;
	uint32_t want = t != NULL ? t->left : 1;
	const struct rte_udp_hdr *udp0 = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *,
								 pk->l4_off);
	uint16_t hlen = pk->hdr_len, ck;
	/* a message's pieces share one stash, so its template decides for all of them */
	bool copy = t != NULL ? t->copy : (uint32_t)hlen + elen + len <= mf_pol.piece_room;
	struct rte_mbuf *h, *pay = NULL;
	struct rte_udp_hdr *udp;
	uint32_t s, psum = 0;
	uint8_t *data;

	h = stash_get(sh, copy ? mf_pol.piece_pool : mf_pol.hdr_pool, want);
	if (unlikely(h == NULL))
		return -ENOBUFS;
	if (len != 0 && !copy) {
		pay = slice(m, (uint32_t)hlen + off, len, sc, want);
		if (unlikely(pay == NULL)) {
			rte_pktmbuf_free(h);
			return -ENOBUFS;
		}
	}
	data = (uint8_t *)rte_pktmbuf_append(h, (uint16_t)(hlen + elen + (copy ? len : 0)));
	if (copy && len != 0)
		psum = copy_sum(m, (uint32_t)hlen + off, len, data + hlen + elen);
	if (t != NULL && len == t->len) {
		rte_memcpy(data, t->hdr, hlen);
		s = t->hdr_sum;
	} else {
		s = piece_hdr(m, pk, elen, len, data);
	}
	if (elen != 0)
		rte_memcpy(data + hlen, extra, elen);
	if (udp0->dgram_cksum != 0) {
		udp = (struct rte_udp_hdr *)(data + pk->l4_off);
		if (elen != 0)
			s += rte_raw_cksum(data + hlen, elen); /* elen is even: alignment holds */
		if (pay != NULL)
			s += slice_sum(pay);
		s = (s & 0xffff) + (s >> 16) + psum;
		s = (s & 0xffff) + (s >> 16);
		s = (s & 0xffff) + (s >> 16);
		ck = (uint16_t)~s;
		udp->dgram_cksum = ck == 0 ? 0xffff : ck;
	}
	if (pay != NULL) {
		h->next = pay;
		h->nb_segs = (uint16_t)(1 + pay->nb_segs);
		h->pkt_len += pay->pkt_len;
	}
	if (t != NULL && t->direct != NULL && len == t->len) {
		if (t->n_out == RTE_DIM(t->out))
			direct_flush(c, p, t);
		t->out[t->n_out++] = h;
		t->out_bytes += h->pkt_len;
		return 0;
	}
	if (t != NULL && t->n_out != 0)
		direct_flush(c, p, t); /* keep the pieces in order */
	chain_rest(c, p, ai, h, pk);
	return 0;
}

static inline void
count_drop(struct mf_pol_ctx *c, const struct mf_pol *p, enum mf_policy_drop why)
{
	struct mf_pol_pcnt *pc = &c->lc->pcnt[p->cnt];

	__atomic_store_n(&pc->drop[why], pc->drop[why] + 1, __ATOMIC_RELAXED);
}

static void
split_datagram(struct mf_pol_ctx *c, const struct mf_pol *p, unsigned int ai,
	       struct rte_mbuf *m, const struct mf_pol_pkt *pk,
	       uint32_t plen)
{
	bool hdr = (p->wire.action[ai].flags & MF_SPLIT_HEADER) != 0;
	uint32_t chunk = p->wire.action[ai].param - (hdr ? sizeof(struct mf_split_hdr) : 0);
	uint32_t count = plen == 0 ? 1 : (plen + chunk - 1) / chunk;
	uint16_t elen = hdr ? sizeof(struct mf_split_hdr) : 0;
	struct mf_split_hdr sh;
	struct mbuf_stash hs = { .i = 0, .n = 0 }, cs = { .i = 0, .n = 0 };
	struct piece_tmpl t;
	uint32_t i, off;

	t.len = RTE_MIN(chunk, plen);
	t.copy = (uint32_t)pk->hdr_len + elen + t.len <= mf_pol.piece_room;
	t.hdr_sum = piece_hdr(m, pk, elen, t.len, t.hdr);
	t.hdr_stash = &hs;
	t.clone_stash = &cs;
	t.n_out = 0;
	t.out_bytes = 0;
	t.direct = direct_redirect(c, p, ai, pk, elen + t.len);
	if (t.direct != NULL) {
		/* what redirect_apply would do to each full piece, done once to the template;
		 * the piece's UDP checksum then starts from the rewritten pseudo-header */
		mf_pol_rewrite(t.direct, pk, t.hdr);
		if (rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, pk->l4_off)->dgram_cksum != 0) {
			const struct rte_ipv4_hdr *ip =
				(const struct rte_ipv4_hdr *)(t.hdr + RTE_ETHER_HDR_LEN);

			t.hdr_sum = rte_ipv4_phdr_cksum(ip, 0) +
				    rte_raw_cksum(t.hdr + pk->l4_off, sizeof(struct rte_udp_hdr));
		}
	}
	sh.msg_id = rte_cpu_to_be_32(split_msg_id[rte_lcore_id()]++);
	sh.count = rte_cpu_to_be_16((uint16_t)count);
	for (i = 0, off = 0; i < count; i++, off += chunk) {
		sh.index = rte_cpu_to_be_16((uint16_t)i);
		t.left = count - i;
		if (piece(c, p, ai, m, pk, &t, &sh, elen, off,
			  RTE_MIN(chunk, plen - off)) < 0)
			count_drop(c, p, MF_POLICY_DROP_NOMBUF);
	}
	if (t.n_out != 0)
		direct_flush(c, p, &t);
	stash_release(&hs);
	stash_release(&cs);
}

static inline int
read_len(struct rte_mbuf *m, uint32_t at, bool p32, uint32_t *len)
{
	uint8_t buf[4];
	const uint8_t *b = rte_pktmbuf_read(m, at, p32 ? 4 : 2, buf);

	if (b == NULL)
		return -1;
	*len = p32 ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3] :
		     (uint32_t)b[0] << 8 | b[1];
	return 0;
}

static void
split_framed(struct mf_pol_ctx *c, const struct mf_pol *p, unsigned int ai,
	     struct rte_mbuf *m, const struct mf_pol_pkt *pk,
	     uint32_t plen)
{
	uint8_t flags = p->wire.action[ai].flags;
	bool p32 = (flags & MF_SPLIT_PREFIX32) != 0;
	uint32_t pre = p32 ? 4 : 2, max = p->wire.action[ai].param, start = 0, at = 0, mlen, cut;

	while (at < plen) {
		if (at + pre > plen || read_len(m, pk->hdr_len + at, p32, &mlen) < 0 ||
		    mlen > plen - at - pre) {
			/* What came before goes; the broken tail is counted once. */
			count_drop(c, p, MF_POLICY_DROP_MALFORMED);
			break;
		}
		mlen += pre;
		if (mlen > max) {
			/* Flush what is packed, then the oversize message on its own. */
			if (at > start && piece(c, p, ai, m, pk, NULL, NULL, 0, start, at - start) < 0)
				count_drop(c, p, MF_POLICY_DROP_NOMBUF);
			count_drop(c, p, MF_POLICY_DROP_OVERSIZE);
			if ((flags & MF_SPLIT_OVERSIZE_DROP) == 0) {
				for (cut = 0; cut < mlen; cut += max)
					if (piece(c, p, ai, m, pk, NULL, NULL, 0, at + cut,
						  RTE_MIN(max, mlen - cut)) < 0)
						count_drop(c, p, MF_POLICY_DROP_NOMBUF);
			}
			at += mlen;
			start = at;
			continue;
		}
		if (at + mlen - start > max) {
			if (piece(c, p, ai, m, pk, NULL, NULL, 0, start, at - start) < 0)
				count_drop(c, p, MF_POLICY_DROP_NOMBUF);
			start = at;
		}
		at += mlen;
	}
	if (at > start && at <= plen && piece(c, p, ai, m, pk, NULL, NULL, 0, start, at - start) < 0)
		count_drop(c, p, MF_POLICY_DROP_NOMBUF);
}

/* The rest of the chain rewrites the whole datagram; what it sends is fragmented on the way
 * out (split_frag.c). The policy sets the path MTU, so DF is cleared first. */
static void
split_ipfrag(struct mf_pol_ctx *c, const struct mf_pol *p, unsigned int ai, struct rte_mbuf *m,
	     const struct mf_pol_pkt *pk, uint16_t mtu)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							  RTE_ETHER_HDR_LEN);

	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)) {
		ip->fragment_offset &= ~RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	c->frag_mtu = mtu;
	chain_rest(c, p, ai, m, pk);
	c->frag_mtu = 0;
}

static int
split_apply(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_action *a,
	    struct rte_mbuf *m, const struct mf_pol_pkt *pk)
{
	unsigned int ai = (unsigned int)(a - p->act);
	/* The parameters live in the policy's wire form, immutable like the rest of it. */
	const struct mf_policy_action *w = &p->wire.action[ai];
	const struct rte_udp_hdr *udp;
	uint32_t plen;

	if (mf_pol_drop_unless_udp(c, p, m, pk))
		return 1;
	if ((w->flags & MF_SPLIT_MODE_MASK) == MF_SPLIT_IPFRAG) {
		if (m->pkt_len - RTE_ETHER_HDR_LEN <= w->param)
			return 0;
		split_ipfrag(c, p, ai, m, pk, w->param);
		return 1;
	}
	/* The UDP length, not the frame's: a short frame carries Ethernet padding. */
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, pk->l4_off);
	plen = RTE_MIN((uint32_t)rte_be_to_cpu_16(udp->dgram_len), m->pkt_len - pk->l4_off);
	if (unlikely(plen < sizeof(*udp))) {
		mf_pol_drop(c, p, MF_POLICY_DROP_NOT_UDP, m);
		return 1;
	}
	plen -= (uint32_t)sizeof(*udp);
	/* Fits already and needs no header: the packet itself goes on. */
	if (plen <= w->param && (w->flags & MF_SPLIT_HEADER) == 0)
		return 0;
	if ((w->flags & MF_SPLIT_MODE_MASK) == MF_SPLIT_FRAMED)
		split_framed(c, p, ai, m, pk, plen);
	else
		split_datagram(c, p, ai, m, pk, plen);
	/* Big pieces hold references to its buffers; small ones were copied. */
	rte_pktmbuf_free(m);
	return 1;
}

static int
split_validate(const struct mf_policy_wire *wire, unsigned int ai, char *err, size_t len)
{
	const struct mf_policy_action *a = &wire->action[ai];
	unsigned int mode = a->flags & MF_SPLIT_MODE_MASK;
	unsigned int known = MF_SPLIT_MODE_MASK | MF_SPLIT_HEADER | MF_SPLIT_PREFIX32 |
			     MF_SPLIT_OVERSIZE_DROP;

	if (mode == MF_SPLIT_IPFRAG && (a->param < MF_SPLIT_MIN_MTU ||
					(a->flags & ~MF_SPLIT_MODE_MASK) != 0)) {
		snprintf(err, len, "actions[%u].mtu: ipfrag takes an MTU of %u..65535 bytes (got "
			 "%u) and no other option (flags 0x%02x)", ai, MF_SPLIT_MIN_MTU, a->param,
			 a->flags);
		return -EINVAL;
	}
	if (mode == 0 || (a->flags & ~known) != 0) {
		snprintf(err, len, "actions[%u].mode: flags 0x%02x are not a split mode; the low "
			 "bits are 2 (datagram) or 3 (framed), options header 0x04, prefix32 0x08, "
			 "oversize drop 0x10", ai, a->flags);
		return -EINVAL;
	}
	if (mode != MF_SPLIT_IPFRAG && (a->param < MF_SPLIT_MIN || a->param > MF_SPLIT_MAX)) {
		snprintf(err, len, "actions[%u].maxPayload: %u is out of range; use %u..%u bytes",
			 ai, a->param, MF_SPLIT_MIN, MF_SPLIT_MAX);
		return -EINVAL;
	}
	if (mode != MF_SPLIT_DATAGRAM && (a->flags & MF_SPLIT_HEADER)) {
		snprintf(err, len, "actions[%u].header: only mode datagram takes a header", ai);
		return -EINVAL;
	}
	if (mode != MF_SPLIT_FRAMED && (a->flags & (MF_SPLIT_PREFIX32 | MF_SPLIT_OVERSIZE_DROP))) {
		snprintf(err, len, "actions[%u]: prefix and oversize are options of mode framed",
			 ai);
		return -EINVAL;
	}
	if (ai + 1 >= wire->n_actions) {
		snprintf(err, len, "actions[%u]: split sends nothing itself; a redirect or "
			 "replicate must follow it", ai);
		return -EINVAL;
	}
	return 0;
}

const struct mf_action_ops mf_action_split = {
	.name = "split",
	.type = MF_ACTION_SPLIT,
	.terminal = false,
	.needs_udp = true,
	.dest_key = NULL,
	.min_dests = 0,
	.max_dests = 0,
	.validate = split_validate,
	.apply = split_apply,
	.fini = NULL,
};

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Unit test of the redirect/replicate rewrite (core/policy/rewrite.h): one template, prepared
 * from one packet of a flow, applied to many packets of that flow that differ in everything
 * the rewrite does not touch (IPv4 id, TTL, length, options, payload, checksums). After each
 * rewrite both checksums are recomputed from scratch, byte by byte, and must verify; the
 * rewritten fields must be the destination's and nothing else may change.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "policy/rewrite.h"


#define FRAME_MAX 256

struct frame {
	uint8_t b[FRAME_MAX];
	uint16_t len;
	uint16_t l4_off;
};

/* A flow: what every packet of a run shares. */
struct flow {
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
};

static uint32_t rng = 0x9e3779b9u;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* The Internet checksum of n bytes from scratch (RFC 1071), big-endian words. */
static uint32_t
sum_bytes(const uint8_t *p, unsigned int n, uint32_t s)
{
	unsigned int i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The UDP checksum over pseudo-header, header and payload, field included: 0xffff if right. */
static uint16_t
udp_verify_sum(const struct frame *f)
{
	const uint8_t *ip = f->b + MF_RW_ETH_LEN;
	uint16_t ulen = (uint16_t)(f->len - f->l4_off);
	uint32_t s = sum_bytes(ip + MF_RW_IP_ADDRS, 8, 0) + 17 + ulen;

	return fold(sum_bytes(f->b + f->l4_off, ulen, s));
}

static int
ip_verify(const struct frame *f)
{
	const uint8_t *ip = f->b + MF_RW_ETH_LEN;

	return fold(sum_bytes(ip, (unsigned int)(ip[0] & 0x0f) * 4, 0)) == 0xffff;
}

/* A packet of flow fl: random id, TTL, options, payload; right checksums, or UDP none. */
static void
make_packet(struct frame *f, const struct flow *fl, unsigned int opt_words, int udp_ck)
{
	uint8_t *ip = f->b + MF_RW_ETH_LEN, *udp;
	uint16_t ihl = (uint16_t)(20 + 4 * opt_words), plen = (uint16_t)(rnd() % 64), ck, i;

	memset(f->b, 0, sizeof(f->b));
	for (i = 0; i < 12; i++)
		f->b[i] = (uint8_t)rnd();
	f->b[12] = 0x08;
	f->b[13] = 0x00;
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	ip[1] = (uint8_t)rnd();
	put16(ip + 2, (uint16_t)(ihl + 8 + plen));
	put16(ip + 4, (uint16_t)rnd());
	ip[8] = (uint8_t)rnd();
	ip[9] = 17;
	memcpy(ip + 12, fl->src, 4);
	memcpy(ip + 16, fl->dst, 4);
	for (i = 20; i < ihl; i++)
		ip[i] = 1; /* NOP options */
	put16(ip + 10, (uint16_t)~fold(sum_bytes(ip, ihl, 0)));
	f->l4_off = (uint16_t)(MF_RW_ETH_LEN + ihl);
	udp = f->b + f->l4_off;
	put16(udp, fl->sport);
	put16(udp + 2, fl->dport);
	put16(udp + 4, (uint16_t)(8 + plen));
	for (i = 0; i < plen; i++)
		udp[8 + i] = (uint8_t)rnd();
	f->len = (uint16_t)(f->l4_off + 8 + plen);
	if (udp_ck) {
		ck = (uint16_t)~udp_verify_sum(f);
		put16(udp + 6, ck == 0 ? 0xffff : ck);
	}
}

struct dest {
	uint8_t eth[12];
	struct mf_pol_rw_dest rd;
};

static void
make_dest(struct dest *d, int keep_sport)
{
	unsigned int i;

	for (i = 0; i < 12; i++)
		d->eth[i] = (uint8_t)rnd();
	d->rd.eth = d->eth;
	d->rd.src_ip_be = rnd();
	d->rd.dst_ip_be = rnd();
	d->rd.src_port_be = keep_sport ? 0 : (uint16_t)(rnd() | 1);
	d->rd.dst_port_be = (uint16_t)rnd();
}

/* Rewrite g (a packet of the flow the template came from) and check every field. */
static void
check_rewrite(const struct mf_pol_rw *rw, const struct dest *d, struct frame *g)
{
	struct frame before = *g;
	const uint8_t *ip = g->b + MF_RW_ETH_LEN, *udp = g->b + g->l4_off;
	int had_ck = get16(before.b + before.l4_off + 6) != 0;

	mf_pol_rw_apply(rw, g->b, g->l4_off);
	CHECK(memcmp(g->b, d->eth, 12) == 0);
	CHECK(memcmp(ip + 12, &d->rd.src_ip_be, 4) == 0);
	CHECK(memcmp(ip + 16, &d->rd.dst_ip_be, 4) == 0);
	if (d->rd.src_port_be != 0)
		CHECK(memcmp(udp, &d->rd.src_port_be, 2) == 0);
	else
		CHECK(memcmp(udp, before.b + before.l4_off, 2) == 0);
	CHECK(memcmp(udp + 2, &d->rd.dst_port_be, 2) == 0);
	CHECK(ip_verify(g));
	if (had_ck) {
		CHECK(get16(udp + 6) != 0); /* a computed 0 is sent as 0xffff */
		CHECK(udp_verify_sum(g) == 0xffff);
	} else {
		CHECK(get16(udp + 6) == 0);
	}
	/* nothing else changed: type, the IPv4 header but checksum and addresses, length, payload */
	CHECK(memcmp(g->b + 12, before.b + 12, 2) == 0);
	CHECK(memcmp(ip, before.b + MF_RW_ETH_LEN, 10) == 0);
	CHECK(memcmp(ip + 20, before.b + MF_RW_ETH_LEN + 20, g->l4_off - MF_RW_ETH_LEN - 20) == 0);
	CHECK(memcmp(udp + 4, before.b + before.l4_off + 4, 2) == 0);
	CHECK(memcmp(udp + 8, before.b + before.l4_off + 8, g->len - g->l4_off - 8) == 0);
}

/* Many flows; per flow one template from its first packet, applied to packets that differ. */
static void
test_runs(void)
{
	struct frame first, g;
	struct mf_pol_rw rw;
	struct flow fl;
	struct dest d;
	unsigned int t, k, opt;

	for (t = 0; t < 20000; t++) {
		memcpy(fl.src, &(uint32_t){ rnd() }, 4);
		memcpy(fl.dst, &(uint32_t){ rnd() }, 4);
		fl.sport = (uint16_t)rnd();
		fl.dport = (uint16_t)rnd();
		opt = t % 7 == 0 ? 1 + rnd() % 10 : 0;
		make_dest(&d, t % 3 == 0);
		make_packet(&first, &fl, opt, 1);
		mf_pol_rw_prepare(&rw, &d.rd, first.b + MF_RW_ETH_LEN, first.b + first.l4_off);
		check_rewrite(&rw, &d, &first);
		for (k = 0; k < 4; k++) {
			make_packet(&g, &fl, opt, k != 3); /* the last one without a UDP checksum */
			check_rewrite(&rw, &d, &g);
		}
	}
}

/* A rewrite whose true UDP checksum is 0 must send 0xffff; one whose IPv4 checksum field was
 * 0 or 0xffff before must still verify. */
static void
test_edges(void)
{
	struct frame f, g;
	struct mf_pol_rw rw;
	struct flow fl = { { 198, 18, 70, 2 }, { 198, 18, 70, 1 }, 4000, 5000 };
	struct dest d;
	uint16_t ck, port_mem;
	unsigned int found = 0, t;

	for (t = 0; t < 200 && found < 20; t++) {
		make_dest(&d, 0);
		make_packet(&f, &fl, 0, 1);
		g = f;
		mf_pol_rw_prepare(&rw, &d.rd, f.b + MF_RW_ETH_LEN, f.b + f.l4_off);
		mf_pol_rw_apply(&rw, g.b, g.l4_off);
		/* move the destination port by the checksum: the true sum becomes 0xffff, so the
		 * computed checksum 0 */
		memcpy(&ck, g.b + g.l4_off + 6, 2);
		memcpy(&port_mem, &d.rd.dst_port_be, 2);
		port_mem = mf_ck_fold((uint32_t)port_mem + ck);
		if (port_mem == 0xffff)
			continue;
		d.rd.dst_port_be = port_mem;
		g = f;
		mf_pol_rw_prepare(&rw, &d.rd, f.b + MF_RW_ETH_LEN, f.b + f.l4_off);
		check_rewrite(&rw, &d, &g);
		CHECK(get16(g.b + g.l4_off + 6) == 0xffff);
		found++;
	}
	CHECK(found == 20);

	/* IPv4 header checksum fields at the ends of the range before the rewrite: an id chosen
	 * so that the rest of the header sums to 0xffff, whose checksum is then 0, or 0xffff
	 * (the same ones' complement value) */
	for (t = 0; t < 2; t++) {
		uint8_t *ip = f.b + MF_RW_ETH_LEN;

		make_dest(&d, 0);
		make_packet(&f, &fl, 0, 1);
		put16(ip + 4, 0);
		put16(ip + 10, 0);
		put16(ip + 4, (uint16_t)(0xffff - fold(sum_bytes(ip, 20, 0))));
		put16(ip + 10, t == 0 ? 0 : 0xffff);
		ck = (uint16_t)~udp_verify_sum(&f); /* the id is not in the UDP sum: still right */
		CHECK(ck == 0);
		CHECK(ip_verify(&f));
		mf_pol_rw_prepare(&rw, &d.rd, ip, f.b + f.l4_off);
		g = f;
		check_rewrite(&rw, &d, &g);
	}
	/* a rewrite to the same addresses and ports changes no checksum */
	make_packet(&f, &fl, 0, 1);
	memcpy(d.eth, f.b, 12);
	d.rd.eth = d.eth;
	memcpy(&d.rd.src_ip_be, f.b + MF_RW_ETH_LEN + 12, 4);
	memcpy(&d.rd.dst_ip_be, f.b + MF_RW_ETH_LEN + 16, 4);
	memcpy(&d.rd.src_port_be, f.b + f.l4_off, 2);
	memcpy(&d.rd.dst_port_be, f.b + f.l4_off + 2, 2);
	mf_pol_rw_prepare(&rw, &d.rd, f.b + MF_RW_ETH_LEN, f.b + f.l4_off);
	g = f;
	mf_pol_rw_apply(&rw, g.b, g.l4_off);
	CHECK(ip_verify(&g));
	CHECK(udp_verify_sum(&g) == 0xffff);
	CHECK(memcmp(g.b + MF_RW_ETH_LEN + 12, f.b + MF_RW_ETH_LEN + 12, 8) == 0);
}

int
main(void)
{
	test_runs();
	test_edges();
	return check_report("rewrite unit");
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The Ethernet/IPv4/UDP rewrite of redirect and replicate, as a template prepared once and
 * applied to many packets. Free of DPDK, so core/test/test_rewrite.c checks it against a full
 * checksum computation.
 *
 * Only the MACs, the IPv4 addresses and the UDP ports change; the payload, the IPv4 id and the
 * lengths do not. So the checksums are adjusted incrementally (RFC 1624, eqn. 3:
 * HC' = ~(~HC + ~m + m')), and the adjustment ~m + m' depends only on the old and new
 * addresses and ports. Packets of one flow share those, so the adjustment is folded once per
 * run of a flow (mf_pol_rw_prepare) and each packet costs a 12-byte copy, two stores and two
 * 16-bit ones' complement additions (mf_pol_rw_apply), whatever its length or segment count.
 *
 * Sums are over 16-bit words as they lie in memory (loaded in host order): the ones' complement
 * sum is the same in either byte order (RFC 1071), so nothing is byte-swapped.
 */
#ifndef MF_POL_REWRITE_H
#define MF_POL_REWRITE_H

#include <stdint.h>
#include <string.h>

#define MF_RW_ETH_LEN 14u
#define MF_RW_IP_CKSUM 10u  /* offsets in the IPv4 header */
#define MF_RW_IP_ADDRS 12u
#define MF_RW_UDP_CKSUM 6u  /* offset in the UDP header */

/* What a copy of the headers needs; built by mf_pol_rw_prepare. */
struct mf_pol_rw {
	uint8_t eth[12];       /* destination MAC, then source MAC */
	uint8_t addrs[8];      /* new source then destination address, network order */
	uint8_t ports[4];      /* new source then destination port, network order */
	uint16_t ip_adj;       /* folded ~old + new of the addresses */
	uint16_t udp_adj;      /* the same for the UDP pseudo-header addresses and the ports */
};

/* What a destination asks for: the prebuilt part of a struct mf_pol_dest. */
struct mf_pol_rw_dest {
	const uint8_t *eth;    /* 12 bytes: destination MAC, source MAC */
	uint32_t src_ip_be;
	uint32_t dst_ip_be;
	uint16_t src_port_be;  /* 0: keep the packet's */
	uint16_t dst_port_be;
};

static inline uint16_t
mf_ck_load16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Fold a sum of up to 65537 16-bit words into 16 bits (end-around carry). */
static inline uint16_t
mf_ck_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* ~old + new, for `n` bytes (even) that change from old to new. */
static inline uint32_t
mf_ck_delta(const uint8_t *old, const uint8_t *new, unsigned int n)
{
	uint32_t s = 0;
	unsigned int i;

	for (i = 0; i < n; i += 2)
		s += (uint16_t)~mf_ck_load16(old + i) + mf_ck_load16(new + i);
	return s;
}

/* The template that takes a packet whose IPv4 header is at ip and UDP header at udp (as they are
 * now, before any rewrite) to destination d. Every packet with the same addresses and ports
 * takes the same template. */
static inline void
mf_pol_rw_prepare(struct mf_pol_rw *rw, const struct mf_pol_rw_dest *d, const uint8_t *ip,
		  const uint8_t *udp)
{
	uint32_t s;

	memcpy(rw->eth, d->eth, sizeof(rw->eth));
	memcpy(rw->addrs, &d->src_ip_be, 4);
	memcpy(rw->addrs + 4, &d->dst_ip_be, 4);
	if (d->src_port_be != 0)
		memcpy(rw->ports, &d->src_port_be, 2);
	else
		memcpy(rw->ports, udp, 2);
	memcpy(rw->ports + 2, &d->dst_port_be, 2);
	s = mf_ck_delta(ip + MF_RW_IP_ADDRS, rw->addrs, sizeof(rw->addrs));
	rw->ip_adj = mf_ck_fold(s);
	rw->udp_adj = mf_ck_fold(s + mf_ck_delta(udp, rw->ports, sizeof(rw->ports)));
}

/* ~(~ck + adj): the checksum field after the change that adj sums up. */
static inline uint16_t
mf_ck_adjust(uint16_t ck, uint16_t adj)
{
	uint32_t s = (uint32_t)(uint16_t)~ck + adj;

	return (uint16_t)~(uint16_t)((s & 0xffff) + (s >> 16));
}

/* Rewrite the headers at hdr (Ethernet, IPv4 at 14, UDP at l4_off) with rw. A UDP checksum of
 * 0 (none) stays 0; a computed 0 goes out as 0xffff (RFC 768). */
static inline void
mf_pol_rw_apply(const struct mf_pol_rw *rw, uint8_t *hdr, uint16_t l4_off)
{
	uint8_t *ip = hdr + MF_RW_ETH_LEN;
	uint8_t *udp = hdr + l4_off;
	uint16_t ck;

	memcpy(hdr, rw->eth, sizeof(rw->eth));
	ck = mf_ck_adjust(mf_ck_load16(ip + MF_RW_IP_CKSUM), rw->ip_adj);
	memcpy(ip + MF_RW_IP_CKSUM, &ck, 2);
	memcpy(ip + MF_RW_IP_ADDRS, rw->addrs, sizeof(rw->addrs));
	memcpy(udp, rw->ports, sizeof(rw->ports));
	ck = mf_ck_load16(udp + MF_RW_UDP_CKSUM);
	if (ck != 0) {
		ck = mf_ck_adjust(ck, rw->udp_adj);
		ck = ck == 0 ? 0xffff : ck;
		memcpy(udp + MF_RW_UDP_CKSUM, &ck, 2);
	}
}

#endif /* MF_POL_REWRITE_H */

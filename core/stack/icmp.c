/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ICMP: echo reply to echo requests for our addresses (in place for a single frame, rebuilt
 * and fragmented for a reassembled one), destination unreachable where a kernel would send
 * it (port or protocol unreachable), rate-limited per port with a token bucket
 * (MF_ICMP_RATE per second, bursts of MF_ICMP_BURST) as Linux's icmp_ratelimit does. Never an
 * error about an error, a broadcast, or a fragment other than the first.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_icmp.h>

#include "stack_priv.h"

static bool
icmp_allowed(struct mf_worker *w, uint16_t port)
{
	struct mf_stack_port *sp = mf_stk.port[port];
	uint64_t now = rte_rdtsc();

	sp->icmp_tokens += (double)(now - sp->icmp_tokens_tsc) * MF_ICMP_RATE /
			   (double)mf_stk.tsc_hz;
	sp->icmp_tokens_tsc = now;
	if (sp->icmp_tokens > MF_ICMP_BURST)
		sp->icmp_tokens = MF_ICMP_BURST;
	if (sp->icmp_tokens < 1.0) {
		mf_stk_cnt(w, port, MF_CNT_ICMP_DROP);
		return false;
	}
	sp->icmp_tokens -= 1.0;
	return true;
}

void
mf_icmp_input(struct mf_worker *w, struct mf_ip_dgram *d)
{
	struct rte_icmp_hdr *ic;
	struct rte_ipv4_hdr *ip;

	if (d->l4_len < sizeof(*ic) || rte_raw_cksum(d->l4, d->l4_len) != 0xffff) {
		mf_stk_cnt(w, d->port, MF_CNT_ICMP_DROP);
		goto free;
	}
	ic = (struct rte_icmp_hdr *)(uintptr_t)d->l4;
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0 ||
	    mf_route_is_bcast(d->port, d->dst)) {
		mf_stk_cnt(w, d->port, MF_CNT_ICMP_DROP);
		goto free;
	}
	mf_stk_cnt(w, d->port, MF_CNT_ICMP_ECHO_RX);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(d->l4, d->l4_len);
	mf_stk_cnt(w, d->port, MF_CNT_ICMP_TX);
	if (d->m == NULL || d->l4_len + sizeof(*ip) > mf_stk.port[d->port]->mtu) {
		/* reassembled, or too big to answer in one frame: rebuild (fragments) */
		mf_ipv4_send(w, d->port, d->dst, d->src, IPPROTO_ICMP, NULL, 0, d->l4, d->l4_len);
		goto free;
	}
	/* in place: swap addresses, fresh TTL, options dropped, then route the reply */
	{
		struct rte_mbuf *m = d->m;
		uint32_t ihl = (uint32_t)(d->ip->version_ihl & 0xf) * 4, nh;
		uint16_t port;

		if (mf_stack_route(d->src, &port, &nh) != 0) {
			mf_stk_drop(w, d->port, m, MF_CNT_STACK_NO_ROUTE);
			return;
		}
		if (ihl > sizeof(*ip)) {
			memmove(rte_pktmbuf_mtod_offset(m, uint8_t *, ihl - sizeof(*ip)), d->ip,
				sizeof(*ip));
			rte_pktmbuf_adj(m, (uint16_t)(ihl - sizeof(*ip)));
		}
		ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + d->l4_len));
		ip->src_addr = rte_cpu_to_be_32(d->dst);
		ip->dst_addr = rte_cpu_to_be_32(d->src);
		ip->time_to_live = MF_IP_TTL;
		ip->fragment_offset = 0;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
		rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type =
			RTE_BE16(RTE_ETHER_TYPE_IPV4);
		mf_stack_output(w, port, nh, m);
		return;
	}
free:
	if (d->m != NULL)
		rte_pktmbuf_free(d->m);
}

void
mf_icmp_unreach(struct mf_worker *w, struct mf_ip_dgram *d, uint8_t code)
{
	struct rte_icmp_hdr ic;
	uint8_t quote[sizeof(struct rte_ipv4_hdr) + 8];
	uint32_t qlen = RTE_MIN((uint32_t)sizeof(quote), (uint32_t)sizeof(struct rte_ipv4_hdr) +
				d->l4_len), sum;

	if (mf_route_is_bcast(d->port, d->dst) || d->proto == IPPROTO_ICMP ||
	    !icmp_allowed(w, d->port))
		return;
	/* the offending header (options dropped) and the first 8 bytes of its payload */
	memcpy(quote, d->ip, sizeof(struct rte_ipv4_hdr));
	quote[0] = RTE_IPV4_VHL_DEF;
	if (qlen > sizeof(struct rte_ipv4_hdr))
		memcpy(quote + sizeof(struct rte_ipv4_hdr), d->l4, qlen - sizeof(struct rte_ipv4_hdr));
	memset(&ic, 0, sizeof(ic));
	ic.icmp_type = 3;
	ic.icmp_code = code;
	sum = rte_raw_cksum(&ic, sizeof(ic)) + rte_raw_cksum(quote, qlen);
	ic.icmp_cksum = (uint16_t)~mf_cksum_fold(sum);
	mf_stk_cnt(w, d->port, MF_CNT_ICMP_TX);
	mf_ipv4_send(w, d->port, d->dst, d->src, IPPROTO_ICMP, &ic, sizeof(ic), quote, qlen);
}

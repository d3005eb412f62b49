/* SPDX-License-Identifier: BSD-3-Clause
 *
 * deliver: hand the packet to the application that owns the policy, as a socket would. The
 * action names one UDP socket (its "socket" destination: the ip and port the app bound, ip 0
 * for a socket bound to any address); a matched datagram is queued on that socket exactly as
 * the stack queues one it received for it (mf_stack_udp_deliver), and the app reads it with
 * UDP_RECV. Only the client that added the policy can be its owner, so the policy's lifetime
 * must be "client": it goes when that client (and its sockets) go. Checked like the stack
 * checks UDP input (length, checksum), since the app trusts what a socket gives it.
 * Counters: the socket destination's packets/bytes are what was delivered; drops by reason
 * no_socket, socket_full, bad_udp, not_udp, fragment.
 */
#include <stdbool.h>
#include <stdio.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "../counters.h"
#include "../stack/stack.h"
#include "pol_internal.h"

static int
deliver_validate(const struct mf_policy_wire *wire, unsigned int ai, char *err, size_t len)
{
	if (wire->lifetime != MF_POLICY_CLIENT) {
		snprintf(err, len, "lifetime: actions[%u] (deliver) feeds the adding client's "
			 "socket, so it must be client (1)", ai);
		return -EINVAL;
	}
	return 0;
}

static int
deliver_dest_check(const struct mf_core *core __rte_unused, const struct mf_policy_dest *d,
		   const char *where, char *err, size_t len)
{
	if (d->udp_port == 0) {
		snprintf(err, len, "%s.port: must be the UDP port 1..65535 the socket is bound to",
			 where);
		return -EINVAL;
	}
	if (d->port != 0 || d->src_ip != 0 || d->src_udp_port != 0 || d->has_mac != 0) {
		snprintf(err, len, "%s: a socket is ip and port only; leave port, srcIp, srcPort, "
			 "mac 0", where);
		return -EINVAL;
	}
	return 0;
}

/* The UDP checksum over the pseudo header and ulen bytes from l4_off (any segments). */
static inline bool
udp_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t l4_off,
	     uint32_t ulen)
{
	uint16_t sum;

	return mf_pol_udp_sum(m, ip, l4_off, ulen, &sum) && sum == 0xffff;
}

static int
deliver_apply(struct mf_pol_ctx *c, const struct mf_pol *p, const struct mf_pol_action *a,
	      struct rte_mbuf *m, const struct mf_pol_pkt *pk)
{
	const struct mf_pol_dest *d = &a->dests[0];
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *uh;
	struct mf_pol_dcnt *dc;
	uint32_t ulen, ip_len;
	int rc;

	if (mf_pol_drop_unless_udp(c, p, m, pk))
		return 1;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	uh = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, pk->l4_off);
	ulen = rte_be_to_cpu_16(uh->dgram_len);
	ip_len = rte_be_to_cpu_16(ip->total_length);
	/* the UDP length within the IP length within the frame; the payload fits a socket */
	if (unlikely(ulen < sizeof(*uh) || ip_len + RTE_ETHER_HDR_LEN > m->pkt_len ||
		     pk->l4_off + ulen > ip_len + RTE_ETHER_HDR_LEN ||
		     ulen - sizeof(*uh) > MF_UDP_MAX_PAYLOAD)) {
		mf_pol_drop(c, p, MF_POLICY_DROP_BAD_UDP, m);
		return 1;
	}
	if (uh->dgram_cksum != 0 &&
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
	    ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
	     !udp_cksum_ok(m, ip, pk->l4_off, ulen))) {
		mf_pol_drop(c, p, MF_POLICY_DROP_BAD_UDP, m);
		return 1;
	}
	/* a socket's datagrams start at the IP header (udp_sock.c reads them from there) */
	rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
	rc = mf_stack_udp_deliver(p->owner, d->wire.ip, d->wire.udp_port, m);
	if (rc == 0) {
		dc = &c->lc->dcnt[d->cnt];
		mf_cnt_add(&dc->packets, 1);
		mf_cnt_add(&dc->bytes, ulen - sizeof(*uh));
		return 1;
	}
	mf_pol_drop(c, p, rc == -ENOENT ? MF_POLICY_DROP_NO_SOCKET : MF_POLICY_DROP_SOCKET_FULL,
		    m);
	return 1;
}

const struct mf_action_ops mf_action_deliver = {
	.name = "deliver",
	.type = MF_ACTION_DELIVER,
	.terminal = true,
	.needs_udp = false,
	.dest_key = "socket",
	.min_dests = 1,
	.max_dests = 1,
	.validate = deliver_validate,
	.dest_check = deliver_dest_check,
	.apply = deliver_apply,
	.fini = NULL,
};

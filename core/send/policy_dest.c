/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Destinations of kind POLICY: the packet, built for ip:udp_port, goes through the named
 * policy's action chain on the worker, exactly as a matched packet would (classify.c's
 * run_chain): a replicate fans it out, a redirect rewrites it, and the chain's own counters
 * count it. The policy is looked up in the table the worker holds for this loop iteration
 * (RCU: it reports quiescent only after mf_send_worker_poll), by id, with a one-entry cache
 * per worker so a batch's run of messages to one policy pays one lookup per pass. The cache
 * is emptied at the end of every pass that used it (mf_send_policy_flush): a table freed
 * after the pass may come back at the same address, and must not be taken for the old one.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>

#include "../counters.h"
#include "../policy/pol_internal.h"
#include "send_priv.h"

struct pol_cache {
	const struct mf_pol_table *t;
	const struct mf_pol *p;
	char id[MF_POLICY_ID_LEN];
} __rte_cache_aligned;

static struct pol_cache cache[MF_MAX_LCORES];

bool
mf_send_policy_exists(const char *id)
{
	return mf_pol_find(id, NULL) != NULL;
}

static const struct mf_pol *
find(struct pol_cache *pc, const struct mf_pol_table *t, const char *id)
{
	uint32_t i;

	if (pc->t == t && strncmp(pc->id, id, MF_POLICY_ID_LEN) == 0)
		return pc->p;
	pc->t = t;
	pc->p = NULL;
	strncpy(pc->id, id, MF_POLICY_ID_LEN - 1);
	pc->id[MF_POLICY_ID_LEN - 1] = '\0';
	for (i = 0; i < t->n; i++) {
		if (strncmp(t->all[i]->wire.id, id, MF_POLICY_ID_LEN) == 0) {
			pc->p = t->all[i];
			break;
		}
	}
	return pc->p;
}

int
mf_send_policy_apply(struct mf_worker *w, const char *id, struct rte_mbuf *m)
{
	const struct mf_pol_table *t = __atomic_load_n(&mf_pol_current, __ATOMIC_ACQUIRE);
	const struct rte_ipv4_hdr *ip;
	struct mf_pol_pcnt *pcnt;
	const struct mf_pol *p;
	struct mf_pol_pkt pk;
	struct mf_pol_ctx c;
	unsigned int i;

	if (t == NULL)
		return -ENOENT;
	p = find(&cache[w->txq], t, id);
	if (p == NULL)
		return -ENOENT;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	memset(&pk, 0, sizeof(pk));
	pk.ipv4 = true;
	pk.src = rte_be_to_cpu_32(ip->src_addr);
	pk.dst = rte_be_to_cpu_32(ip->dst_addr);
	pk.proto = IPPROTO_UDP;
	pk.l4_off = RTE_ETHER_HDR_LEN + sizeof(*ip);
	pk.hdr_len = (uint16_t)(pk.l4_off + 8);
	{
		const uint16_t *ports = (const uint16_t *)(ip + 1);

		pk.sport = rte_be_to_cpu_16(ports[0]);
		pk.dport = rte_be_to_cpu_16(ports[1]);
	}
	c.w = w;
	c.lc = &mf_pol.lcore[mf_pol_lcore_idx[w->lcore_id]];
	c.in_port = MF_POLICY_ANY_PORT;
	c.frag_mtu = 0;
	pcnt = &c.lc->pcnt[p->cnt];
	mf_cnt_add(&pcnt->matched, 1);
	mf_cnt_add(&pcnt->matched_bytes, m->pkt_len);
	for (i = 0; i < p->n_actions; i++)
		if (p->act[i].ops->apply(&c, p, &p->act[i], m, &pk))
			return 0;
	rte_pktmbuf_free(m); /* the chain ended in a replicate: the copies were the point */
	return 0;
}

void
mf_send_policy_flush(struct mf_worker *w)
{
	struct mf_pol_ctx c;

	c.w = w;
	c.lc = &mf_pol.lcore[mf_pol_lcore_idx[w->lcore_id]];
	c.in_port = MF_POLICY_ANY_PORT;
	c.frag_mtu = 0;
	if (c.lc->dirty != 0)
		mf_pol_flush(&c);
	cache[w->txq].t = NULL;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A policy as it arrives (struct mf_policy_wire and its destinations, written by a client
 * that may be wrong or hostile) -> a policy object, or a reason that names the field the way
 * the JSON form does ("actions[0].destinations[2].udpPort: ...") and says what would be right.
 * Every field is checked here; the fast path trusts the object completely.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "../fwd.h"
#include "../stack/stack.h"
#include "pol_internal.h"

int
mf_pol_id_check(const char *id, char *err, size_t len)
{
	size_t i, n = strnlen(id, MF_POLICY_ID_LEN);

	if (n == 0 || n == MF_POLICY_ID_LEN) {
		snprintf(err, len, "id: must be 1..%u characters of A-Z a-z 0-9 _ . : -, NUL-"
			 "terminated", MF_POLICY_ID_LEN - 1);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == ':' || c == '-')) {
			snprintf(err, len, "id: character %zu (0x%02x) is not allowed; use A-Z a-z "
				 "0-9 _ . : -", i, (unsigned char)c);
			return -EINVAL;
		}
	}
	return 0;
}

static uint32_t
prefix_mask(uint8_t prefix)
{
	return prefix == 0 ? 0 : ~(uint32_t)0 << (32 - prefix);
}

int
mf_pol_dest_check(const struct mf_core *core, const struct mf_policy_dest *d, const char *where,
		  char *err, size_t len)
{
	static const uint8_t zero[6];

	if (d->port >= core->n_ports) {
		snprintf(err, len, "%s.port: port %u does not exist; ports are 0..%u", where,
			 d->port, core->n_ports - 1);
		return -ENODEV;
	}
	if (d->ip == 0 || d->ip == UINT32_MAX) {
		snprintf(err, len, "%s.ip: %s is not a destination address", where,
			 d->ip == 0 ? "0.0.0.0" : "255.255.255.255");
		return -EINVAL;
	}
	if (d->udp_port == 0) {
		snprintf(err, len, "%s.udpPort: must be 1..65535", where);
		return -EINVAL;
	}
	if (d->has_mac > 1) {
		snprintf(err, len, "%s: has_mac is %u; it must be 0 or 1", where, d->has_mac);
		return -EINVAL;
	}
	if (d->has_mac && memcmp(d->mac, zero, 6) == 0) {
		snprintf(err, len, "%s.mac: 00:00:00:00:00:00 is not a MAC address", where);
		return -EINVAL;
	}
	/* Without a MAC the stack resolves the next hop (ARP); without a source address the
	 * copy leaves from the egress port's first address, which the port must then have. */
	if (d->src_ip == 0 && core->cfg.port[d->port].n_addrs == 0) {
		snprintf(err, len, "%s.srcIp: port %u has no address; give srcIp or an address for "
			 "the port", where, d->port);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

void
mf_pol_dest_prepare(struct mf_pol_dest *rt, const struct mf_policy_dest *d, uint8_t action)
{
	uint32_t cnt = rt->cnt, hop;
	uint16_t egress;

	memset(rt, 0, sizeof(*rt));
	rt->cnt = cnt;
	rt->wire = *d;
	rt->action = action;
	rt->port = d->port;
	rt->dpdk_id = mf_fwd.dpdk_id[d->port];
	rt->has_mac = d->has_mac;
	memcpy(rt->dst_mac.addr_bytes, d->mac, 6);
	rt->src_mac = mf_fwd.mac[d->port];
	rt->ip_be = rte_cpu_to_be_32(d->ip);
	rt->src_ip_be = rte_cpu_to_be_32(d->src_ip != 0 ? d->src_ip :
					 mf_core.cfg.port[d->port].addr[0].ip);
	rt->next_hop = d->ip;
	if (!d->has_mac && mf_stack_route(d->ip, &egress, &hop) == 0 && egress == d->port)
		rt->next_hop = hop; /* a gateway, when the route says so */
	rt->udp_port_be = rte_cpu_to_be_16(d->udp_port);
	rt->src_udp_port_be = rte_cpu_to_be_16(d->src_udp_port);
}

static int
check_match(const struct mf_core *core, const struct mf_policy_match *m, char *err, size_t len)
{
	if (m->in_port != MF_POLICY_ANY_PORT && m->in_port >= core->n_ports) {
		snprintf(err, len, "match.inPort: port %u does not exist; ports are 0..%u, or "
			 "0xffff for any", m->in_port, core->n_ports - 1);
		return -ENODEV;
	}
	if (m->src_prefix > 32 || m->dst_prefix > 32) {
		snprintf(err, len, "match.%s: prefix /%u is longer than 32", m->src_prefix > 32 ?
			 "src" : "dst", m->src_prefix > 32 ? m->src_prefix : m->dst_prefix);
		return -EINVAL;
	}
	if ((m->src_port != 0 || m->dst_port != 0) && m->proto != IPPROTO_UDP &&
	    m->proto != IPPROTO_TCP) {
		snprintf(err, len, "match.%s: a port needs protocol udp (17) or tcp (6), not %u",
			 m->src_port ? "srcPort" : "dstPort", m->proto);
		return -EINVAL;
	}
	return 0;
}

struct dest_key {
	uint64_t key;
	uint32_t index;
};

static int
cmp_dest_key(const void *a, const void *b)
{
	const struct dest_key *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static uint64_t
dest_key_of(const struct mf_policy_dest *d)
{
	return (uint64_t)d->ip << 32 | (uint64_t)d->port << 16 | d->udp_port;
}

/* A destination listed twice in one action would get two copies and make removal ambiguous. */
static int
check_duplicates(const struct mf_pol *p, unsigned int ai, char *err, size_t len)
{
	const struct mf_pol_action *a = &p->act[ai];
	struct dest_key *k;
	uint32_t i;

	if (a->n_dests < 2)
		return 0;
	k = malloc(a->n_dests * sizeof(*k));
	if (k == NULL)
		return -ENOMEM;
	for (i = 0; i < a->n_dests; i++) {
		k[i].key = dest_key_of(&a->dests[i].wire);
		k[i].index = i;
	}
	qsort(k, a->n_dests, sizeof(*k), cmp_dest_key);
	for (i = 1; i < a->n_dests; i++) {
		if (k[i].key == k[i - 1].key) {
			uint32_t x = RTE_MIN(k[i].index, k[i - 1].index);
			uint32_t y = RTE_MAX(k[i].index, k[i - 1].index);

			snprintf(err, len, "actions[%u].%s[%u]: the same port, ip and udpPort as "
				 "%s[%u]; list a destination once", ai, a->ops->dest_key, y,
				 a->ops->dest_key, x);
			free(k);
			return -EEXIST;
		}
	}
	free(k);
	return 0;
}

/* "actions[0].destinations[3]" or "actions[0].destination" */
static void
dest_where(char *buf, size_t len, unsigned int ai, const struct mf_action_ops *ops, uint32_t i)
{
	if (ops->max_dests == 1)
		snprintf(buf, len, "actions[%u].%s", ai, ops->dest_key);
	else
		snprintf(buf, len, "actions[%u].%s[%u]", ai, ops->dest_key, i);
}

int
mf_pol_build(struct mf_core *core, const struct mf_policy_wire *wire,
	     const struct mf_policy_dest *dests, uint32_t n_in, uint32_t in_len,
	     struct mf_pol **out, char *err, size_t len)
{
	uint32_t i, d, sum = 0;
	struct mf_pol *p;
	char where[64];
	int rc;

	*out = NULL;
	if (in_len < sizeof(*wire)) {
		snprintf(err, len, "input is %u bytes; a policy is a struct mf_policy_wire (%zu "
			 "bytes) and its destinations", in_len, sizeof(*wire));
		return -EINVAL;
	}
	if (wire->n_dests != n_in) {
		snprintf(err, len, "n_dests is %u but the input holds %u destinations (%u bytes "
			 "after the %zu-byte header, %zu each)", wire->n_dests, n_in,
			 in_len - (uint32_t)sizeof(*wire), sizeof(*wire), sizeof(dests[0]));
		return -EINVAL;
	}
	rc = mf_pol_id_check(wire->id, err, len);
	if (rc < 0)
		return rc;
	if (wire->lifetime > MF_POLICY_CLIENT) {
		snprintf(err, len, "lifetime: %u is not a lifetime; use 0 (persistent) or 1 "
			 "(client)", wire->lifetime);
		return -EINVAL;
	}
	if (wire->staged > 1) {
		snprintf(err, len, "staged is %u; it must be 0 or 1", wire->staged);
		return -EINVAL;
	}
	if (wire->n_actions == 0 || wire->n_actions > MF_POLICY_MAX_ACTIONS) {
		snprintf(err, len, "actions: a policy needs 1..%u actions, got %u",
			 MF_POLICY_MAX_ACTIONS, wire->n_actions);
		return -EINVAL;
	}
	rc = check_match(core, &wire->match, err, len);
	if (rc < 0)
		return rc;
	for (i = 0; i < wire->n_actions; i++) {
		const struct mf_action_ops *ops = mf_action_find(wire->action[i].type);

		if (ops == NULL) {
			snprintf(err, len, "actions[%u].type: %u is not an action; actions are %s", i,
				 wire->action[i].type, mf_action_names());
			return -EINVAL;
		}
		if (ops->terminal && i + 1 < wire->n_actions) {
			snprintf(err, len, "actions[%u]: %s ends the chain, so it must be the last "
				 "action; %u more follow it", i, ops->name, wire->n_actions - i - 1);
			return -EINVAL;
		}
		if (ops->needs_udp && wire->match.proto != IPPROTO_UDP) {
			snprintf(err, len, "match.protocol: actions[%u] (%s) rewrites UDP headers, "
				 "so the match must say protocol udp", i, ops->name);
			return -EINVAL;
		}
		if (ops->dest_key == NULL && wire->action[i].n_dests != 0) {
			snprintf(err, len, "actions[%u]: %s takes no destinations, got %u", i,
				 ops->name, wire->action[i].n_dests);
			return -EINVAL;
		}
		if (ops->dest_key != NULL && (wire->action[i].n_dests < ops->min_dests ||
		    (ops->max_dests != 0 && wire->action[i].n_dests > ops->max_dests))) {
			snprintf(err, len, "actions[%u].%s: %s needs exactly %u, got %u", i,
				 ops->dest_key, ops->name, ops->min_dests, wire->action[i].n_dests);
			return -EINVAL;
		}
		if (wire->action[i].reserved != 0 || (wire->action[i].param32 != 0 &&
		    wire->action[i].type != MF_ACTION_AGGREGATE)) {
			snprintf(err, len, "actions[%u]: %s takes no param32 and reserved is 0 "
				 "(got %u and %u)", i, ops->name, wire->action[i].param32,
				 wire->action[i].reserved);
			return -EINVAL;
		}
		if (ops->validate != NULL) {
			rc = ops->validate(wire, i, err, len);
			if (rc < 0)
				return rc;
		}
		sum += wire->action[i].n_dests;
	}
	if (sum != wire->n_dests) {
		snprintf(err, len, "actions: their destinations add up to %u, but n_dests is %u",
			 sum, wire->n_dests);
		return -EINVAL;
	}
	if (sum > mf_pol.max_dests) {
		snprintf(err, len, "destinations: %u is more than the limit of %u per policy "
			 "(raise it with the policy limits, up to %u)", sum, mf_pol.max_dests,
			 MF_POLICY_DESTS_CAP);
		return -E2BIG;
	}

	p = mf_pol_alloc(sum);
	if (p == NULL) {
		snprintf(err, len, "out of memory for a policy of %u destinations", sum);
		return -ENOMEM;
	}
	p->wire = *wire;
	p->wire.id[MF_POLICY_ID_LEN - 1] = '\0';
	p->staged = wire->staged;
	p->owner = MF_POLICY_NO_OWNER;
	p->src_mask = prefix_mask(wire->match.src_prefix);
	p->dst_mask = prefix_mask(wire->match.dst_prefix);
	p->src_net = wire->match.src_ip & p->src_mask;
	p->dst_net = wire->match.dst_ip & p->dst_mask;
	p->exact = wire->match.dst_prefix == 32 && wire->match.dst_port != 0 &&
		   wire->match.proto != 0;
	p->n_actions = wire->n_actions;
	for (i = 0, d = 0; i < p->n_actions; i++) {
		struct mf_pol_action *a = &p->act[i];
		uint32_t j;

		a->ops = mf_action_find(wire->action[i].type);
		a->n_dests = wire->action[i].n_dests;
		a->dests = &p->dests[d];
		for (j = 0; j < a->n_dests; j++, d++) {
			dest_where(where, sizeof(where), i, a->ops, j);
			rc = a->ops->dest_check != NULL ?
			     a->ops->dest_check(core, &dests[d], where, err, len) :
			     mf_pol_dest_check(core, &dests[d], where, err, len);
			if (rc < 0) {
				free(p);
				return rc;
			}
			mf_pol_dest_prepare(&p->dests[d], &dests[d], (uint8_t)i);
		}
		rc = check_duplicates(p, i, err, len);
		if (rc < 0) {
			free(p);
			return rc;
		}
	}
	*out = p;
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Addresses and routes. Each port has up to MF_STACK_MAX_ADDRS addresses with prefixes (each
 * one a connected route) and an optional default gateway. The control lcore appends
 * addresses (entry first, then a release store of the count), workers read them lock-free.
 *
 * The decision, for every packet the stack originates or rewrites: the longest connected
 * prefix that holds the destination wins (next hop: the destination itself); otherwise the
 * first port, in index order, that has a gateway (next hop: the gateway).
 */
#include <errno.h>
#include <stdio.h>

#include "stack_priv.h"

static inline uint32_t
prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

static inline uint32_t
n_addrs(const struct mf_stack_port *sp)
{
	return __atomic_load_n(&sp->n_addrs, __ATOMIC_ACQUIRE);
}

int
mf_route_addr_add(uint16_t port, uint32_t ip, uint8_t prefix_len, char *err, size_t len)
{
	struct mf_stack_port *sp;
	uint32_t n, a;

	if (port >= mf_stk.n_ports || mf_stk.port[port] == NULL) {
		snprintf(err, len, "port %u does not exist; use a port index below %u", port,
			 mf_stk.n_ports);
		return -ENODEV;
	}
	if (prefix_len < 1 || prefix_len > 32 || ip == 0) {
		snprintf(err, len, "address %u.%u.%u.%u/%u is not usable; give a unicast "
			 "address with a prefix of 1..32", ip >> 24, (ip >> 16) & 255,
			 (ip >> 8) & 255, ip & 255, prefix_len);
		return -EINVAL;
	}
	sp = mf_stk.port[port];
	n = sp->n_addrs;
	for (a = 0; a < n; a++)
		if (sp->addr[a].ip == ip) {
			snprintf(err, len, "port %u already has address %u.%u.%u.%u; give "
				 "another", port, ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
				 ip & 255);
			return -EEXIST;
		}
	if (n == MF_STACK_MAX_ADDRS) {
		snprintf(err, len, "port %u has %u addresses, the most it holds", port, n);
		return -ENOSPC;
	}
	sp->addr[n].ip = ip;
	sp->addr[n].prefix_len = prefix_len;
	sp->addr[n].mask = prefix_mask(prefix_len);
	__atomic_store_n(&sp->n_addrs, n + 1, __ATOMIC_RELEASE);
	/* tell the segment the address is here (and who has it) */
	__atomic_store_n(&sp->garp_pending, 1, __ATOMIC_RELEASE);
	return 0;
}

bool
mf_route_is_local(uint16_t port, uint32_t ip)
{
	const struct mf_stack_port *sp = mf_stk.port[port];
	uint32_t n = n_addrs(sp), a;

	for (a = 0; a < n; a++)
		if (sp->addr[a].ip == ip)
			return true;
	return false;
}

bool
mf_route_is_local_any(uint32_t ip)
{
	unsigned int p;

	for (p = 0; p < mf_stk.n_ports; p++)
		if (mf_route_is_local((uint16_t)p, ip))
			return true;
	return false;
}

bool
mf_stack_is_local(uint32_t ip)
{
	return mf_route_is_local_any(ip);
}

bool
mf_route_is_bcast(uint16_t port, uint32_t ip)
{
	const struct mf_stack_port *sp = mf_stk.port[port];
	uint32_t n = n_addrs(sp), a;

	if (ip == 0xffffffffu)
		return true;
	for (a = 0; a < n; a++)
		if (sp->addr[a].prefix_len < 31 && (ip | sp->addr[a].mask) == 0xffffffffu &&
		    (ip & sp->addr[a].mask) == (sp->addr[a].ip & sp->addr[a].mask))
			return true;
	return false;
}

uint32_t
mf_route_src_for(uint16_t port, uint32_t dst)
{
	const struct mf_stack_port *sp = mf_stk.port[port];
	uint32_t n = n_addrs(sp), a;

	for (a = 0; a < n; a++)
		if ((dst & sp->addr[a].mask) == (sp->addr[a].ip & sp->addr[a].mask))
			return sp->addr[a].ip;
	return n > 0 ? sp->addr[0].ip : 0;
}

int
mf_stack_route(uint32_t dst_ip, uint16_t *port, uint32_t *next_hop)
{
	int best_len = -1;
	unsigned int p;
	uint32_t a, gw;

	for (p = 0; p < mf_stk.n_ports; p++) {
		const struct mf_stack_port *sp = mf_stk.port[p];
		uint32_t n = n_addrs(sp);

		for (a = 0; a < n; a++)
			if ((dst_ip & sp->addr[a].mask) == (sp->addr[a].ip & sp->addr[a].mask) &&
			    (int)sp->addr[a].prefix_len > best_len) {
				best_len = sp->addr[a].prefix_len;
				*port = (uint16_t)p;
				*next_hop = dst_ip;
			}
	}
	if (best_len >= 0)
		return 0;
	for (p = 0; p < mf_stk.n_ports; p++) {
		gw = __atomic_load_n(&mf_stk.port[p]->gateway, __ATOMIC_RELAXED);
		if (gw != 0) {
			*port = (uint16_t)p;
			*next_hop = gw;
			return 0;
		}
	}
	return -ENETUNREACH;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The stack as the rest of the core sees it (Ethernet, ARP, IPv4, ICMP, UDP). Workers hand it
 * what their port's forward mode (MF_FWD_STACK) or a policy (deliver) gives it; policies and
 * aggregate sends ask it to route and to resolve next hops. Everything here runs on the lcore
 * that calls it and is safe without locks (per-lcore state, tables replaced under RCU).
 */
#ifndef MF_STACK_H
#define MF_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "../core.h"

/* Take a burst received on `port` (forward mode stack). Consumes every mbuf: answered,
 * delivered, queued, or freed with a drop counted by reason. */
void mf_stack_input(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n);

/* Route an IPv4 destination (host order): the egress port and the next hop (the destination
 * itself on a connected route, else the gateway). 0, or -ENETUNREACH. */
int mf_stack_route(uint32_t dst_ip, uint16_t *port, uint32_t *next_hop);

/* Send an IPv4 packet whose Ethernet header is present (its source MAC is set here) out of
 * `port` toward `next_hop` (host order): the destination MAC comes from the neighbour cache,
 * or the packet waits in the bounded queue while ARP resolves it. Consumes m; a drop is
 * counted by reason. Frames go into a per-lcore tx buffer that the caller's worker flushes in
 * mf_stack_poll, later in the same loop iteration. */
void mf_stack_output(struct mf_worker *w, uint16_t port, uint32_t next_hop, struct rte_mbuf *m);

/* Is ip (host order) one of the core's own addresses, on any port? */
bool mf_stack_is_local(uint32_t ip);

/* Neighbour cache lookup without side effects: 0 and *mac, or -ENOENT. */
int mf_stack_neigh_lookup(uint16_t port, uint32_t ip, struct rte_ether_addr *mac);

/* Queue a datagram on the UDP socket that `client` bound at exactly ip:port (ip 0: the one
 * bound to any address), as if the stack had received it there: the policy action deliver.
 * m starts at its IPv4 header and holds one whole, checked UDP datagram of at most
 * MF_UDP_MAX_PAYLOAD bytes. 0: queued (m is the socket's now); -ENOENT: no such socket;
 * -ENOBUFS: its queue, or the sockets' share of mbufs, is full. m is the caller's on error. */
int mf_stack_udp_deliver(unsigned int client, uint32_t ip, uint16_t port, struct rte_mbuf *m);

/* Added for the rest of the core: set-up from the configuration (after the ports, before the
 * workers start; 0 or -errno with err set), the owner's periodic work (called by every worker
 * once per loop; returns the packets it handled), and the hook that frees what a client that
 * detached or died owned (its sockets). */
int mf_stack_init(struct mf_core *core, char *err, size_t errlen);
unsigned int mf_stack_poll(struct mf_worker *w);
void mf_stack_client_gone(unsigned int client);

#endif /* MF_STACK_H */

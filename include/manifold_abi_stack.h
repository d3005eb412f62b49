/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Control segment ABI, the stack: addresses, routes, neighbours, UDP sockets (bind, receive, send).
 * Included by manifold_abi.h; ops are numbered from MF_OP_STACK_FIRST upward, densely.
 *
 * IPv4 addresses are uint32_t in host byte order (198.18.0.1 is 0xc6120001); UDP ports too.
 */
#ifndef MANIFOLD_ABI_STACK_H
#define MANIFOLD_ABI_STACK_H

#include <stdint.h>

#define MF_STACK_MAX_ADDRS 8      /* addresses per port */
#define MF_UDP_MAX_SOCKETS 64     /* bound UDP sockets in one core */
#define MF_UDP_MAX_PAYLOAD 16000u /* largest datagram an app sends or receives in one record */

enum mf_stack_op {
	MF_OP_ADDR_ADD = MF_OP_STACK_FIRST, /* args: struct mf_addr_arg */
	MF_OP_ADDR_LIST,    /* reply: uint32_t count, then count x struct mf_addr_info */
	MF_OP_GATEWAY_SET,  /* args: struct mf_gateway_arg (gateway 0 removes it) */
	MF_OP_NEIGH_LIST,   /* reply: uint32_t count, then count x struct mf_neigh_info */
	MF_OP_UDP_BIND,     /* args: struct mf_udp_bind_arg; reply: struct mf_udp_bind_reply */
	MF_OP_UDP_CLOSE,    /* args: struct mf_udp_sock_arg */
	MF_OP_UDP_RECV,     /* args: struct mf_udp_sock_arg; reply: struct mf_udp_batch_hdr,
			     * then records (struct mf_udp_rec + payload, each 4-byte aligned) */
	MF_OP_UDP_SEND,     /* args: struct mf_udp_sock_arg; in arena: struct mf_udp_batch_hdr,
			     * then records; reply: struct mf_udp_send_reply */
	MF_OP_STACK_LAST    /* one past the last stack op */
};

/* Neighbour states (mf_neigh_info.state). */
enum mf_neigh_state {
	MF_NEIGH_FREE = 0,
	MF_NEIGH_INCOMPLETE = 1, /* ARP request sent, no answer yet; packets wait */
	MF_NEIGH_REACHABLE = 2,  /* answered within MF_NEIGH_REACHABLE_MS */
	MF_NEIGH_STALE = 3,      /* older: still used, refreshed by a request on next use */
	MF_NEIGH_FAILED = 4,     /* no answer after the retries */
};

struct mf_addr_arg {
	uint16_t port;
	uint8_t prefix_len; /* 1..32 */
	uint8_t reserved;
	uint32_t ip;
};

struct mf_addr_info {
	uint32_t ip;
	uint32_t gateway;   /* the port's default gateway, 0 if none */
	uint16_t port;
	uint8_t prefix_len;
	uint8_t reserved;
};

struct mf_gateway_arg {
	uint16_t port;
	uint16_t reserved;
	uint32_t gateway;
};

struct mf_neigh_info {
	uint32_t ip;
	uint16_t port;
	uint8_t state;      /* enum mf_neigh_state */
	uint8_t reserved;
	uint8_t mac[6];
	uint16_t queued;    /* packets waiting for resolution */
	uint32_t age_ms;    /* since the last confirmation (or the first request) */
	uint32_t probes;    /* ARP requests sent for it */
};

struct mf_udp_bind_arg {
	uint32_t ip;        /* one of the core's addresses, or 0 for any */
	uint16_t port;      /* 1..65535 */
	uint16_t reserved;
};

struct mf_udp_bind_reply {
	uint32_t sock;      /* handle for UDP_RECV / UDP_SEND / UDP_CLOSE */
	uint32_t reserved;
};

struct mf_udp_sock_arg {
	uint32_t sock;
	uint32_t max;       /* UDP_RECV: at most this many records (0: as many as fit) */
};

/* Heads a batch of records, in both directions. */
struct mf_udp_batch_hdr {
	uint32_t count;     /* records that follow */
	uint32_t pending;   /* UDP_RECV: datagrams still queued after this batch */
};

/* One datagram: peer address (source on receive, destination on send), then len bytes of
 * payload, then padding to a multiple of 4. */
struct mf_udp_rec {
	uint32_t ip;
	uint32_t local_ip;  /* receive: the destination address; send: ignored */
	uint16_t port;
	uint16_t local_port;
	uint32_t len;
};

struct mf_udp_send_reply {
	uint32_t accepted;  /* handed to the dataplane */
	uint32_t no_route;  /* refused: no route to the destination */
	uint32_t no_mbuf;   /* refused: mbuf pool empty */
	uint32_t queue_full;/* refused: the port's stack tx ring was full */
};

_Static_assert(sizeof(struct mf_addr_arg) == 8, "mf_addr_arg size");
_Static_assert(sizeof(struct mf_addr_info) == 12, "mf_addr_info size");
_Static_assert(sizeof(struct mf_gateway_arg) == 8, "mf_gateway_arg size");
_Static_assert(sizeof(struct mf_neigh_info) == 24, "mf_neigh_info size");
_Static_assert(sizeof(struct mf_udp_bind_arg) == 8, "mf_udp_bind_arg size");
_Static_assert(sizeof(struct mf_udp_bind_reply) == 8, "mf_udp_bind_reply size");
_Static_assert(sizeof(struct mf_udp_sock_arg) == 8, "mf_udp_sock_arg size");
_Static_assert(sizeof(struct mf_udp_batch_hdr) == 8, "mf_udp_batch_hdr size");
_Static_assert(sizeof(struct mf_udp_rec) == 16, "mf_udp_rec size");
_Static_assert(sizeof(struct mf_udp_send_reply) == 16, "mf_udp_send_reply size");
_Static_assert(MF_OP_STACK_LAST <= MF_OP_POLICY_FIRST, "stack ops stay in their range");
_Static_assert(sizeof(struct mf_udp_batch_hdr) + sizeof(struct mf_udp_rec) +
	       MF_UDP_MAX_PAYLOAD <= 16384, "one full datagram fits an arena slot");

#endif

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Control segment ABI, policies: add, update, remove, list, get, stats.
 * Included by manifold_abi.h; ops are numbered from MF_OP_POLICY_FIRST upward, densely.
 *
 * A policy travels as struct mf_policy_wire followed by n_dests x struct mf_policy_dest in the
 * request's arena slot. The destinations are listed action after action: action i owns the
 * action[i].n_dests entries after those of actions 0..i-1. Addresses are IPv4 in host order.
 *
 * A policy larger than one slot (MF_POLICY_SLOT_DESTS destinations) is sent staged: ADD or
 * UPDATE with `staged` = 1 and the first destinations, then DEST_ADD requests with the rest,
 * the last of them with MF_POLICY_DEST_COMMIT. A staged policy is invisible to packets until
 * that commit, so no packet ever sees half a policy.
 */
#ifndef MANIFOLD_ABI_POLICY_H
#define MANIFOLD_ABI_POLICY_H

#include <stdint.h>

#define MF_POLICY_ID_LEN 32          /* NUL-terminated id, [A-Za-z0-9_.:-]{1,31} */
#define MF_POLICY_MAX_ACTIONS 8
#define MF_POLICY_CAP 4096           /* hard bound of the policies limit */
#define MF_POLICY_DESTS_CAP 4096     /* hard bound of the destinations-per-policy limit */
#define MF_POLICY_DEF_MAX 1024       /* default limit: live policies */
#define MF_POLICY_DEF_MAX_DESTS 1024 /* default limit: destinations of one policy */
#define MF_POLICY_ANY_PORT 0xffffu   /* match.in_port: any */
#define MF_POLICY_NO_OWNER 0xffffffffu

enum mf_policy_op {
	MF_OP_POLICY_ADD = MF_OP_POLICY_FIRST, /* in arena: wire + dests */
	MF_OP_POLICY_UPDATE,   /* in arena: wire + dests; replaces the policy of that id */
	MF_OP_POLICY_REMOVE,   /* args: struct mf_policy_id_arg */
	MF_OP_POLICY_LIST,     /* args: struct mf_policy_id_arg (first); reply: mf_policy_list_hdr,
				* then count x struct mf_policy_info */
	MF_OP_POLICY_GET,      /* args: mf_policy_id_arg (id, first); reply: wire, then the
				* destinations from `first` that fit */
	MF_OP_POLICY_STATS,    /* args: mf_policy_id_arg (id, first); reply: mf_policy_stats, then
				* per destination from `first`: struct mf_policy_dest_stats */
	MF_OP_POLICY_DEST_ADD, /* args: mf_policy_dest_arg; in arena: count x mf_policy_dest */
	MF_OP_POLICY_DEST_DEL, /* args: mf_policy_dest_arg; in arena: count x mf_policy_dest
				* (matched by port, ip, udp_port) */
	MF_OP_POLICY_LIMITS,   /* args: mf_policy_limits (0 keeps a value); reply: the limits */
	MF_OP_POLICY_END       /* one past the last policy op */
};

/* Actions; the core's registry (core/policy/action.c) has one ops table for each. */
enum mf_action_type {
	MF_ACTION_NONE = 0,
	MF_ACTION_REDIRECT = 1,  /* rewrite, send to its one destination */
	MF_ACTION_REPLICATE = 2, /* one copy per destination; the packet goes on down the chain */
	MF_ACTION_DELIVER = 3,   /* to a UDP socket of the client that owns the policy */
	MF_ACTION_DROP = 4,      /* count and free */
	MF_ACTION_SPLIT = 5,     /* cut into several datagrams; each goes on down the chain */
	MF_ACTION_AGGREGATE = 6, /* pack messages into datagrams; each goes on down the chain */
	MF_ACTION_MAX
};

enum mf_policy_lifetime {
	MF_POLICY_PERSISTENT = 0, /* until removed */
	MF_POLICY_CLIENT = 1,     /* removed when the client that added it detaches or dies */
};

/* Why a matched packet was dropped, declared once: X(ENUM_SUFFIX, "name", "what"). */
#define MF_POLICY_DROPS(X)                                                                     \
	X(ACTION, "action", "a drop action")                                                    \
	X(NOMBUF, "nombuf", "no mbuf for a copy's header or payload clone")                    \
	X(TX_FULL, "tx_full", "the egress port's tx queue was full")                           \
	X(NOT_UDP, "not_udp", "the packet is not IPv4/UDP, which a rewrite needs")             \
	X(FRAGMENT, "fragment", "an IPv4 fragment, whose UDP header a rewrite cannot reach")   \
	X(NO_NEXT_HOP, "no_next_hop", "the destination's next hop could not be resolved")      \
	X(NO_SOCKET, "no_socket", "deliver: the owner has no socket bound at the address named") \
	X(END_OF_CHAIN, "end_of_chain", "the chain ended without sending the packet")           \
	X(SOCKET_FULL, "socket_full", "deliver: the socket's queue (or the sockets' share of " \
	  "mbufs) was full")                                                                    \
	X(BAD_UDP, "bad_udp", "deliver: UDP length or checksum wrong, or too big for a socket") \
	X(OVERSIZE, "oversize", "split framed: a message over maxPayload (cut, or dropped); "  \
	  "aggregate: a message over maxBytes, dropped by option")                            \
	X(MALFORMED, "malformed", "split framed: a length prefix runs past the datagram's end") \
	X(TOO_BIG, "too_big", "larger than the egress port's MTU and marked DF: not fragmented")

#define MF_POLICY_DROP_ENUM(e, name, help) MF_POLICY_DROP_##e,
enum mf_policy_drop { MF_POLICY_DROPS(MF_POLICY_DROP_ENUM) MF_POLICY_DROP_MAX };
#undef MF_POLICY_DROP_ENUM
#define MF_POLICY_DROP_CAPACITY 16

struct mf_policy_match {
	uint32_t src_ip;     /* host order; ignored when src_prefix is 0 */
	uint32_t dst_ip;
	uint16_t src_port;   /* UDP/TCP port; 0: any */
	uint16_t dst_port;
	uint16_t in_port;    /* manifold port index; MF_POLICY_ANY_PORT: any */
	uint8_t src_prefix;  /* 0..32; 0: any source */
	uint8_t dst_prefix;
	uint8_t proto;       /* IP protocol; 0: any */
	uint8_t reserved[3];
};

struct mf_policy_dest {
	uint32_t ip;           /* destination address */
	uint32_t src_ip;       /* source address; 0: the egress port's address */
	uint16_t port;         /* egress manifold port index */
	uint16_t udp_port;     /* destination UDP port */
	uint16_t src_udp_port; /* 0: keep the packet's source port */
	uint8_t has_mac;       /* 1: use `mac`; 0: resolve the next hop (ARP) */
	uint8_t reserved;
	uint8_t mac[6];
	uint8_t reserved2[2];
};

/* mf_policy_action.flags of split: the mode in the low bits, then options. */
#define MF_SPLIT_MODE_MASK 0x03u
#define MF_SPLIT_IPFRAG 1u        /* IPv4 fragments of at most `param` bytes (the MTU) */
#define MF_SPLIT_DATAGRAM 2u      /* UDP datagrams of at most `param` payload bytes */
#define MF_SPLIT_FRAMED 3u        /* cut between length-prefixed messages, `param` max payload */
#define MF_SPLIT_HEADER 0x04u     /* datagram: each piece starts with struct mf_split_hdr */
#define MF_SPLIT_PREFIX32 0x08u   /* framed: u32 length prefixes (else u16), big-endian */
#define MF_SPLIT_OVERSIZE_DROP 0x10u /* framed: drop a message > param (else cut it) */

/* datagram mode with MF_SPLIT_HEADER: in front of each piece's bytes, big-endian. */
struct mf_split_hdr {
	uint32_t msg_id;       /* the same for every piece of one message */
	uint16_t index;        /* 0..count-1 */
	uint16_t count;
};

/* mf_policy_action.flags of aggregate. */
#define MF_AGG_PREFIX32 0x01u      /* u32 length prefixes (else u16), big-endian */
#define MF_AGG_OVERSIZE_DROP 0x02u /* drop a message over maxBytes (else it goes alone) */

/* Why aggregate sent a packed datagram on: X(ENUM_SUFFIX, "name", "what"). */
#define MF_AGG_FLUSHES(X)                                                                      \
	X(FULL, "full", "the next message would not fit in maxBytes")                           \
	X(TIMER, "timer", "the oldest message had waited maxDelayUs")                           \
	X(UPDATE, "update", "the policy was updated or removed")                                \
	X(EVICT, "evict", "a worker's bins were all taken; the oldest made room")               \
	X(STOP, "stop", "the core stopped")

#define MF_AGG_FLUSH_ENUM(e, name, help) MF_AGG_FLUSH_##e,
enum mf_agg_flush { MF_AGG_FLUSHES(MF_AGG_FLUSH_ENUM) MF_AGG_FLUSH_MAX };
#undef MF_AGG_FLUSH_ENUM
#define MF_AGG_FLUSH_CAPACITY 8
/* Hold-time histogram: bucket 0 counts < 1 us, bucket k [2^(k-1), 2^k) us, the last one the
 * rest (>= 2^22 us, about 4.2 s). */
#define MF_AGG_HOLD_BUCKETS 24

struct mf_policy_action {
	uint8_t type;          /* enum mf_action_type */
	uint8_t flags;         /* split: MF_SPLIT_*; aggregate: MF_AGG_*; 0 for the others */
	uint16_t param;        /* split: MTU or maxPayload; aggregate: maxBytes; 0 for the others */
	uint32_t n_dests;      /* destinations of this action */
	uint32_t param32;      /* aggregate: maxDelayUs; 0 for the others */
	uint32_t reserved;     /* 0 */
};

struct mf_policy_wire {
	char id[MF_POLICY_ID_LEN];
	int32_t priority;      /* higher wins; equal: the older policy wins */
	uint8_t lifetime;      /* enum mf_policy_lifetime */
	uint8_t n_actions;     /* 1..MF_POLICY_MAX_ACTIONS */
	uint8_t staged;        /* 1: more destinations follow in DEST_ADD requests */
	uint8_t reserved;
	struct mf_policy_match match;
	uint32_t n_dests;      /* destinations in this request (all actions) */
	struct mf_policy_action action[MF_POLICY_MAX_ACTIONS];
};

#define MF_POLICY_SLOT_DESTS                                                                   \
	((MF_ARENA_SLOT_SIZE - sizeof(struct mf_policy_wire)) / sizeof(struct mf_policy_dest))

struct mf_policy_id_arg {
	char id[MF_POLICY_ID_LEN];
	uint32_t first;        /* LIST: first policy; GET/STATS: first destination */
	uint32_t reserved;
};

#define MF_POLICY_DEST_COMMIT 1 /* mf_policy_dest_arg.flags: publish a staged policy */

struct mf_policy_dest_arg {
	char id[MF_POLICY_ID_LEN];
	uint8_t action;        /* index of a replicate action in the chain */
	uint8_t flags;         /* MF_POLICY_DEST_COMMIT */
	uint16_t reserved;
	uint32_t count;        /* destinations in the arena slot */
};

struct mf_policy_limits {
	uint32_t max_policies;       /* 1..MF_POLICY_CAP; 0 keeps it */
	uint32_t max_dests;          /* destinations per policy, 1..MF_POLICY_DESTS_CAP; 0 keeps */
	uint32_t n_policies;         /* reply: policies now */
	uint32_t reserved;
};

struct mf_policy_list_hdr {
	uint32_t total;        /* policies in the core */
	uint32_t count;        /* entries in this reply */
};

struct mf_policy_info {
	char id[MF_POLICY_ID_LEN];
	int32_t priority;
	uint8_t lifetime;
	uint8_t n_actions;
	uint8_t staged;
	uint8_t reserved;
	uint32_t n_dests;
	uint32_t owner;        /* client slot that added it, or MF_POLICY_NO_OWNER */
	uint64_t matched_packets;
	uint64_t matched_bytes;
};

/* What an aggregate action did (all zero for a policy without one). */
struct mf_policy_agg_stats {
	uint64_t messages;      /* messages taken in */
	uint64_t packed;        /* messages that left in packed datagrams */
	uint64_t datagrams;     /* datagrams sent on: the flushes, plus oversize ones sent alone */
	uint64_t flush[MF_AGG_FLUSH_CAPACITY]; /* flushes by reason, enum mf_agg_flush */
	uint64_t oversize;      /* messages over maxBytes (sent alone, or dropped) */
	uint64_t hold_max_ns;   /* longest a datagram's oldest message was held */
	uint64_t hold_hist[MF_AGG_HOLD_BUCKETS]; /* flushes by that hold time, log2 us buckets */
};

struct mf_policy_stats {
	uint64_t matched_packets;
	uint64_t matched_bytes;
	uint64_t sent_packets;  /* copies and redirected packets handed to a tx queue */
	uint64_t sent_bytes;
	uint64_t drop[MF_POLICY_DROP_CAPACITY]; /* enum mf_policy_drop */
	uint32_t n_dests;       /* destinations of the policy */
	uint32_t first;         /* index of the first entry that follows */
	uint32_t count;         /* entries that follow */
	uint32_t reserved;
	struct mf_policy_agg_stats agg;
};

struct mf_policy_dest_stats {
	uint32_t ip;
	uint16_t port;
	uint16_t udp_port;
	uint8_t action;         /* index of the action in the chain */
	uint8_t reserved[7];
	uint64_t packets;       /* sent */
	uint64_t bytes;
	uint64_t drop_nombuf;
	uint64_t drop_tx_full;
};

_Static_assert(MF_OP_POLICY_END <= MF_OP_DIAG_FIRST, "policy ops overflow into diag ops");
_Static_assert(MF_POLICY_DROP_MAX <= MF_POLICY_DROP_CAPACITY, "drop reasons outgrew the stats");
_Static_assert(sizeof(struct mf_policy_match) == 20, "mf_policy_match size");
_Static_assert(sizeof(struct mf_policy_dest) == 24, "mf_policy_dest size");
_Static_assert(MF_AGG_FLUSH_MAX <= MF_AGG_FLUSH_CAPACITY, "flush reasons outgrew the stats");
_Static_assert(sizeof(struct mf_policy_action) == 16, "mf_policy_action size");
_Static_assert(sizeof(struct mf_policy_wire) == 192, "mf_policy_wire size");
_Static_assert(sizeof(struct mf_policy_agg_stats) == 296, "mf_policy_agg_stats size");
_Static_assert(sizeof(struct mf_policy_stats) == 472, "mf_policy_stats size");
_Static_assert(sizeof(struct mf_policy_id_arg) <= 48, "fits mf_request.args");
_Static_assert(sizeof(struct mf_policy_dest_arg) <= 48, "fits mf_request.args");
_Static_assert(sizeof(struct mf_policy_info) == 64, "mf_policy_info size");
_Static_assert(sizeof(struct mf_policy_dest_stats) == 48, "mf_policy_dest_stats size");

#endif

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * manifold control segment: the ABI between the core (core/, a DPDK primary process) and its
 * clients (ffi/libmanifold_ctl.so, driven from TypeScript through koffi).
 *
 * This header is the single source of truth for every structure both sides touch. It holds no
 * pointers, only offsets from the start of the segment, so each process may map it anywhere.
 *
 * Layout of the segment (POSIX shm "/manifold.<name>", mode 0600):
 *
 *   offset 0                  struct mf_seg_header          (one cache line, then reserved)
 *   header.clients_offset     struct mf_client[MF_MAX_CLIENTS]  (rings, one SPSC pair each)
 *   header.stats_offset       struct mf_stats               (written by the core only)
 *   header.arena_offset       arena: MF_MAX_CLIENTS x MF_RING_SIZE slots of MF_ARENA_SLOT_SIZE
 *   header.bulk_offset        bulk: MF_MAX_CLIENTS x MF_BULK_SLOTS slots of MF_BULK_SLOT_SIZE
 *
 * Each request ring entry i of client c owns arena slot (c, i & MF_RING_MASK): the request's
 * input goes there, and the core writes the reply into the same slot. A client never has more
 * than MF_RING_SIZE requests in flight, so a slot is never reused before its reply is read.
 *
 * Bulk slots carry inputs too big for an arena slot (an aggregate send's messages): a request
 * with MF_REQ_BULK in its flags finds its input in bulk slot MF_REQ_BULK_SLOT(flags) of its
 * client, to an op that takes bulk input. Its reply still goes to its arena slot. The client
 * owns a bulk slot from writing it until that request's completion is read: the core has
 * copied out what it keeps before it completes. The pages are only touched when used.
 *
 * Indexes are free-running uint32_t, masked on access; each lives on a cache line of its own.
 * Memory ordering is done in C (mf_ring.h): the producer writes the entry, then release-stores
 * the producer index; the consumer acquire-loads it, reads the entry, release-stores its index.
 */
#ifndef MANIFOLD_ABI_H
#define MANIFOLD_ABI_H

#include <stddef.h>
#include <stdint.h>

#define MF_ABI_MAGIC 0x444c464dU /* "MFLD" read as little-endian bytes */
#define MF_ABI_MAJOR 2           /* bumped when a layout changes incompatibly */
#define MF_ABI_MINOR 1           /* bumped when something is only added (1: bulk slots) */

#define MF_CACHE_LINE 64
#define MF_MAX_CLIENTS 16
#define MF_MAX_PORTS 16
#define MF_MAX_LCORES 16
#define MF_RING_LOG2 6
#define MF_RING_SIZE (1u << MF_RING_LOG2)
#define MF_RING_MASK (MF_RING_SIZE - 1)
#define MF_ARENA_SLOT_SIZE 16384u
#define MF_BULK_SLOTS 4              /* per client */
#define MF_BULK_SLOT_SIZE (1u << 20) /* 1 MiB: ~12,000 64-byte messages of an aggregate send */
#define MF_NAME_LEN 32
#define MF_REASON_LEN 104
#define MF_SEG_PREFIX "/manifold."   /* shm_open name is MF_SEG_PREFIX + instance name */
#define MF_INSTANCE_NAME_MAX 24      /* [A-Za-z0-9_-], also used in the EAL file prefix */

#define MF_ALIGNED __attribute__((aligned(MF_CACHE_LINE)))

/* Segment life cycle, in mf_seg_header.state. */
enum mf_seg_state {
	MF_SEG_STARTING = 1, /* created, ports not yet up; clients wait */
	MF_SEG_RUNNING = 2,  /* serving requests */
	MF_SEG_STOPPING = 3, /* shutting down; new requests get -ESHUTDOWN */
};

/* Client slot life cycle, in mf_client.state. */
enum mf_client_state {
	MF_CLIENT_FREE = 0,     /* owner_pid == 0; rings reset by the core */
	MF_CLIENT_ATTACHED = 1, /* set by the client after it won the CAS on owner_pid */
	MF_CLIENT_DETACHING = 2 /* set by the client; the core cleans up, resets, frees */
};

/* Requests. Arguments are in mf_request.args (inline) unless noted "in arena". */
enum mf_op {
	MF_OP_NOP = 0,         /* no arguments; completes at once (round-trip probe) */
	MF_OP_VERSION = 1,     /* reply: struct mf_version_info */
	MF_OP_PORT_LIST = 2,   /* reply: uint32_t count, then count x struct mf_port_info */
	MF_OP_PORT_INFO = 3,   /* args: struct mf_port_arg; reply: struct mf_port_info */
	MF_OP_STATS_SYNC = 4,  /* fold every lcore's counters into the stats region now */
	MF_OP_STATS_CLEAR = 5, /* args: struct mf_port_arg (MF_PORT_ALL for every port) */
	MF_OP_FWD_SET = 6,     /* args: struct mf_fwd_arg */
	MF_OP_SHUTDOWN = 7,    /* stop the core as SIGTERM would */
	MF_OP_MAX              /* one past the last base op */
};

/* Op families beyond the base ops each declare a dense enum in a header of their own
 * (include/manifold_abi_<family>.h, included at the end of this file), starting at: */
#define MF_OP_STACK_FIRST 32  /* addresses, routes, neighbours, UDP sockets */
#define MF_OP_POLICY_FIRST 64 /* policies: add, update, remove, list, stats */
#define MF_OP_DIAG_FIRST 96   /* diagnostics: lcores, trace, capture */
#define MF_OP_SEND_FIRST 128  /* aggregate sends: submit, reap, lateness */
#define MF_OP_TABLE_SIZE 160  /* every op number is below this */

#define MF_PORT_ALL 0xffffu
#define MF_PORT_NONE 0xffffu /* no port: a peer that is none drops io/mac as drop_no_egress */
#define MF_PORT_KEEP 0xfffeu /* FWD_SET: leave the port's peer as it is */

/* What a port does with what it receives while no policy claims the packet. */
enum mf_fwd_mode {
	MF_FWD_IO = 0,    /* send unchanged out of the peer port (testpmd "io") */
	MF_FWD_MAC = 1,   /* as io, with source MAC := egress port's MAC, destination := peer's
			   * configured next-hop MAC (testpmd "mac") */
	MF_FWD_STACK = 2, /* hand to the stack (eth/arp/ipv4/...) */
	MF_FWD_DROP = 3,  /* count and free (testpmd "rxonly") */
	MF_FWD_MAX
};

struct mf_request {
	uint64_t ctx;     /* echoed in the completion */
	uint16_t op;      /* enum mf_op */
	uint16_t flags;   /* MF_REQ_* */
	uint32_t in_len;  /* bytes of input in this request's arena slot (or its bulk slot) */
	uint8_t args[48]; /* small op-specific arguments */
};

/* mf_request.flags: the input is in bulk slot MF_REQ_BULK_SLOT(flags) of the client. */
#define MF_REQ_BULK 0x0001u
#define MF_REQ_BULK_SLOT(flags) ((unsigned int)(flags) >> 8)
#define MF_REQ_BULK_FLAGS(slot) ((uint16_t)(MF_REQ_BULK | ((unsigned int)(slot) << 8)))

struct mf_completion {
	uint64_t ctx;     /* the request's ctx */
	int32_t status;   /* 0, or a negative errno */
	uint32_t out_len; /* bytes of reply in arena slot `slot` of this client */
	uint32_t slot;    /* arena slot index (request index & MF_RING_MASK) */
	uint16_t op;      /* the request's op */
	uint16_t reserved;
	char reason[MF_REASON_LEN]; /* NUL-terminated; "ok", or what was wrong and what is right */
};

struct mf_port_arg {
	uint16_t port; /* port index, or MF_PORT_ALL where the op allows it */
};

struct mf_fwd_arg {
	uint16_t port;  /* port index, or MF_PORT_ALL */
	uint16_t peer;  /* egress port index; MF_PORT_KEEP: keep the current peer;
			 * MF_PORT_NONE: no peer (io and mac then drop, as drop_no_egress) */
	uint8_t mode;   /* enum mf_fwd_mode */
	uint8_t has_mac;
	uint8_t peer_mac[6]; /* next-hop MAC for MF_FWD_MAC when has_mac */
};

struct mf_version_info {
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t core_pid;
	char core_version[MF_NAME_LEN];  /* manifold version string */
	char dpdk_version[MF_NAME_LEN];  /* rte_version() */
	char name[MF_NAME_LEN];          /* instance name */
	uint64_t start_ns;               /* CLOCK_MONOTONIC when the core started */
	uint16_t n_ports;
	uint16_t n_workers;
	uint8_t hugepages;               /* 1 when running on hugepages, 0 on --no-huge */
	uint8_t reserved[27];
};

struct mf_port_info {
	char name[MF_NAME_LEN];      /* configured name, e.g. "p0" */
	char driver[MF_NAME_LEN];    /* e.g. "net_null" */
	char dev[MF_NAME_LEN];       /* DPDK device name, e.g. "net_null0" or "0000:00:04.0" */
	uint16_t port_id;            /* manifold port index (0..n_ports-1) */
	uint16_t dpdk_port_id;
	uint16_t peer;               /* egress port index, MF_PORT_NONE when none */
	uint8_t fwd_mode;            /* enum mf_fwd_mode */
	uint8_t link_up;
	uint32_t link_speed_mbps;
	uint16_t mtu;
	uint16_t n_rxq;
	uint16_t n_txq;
	uint8_t mac[6];
	uint8_t peer_mac[6];
	uint8_t reserved[18];
};

/* Per-port counters, declared once: X(ENUM_SUFFIX, "name", "what it counts").
 * The first block is read from the NIC (rte_eth_stats); the rest are the core's own. */
#define MF_PORT_COUNTERS(X)                                                                    \
	X(RX_PACKETS, "rx_packets", "packets received by the port")                              \
	X(RX_BYTES, "rx_bytes", "bytes received by the port")                                    \
	X(TX_PACKETS, "tx_packets", "packets sent by the port")                                  \
	X(TX_BYTES, "tx_bytes", "bytes sent by the port")                                        \
	X(RX_MISSED, "rx_missed", "packets the NIC dropped: rx queue full")                      \
	X(RX_ERRORS, "rx_errors", "erroneous packets received")                                  \
	X(TX_ERRORS, "tx_errors", "packets the NIC failed to send")                              \
	X(RX_NOMBUF, "rx_nombuf", "rx mbuf allocation failures")                                 \
	X(FWD_IN, "fwd_in", "packets taken from this port's rx queues by a worker")             \
	X(FWD_OUT, "fwd_out", "packets a worker handed to this port's tx queues and were taken") \
	X(DROP_TX_FULL, "drop_tx_full", "dropped: this port's tx queue was full")                \
	X(DROP_NO_EGRESS, "drop_no_egress", "dropped: the ingress port has no peer to send to")  \
	X(DROP_BY_MODE, "drop_by_mode", "dropped: the ingress port's forward mode is drop")      \
	X(DROP_NO_STACK, "drop_no_stack", "dropped: handed to the stack, which took no action")  \
	X(DROP_STOPPED, "drop_stopped", "dropped: forwarding is stopped (shell `stop`)")          \
	MF_STACK_COUNTERS(X)

/* The stack's own per-port counters (core/stack/): what it did, and each reason it dropped. */
#define MF_STACK_COUNTERS(X)                                                                   \
	X(ETH_TRUNCATED, "eth_truncated", "dropped: frame shorter than an Ethernet header")       \
	X(ETH_NOT_FOR_US, "eth_not_for_us", "dropped: destination MAC neither ours nor broadcast") \
	X(ETH_UNKNOWN_TYPE, "eth_unknown_type", "dropped: EtherType neither IPv4 nor ARP")        \
	X(ARP_RX_REQUEST, "arp_rx_request", "ARP requests received for our addresses")           \
	X(ARP_RX_REPLY, "arp_rx_reply", "ARP replies received")                                  \
	X(ARP_TX_REQUEST, "arp_tx_request", "ARP requests sent (resolution, refresh, gratuitous)") \
	X(ARP_TX_REPLY, "arp_tx_reply", "ARP replies sent")                                      \
	X(ARP_BAD, "arp_bad", "dropped: malformed ARP (length, hardware or protocol type, op)")   \
	X(ARP_NOT_FOR_US, "arp_not_for_us", "dropped: ARP request for an address not ours")       \
	X(ARP_QUEUE_OVERFLOW, "arp_queue_overflow", "dropped: too many packets wait for ARP")      \
	X(ARP_RESOLVE_FAILED, "arp_resolve_failed", "dropped: next hop did not answer ARP")       \
	X(IPV4_TRUNCATED, "ipv4_truncated", "dropped: shorter than its IPv4 header or length")    \
	X(IPV4_BAD_VERSION, "ipv4_bad_version", "dropped: IP version is not 4")                   \
	X(IPV4_BAD_IHL, "ipv4_bad_ihl", "dropped: IPv4 header length below 20 bytes")            \
	X(IPV4_BAD_LEN, "ipv4_bad_len", "dropped: IPv4 total length below its header")            \
	X(IPV4_BAD_CHECKSUM, "ipv4_bad_checksum", "dropped: IPv4 header checksum wrong")          \
	X(IPV4_TTL_EXPIRED, "ipv4_ttl_expired", "dropped: TTL 0")                                 \
	X(IPV4_NOT_FOR_US, "ipv4_not_for_us", "dropped: IPv4 destination not ours")               \
	X(IPV4_UNKNOWN_PROTO, "ipv4_unknown_proto", "dropped: protocol neither ICMP nor UDP")      \
	X(REASM_DONE, "reasm_done", "datagrams reassembled from fragments")                      \
	X(REASM_DROP, "reasm_drop", "dropped: fragment bad, overlapping, timed out or no room")   \
	X(FRAG_TX, "frag_tx", "fragments sent (datagrams larger than the MTU)")                   \
	X(ICMP_ECHO_RX, "icmp_echo_rx", "ICMP echo requests received")                           \
	X(ICMP_TX, "icmp_tx", "ICMP messages sent (echo replies, unreachables)")                  \
	X(ICMP_DROP, "icmp_drop", "dropped: ICMP bad checksum, unhandled type, or rate-limited")  \
	X(UDP_RX, "udp_rx", "UDP datagrams delivered to an app's socket")                        \
	X(UDP_TX, "udp_tx", "UDP datagrams sent for an app")                                    \
	X(UDP_BAD, "udp_bad", "dropped: UDP length or checksum wrong")                           \
	X(UDP_NO_SOCKET, "udp_no_socket", "dropped: no socket bound (port unreachable sent)")     \
	X(UDP_RX_QUEUE_FULL, "udp_rx_queue_full", "dropped: socket queue (or sockets' mbuf share) full") \
	X(UDP_RX_TOO_BIG, "udp_rx_too_big", "dropped: datagram larger than an app record")        \
	X(STACK_TX_NOMBUF, "stack_tx_nombuf", "dropped: no mbuf for a reply or a fragment")       \
	X(STACK_NO_ROUTE, "stack_no_route", "dropped: no route to the destination")

#define MF_CNT_ENUM(e, name, help) MF_CNT_##e,
enum mf_port_counter { MF_PORT_COUNTERS(MF_CNT_ENUM) MF_CNT_MAX };
#undef MF_CNT_ENUM
#define MF_CNT_CAPACITY 64 /* room in the stats region; MF_CNT_MAX may grow up to it */

struct mf_port_stats {
	uint64_t c[MF_CNT_CAPACITY]; /* indexed by enum mf_port_counter */
};

enum mf_lcore_role { MF_LCORE_UNUSED = 0, MF_LCORE_CONTROL = 1, MF_LCORE_WORKER = 2,
		     MF_LCORE_BOTH = 3 };

struct mf_lcore_stats {
	uint32_t lcore_id;
	uint32_t role;           /* enum mf_lcore_role */
	uint64_t busy_cycles;    /* TSC cycles spent in iterations that moved packets */
	uint64_t total_cycles;   /* TSC cycles since the worker started */
	uint64_t packets;        /* packets received by this lcore */
	uint64_t polls;          /* loop iterations */
	uint64_t idle_sleeps;    /* back-off sleeps taken */
	uint64_t reserved[2];
};

struct mf_stats {
	uint32_t seq;            /* seqlock: odd while the core writes; readers retry */
	uint32_t n_ports;
	uint32_t n_lcores;
	uint32_t n_counters;     /* MF_CNT_MAX of the core that wrote it */
	uint64_t updated_ns;     /* CLOCK_MONOTONIC of the last fold */
	uint64_t tsc_hz;
	uint8_t reserved[MF_CACHE_LINE - 32];
	struct mf_port_stats port[MF_MAX_PORTS];
	struct mf_lcore_stats lcore[MF_MAX_LCORES];
} MF_ALIGNED;

/* A free-running index alone on its cache line. */
struct mf_ring_index {
	uint32_t value;
	uint8_t pad[MF_CACHE_LINE - sizeof(uint32_t)];
} MF_ALIGNED;

struct mf_client {
	uint64_t owner_pid;      /* 0 = free; a client claims the slot with CAS 0 -> its pid */
	uint32_t state;          /* enum mf_client_state */
	uint32_t generation;     /* incremented by the core each time it frees the slot */
	uint64_t attach_ns;      /* CLOCK_MONOTONIC when claimed */
	uint64_t owner_start;    /* the owner's start time (mf_proc.h), so a reused pid is not it */
	uint8_t reserved[MF_CACHE_LINE - 32];
	struct mf_ring_index req_prod; /* written by the client */
	struct mf_ring_index req_cons; /* written by the core */
	struct mf_ring_index cpl_prod; /* written by the core */
	struct mf_ring_index cpl_cons; /* written by the client */
	struct mf_request req[MF_RING_SIZE];
	struct mf_completion cpl[MF_RING_SIZE];
} MF_ALIGNED;

struct mf_seg_header {
	uint32_t magic;          /* MF_ABI_MAGIC */
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t header_size;    /* sizeof(struct mf_seg_header) */
	uint32_t state;          /* enum mf_seg_state */
	uint64_t segment_size;   /* total bytes mapped */
	uint32_t core_pid;
	uint8_t ring_log2;       /* MF_RING_LOG2 */
	uint8_t max_clients;     /* MF_MAX_CLIENTS */
	uint8_t max_ports;       /* MF_MAX_PORTS */
	uint8_t max_lcores;      /* MF_MAX_LCORES */
	uint64_t start_ns;       /* CLOCK_MONOTONIC when the core created the segment */
	uint64_t heartbeat_ns;   /* refreshed by the control loop; stale => core hung or dead */
	uint64_t core_start;     /* the core's start time (mf_proc.h): pid + this name the process */
	uint32_t clients_offset;
	uint32_t stats_offset;
	uint32_t arena_offset;
	uint32_t arena_slot_size;
	char name[MF_NAME_LEN];  /* instance name */
	uint32_t bulk_offset;    /* MF_ABI_MINOR >= 1: bulk slots (MF_BULK_SLOTS per client) */
	uint32_t bulk_slot_size;
	uint32_t bulk_slots;
	uint32_t reserved_bulk;
	uint64_t reserved_memif[2];   /* reserved: memif-style data rings */
	uint64_t reserved_uring[4];   /* reserved: io_uring-style submission */
} MF_ALIGNED;

#define MF_SEG_CLIENTS_OFFSET ((uint32_t)sizeof(struct mf_seg_header))
#define MF_SEG_STATS_OFFSET                                                                     \
	((uint32_t)(MF_SEG_CLIENTS_OFFSET + MF_MAX_CLIENTS * sizeof(struct mf_client)))
#define MF_SEG_ARENA_OFFSET ((uint32_t)(MF_SEG_STATS_OFFSET + sizeof(struct mf_stats)))
#define MF_SEG_BULK_OFFSET                                                                      \
	((uint32_t)(MF_SEG_ARENA_OFFSET + MF_MAX_CLIENTS * MF_RING_SIZE * MF_ARENA_SLOT_SIZE))
#define MF_SEG_SIZE                                                                             \
	((uint64_t)MF_SEG_BULK_OFFSET + (uint64_t)MF_MAX_CLIENTS * MF_BULK_SLOTS * MF_BULK_SLOT_SIZE)

/* What the other side relies on; a change here is an ABI change. */
_Static_assert(sizeof(struct mf_request) == 64, "mf_request is one cache line");
_Static_assert(sizeof(struct mf_completion) == 128, "mf_completion is two cache lines");
_Static_assert(sizeof(struct mf_port_info) == 144, "mf_port_info size");
_Static_assert(sizeof(struct mf_version_info) == 144, "mf_version_info size");
_Static_assert(sizeof(struct mf_fwd_arg) == 12, "mf_fwd_arg size");
_Static_assert(MF_BULK_SLOTS <= 256, "a bulk slot index fits the flags' high byte");
_Static_assert(MF_SEG_SIZE < (1ull << 32), "segment offsets are 32-bit");
_Static_assert(sizeof(struct mf_ring_index) == MF_CACHE_LINE, "index on its own line");
_Static_assert(offsetof(struct mf_client, req_prod) == MF_CACHE_LINE, "indexes after line 0");
_Static_assert(offsetof(struct mf_client, req) % MF_CACHE_LINE == 0, "entries aligned");
_Static_assert(sizeof(struct mf_seg_header) % MF_CACHE_LINE == 0, "header whole lines");
_Static_assert(offsetof(struct mf_stats, port) == MF_CACHE_LINE, "stats body after line 0");
_Static_assert(MF_CNT_MAX <= MF_CNT_CAPACITY, "counter list outgrew the stats region");
_Static_assert(sizeof(struct mf_port_info) * MF_MAX_PORTS + 4 <= MF_ARENA_SLOT_SIZE,
	       "a port list fits one arena slot");

/* Op families, each in a header of its own. */
#include "manifold_abi_stack.h"
#include "manifold_abi_policy.h"
#include "manifold_abi_diag.h"
#include "manifold_abi_send.h"

#endif /* MANIFOLD_ABI_H */

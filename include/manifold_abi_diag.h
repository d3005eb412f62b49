/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Control segment ABI, diagnostics: lcores, trace, capture, telemetry-facing reads.
 * Included by manifold_abi.h; ops are numbered from MF_OP_DIAG_FIRST upward, densely.
 *
 *   XSTATS         the NIC's extended counters (rte_eth_xstats) of one port, a page at a time
 *   FWD_RUN        testpmd's start/stop: forwarding on or off for every port, or a query
 *   CAPTURE_ARM    copy the next `count` packets received on a port into the core's buffer
 *   CAPTURE_FETCH  read the capture's state and a chunk of its record stream
 *   TRACE_ARM      record what happens to the next `count` packets received (VPP's trace add)
 *   TRACE_FETCH    read the trace's state and its records, a page at a time
 */
#ifndef MANIFOLD_ABI_DIAG_H
#define MANIFOLD_ABI_DIAG_H

#include <stdint.h>

enum mf_op_diag {
	MF_OP_XSTATS = MF_OP_DIAG_FIRST, /* args: struct mf_xstats_arg; reply: struct
					  * mf_xstats_hdr, then count x struct mf_xstat */
	MF_OP_FWD_RUN,       /* args: struct mf_fwd_run_arg; reply: struct mf_fwd_run_info */
	MF_OP_CAPTURE_ARM,   /* args: struct mf_capture_arg; reply: struct mf_capture_info */
	MF_OP_CAPTURE_FETCH, /* args: struct mf_capture_fetch_arg; reply: struct
			      * mf_capture_info, then chunk_len bytes of the record stream */
	MF_OP_TRACE_ARM,     /* args: struct mf_trace_arg; reply: struct mf_trace_info */
	MF_OP_TRACE_FETCH,   /* args: struct mf_trace_fetch_arg; reply: struct mf_trace_info,
			      * then info.n_recs x struct mf_trace_rec */
	MF_OP_DIAG_MAX
};

#define MF_XSTAT_NAME_LEN 64 /* RTE_ETH_XSTATS_NAME_SIZE */

struct mf_xstats_arg {
	uint16_t port;  /* one port */
	uint16_t reserved;
	uint32_t start; /* index of the first xstat wanted (paging) */
};

struct mf_xstats_hdr {
	uint32_t total; /* xstats the port has */
	uint32_t start; /* index of the first one in this reply */
	uint32_t count; /* entries in this reply */
	uint32_t reserved;
};

struct mf_xstat {
	char name[MF_XSTAT_NAME_LEN];
	uint64_t value;
};

#define MF_XSTATS_PER_REPLY                                                                    \
	((MF_ARENA_SLOT_SIZE - sizeof(struct mf_xstats_hdr)) / sizeof(struct mf_xstat))

/* FWD_RUN: stopped means every packet received is freed and counted as drop_stopped, on
 * every port and whatever its forward mode (testpmd's "stop": nothing is forwarded). The
 * rx queues keep being drained, so nothing piles up in the NIC unseen. */
enum mf_fwd_run {
	MF_FWD_RUN_STOP = 0,
	MF_FWD_RUN_START = 1,
	MF_FWD_RUN_QUERY = 2, /* change nothing, report */
};

struct mf_fwd_run_arg {
	uint8_t run; /* enum mf_fwd_run */
	uint8_t reserved[3];
};

struct mf_fwd_run_info {
	uint8_t running; /* 1 forwarding, 0 stopped (after this request) */
	uint8_t was_running;
	uint8_t reserved[6];
	uint64_t changed_ns; /* CLOCK_MONOTONIC of the last start or stop (0: never) */
};

/* Capture: a single capture at a time, of the packets received on one port, copied (the
 * packets themselves are forwarded as usual) before the forward engine sees them. */
#define MF_CAPTURE_BUF_SIZE (4u << 20) /* bytes of records the core keeps */
#define MF_CAPTURE_SNAPLEN_MAX 9216u
#define MF_CAPTURE_COUNT_MAX 100000u

enum mf_capture_state {
	MF_CAPTURE_IDLE = 0,    /* never armed, or cancelled */
	MF_CAPTURE_ARMED = 1,   /* waiting for packets */
	MF_CAPTURE_DONE = 2,    /* count reached, or the buffer is full (see `full`) */
};

struct mf_capture_arg {
	uint16_t port;    /* port to capture from; ignored when count is 0 */
	uint16_t reserved;
	uint32_t count;   /* packets to capture, 1..MF_CAPTURE_COUNT_MAX; 0 cancels */
	uint32_t snaplen; /* bytes kept per packet, 1..MF_CAPTURE_SNAPLEN_MAX; 0 = the max */
};

struct mf_capture_fetch_arg {
	uint32_t offset; /* byte offset into the record stream */
	uint32_t reserved;
};

struct mf_capture_info {
	uint8_t state;      /* enum mf_capture_state */
	uint8_t full;       /* 1 when it ended because the buffer was full */
	uint16_t port;
	uint32_t count;     /* packets asked for */
	uint32_t captured;  /* packets stored so far */
	uint32_t snaplen;
	uint32_t used;      /* bytes of records stored so far */
	uint32_t offset;    /* FETCH: offset of the chunk that follows */
	uint32_t chunk_len; /* FETCH: bytes that follow this struct */
	uint32_t reserved;
	uint64_t armed_ns;  /* CLOCK_MONOTONIC when armed */
};

/* One record of the stream: this header, then cap_len bytes, then zero padding up to a
 * multiple of 8. ts_ns is CLOCK_REALTIME (pcapng wants the epoch). */
struct mf_capture_rec {
	uint64_t ts_ns;
	uint32_t orig_len; /* the packet's length on the wire */
	uint32_t cap_len;  /* bytes kept: min(orig_len, snaplen) */
};

/* Trace: for the next `count` packets received (on one port or any), the worker that takes
 * each one records which policy matched and what its actions did, or that none matched and the
 * forward mode that took the packet. Records go to a bounded buffer per worker. */
#define MF_TRACE_COUNT_MAX 1000u
#define MF_TRACE_ANY_PORT 0xffffu

enum mf_trace_state {
	MF_TRACE_IDLE = 0,  /* never armed, or cancelled */
	MF_TRACE_ARMED = 1,
	MF_TRACE_DONE = 2,  /* `count` packets recorded */
};

struct mf_trace_arg {
	uint16_t port;      /* MF_TRACE_ANY_PORT: any */
	uint16_t reserved;
	uint32_t count;     /* 1..MF_TRACE_COUNT_MAX; 0 cancels */
};

struct mf_trace_fetch_arg {
	uint32_t first;     /* index of the first record wanted */
	uint32_t reserved;
};

struct mf_trace_info {
	uint8_t state;      /* enum mf_trace_state */
	uint8_t reserved;
	uint16_t port;
	uint32_t count;     /* packets asked for */
	uint32_t recorded;  /* records stored so far (all workers) */
	uint32_t first;     /* FETCH: index of the first record that follows */
	uint32_t n_recs;    /* FETCH: records that follow */
	uint32_t reserved2;
	uint64_t armed_ns;  /* CLOCK_MONOTONIC when armed */
};

/* What one action of the matched policy is (its destination) and did. */
struct mf_trace_action {
	uint8_t type;       /* enum mf_action_type */
	uint8_t reserved;
	uint16_t port;      /* redirect: egress port */
	uint32_t n;         /* replicate: copies made (destinations); deliver: 1 if queued */
	uint32_t ip;        /* redirect: destination; deliver: the socket's address */
	uint16_t udp_port;  /* redirect: destination UDP port; deliver: the socket's port */
	uint16_t reserved2;
};

struct mf_trace_rec {
	uint64_t ts_ns;     /* CLOCK_REALTIME */
	uint16_t port;      /* where it was received */
	uint16_t lcore;
	uint32_t len;
	uint32_t src, dst;  /* IPv4, host order; 0 if not IPv4 */
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t matched;    /* 1: a policy took it (policy, actions); 0: fwd_mode did */
	uint8_t fwd_mode;   /* enum mf_fwd_mode */
	uint8_t n_actions;
	char policy[MF_POLICY_ID_LEN];
	uint32_t drop_mask; /* bit r: the chain dropped (a copy of) it for enum mf_policy_drop r */
	uint32_t drops;     /* how many drops */
	struct mf_trace_action action[MF_POLICY_MAX_ACTIONS];
};

#define MF_TRACE_PER_REPLY                                                                    \
	((MF_ARENA_SLOT_SIZE - sizeof(struct mf_trace_info)) / sizeof(struct mf_trace_rec))

_Static_assert(sizeof(struct mf_trace_arg) == 8, "mf_trace_arg size");
_Static_assert(sizeof(struct mf_trace_info) == 32, "mf_trace_info size");
_Static_assert(sizeof(struct mf_trace_action) == 16, "mf_trace_action size");
_Static_assert(sizeof(struct mf_trace_rec) == 200, "mf_trace_rec size");
_Static_assert(sizeof(struct mf_xstat) == 72, "mf_xstat size");
_Static_assert(sizeof(struct mf_xstats_arg) <= 48 && sizeof(struct mf_capture_arg) <= 48,
	       "diag args fit mf_request.args");
_Static_assert(sizeof(struct mf_capture_info) == 40, "mf_capture_info size");
_Static_assert(sizeof(struct mf_capture_rec) == 16, "mf_capture_rec size");
_Static_assert(sizeof(struct mf_capture_rec) + MF_CAPTURE_SNAPLEN_MAX + 8 <=
	       MF_CAPTURE_BUF_SIZE, "a record fits the buffer");

#endif /* MANIFOLD_ABI_DIAG_H */

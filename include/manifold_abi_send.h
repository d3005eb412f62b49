/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Control segment ABI, aggregate sends: an app packs many messages for many recipients into
 * one batch; the core validates it whole, builds one packet per message through the stack,
 * and sends each at the time the batch's timing asks for (a timing wheel per transmitting
 * lcore). Included by manifold_abi.h; ops are numbered from MF_OP_SEND_FIRST upward, densely.
 *
 * A batch travels in one or more SUBMIT requests (chunks), so it may be larger than an arena
 * slot. The first chunk (mf_send_arg.batch == 0) opens the batch with its settings and gets
 * the batch id in the reply; later chunks name that id; the chunk with MF_SEND_COMMIT closes
 * it. Nothing of a batch is sent before its commit, and a chunk that fails validation discards
 * the whole batch (unless MF_SEND_BEST_EFFORT, where a bad message is skipped and counted).
 *
 * A chunk's input, in its arena slot:
 *
 *   struct mf_send_chunk
 *   n_dests x struct mf_send_dest     appended to the batch's destination table
 *   n_msgs  x (struct mf_send_msg, then len payload bytes, then padding to a multiple of 8)
 *
 * Times are CLOCK_MONOTONIC nanoseconds (process.hrtime.bigint()). When a batch is done (every
 * message sent or dropped), its report waits in the core until the client reaps it (SEND_REAP).
 *
 * Errors of SUBMIT: a bad chunk (-EINVAL, -ENOENT for an unknown policy, -ENETUNREACH for a
 * destination without a route) discards the whole batch. A shortage (-EAGAIN: every batch slot
 * is taken; -ENOBUFS: the core's batch memory is full) leaves the batch as it was before that
 * chunk: wait for batches to finish (SEND_REAP), then resend the chunk (or SEND_ABORT it).
 * end_ns, when set, is a hard deadline in every timing mode: what would leave after it is
 * dropped (MF_SEND_DROP_DEADLINE, or MF_SEND_DROP_FRAME for a frame's messages).
 */
#ifndef MANIFOLD_ABI_SEND_H
#define MANIFOLD_ABI_SEND_H

#include <stdint.h>

#define MF_SEND_MAX_DESTS 4096     /* destinations of one batch */
#define MF_SEND_MAX_MSGS 1048576u  /* messages of one batch */
#define MF_SEND_MAX_FRAMES 1024    /* video frames of one batch (MF_SEND_FRAMES) */
#define MF_SEND_MAX_PAYLOAD 8192u  /* bytes of one message's payload (fragmented past the MTU) */
#define MF_SEND_MAX_BATCHES 64     /* batches open or unreaped, all clients together */
#define MF_LAT_BUCKETS 64          /* lateness histogram: see struct mf_lateness */

enum mf_send_op {
	MF_OP_SEND_SUBMIT = MF_OP_SEND_FIRST, /* args: struct mf_send_arg; in arena: a chunk;
					       * reply: struct mf_send_reply */
	MF_OP_SEND_REAP,      /* args: struct mf_send_reap_arg; reply: struct mf_send_reap_hdr,
			       * then per finished batch: struct mf_send_report, then its
			       * report.n_frames x struct mf_send_frame_out */
	MF_OP_SEND_ABORT,     /* args: struct mf_send_reap_arg (batch): drop what has not left */
	MF_OP_SEND_LATENESS,  /* reply: struct mf_lateness_hdr, then n x struct mf_lateness
			       * (one per transmitting lcore, then their sum) */
	MF_OP_SEND_END        /* one past the last send op */
};

/* When each message of a batch leaves. */
enum mf_send_timing {
	MF_SEND_ASAP = 0,   /* as fast as the port takes them, in order */
	MF_SEND_AT = 1,     /* msg.time: absolute departure time */
	MF_SEND_DELAY = 2,  /* msg.time: ns after the first message's departure (start_ns, or
			     * the commit when start_ns is 0) */
	MF_SEND_SEQ = 3,    /* msg.time: sequence number; sent in sequence order, one every
			     * interval_ns from start_ns (or the commit) */
	MF_SEND_WINDOW = 4, /* spread evenly over [start_ns, end_ns]; what cannot leave before
			     * end_ns is dropped (MF_SEND_DROP_DEADLINE) */
	/* AT times must lie within 60 s before and 3600 s after the submit (a wall-clock time
	 * is refused); DELAY at most 3600 s. */
	MF_SEND_TIMING_MAX
};

/* mf_send_arg.flags */
#define MF_SEND_COMMIT 0x1u      /* this chunk is the batch's last */
#define MF_SEND_BEST_EFFORT 0x2u /* opening: skip (and count) bad messages, keep the rest */
#define MF_SEND_FRAMES 0x4u      /* opening: messages carry video frames (see mf_send_msg);
				  * needs interval_ns (the frame interval) and timing ASAP
				  * (frames from start_ns or the commit, end_ns optional) or
				  * WINDOW (frames from start_ns, deadline end_ns) */

/* Frame types, most important first; under a deadline B frames go first, then P. */
enum mf_frame_type { MF_FRAME_NONE = 0, MF_FRAME_I = 1, MF_FRAME_P = 2, MF_FRAME_B = 3 };

/* mf_send_msg.flags */
#define MF_MSG_FRAME_END 0x1u /* last message of its frame */

/* Where a message goes. */
enum mf_send_dest_kind {
	MF_SEND_DEST_ADDR = 0,   /* to ip:udp_port, routed by the stack (ARP for the next hop) */
	MF_SEND_DEST_POLICY = 1, /* built for ip:udp_port, then through policy `policy`'s chain
				  * (e.g. a replicate fan-out); payloads <= 1472 bytes (a chain
				  * takes whole datagrams) */
};

/* Why a message of an accepted batch was not sent, declared once: X(ENUM, "name", "what"). */
#define MF_SEND_DROPS(X)                                                                       \
	X(DEADLINE, "deadline", "could not leave before the batch's end time")                 \
	X(FRAME, "frame", "its whole frame was dropped to meet the deadline")                  \
	X(NOMBUF, "nombuf", "no mbuf to build the packet")                                    \
	X(NO_ROUTE, "no_route", "no route to the destination")                                \
	X(NO_NEXT_HOP, "no_next_hop", "the next hop did not answer ARP")                      \
	X(TX_FULL, "tx_full", "the egress port's tx queue stayed full")                       \
	X(NO_POLICY, "no_policy", "the destination's policy is gone")                         \
	X(INVALID, "invalid", "best effort: a bad message was skipped")                       \
	X(ABORTED, "aborted", "the batch was aborted before the message left")

#define MF_SEND_DROP_ENUM(e, name, help) MF_SEND_DROP_##e,
enum mf_send_drop { MF_SEND_DROPS(MF_SEND_DROP_ENUM) MF_SEND_DROP_MAX };
#undef MF_SEND_DROP_ENUM
#define MF_SEND_DROP_CAPACITY 12

struct mf_send_arg {
	uint32_t batch;       /* 0: open a new batch with the settings below; else its id */
	uint16_t flags;       /* MF_SEND_COMMIT, and when opening MF_SEND_BEST_EFFORT|FRAMES */
	uint8_t timing;       /* opening: enum mf_send_timing */
	uint8_t reserved;
	uint32_t total;       /* opening: messages the whole batch will hold */
	uint32_t reserved2;
	uint64_t start_ns;    /* opening: first departure (0: at the commit) */
	uint64_t end_ns;      /* opening: the batch's deadline (0: none; WINDOW needs it) */
	uint64_t interval_ns; /* opening: SEQ spacing; FRAMES: the frame interval */
};

struct mf_send_chunk {
	uint32_t n_msgs;      /* messages in this chunk */
	uint16_t n_dests;     /* destinations this chunk appends to the batch's table */
	uint16_t reserved;
};

struct mf_send_dest {
	uint32_t ip;           /* destination, host order */
	uint32_t src_ip;       /* 0: the egress port's address */
	uint16_t udp_port;     /* 1..65535 */
	uint16_t src_udp_port; /* 0: the destination's udp_port */
	uint8_t kind;          /* enum mf_send_dest_kind */
	uint8_t has_mac;       /* 1: send to `mac`, no ARP (e.g. a peer that does not answer) */
	uint8_t mac[6];
	char policy[32];       /* MF_SEND_DEST_POLICY: the policy's id (MF_POLICY_ID_LEN) */
	uint8_t reserved[4];
};

struct mf_send_msg {
	uint64_t time;         /* AT: departure ns; DELAY: ns after the first; SEQ: sequence
				* number; ASAP, WINDOW: ignored (0) */
	uint32_t frame;        /* MF_SEND_FRAMES: frame id (messages of a frame are adjacent) */
	uint16_t dest;         /* index in the batch's destination table */
	uint16_t len;          /* payload bytes that follow, 0..MF_SEND_MAX_PAYLOAD */
	uint8_t frame_type;    /* enum mf_frame_type (MF_SEND_FRAMES) */
	uint8_t flags;         /* MF_MSG_FRAME_END */
	uint8_t reserved[6];
};

struct mf_send_reply {
	uint32_t batch;        /* the batch's id */
	uint32_t n_msgs;       /* messages accepted into the batch so far */
	uint32_t n_dests;      /* destinations in its table so far */
	uint32_t skipped;      /* best effort: bad messages skipped in this chunk */
};

struct mf_send_reap_arg {
	uint32_t batch;        /* SEND_REAP: 0 for any finished batch of this client; ABORT: id */
	uint32_t max;          /* SEND_REAP: at most this many reports (0: as many as fit) */
};

struct mf_send_reap_hdr {
	uint32_t count;        /* reports that follow */
	uint32_t pending;      /* batches of this client still running or unreaped */
};

/* sent + the drops add up to n_msgs. Lateness is measured for timed messages (not ASAP). */
struct mf_send_report {
	uint32_t batch;
	uint32_t n_msgs;       /* every message submitted, best-effort skips included */
	uint32_t sent;         /* messages handed to a tx queue (a policy fan-out counts once) */
	uint32_t late;         /* of those, how many left more than 1 us (a wheel slot) later
				* than asked */
	uint32_t drop[MF_SEND_DROP_CAPACITY]; /* enum mf_send_drop */
	uint64_t first_tx_ns;  /* departure of the first and the last message */
	uint64_t last_tx_ns;
	uint64_t late_p50_ns;  /* lateness of the messages sent: percentiles and maximum */
	uint64_t late_p99_ns;
	uint64_t late_max_ns;
	uint32_t n_frames;     /* frame records that follow (MF_SEND_FRAMES) */
	uint32_t frames_dropped;
};

enum mf_frame_outcome { MF_FRAME_SENT = 1, MF_FRAME_DROPPED = 2 };

struct mf_send_frame_out {
	uint32_t frame;        /* frame id */
	uint8_t type;          /* enum mf_frame_type */
	uint8_t outcome;       /* enum mf_frame_outcome */
	uint16_t n_msgs;       /* its messages */
};

/* Lateness histogram: bucket 0 counts departures on time (lateness 0); bucket b >= 1 counts
 * lateness in [2^(b-1), 2^b) ns. */
struct mf_lateness {
	uint32_t lcore_id;     /* RTE_MAX_LCORE for the sum */
	uint32_t reserved;
	uint64_t count;        /* departures measured */
	uint64_t sum_ns;
	uint64_t max_ns;
	uint64_t bucket[MF_LAT_BUCKETS];
};

struct mf_lateness_hdr {
	uint32_t count;        /* entries that follow */
	uint32_t reserved;
};

_Static_assert(MF_OP_SEND_END <= MF_OP_TABLE_SIZE, "send ops stay in the op table");
_Static_assert(MF_SEND_DROP_MAX <= MF_SEND_DROP_CAPACITY, "send drop reasons outgrew reports");
_Static_assert(sizeof(struct mf_send_arg) == 40, "mf_send_arg size");
_Static_assert(sizeof(struct mf_send_arg) <= 48, "mf_send_arg fits mf_request.args");
_Static_assert(sizeof(struct mf_send_chunk) == 8, "mf_send_chunk size");
_Static_assert(sizeof(struct mf_send_dest) == 56, "mf_send_dest size");
_Static_assert(sizeof(struct mf_send_msg) == 24, "mf_send_msg size");
_Static_assert(sizeof(struct mf_send_reply) == 16, "mf_send_reply size");
_Static_assert(sizeof(struct mf_send_reap_arg) == 8, "mf_send_reap_arg size");
_Static_assert(sizeof(struct mf_send_report) == 112, "mf_send_report size");
_Static_assert(sizeof(struct mf_send_frame_out) == 8, "mf_send_frame_out size");
_Static_assert(sizeof(struct mf_lateness) == 32 + 8 * MF_LAT_BUCKETS, "mf_lateness size");

#endif

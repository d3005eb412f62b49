/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libmanifold_ctl: the client side of manifold's control segment (see include/manifold_abi.h).
 * Free of DPDK; loaded by TypeScript through koffi, usable from C as well.
 *
 * Every function returning int returns 0 (or a count) on success and a negative errno on
 * failure; mf_ctl_last_error() then names what is wrong and what would be right. The error
 * string is per thread and stays valid until the next failing call on that thread.
 *
 * A handle is used by one thread at a time (it is the single producer of its request ring and the
 * single consumer of its completion ring).
 *
 *   attach -> submit ... -> poll ... -> detach        asynchronous: many requests in flight
 *   attach -> call ...                 -> detach        synchronous: one round trip per call
 *
 * Both styles may be mixed on one handle: completions that mf_ctl_call() meets while it waits
 * for its own are kept and handed out by the next mf_ctl_poll().
 */
#ifndef MF_CTL_H
#define MF_CTL_H

#include <stdint.h>

#include "manifold_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MF_CTL_API __attribute__((visibility("default")))

#define MF_CTL_ARGS_MAX 48u                 /* sizeof(((struct mf_request *)0)->args) */
#define MF_CTL_ATTACH_TIMEOUT_MS 10000u     /* mf_ctl_attach() waits this long for RUNNING */
#define MF_CTL_HEARTBEAT_STALE_MS 1000u     /* mf_ctl_call(): a heartbeat older than this... */
#define MF_CTL_LIVENESS_PERIOD_MS 20u       /* ...is checked, with the core's pid, this often */

struct mf_ctl; /* opaque handle */

/* Last error of the calling thread: what is wrong and what would be right ("" if none). */
MF_CTL_API const char *mf_ctl_last_error(void);

/* ABI this library was built for: (MF_ABI_MAJOR << 16) | MF_ABI_MINOR. */
MF_CTL_API uint32_t mf_ctl_abi_version(void);

/* Attach to instance `name`: open and check the segment, wait (up to timeout_ms) while the core
 * is STARTING, claim a client slot. mf_ctl_attach() uses MF_CTL_ATTACH_TIMEOUT_MS.
 * -EINVAL bad name, -ENOENT no such instance, -ECONNREFUSED stale segment or shutting down,
 * -EPROTO not a manifold segment, -EPROTONOSUPPORT ABI (or layout) mismatch,
 * -EBUSY all client slots taken,
 * -ETIMEDOUT still starting, -EACCES not allowed to open the segment. */
MF_CTL_API int mf_ctl_attach(const char *name, struct mf_ctl **out);
MF_CTL_API int mf_ctl_attach_ex(const char *name, uint32_t timeout_ms, struct mf_ctl **out);

/* Hand the slot back (the core resets and frees it), unmap, free. NULL is a no-op. */
MF_CTL_API void mf_ctl_detach(struct mf_ctl *ctl);

/* Queue one request. args (<= MF_CTL_ARGS_MAX bytes) go inline, in (<= MF_ARENA_SLOT_SIZE)
 * is copied into the request's arena slot. -EAGAIN when MF_RING_SIZE requests are in flight
 * (completions not yet handed out by mf_ctl_poll). */
MF_CTL_API int mf_ctl_submit(struct mf_ctl *ctl, uint64_t ctx, uint16_t op, const void *args,
			     uint32_t args_len, const void *in, uint32_t in_len);

/* Queue up to n requests at once, publishing them with one index store. reqs[i].ctx, .op,
 * .flags, .args and .in_len are taken from the caller; the inputs lie back to back in `in`
 * (reqs[0].in_len bytes, then reqs[1].in_len, ...), but for bulk requests (flags, below). Returns how many were queued (fewer than n
 * when the in-flight limit is reached), or -EAGAIN when none could be, or another -errno. */
MF_CTL_API int mf_ctl_submit_batch(struct mf_ctl *ctl, const struct mf_request *reqs,
				   uint32_t n, const void *in, uint32_t in_total);

/* Bulk slots: inputs of up to MF_BULK_SLOT_SIZE bytes (an aggregate send's messages), for ops
 * that take them. Acquire a slot (its index, or -EAGAIN while all MF_BULK_SLOTS are in use),
 * write the input into it, then submit with mf_ctl_submit_batch() and reqs[i].flags =
 * MF_REQ_BULK_FLAGS(slot), in_len = the input's length (nothing of `in` is used for it). The
 * slot is free again once that request's completion is handed out; a slot acquired and not
 * submitted goes back with mf_ctl_bulk_release(). */
MF_CTL_API int mf_ctl_bulk_acquire(struct mf_ctl *ctl);
MF_CTL_API int mf_ctl_bulk_write(struct mf_ctl *ctl, uint32_t slot, uint32_t offset,
				 const void *src, uint32_t len);
MF_CTL_API int mf_ctl_bulk_release(struct mf_ctl *ctl, uint32_t slot);

/* Hand out up to max completions. Completion i goes to out[i]; its reply (out[i].out_len bytes,
 * also stored in reply_lens[i]) is copied into reply_buf right after completion i-1's reply,
 * so completion i's reply starts at the sum of reply_lens[0..i-1]. Stops early rather than
 * overflow reply_cap (max * MF_ARENA_SLOT_SIZE always suffices). Returns the count (0: none
 * ready) or -ECONNRESET when none are ready and the core has exited (or is STOPPING with none
 * of ours outstanding), or -ENOBUFS if the first reply does not fit in reply_cap. */
MF_CTL_API int mf_ctl_poll(struct mf_ctl *ctl, struct mf_completion *out, uint32_t max,
			   void *reply_buf, uint32_t reply_cap, uint32_t *reply_lens);

/* Requests submitted whose completions were not yet handed out. */
MF_CTL_API uint32_t mf_ctl_in_flight(const struct mf_ctl *ctl);

/* Blocking round trip: submit, wait for this request's completion (spin briefly, then short
 * sleeps), copy the reply (truncated to reply_cap; *reply_len gets the full length), its status
 * and reason (MF_REASON_LEN bytes, may be NULL). Returns 0 when the core answered, whatever
 * the answer (look at *status), or -ETIMEDOUT after timeout_ms (0 = wait forever),
 * -ECONNRESET within MF_CTL_LIVENESS_PERIOD_MS of the core exiting, -EHOSTDOWN when the core
 * is alive but its heartbeat has not moved for MF_CTL_HEARTBEAT_STALE_MS, or a submit error. */
MF_CTL_API int mf_ctl_call(struct mf_ctl *ctl, uint16_t op, const void *args, uint32_t args_len,
			   const void *in, uint32_t in_len, void *reply, uint32_t reply_cap,
			   uint32_t *reply_len, int32_t *status, char *reason, uint32_t timeout_ms);

/* Consistent copy of the stats region (seqlock); -EAGAIN if the core kept writing. */
MF_CTL_API int mf_ctl_stats_read(struct mf_ctl *ctl, struct mf_stats *out);

MF_CTL_API uint32_t mf_ctl_core_pid(const struct mf_ctl *ctl);
/* 1 when the core process exists and is not a zombie, else 0. */
MF_CTL_API int mf_ctl_core_alive(const struct mf_ctl *ctl);
/* Nanoseconds since the core last refreshed its heartbeat (CLOCK_MONOTONIC), UINT64_MAX if
 * it never did. */
MF_CTL_API uint64_t mf_ctl_heartbeat_age_ns(const struct mf_ctl *ctl);
/* Index of the client slot this handle owns. */
MF_CTL_API int mf_ctl_client_index(const struct mf_ctl *ctl);
/* Instance name this handle is attached to. */
MF_CTL_API const char *mf_ctl_name(const struct mf_ctl *ctl);

/* Port counters, from the MF_PORT_COUNTERS X-macro. NULL when i is out of range. */
MF_CTL_API int mf_ctl_counter_count(void);
MF_CTL_API const char *mf_ctl_counter_name(int i);
MF_CTL_API const char *mf_ctl_counter_help(int i);

/* Layout of the structures mirrored by TypeScript, from sizeof/offsetof: field NULL (or "")
 * gives the whole struct's size (offset 0). -ENOENT for an unknown struct or field. */
MF_CTL_API int mf_ctl_layout(const char *struct_name, const char *field, uint32_t *size,
			     uint32_t *offset);
/* Name of field i of a mirrored struct (declaration order), NULL past the end or if unknown. */
MF_CTL_API const char *mf_ctl_layout_field(const char *struct_name, uint32_t i);
/* Name of mirrored struct i, NULL past the end. */
MF_CTL_API const char *mf_ctl_layout_struct(uint32_t i);

/* Enumerations and constants of the ABI, by group: "mf_op", "mf_fwd_mode", "mf_seg_state",
 * "mf_client_state", "mf_lcore_role", "mf_port_counter", "const". Member i of a group: its
 * name (NULL past the end) and *value. mf_ctl_enum_value() looks one up by name (-ENOENT). */
MF_CTL_API const char *mf_ctl_enum_member(const char *group, uint32_t i, int64_t *value);
MF_CTL_API int mf_ctl_enum_value(const char *group, const char *member, int64_t *value);

#ifdef __cplusplus
}
#endif

#endif /* MF_CTL_H */

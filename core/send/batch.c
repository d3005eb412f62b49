/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The batch table (MF_SEND_MAX_BATCHES slots, all clients together), on the control lcore:
 * open with the batch's settings, commit (plan, then the feed list), abort, done, report, free.
 *
 * A batch's id is (generation << 6) | slot, so an id that outlived its batch names nothing.
 * Memory is taken from the C heap (only the control lcore touches it) and counted against
 * MF_SEND_STORE_MAX: a batch that does not fit is refused with -ENOBUFS, never half-kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "../control_ops.h"
#include "send_priv.h"

#define SLOT_BITS 6
_Static_assert(MF_SEND_MAX_BATCHES <= (1 << SLOT_BITS), "batch slots fit the id");

struct mf_send_state mf_snd;

static const char *const timing_name[] = { "asap", "at", "delay", "seq", "window" };

uint64_t
mf_send_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A clock pair, taken close together. */
static void
clock_pair(struct mf_send_batch *b)
{
	uint64_t t0 = rte_rdtsc();

	b->ns0 = mf_send_mono_ns();
	b->tsc0 = t0 + (rte_rdtsc() - t0) / 2;
}

static int
settings_check(const struct mf_send_arg *a, uint64_t now, struct mf_completion *cpl)
{
	uint64_t far = now + (uint64_t)MF_SEND_AT_FUTURE_S * 1000000000u;

	if (a->flags & ~(MF_SEND_COMMIT | MF_SEND_BEST_EFFORT | MF_SEND_FRAMES))
		return mf_op_reason(cpl, -EINVAL, "flags 0x%x has unknown bits; use COMMIT, "
				    "BEST_EFFORT, FRAMES (0x7)", a->flags);
	if (a->timing >= MF_SEND_TIMING_MAX)
		return mf_op_reason(cpl, -EINVAL, "timing %u is unknown; use 0 asap, 1 at, 2 "
				    "delay, 3 seq, 4 window", a->timing);
	if (a->total == 0 || a->total > MF_SEND_MAX_MSGS)
		return mf_op_reason(cpl, -EINVAL, "total %u: a batch holds 1..%u messages",
				    a->total, MF_SEND_MAX_MSGS);
	if (a->start_ns > far || a->end_ns > far)
		return mf_op_reason(cpl, -EINVAL, "start_ns/end_ns more than %u s ahead; times "
				    "are CLOCK_MONOTONIC ns, not wall-clock", MF_SEND_AT_FUTURE_S);
	/* An end before the given start is a contradiction; an end that passed while the batch
	 * travelled is not: it is accepted, and what it leaves no time for is dropped (deadline)
	 * and reported, as for any deadline missed. */
	if (a->end_ns != 0 && a->start_ns != 0 && a->end_ns <= a->start_ns)
		return mf_op_reason(cpl, -EINVAL, "end_ns %lu is not after start_ns %lu",
				    (unsigned long)a->end_ns, (unsigned long)a->start_ns);
	if (a->timing == MF_SEND_WINDOW && a->end_ns == 0)
		return mf_op_reason(cpl, -EINVAL, "timing window needs end_ns (the window's end, "
				    "after start_ns)");
	if (a->timing == MF_SEND_SEQ && a->interval_ns == 0)
		return mf_op_reason(cpl, -EINVAL, "timing seq needs interval_ns (the spacing of "
				    "consecutive sequence numbers), > 0");
	if (a->flags & MF_SEND_FRAMES) {
		if (a->interval_ns == 0)
			return mf_op_reason(cpl, -EINVAL, "FRAMES needs interval_ns: the frame "
					    "interval (e.g. 33333333 for 30 frames/s)");
		if (a->timing != MF_SEND_ASAP && a->timing != MF_SEND_WINDOW)
			return mf_op_reason(cpl, -EINVAL, "FRAMES paces frames itself: use timing "
					    "asap or window, not %s", timing_name[a->timing]);
	}
	return 0;
}

static void *
budget_alloc(uint64_t bytes)
{
	if (mf_snd.store_bytes + bytes > MF_SEND_STORE_MAX)
		return NULL;
	mf_snd.store_bytes += bytes;
	return calloc(1, bytes);
}

static void
budget_free(void *p, uint64_t bytes)
{
	if (p == NULL)
		return;
	mf_snd.store_bytes -= bytes;
	free(p);
}

struct mf_send_batch *
mf_send_batch_open(unsigned int client, const struct mf_send_arg *a, struct mf_completion *cpl,
		   int *rc)
{
	struct mf_send_batch *b = NULL;
	unsigned int i;

	*rc = settings_check(a, mf_send_mono_ns(), cpl);
	if (*rc != 0)
		return NULL;
	for (i = 0; i < MF_SEND_MAX_BATCHES; i++) {
		if (mf_snd.batch[i].state == MF_BATCH_FREE) {
			b = &mf_snd.batch[i];
			break;
		}
	}
	if (b == NULL) {
		*rc = mf_op_reason(cpl, -EAGAIN, "all %d batch slots are taken; wait for "
				   "batches to finish, reap them, submit again", MF_SEND_MAX_BATCHES);
		return NULL;
	}
	memset(&b->id, 0, sizeof(*b) - offsetof(struct mf_send_batch, id));
	b->client = (uint16_t)client;
	b->flags = a->flags & (MF_SEND_BEST_EFFORT | MF_SEND_FRAMES);
	b->timing = a->timing;
	b->measure = a->timing != MF_SEND_ASAP || (a->flags & MF_SEND_FRAMES);
	b->total = a->total;
	b->start_ns = a->start_ns;
	b->end_ns = a->end_ns;
	b->interval_ns = a->interval_ns;
	b->acc = rte_zmalloc("mf_send_acc", sizeof(*b->acc) * (mf_snd.n_workers + 1),
			     RTE_CACHE_LINE_SIZE);
	b->ents = budget_alloc((uint64_t)a->total * sizeof(*b->ents));
	if (b->flags & MF_SEND_FRAMES)
		b->frames = budget_alloc(sizeof(*b->frames) * MF_SEND_MAX_FRAMES);
	if (b->acc == NULL || b->ents == NULL ||
	    ((b->flags & MF_SEND_FRAMES) && b->frames == NULL)) {
		mf_send_batch_free(b);
		*rc = mf_op_reason(cpl, -ENOBUFS, "no room for %u messages: batch memory holds "
				   "%lu of %llu bytes; wait for batches to finish", a->total,
				   (unsigned long)mf_snd.store_bytes, MF_SEND_STORE_MAX);
		return NULL;
	}
	if (mf_snd.next_gen == 0 || mf_snd.next_gen >= (1u << (32 - SLOT_BITS)))
		mf_snd.next_gen = 1;
	b->id = (mf_snd.next_gen++ << SLOT_BITS) | (uint32_t)(b - mf_snd.batch);
	b->state = MF_BATCH_OPEN;
	b->last_chunk_tsc = rte_rdtsc();
	*rc = 0;
	return b;
}

bool
mf_send_expecting(void)
{
	/* an open batch whose client stopped sending chunks (it may never commit) does not keep
	 * the control lcore waking every 50 us: only one fed within the last few ms */
	const uint64_t recent = mf_snd.tsc_hz / 1000 * MF_SEND_EXPECT_MS, now = rte_rdtsc();
	unsigned int i;

	for (i = 0; i < MF_SEND_MAX_BATCHES; i++)
		if (mf_snd.batch[i].state == MF_BATCH_OPEN &&
		    now - mf_snd.batch[i].last_chunk_tsc < recent)
			return true;
	/* due messages wait for a worker to take what it has (runs ahead, ring room): come back
	 * soon. Messages that wait for their time do not count: the feeder hands them over 20 ms
	 * ahead, and waking every 50 us for them would take the CPU from a client beside it. */
	return mf_snd.feed_blocked;
}

struct mf_send_batch *
mf_send_batch_find(uint32_t id)
{
	struct mf_send_batch *b = &mf_snd.batch[id & ((1u << SLOT_BITS) - 1)];

	if ((id & ((1u << SLOT_BITS) - 1)) >= MF_SEND_MAX_BATCHES || b->state == MF_BATCH_FREE ||
	    b->id != id)
		return NULL;
	return b;
}

static void
running_unlink(struct mf_send_batch *b)
{
	struct mf_send_batch **pp;

	for (pp = &mf_snd.running_head; *pp != NULL; pp = &(*pp)->next_running) {
		if (*pp == b) {
			*pp = b->next_running;
			break;
		}
	}
	b->next_running = NULL;
}

void
mf_send_batch_free(struct mf_send_batch *b)
{
	running_unlink(b);
	budget_free(b->ents, (uint64_t)b->total * sizeof(*b->ents));
	budget_free(b->frames, sizeof(*b->frames) * MF_SEND_MAX_FRAMES);
	budget_free(b->store, b->store_cap);
	budget_free(b->order, (uint64_t)b->total * sizeof(*b->order));
	free(b->dsts);
	rte_free(b->acc);
	b->ents = NULL;
	b->frames = NULL;
	b->store = NULL;
	b->order = NULL;
	b->dsts = NULL;
	b->acc = NULL;
	__atomic_store_n(&b->state, MF_BATCH_FREE, __ATOMIC_RELEASE);
}

int
mf_send_batch_commit(struct mf_send_batch *b, struct mf_completion *cpl)
{
	struct mf_plan_cfg cfg;
	struct mf_plan_out out;
	struct mf_send_batch **pp;
	uint32_t n = b->n_msgs, i;

	if (b->n_msgs + b->skipped != b->total)
		return mf_op_reason(cpl, -EINVAL, "the batch holds %u messages at its commit, "
				    "its opening announced total=%u", b->n_msgs + b->skipped, b->total);
	if (b->frame_open)
		return mf_op_reason(cpl, -EINVAL, "message %u: the last frame (id %u) has no "
				    "message with FRAME_END; end it", b->n_msgs + b->skipped - 1,
				    b->frames[b->n_frames - 1].id);
	b->order = budget_alloc((uint64_t)b->total * sizeof(*b->order));
	if (b->order == NULL)
		return mf_op_reason(cpl, -ENOBUFS, "no room to plan %u messages (batch memory %lu "
				    "bytes); wait for batches to finish", n,
				    (unsigned long)mf_snd.store_bytes);
	clock_pair(b);
	memset(&cfg, 0, sizeof(cfg));
	cfg.timing = b->timing;
	cfg.frames = (b->flags & MF_SEND_FRAMES) != 0;
	cfg.start_ns = b->start_ns;
	cfg.end_ns = b->end_ns;
	cfg.interval_ns = b->interval_ns;
	cfg.now_ns = b->ns0;
	if (mf_plan(&cfg, b->ents, n, b->frames, b->n_frames, b->order, &out) != 0)
		return mf_op_reason(cpl, -EINVAL, "the batch's timing cannot be planned");
	if (out.sorted) {
		budget_free(b->order, (uint64_t)b->total * sizeof(*b->order));
		b->order = NULL;
	}
	b->frames_dropped = out.frames_dropped;
	b->end_tsc = b->end_ns != 0 ? mf_send_ns_to_tsc(b, b->end_ns) : 0;
	/* planned drops are accounted now; the feeder skips them */
	for (i = 0; i < n; i++)
		if (b->ents[i].drop != 0)
			mf_send_ctl_drop(b, (enum mf_send_drop)(b->ents[i].drop - 1), 1);
	mf_send_ctl_drop(b, MF_SEND_DROP_INVALID, b->skipped);
	b->cursor = 0;
	b->state = MF_BATCH_RUNNING;
	for (pp = &mf_snd.running_head; *pp != NULL; pp = &(*pp)->next_running)
		;
	*pp = b;
	return 0;
}

void
mf_send_batch_abort(struct mf_send_batch *b)
{
	__atomic_store_n(&b->aborted, 1, __ATOMIC_RELEASE);
	/* workers drop what their wheels hold of it at their next pass */
	__atomic_fetch_add(&mf_snd.abort_seq, 1, __ATOMIC_RELEASE);
}

static uint64_t
accounted(const struct mf_send_batch *b)
{
	uint64_t sum = 0;
	unsigned int w;

	for (w = 0; w <= mf_snd.n_workers; w++)
		sum += __atomic_load_n(&b->acc[w].accounted, __ATOMIC_ACQUIRE);
	return sum;
}

/* Every run handed to a worker is finished there: with several workers, one may still hold a
 * run (of messages all for the others) after every message is accounted for, and must not
 * read a slot that was freed and reused under it. */
static bool
runs_done(const struct mf_send_batch *b)
{
	unsigned int w;

	for (w = 0; w < mf_snd.n_workers; w++)
		if (__atomic_load_n(&b->acc[w].runs_done, __ATOMIC_ACQUIRE) != b->runs_pub[w])
			return false;
	return true;
}

bool
mf_send_batch_done(const struct mf_send_batch *b)
{
	return (b->state == MF_BATCH_RUNNING || b->state == MF_BATCH_ORPHAN) &&
	       accounted(b) == (uint64_t)b->n_msgs + b->skipped && runs_done(b);
}

uint32_t
mf_send_batch_report(const struct mf_send_batch *b, uint8_t *out, uint32_t room)
{
	uint32_t nf = (b->flags & MF_SEND_FRAMES) ? b->n_frames : 0, need, f, i;
	uint64_t hist[MF_LAT_BUCKETS] = { 0 }, first = UINT64_MAX, last = 0, lat_n = 0, max = 0;
	struct mf_send_report r;
	unsigned int w, k;

	need = (uint32_t)(sizeof(r) + nf * sizeof(struct mf_send_frame_out));
	if (need > room)
		return 0;
	memset(&r, 0, sizeof(r));
	r.batch = b->id;
	r.n_msgs = b->n_msgs + b->skipped;
	for (w = 0; w <= mf_snd.n_workers; w++) {
		const struct mf_send_acc *a = &b->acc[w];

		r.sent += (uint32_t)a->sent;
		r.late += (uint32_t)a->late;
		for (k = 0; k < MF_SEND_DROP_CAPACITY; k++)
			r.drop[k] += (uint32_t)a->drop[k];
		if (a->sent != 0) {
			first = RTE_MIN(first, a->first_tsc);
			last = RTE_MAX(last, a->last_tsc);
		}
		max = RTE_MAX(max, a->late_max);
		lat_n += a->lat_n;
		for (k = 0; k < MF_LAT_BUCKETS; k++)
			hist[k] += a->hist[k];
	}
	if (r.sent != 0) {
		r.first_tx_ns = mf_send_tsc_to_ns(b, first);
		r.last_tx_ns = mf_send_tsc_to_ns(b, last);
	}
	r.late_p50_ns = mf_lat_percentile(hist, lat_n, max, 50);
	r.late_p99_ns = mf_lat_percentile(hist, lat_n, max, 99);
	r.late_max_ns = max;
	r.n_frames = nf;
	for (f = 0; f < nf; f++)
		if (__atomic_load_n(&b->frames[f].state, __ATOMIC_RELAXED) == MF_FST_DROPPED)
			r.frames_dropped++;
	memcpy(out, &r, sizeof(r));
	for (i = 0; i < nf; i++) {
		const struct mf_send_frame *fr = &b->frames[i];
		struct mf_send_frame_out fo;

		fo.frame = fr->id;
		fo.type = fr->type;
		fo.outcome = __atomic_load_n(&fr->state, __ATOMIC_RELAXED) == MF_FST_DROPPED ?
				     MF_FRAME_DROPPED : MF_FRAME_SENT;
		fo.n_msgs = (uint16_t)RTE_MIN(fr->n, (uint32_t)UINT16_MAX);
		memcpy(out + sizeof(r) + i * sizeof(fo), &fo, sizeof(fo));
	}
	return need;
}

void
mf_send_client_gone(unsigned int client)
{
	unsigned int i;

	for (i = 0; i < MF_SEND_MAX_BATCHES; i++) {
		struct mf_send_batch *b = &mf_snd.batch[i];

		if (b->state == MF_BATCH_FREE || b->client != client)
			continue;
		if (b->state == MF_BATCH_OPEN || mf_send_batch_done(b)) {
			mf_send_batch_free(b);
			continue;
		}
		/* in the workers' hands: drop what has not left, free once all is accounted */
		mf_send_batch_abort(b);
		b->state = MF_BATCH_ORPHAN;
	}
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Start/stop and capture, the fast-path half (see diag.h).
 *
 * Capture: one capture at a time, of one port. That port's rx queue is polled by exactly one
 * worker, so the record stream has a single writer. The state word moves
 *
 *   control: IDLE|DONE --arm--> ARMED          worker: ARMED --CAS--> WRITING --> ARMED|DONE
 *   control: ARMED --CAS (cancel or re-arm)--> IDLE
 *
 * so the control lcore never resets the buffer while a worker writes into it: a cancel that
 * meets WRITING retries until the worker has let go (one burst's copy at most). The worker
 * publishes `used` and `captured` with release stores after each record, so FETCH may read
 * the records before `used` while the capture still runs.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_pause.h>

#include "counters.h"
#include "diag.h"

#define CAP_WRITING 0xffu /* internal: a worker is appending (never shown to clients) */

uint32_t mf_diag_flags;

static struct {
	uint8_t state;        /* enum mf_capture_state, or CAP_WRITING */
	uint8_t full;
	uint16_t port;
	uint32_t count;
	uint32_t snaplen;
	uint32_t captured;    /* release-stored by the worker */
	uint32_t used;        /* release-stored by the worker */
	uint64_t armed_ns;
	uint8_t buf[MF_CAPTURE_BUF_SIZE] __rte_cache_aligned;
} cap;

static struct {
	uint64_t changed_ns;
} run;

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Append what the capture still wants from this burst. Runs on the worker owning `port`. */
static void
capture_burst(uint16_t port, struct rte_mbuf **pkts, uint16_t nb)
{
	uint8_t expect = MF_CAPTURE_ARMED;
	uint32_t used, captured;
	uint64_t now;
	uint16_t i;

	if (__atomic_load_n(&cap.port, __ATOMIC_RELAXED) != port ||
	    !__atomic_compare_exchange_n(&cap.state, &expect, CAP_WRITING, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (cap.port != port) { /* re-armed for another port since the first look */
		__atomic_store_n(&cap.state, MF_CAPTURE_ARMED, __ATOMIC_RELEASE);
		return;
	}
	used = cap.used;
	captured = cap.captured;
	now = clock_ns(CLOCK_REALTIME); /* vDSO, no syscall; only while a capture is armed */
	for (i = 0; i < nb && captured < cap.count; i++) {
		struct mf_capture_rec rec;
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
		uint32_t keep = RTE_MIN(len, cap.snaplen);
		uint32_t size = (uint32_t)RTE_ALIGN_CEIL(sizeof(rec) + keep, 8);
		const void *data;

		if (used + size > MF_CAPTURE_BUF_SIZE) {
			cap.full = 1;
			break;
		}
		rec.ts_ns = now;
		rec.orig_len = len;
		rec.cap_len = keep;
		memcpy(cap.buf + used, &rec, sizeof(rec));
		data = rte_pktmbuf_read(pkts[i], 0, keep, cap.buf + used + sizeof(rec));
		if (data != NULL && data != cap.buf + used + sizeof(rec))
			memcpy(cap.buf + used + sizeof(rec), data, keep);
		memset(cap.buf + used + sizeof(rec) + keep, 0, size - sizeof(rec) - keep);
		used += size;
		captured++;
	}
	__atomic_store_n(&cap.used, used, __ATOMIC_RELEASE);
	__atomic_store_n(&cap.captured, captured, __ATOMIC_RELEASE);
	if (captured >= cap.count || cap.full) {
		__atomic_fetch_and(&mf_diag_flags, ~MF_DIAG_CAPTURE, __ATOMIC_RELAXED);
		__atomic_store_n(&cap.state, MF_CAPTURE_DONE, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&cap.state, MF_CAPTURE_ARMED, __ATOMIC_RELEASE);
	}
}

bool
mf_diag_rx_burst(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t nb)
{
	uint32_t flags = __atomic_load_n(&mf_diag_flags, __ATOMIC_ACQUIRE);

	if (flags & MF_DIAG_CAPTURE)
		capture_burst(port, pkts, nb);
	if (flags & MF_DIAG_STOPPED) {
		rte_pktmbuf_free_bulk(pkts, nb);
		mf_cnt_add(&w->cnt[port][MF_CNT_DROP_STOPPED], nb);
		return true;
	}
	if (flags & MF_DIAG_TRACE)
		return mf_diag_trace_burst(w, port, pkts, nb);
	return false;
}

int
mf_diag_fwd_run(uint8_t r, struct mf_fwd_run_info *info)
{
	uint32_t flags = __atomic_load_n(&mf_diag_flags, __ATOMIC_RELAXED);

	if (r > MF_FWD_RUN_QUERY)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->was_running = !(flags & MF_DIAG_STOPPED);
	if (r == MF_FWD_RUN_STOP && info->was_running) {
		__atomic_fetch_or(&mf_diag_flags, MF_DIAG_STOPPED, __ATOMIC_RELEASE);
		run.changed_ns = clock_ns(CLOCK_MONOTONIC);
	} else if (r == MF_FWD_RUN_START && !info->was_running) {
		__atomic_fetch_and(&mf_diag_flags, ~MF_DIAG_STOPPED, __ATOMIC_RELEASE);
		run.changed_ns = clock_ns(CLOCK_MONOTONIC);
	}
	info->running = !(__atomic_load_n(&mf_diag_flags, __ATOMIC_RELAXED) & MF_DIAG_STOPPED);
	info->changed_ns = run.changed_ns;
	return 0;
}

static void
capture_info(struct mf_capture_info *info)
{
	uint8_t st = __atomic_load_n(&cap.state, __ATOMIC_ACQUIRE);

	memset(info, 0, sizeof(*info));
	info->state = st == CAP_WRITING ? MF_CAPTURE_ARMED : st;
	info->full = cap.full;
	info->port = cap.port;
	info->count = cap.count;
	info->snaplen = cap.snaplen;
	info->captured = __atomic_load_n(&cap.captured, __ATOMIC_ACQUIRE);
	info->used = __atomic_load_n(&cap.used, __ATOMIC_ACQUIRE);
	info->armed_ns = cap.armed_ns;
}

/* Take the capture away from the workers: afterwards none touches the buffer. */
static void
capture_quiesce(void)
{
	unsigned int spins;

	__atomic_fetch_and(&mf_diag_flags, ~MF_DIAG_CAPTURE, __ATOMIC_RELAXED);
	for (spins = 0; spins < 100000000u; spins++) {
		uint8_t st = __atomic_load_n(&cap.state, __ATOMIC_ACQUIRE);

		if (st != CAP_WRITING &&
		    __atomic_compare_exchange_n(&cap.state, &st, MF_CAPTURE_IDLE, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		rte_pause();
	}
}

int
mf_diag_capture_arm(uint16_t port, uint32_t count, uint32_t snaplen,
		    struct mf_capture_info *info)
{
	capture_quiesce();
	if (count > 0) {
		cap.port = port;
		cap.count = count;
		cap.snaplen = snaplen;
		cap.full = 0;
		__atomic_store_n(&cap.captured, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&cap.used, 0, __ATOMIC_RELAXED);
		cap.armed_ns = clock_ns(CLOCK_MONOTONIC);
		__atomic_store_n(&cap.state, MF_CAPTURE_ARMED, __ATOMIC_RELEASE);
		__atomic_fetch_or(&mf_diag_flags, MF_DIAG_CAPTURE, __ATOMIC_RELEASE);
	}
	capture_info(info);
	return 0;
}

void
mf_diag_capture_fetch(uint32_t offset, void *out, uint32_t max, struct mf_capture_info *info)
{
	uint32_t n = 0;

	capture_info(info);
	if (offset < info->used)
		n = RTE_MIN(info->used - offset, max);
	/* Bytes before `used` are final: the single writer only appends after them. */
	if (n > 0)
		memcpy(out, cap.buf + offset, n);
	info->offset = offset;
	info->chunk_len = n;
}

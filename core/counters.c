/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Counter folding and the stats seqlock; see counters.h.
 */
#include "counters.h"

void
mf_cnt_fold(const uint64_t *raw, uint64_t *base, uint64_t *out, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++) {
		if (raw[k] < base[k])
			base[k] = 0;
		out[k] = raw[k] - base[k];
	}
}

void
mf_cnt_clear(const uint64_t *raw, uint64_t *base, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		base[k] = raw[k];
}

void
mf_stats_write_begin(struct mf_stats *s)
{
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

	/* Odd: readers retry. The fence keeps the body's stores after this one (a release
	 * store alone orders only what comes before it). */
	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

void
mf_stats_write_end(struct mf_stats *s)
{
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELEASE);
}

void
mf_stats_store_port(struct mf_stats *s, unsigned int port, const uint64_t *c, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n && k < MF_CNT_CAPACITY; k++)
		__atomic_store_n(&s->port[port].c[k], c[k], __ATOMIC_RELAXED);
}

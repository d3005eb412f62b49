/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Lateness histograms: see lateness.h.
 */
#include "lateness.h"

void
mf_lat_add(struct mf_lateness *l, uint64_t ns)
{
	/* single writer: relaxed stores let the control lcore read without tearing */
	__atomic_store_n(&l->count, l->count + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&l->sum_ns, l->sum_ns + ns, __ATOMIC_RELAXED);
	if (ns > l->max_ns)
		__atomic_store_n(&l->max_ns, ns, __ATOMIC_RELAXED);
	__atomic_store_n(&l->bucket[mf_lat_bucket(ns)], l->bucket[mf_lat_bucket(ns)] + 1,
			 __ATOMIC_RELAXED);
}

uint64_t
mf_lat_percentile(const uint64_t *bucket, uint64_t count, uint64_t max, unsigned int pct)
{
	uint64_t rank, seen = 0, upper;
	unsigned int b;

	if (count == 0)
		return 0;
	/* the smallest value with at least pct % of the values at or below it */
	rank = (count * pct + 99) / 100;
	if (rank == 0)
		rank = 1;
	for (b = 0; b < MF_LAT_BUCKETS; b++) {
		seen += bucket[b];
		if (seen >= rank)
			break;
	}
	if (b == 0)
		return 0;
	upper = b >= 64 ? UINT64_MAX : (((uint64_t)1 << b) - 1);
	return upper < max ? upper : max;
}

void
mf_lat_merge(struct mf_lateness *dst, const struct mf_lateness *src)
{
	unsigned int b;
	uint64_t max = __atomic_load_n(&src->max_ns, __ATOMIC_RELAXED);

	dst->count += __atomic_load_n(&src->count, __ATOMIC_RELAXED);
	dst->sum_ns += __atomic_load_n(&src->sum_ns, __ATOMIC_RELAXED);
	if (max > dst->max_ns)
		dst->max_ns = max;
	for (b = 0; b < MF_LAT_BUCKETS; b++)
		dst->bucket[b] += __atomic_load_n(&src->bucket[b], __ATOMIC_RELAXED);
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Lateness histograms (DPDK-free, unit tested): log2 buckets as struct mf_lateness describes
 * them (bucket 0: on time; bucket b >= 1: [2^(b-1), 2^b) ns), used both per transmitting lcore
 * (the stats) and per batch (its report's p50/p99).
 */
#ifndef MF_SEND_LATENESS_H
#define MF_SEND_LATENESS_H

#include <stdint.h>

#include "manifold_abi.h"

static inline unsigned int
mf_lat_bucket(uint64_t ns)
{
	unsigned int b;

	if (ns == 0)
		return 0;
	b = 64u - (unsigned int)__builtin_clzll(ns);
	return b < MF_LAT_BUCKETS ? b : MF_LAT_BUCKETS - 1;
}

/* One departure `ns` late into l (its own lcore only: plain stores, read relaxed). */
void mf_lat_add(struct mf_lateness *l, uint64_t ns);

/* The pct-th percentile (1..100) of a histogram of `count` values: the upper end of the
 * bucket holding that rank, never more than `max`. 0 when count is 0. */
uint64_t mf_lat_percentile(const uint64_t *bucket, uint64_t count, uint64_t max,
			   unsigned int pct);

/* Add src into dst (the sum over lcores). */
void mf_lat_merge(struct mf_lateness *dst, const struct mf_lateness *src);

#endif /* MF_SEND_LATENESS_H */

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Counter arithmetic, free of DPDK so the unit test checks it.
 *
 * Workers own their counters: only the worker writes them, plainly; the control lcore reads
 * them with relaxed atomic loads and sums them. A "clear" never writes a worker's counter: it
 * records the current raw total as a baseline, and every later fold publishes raw - baseline.
 * NIC counters (rte_eth_stats) get the same treatment.
 */
#ifndef MF_COUNTERS_H
#define MF_COUNTERS_H

#include <stdint.h>

#include "manifold_abi.h"

/* Owner-side add. A relaxed atomic store of a plain sum is an ordinary store on x86 and
 * arm64 (no lock prefix, no RMW); it only tells the compiler another thread reads it. */
static inline void
mf_cnt_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static inline uint64_t
mf_cnt_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* out[k] = raw[k] - base[k]. A raw value below its baseline means the source restarted (a
 * NIC reset its counters): the baseline is dropped and the raw value counts from there. */
void mf_cnt_fold(const uint64_t *raw, uint64_t *base, uint64_t *out, unsigned int n);

/* Make the current raw values the new zero. */
void mf_cnt_clear(const uint64_t *raw, uint64_t *base, unsigned int n);

/* Seqlock writer around an update of struct mf_stats: seq is odd in between. */
void mf_stats_write_begin(struct mf_stats *s);
void mf_stats_write_end(struct mf_stats *s);

/* Relaxed stores of each word, for the body of a seqlocked update. */
void mf_stats_store_port(struct mf_stats *s, unsigned int port, const uint64_t *c,
			 unsigned int n);

#endif /* MF_COUNTERS_H */

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Stats: fold the workers' counters and the NIC counters into the segment's struct mf_stats
 * (seqlocked), clear by baseline, print the final report.
 */
#ifndef MF_STATS_H
#define MF_STATS_H

#include <stdint.h>

#include "core.h"

/* Sum, subtract baselines, publish. Control lcore only. */
void mf_stats_fold(struct mf_core *core);

/* Make port's (or every port's, MF_PORT_ALL) current totals the new zero, then fold. */
void mf_stats_clear(struct mf_core *core, uint16_t port);

/* testpmd-style forward statistics at exit, from the last fold. */
void mf_stats_print_final(const struct mf_core *core);

#endif /* MF_STATS_H */

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * manifold's commands for DPDK telemetry (dpdk-telemetry.py -f manifold-<name>): /manifold/...
 *
 * Telemetry callbacks run on DPDK's telemetry thread, not on the control lcore. They read only
 * what is safe from another thread: the stats region (seqlock, mf_telemetry_stats), the
 * forward words (atomic), and what is fixed once the core runs (names, drivers, lcores).
 * Other families add commands in files of their own (e.g. /manifold/policies,
 * /manifold/neigh): register them with rte_telemetry_register_cmd from an RTE_INIT
 * constructor, and wrap each callback's body in mf_telemetry_begin()/mf_telemetry_end().
 */
#ifndef MF_TELEMETRY_H
#define MF_TELEMETRY_H

#include <stdbool.h>

#include "core.h"

/* Called by main.c once the core is RUNNING (callbacks answer from then on), and before the
 * segment goes away (callbacks then answer -EAGAIN; it waits for those running). */
void mf_telemetry_ready(void);
void mf_telemetry_gone(void);

/* For a callback: true (and a read lock held until mf_telemetry_end) while the core serves;
 * false when it is starting or stopping: return -EAGAIN then, without calling end. */
bool mf_telemetry_begin(void);
void mf_telemetry_end(void);

/* A consistent copy of the stats region (seqlock read; between begin and end only). 0, or
 * -EAGAIN if the control lcore kept writing. */
int mf_telemetry_stats(struct mf_stats *out);

#endif /* MF_TELEMETRY_H */

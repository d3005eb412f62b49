/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DPDK's tools against a running core: telemetry commands, pdump (see diag_tools.c).
 */
#ifndef MF_DIAG_TOOLS_H
#define MF_DIAG_TOOLS_H

#include "core.h"

/* Once the core is RUNNING: rte_pdump_init on hugepages, telemetry callbacks answer. */
void mf_diag_tools_init(struct mf_core *core);

/* Before ports close and the segment goes away. */
void mf_diag_tools_fini(struct mf_core *core);

#endif /* MF_DIAG_TOOLS_H */

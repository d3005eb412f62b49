/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What lets DPDK's own tools work against a running core, as against testpmd:
 *
 *   dpdk-telemetry.py -f manifold-NAME   /manifold/... commands (telemetry.c) and DPDK's own
 *   dpdk-dumpcap / dpdk-pdump            rte_pdump_init: secondaries capture from our ports
 *   dpdk-proc-info                       a secondary reading our ports' stats
 *
 * The last two are secondary processes: they need the primary's shared configuration, which
 * exists only on hugepages. With --huge off the core runs --no-shconf, so they cannot attach;
 * rte_pdump_init is then not called (it would fail: no multi-process channel).
 */
#include <stdio.h>

#include <rte_errno.h>
#include <rte_pdump.h>

#include "diag_tools.h"
#include "telemetry.h"

static bool pdump_on;

void
mf_diag_tools_init(struct mf_core *core)
{
	if (core->hugepages) {
		if (rte_pdump_init() == 0)
			pdump_on = true;
		else
			printf("manifold-core: warning: rte_pdump_init failed (%s); dpdk-dumpcap "
			       "cannot capture from this core\n", rte_strerror(rte_errno));
	}
	mf_telemetry_ready();
}

void
mf_diag_tools_fini(struct mf_core *core __rte_unused)
{
	mf_telemetry_gone();
	if (pdump_on)
		rte_pdump_uninit();
	pdump_on = false;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * /manifold/neigh[,<port>]: the neighbour cache, for dpdk-telemetry.py. Runs on DPDK's
 * telemetry thread: it reads the entries through their per-entry seqlock, exactly as the
 * control lcore's NEIGH_LIST does while workers write them (mf_neigh_snapshot), and the
 * per-port tables are fixed once the core serves (mf_telemetry_begin). One string per
 * neighbour, "<port> <ip> <state> <mac> queued <n> age_ms <n> probes <n>"; at most
 * TEL_NEIGH_MAX (the reply holds 16 KiB), then "(<n> more)".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "../telemetry.h"
#include "stack_priv.h"

#define TEL_NEIGH_MAX 64

static const char *const state_name[] = { "free", "incomplete", "reachable", "stale", "failed" };

/* A port index or name; n_ports if none. */
static unsigned int
port_param(const char *params)
{
	unsigned int p;
	char *end;
	long v = strtol(params, &end, 10);

	if (*end == '\0')
		return v >= 0 && v < (long)mf_stk.n_ports ? (unsigned int)v : mf_stk.n_ports;
	for (p = 0; p < mf_stk.n_ports; p++)
		if (strcmp(mf_core.cfg.port[p].name, params) == 0)
			return p;
	return mf_stk.n_ports;
}

static int
tel_neigh(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	unsigned int p, n = 0, first = 0, last, i, shown;
	struct mf_neigh_info *all;
	uint64_t now = rte_rdtsc();
	int rc = 0;

	if (!mf_telemetry_begin())
		return -EAGAIN;
	last = mf_stk.n_ports;
	if (params != NULL && *params != '\0') {
		p = port_param(params);
		if (p >= mf_stk.n_ports) {
			mf_telemetry_end();
			return -EINVAL; /* telemetry answers {"/manifold/neigh": null} */
		}
		first = p;
		last = p + 1;
	}
	all = calloc(MF_NEIGH_SLOTS * MF_MAX_PORTS, sizeof(*all));
	if (all == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (p = first; p < last; p++)
		if (mf_stk.port[p] != NULL)
			n += mf_neigh_snapshot((uint16_t)p, all + n, MF_NEIGH_SLOTS, now);
	/* One string per entry, in an array: DPDK's dict names may not hold an address's dots,
	 * and 22.11 nests no dicts. */
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	shown = RTE_MIN(n, (unsigned int)TEL_NEIGH_MAX);
	for (i = 0; i < shown; i++) {
		const struct mf_neigh_info *e = &all[i];
		char val[RTE_TEL_MAX_STRING_LEN];

		snprintf(val, sizeof(val), "%s %u.%u.%u.%u %s %02x:%02x:%02x:%02x:%02x:%02x queued "
			 "%u age_ms %u probes %u", mf_core.cfg.port[e->port].name, e->ip >> 24,
			 (e->ip >> 16) & 255, (e->ip >> 8) & 255, e->ip & 255,
			 e->state < RTE_DIM(state_name) ? state_name[e->state] : "unknown",
			 e->mac[0], e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5],
			 e->queued, e->age_ms, e->probes);
		rte_tel_data_add_array_string(d, val);
	}
	if (n > shown) {
		char more[48];

		snprintf(more, sizeof(more), "(%u more)", n - shown);
		rte_tel_data_add_array_string(d, more);
	}
out:
	free(all);
	mf_telemetry_end();
	return rc;
}

RTE_INIT(mf_telemetry_neigh_register)
{
	rte_telemetry_register_cmd("/manifold/neigh", tel_neigh,
		"manifold neighbour cache: port ip state mac queued age_ms probes. "
		"Parameters: port (optional)");
}

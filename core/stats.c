/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Stats folding. Workers own their counters (plain per-lcore arrays, no atomics on the fast
 * path); only the control lcore reads them, sums them per port, adds the NIC's rte_eth_stats,
 * subtracts the baselines of MF_OP_STATS_CLEAR and publishes the result under the seqlock.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "counters.h"
#include "stats.h"

#define MF_CNT_HELP(e, name, help) [MF_CNT_##e] = help,
static const char *const cnt_help[MF_CNT_MAX] = { MF_PORT_COUNTERS(MF_CNT_HELP) };
#undef MF_CNT_HELP
#define MF_CNT_NAME(e, name, help) [MF_CNT_##e] = name,
static const char *const cnt_name[MF_CNT_MAX] = { MF_PORT_COUNTERS(MF_CNT_NAME) };
#undef MF_CNT_NAME

/* Current totals of port p since start: NIC counters plus the sum over workers. */
static void
stats_raw(const struct mf_core *core, unsigned int p, uint64_t raw[MF_CNT_MAX])
{
	struct rte_eth_stats es;
	unsigned int w, k;

	memset(raw, 0, sizeof(raw[0]) * MF_CNT_MAX);
	if (core->port[p].started && rte_eth_stats_get(core->port[p].dpdk_id, &es) == 0) {
		raw[MF_CNT_RX_PACKETS] = es.ipackets;
		raw[MF_CNT_RX_BYTES] = es.ibytes;
		raw[MF_CNT_TX_PACKETS] = es.opackets;
		raw[MF_CNT_TX_BYTES] = es.obytes;
		raw[MF_CNT_RX_MISSED] = es.imissed;
		raw[MF_CNT_RX_ERRORS] = es.ierrors;
		raw[MF_CNT_TX_ERRORS] = es.oerrors;
		raw[MF_CNT_RX_NOMBUF] = es.rx_nombuf;
	}
	for (w = 0; w < core->n_workers; w++)
		for (k = MF_CNT_FWD_IN; k < MF_CNT_MAX; k++)
			raw[k] += mf_cnt_read(&core->worker[w]->cnt[p][k]);
}

static void
lcore_from_worker(struct mf_lcore_stats *ls, const struct mf_worker *w)
{
	ls->busy_cycles = mf_cnt_read(&w->busy_cycles);
	ls->total_cycles = mf_cnt_read(&w->total_cycles);
	ls->packets = mf_cnt_read(&w->packets);
	ls->polls = mf_cnt_read(&w->polls);
	ls->idle_sleeps = mf_cnt_read(&w->idle_sleeps);
}

/* lcore index 0 is the main lcore; worker j runs on lcore index j + 1, or on the main lcore
 * when it is the only one. */
static void
stats_lcores(const struct mf_core *core, struct mf_lcore_stats *ls, unsigned int n)
{
	unsigned int i;

	memset(ls, 0, sizeof(*ls) * n);
	for (i = 0; i < n; i++) {
		ls[i].lcore_id = core->cfg.lcore_ids[i];
		ls[i].role = MF_LCORE_UNUSED;
	}
	if (core->single_lcore && core->n_workers == 1) {
		ls[0].role = MF_LCORE_BOTH;
		lcore_from_worker(&ls[0], core->worker[0]);
		return;
	}
	ls[0].role = MF_LCORE_CONTROL;
	ls[0].busy_cycles = core->ctl.busy_cycles;
	ls[0].total_cycles = core->ctl.total_cycles;
	ls[0].polls = core->ctl.polls;
	ls[0].idle_sleeps = core->ctl.idle_sleeps;
	for (i = 0; i < core->n_workers && i + 1 < n; i++) {
		ls[i + 1].role = MF_LCORE_WORKER;
		lcore_from_worker(&ls[i + 1], core->worker[i]);
	}
}

void
mf_stats_fold(struct mf_core *core)
{
	struct mf_stats *s = core->seg.stats;
	struct mf_lcore_stats ls[MF_MAX_LCORES];
	uint64_t raw[MF_CNT_MAX];
	unsigned int p, i, n_lcores = core->cfg.n_lcores;

	for (p = 0; p < core->n_ports; p++) {
		stats_raw(core, p, raw);
		mf_cnt_fold(raw, core->base[p], core->folded[p], MF_CNT_MAX);
	}
	stats_lcores(core, ls, n_lcores);

	mf_stats_write_begin(s);
	__atomic_store_n(&s->n_ports, core->n_ports, __ATOMIC_RELAXED);
	__atomic_store_n(&s->n_lcores, n_lcores, __ATOMIC_RELAXED);
	__atomic_store_n(&s->n_counters, (uint32_t)MF_CNT_MAX, __ATOMIC_RELAXED);
	__atomic_store_n(&s->updated_ns, mf_now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&s->tsc_hz, core->tsc_hz, __ATOMIC_RELAXED);
	for (p = 0; p < core->n_ports; p++)
		mf_stats_store_port(s, p, core->folded[p], MF_CNT_MAX);
	for (i = 0; i < n_lcores; i++) {
		struct mf_lcore_stats *d = &s->lcore[i];

		__atomic_store_n(&d->lcore_id, ls[i].lcore_id, __ATOMIC_RELAXED);
		__atomic_store_n(&d->role, ls[i].role, __ATOMIC_RELAXED);
		__atomic_store_n(&d->busy_cycles, ls[i].busy_cycles, __ATOMIC_RELAXED);
		__atomic_store_n(&d->total_cycles, ls[i].total_cycles, __ATOMIC_RELAXED);
		__atomic_store_n(&d->packets, ls[i].packets, __ATOMIC_RELAXED);
		__atomic_store_n(&d->polls, ls[i].polls, __ATOMIC_RELAXED);
		__atomic_store_n(&d->idle_sleeps, ls[i].idle_sleeps, __ATOMIC_RELAXED);
	}
	mf_stats_write_end(s);
}

void
mf_stats_clear(struct mf_core *core, uint16_t port)
{
	uint64_t raw[MF_CNT_MAX];
	unsigned int p;

	for (p = 0; p < core->n_ports; p++) {
		if (port != MF_PORT_ALL && p != port)
			continue;
		stats_raw(core, p, raw);
		mf_cnt_clear(raw, core->base[p], MF_CNT_MAX);
	}
	mf_stats_fold(core);
}

static void
print_block(const char *rx_tx_fmt_head, uint64_t rx, uint64_t rx_drop, uint64_t tx,
	    uint64_t tx_drop)
{
	printf("%s", rx_tx_fmt_head);
	printf("  RX-packets: %-14" PRIu64 " RX-dropped: %-14" PRIu64 "RX-total: %-" PRIu64 "\n",
	       rx, rx_drop, rx + rx_drop);
	printf("  TX-packets: %-14" PRIu64 " TX-dropped: %-14" PRIu64 "TX-total: %-" PRIu64 "\n",
	       tx, tx_drop, tx + tx_drop);
}

void
mf_stats_print_final(const struct mf_core *core)
{
	static const char border[] = "----------------------";
	static const char acc[] = "+++++++++++++++";
	uint64_t rx = 0, rx_drop = 0, tx = 0, tx_drop = 0;
	char head[160];
	unsigned int p, k;

	for (p = 0; p < core->n_ports; p++) {
		const uint64_t *c = core->folded[p];

		snprintf(head, sizeof(head), "\n  %s Forward statistics for port %-2u %s\n",
			 border, p, border);
		print_block(head, c[MF_CNT_RX_PACKETS], c[MF_CNT_RX_MISSED], c[MF_CNT_TX_PACKETS],
			    c[MF_CNT_DROP_TX_FULL]);
		if (c[MF_CNT_RX_ERRORS] + c[MF_CNT_RX_NOMBUF] > 0) {
			printf("  RX-error: %-" PRIu64 "\n", c[MF_CNT_RX_ERRORS]);
			printf("  RX-nombufs: %-14" PRIu64 "\n", c[MF_CNT_RX_NOMBUF]);
		}
		for (k = MF_CNT_DROP_TX_FULL; k < MF_CNT_MAX; k++)
			if (c[k] != 0)
				printf("  %s: %" PRIu64 " (%s)\n", cnt_name[k], c[k], cnt_help[k]);
		printf("  %s--------------------------------%s\n", border, border);
		rx += c[MF_CNT_RX_PACKETS];
		rx_drop += c[MF_CNT_RX_MISSED];
		tx += c[MF_CNT_TX_PACKETS];
		tx_drop += c[MF_CNT_DROP_TX_FULL];
	}
	snprintf(head, sizeof(head), "\n  %s Accumulated forward statistics for all ports%s\n",
		 acc, acc);
	print_block(head, rx, rx_drop, tx, tx_drop);
	printf("  %s++++++++++++++++++++++++++++++++++++++++++++++%s\n", acc, acc);
	fflush(stdout);
}

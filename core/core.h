/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The state of one manifold-core process, shared by its files. Only main.c creates it; the
 * fast path touches just struct mf_worker and struct mf_fwd_table (fwd.h).
 */
#ifndef MF_CORE_H
#define MF_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mempool.h>

#include "args.h"
#include "manifold_abi.h"
#include "segment.h"

/* A worker lcore's state. Written only by its own lcore (the control lcore reads the counters
 * and stats with relaxed loads), so each sits on cache lines of its own. */
struct mf_worker {
	unsigned int lcore_id;
	uint16_t txq;                          /* this worker's tx queue on every port */
	uint16_t n_rx;                         /* ports whose rx queue 0 it polls */
	uint16_t rx_port[MF_MAX_PORTS];        /* manifold port index */
	uint16_t rx_dpdk[MF_MAX_PORTS];        /* DPDK port id */
	uint16_t rx_want[MF_MAX_PORTS];        /* the next rx burst's size (worker.c: rx_want) */
	bool rx_bound[MF_MAX_PORTS];           /* rx bursts bounded by bytes (a software device) */
	uint16_t burst;
	bool backoff;
	bool sched_fifo;                       /* --worker-sched fifo */
	uint32_t chores_skipped;               /* loops since the chores last ran (worker.c) */
	uint32_t packets_pending;              /* their packets, counted when the chores run */

	/* idle back-off */
	uint32_t idle_polls;
	uint32_t sleep_ns;

	/* lcore stats (struct mf_lcore_stats terms) */
	uint64_t start_tsc;
	uint64_t last_tsc;
	uint64_t busy_cycles;
	uint64_t total_cycles;
	uint64_t packets;
	uint64_t polls;
	uint64_t idle_sleeps;

	uint64_t cnt[MF_MAX_PORTS][MF_CNT_MAX] __rte_cache_aligned;
} __rte_cache_aligned;

/* Control lcore's own counters, in the same terms. */
struct mf_control_stats {
	uint64_t start_tsc;
	uint64_t busy_cycles;
	uint64_t total_cycles;
	uint64_t polls;
	uint64_t idle_sleeps;
};

struct mf_port {
	char driver[MF_NAME_LEN];
	uint16_t dpdk_id;
	int socket;
	unsigned int worker;                   /* index of the worker polling its rx queue */
	struct rte_ether_addr mac;
	uint16_t mtu;
	bool started;
	bool rx_scatter;                       /* frames past one mbuf arrive as chains */
	/* A device on the vdev bus (pcap, tap, af_packet, ring, null, ...) has no DMA: its rx
	 * routine copies (or hands over) frames a CPU wrote, usually this lcore within the
	 * burst, so they sit in cache; a PCI device's arrive by DMA, and prefetching their
	 * headers ahead pays. A heuristic: zero-copy vdevs (af_xdp, memif) are CPU-written
	 * elsewhere. */
	bool rx_cpu_written;
};

struct mf_core {
	struct mf_config cfg;                  /* ports' fwd fields follow MF_OP_FWD_SET */
	struct mf_segment seg;
	bool hugepages;
	uint64_t tsc_hz;

	unsigned int n_ports;
	struct mf_port port[MF_MAX_PORTS];
	struct rte_mempool *pool[RTE_MAX_NUMA_NODES];

	unsigned int n_workers;                /* workers that poll at least one port */
	bool single_lcore;                     /* main lcore is the only worker */
	struct mf_worker *worker[MF_MAX_LCORES];
	struct mf_control_stats ctl;

	/* Baselines for MF_OP_STATS_CLEAR, and the last fold (what the segment shows). */
	uint64_t base[MF_MAX_PORTS][MF_CNT_MAX];
	uint64_t folded[MF_MAX_PORTS][MF_CNT_MAX];
};

extern struct mf_core mf_core;

/* Set by SIGINT/SIGTERM and MF_OP_SHUTDOWN; every loop checks it. */
extern volatile bool mf_force_quit;

#endif /* MF_CORE_H */

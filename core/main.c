/* SPDX-License-Identifier: BSD-3-Clause
 *
 * manifold-core: the DPDK dataplane of manifold, one primary process per instance name.
 *
 *   parse options -> hugepages? -> control segment (STARTING) -> EAL -> ports -> workers
 *   -> RUNNING, "ready" line -> control loop -> (signal or MF_OP_SHUTDOWN) -> STOPPING
 *   -> workers join -> final stats -> ports closed -> segment removed -> EAL cleanup -> exit 0
 *
 * Exit codes: 0 after a clean stop, 2 for bad arguments, 1 for anything else that fails.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "args.h"
#include "control.h"
#include "diag_tools.h"
#include "core.h"
#include "eal_args.h"
#include "fwd.h"
#include "huge.h"
#include "policy/policy.h"
#include "port.h"
#include "reasm.h"
#include "segment.h"
#include "send/send.h"
#include "stack/stack.h"
#include "stats.h"
#include "worker.h"

#define MF_SINGLE_CTL_US 100 /* single lcore: serve the control segment this often */

struct mf_core mf_core;
volatile bool mf_force_quit;

static volatile sig_atomic_t signal_seen;
static struct mf_worker workers[MF_MAX_LCORES];
static struct mf_eal_args eal;
static char runtime_dir[PATH_MAX];
static char huge_dir[PATH_MAX];

static void
signal_handler(int signum)
{
	signal_seen = signum;
	mf_force_quit = true;
}

/* Remove the entries of `dir` whose names start with `prefix` ("" for all). */
static void
dir_unlink(const char *dir, const char *prefix)
{
	char path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

/* EAL leaves its runtime directory (config, sockets) and, on hugepages, its page files
 * (<hugetlbfs>/manifold-NAMEmap_N) behind. After rte_eal_cleanup none is in use: remove
 * them. Runs from atexit, on every way out after EAL init. (After a SIGKILL, the next EAL
 * with the same file prefix clears the page files itself.) */
static void
eal_leftovers_remove(void)
{
	char prefix[MF_INSTANCE_NAME_MAX + 32];

	if (runtime_dir[0] != '\0') {
		dir_unlink(runtime_dir, "");
		rmdir(runtime_dir);
	}
	if (huge_dir[0] != '\0') {
		snprintf(prefix, sizeof(prefix), "manifold-%smap_", mf_core.cfg.name);
		dir_unlink(huge_dir, prefix);
	}
}

/* Workers: every lcore but the main one, or the main one alone; never more than ports (an
 * lcore without a port to poll stays idle). Port p is polled by worker p % n_workers. */
static void
workers_plan(struct mf_core *core)
{
	const struct mf_config *cfg = &core->cfg;
	unsigned int n_lcores = cfg->n_lcores, j, p;

	core->single_lcore = n_lcores == 1;
	core->n_workers = RTE_MIN(core->single_lcore ? 1 : n_lcores - 1, core->n_ports);
	for (j = 0; j < core->n_workers; j++) {
		struct mf_worker *w = &workers[j];

		memset(w, 0, sizeof(*w));
		w->lcore_id = cfg->lcore_ids[core->single_lcore ? 0 : j + 1];
		w->txq = (uint16_t)j;
		w->burst = (uint16_t)cfg->burst;
		w->backoff = cfg->backoff;
		w->sched_fifo = cfg->worker_fifo;
		core->worker[j] = w;
	}
	for (p = 0; p < core->n_ports; p++) {
		struct mf_worker *w = core->worker[p % core->n_workers];

		core->port[p].worker = p % core->n_workers;
		w->rx_want[w->n_rx] = w->burst;
		w->rx_port[w->n_rx++] = (uint16_t)p;
	}
}

static void
workers_describe(const struct mf_core *core)
{
	unsigned int j, i;

	for (j = 0; j < core->n_workers; j++) {
		const struct mf_worker *w = core->worker[j];

		printf("manifold-core: lcore %u polls", w->lcore_id);
		for (i = 0; i < w->n_rx; i++)
			printf(" %s", core->cfg.port[w->rx_port[i]].name);
		printf(" (tx queue %u on every port)\n", w->txq);
	}
	for (j = 1 + core->n_workers; j < core->cfg.n_lcores && !core->single_lcore; j++)
		printf("manifold-core: lcore %u has no port to poll; it stays idle\n",
		       core->cfg.lcore_ids[j]);
}

/* Single lcore: the main lcore runs the worker loop and serves the control segment every
 * MF_SINGLE_CTL_US of TSC (the worker's back-off never sleeps longer than that). */
static void
run_single_lcore(struct mf_core *core)
{
	struct mf_worker *w = core->worker[0];
	uint64_t period = core->tsc_hz * MF_SINGLE_CTL_US / 1000000, next = 0, now;

	mf_worker_begin(w);
	while (!mf_force_quit) {
		mf_worker_poll(w);
		now = rte_rdtsc();
		if (now >= next) {
			mf_control_poll(core);
			next = now + period;
		}
	}
	mf_policy_worker_stop(w);
}

int
main(int argc, char **argv)
{
	struct mf_core *core = &mf_core;
	struct mf_huge_env henv;
	char err[MF_ERR_LEN + 256], why[512];
	long n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int j;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = mf_args_parse(&core->cfg, argc, argv, n_cpus > 0 ? (unsigned int)n_cpus : 1,
			   err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "manifold-core: error: %s\n", err);
		return 2;
	}
	if (core->cfg.help) {
		mf_args_usage(stdout);
		return 0;
	}
	core->n_ports = core->cfg.n_ports;

	mf_huge_probe(&henv);
	rc = mf_huge_decide(core->cfg.huge, core->cfg.mem_mb, &henv, why, sizeof(why));
	if (rc < 0) {
		fprintf(stderr, "manifold-core: error: %s\n", why);
		return 1;
	}
	core->hugepages = rc == 1;
	if (core->hugepages)
		snprintf(huge_dir, sizeof(huge_dir), "%s", henv.mount);
	printf("manifold-core: hugepages: %s\n", why);
	if (mf_eal_args_build(&eal, &core->cfg, core->hugepages) < 0) {
		fprintf(stderr, "manifold-core: error: EAL arguments do not fit; use fewer or "
			"shorter --port options\n");
		return 2;
	}

	signal(SIGINT, signal_handler);
	signal(SIGTERM, signal_handler);
	signal(SIGPIPE, SIG_IGN); /* a closed stdout must not kill us with the segment left */
	if (core->cfg.exit_with_parent) {
		/* The parent may already be gone between fork and here: then it is init's child. */
		pid_t parent = getppid();

		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent) {
			fprintf(stderr, "manifold-core: error: --exit-with-parent: the parent process "
				"is already gone\n");
			return 1;
		}
	}

	rc = mf_segment_create(&core->seg, core->cfg.name, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "manifold-core: error: %s\n", err);
		return 1;
	}

	rc = rte_eal_init(eal.argc, eal.argv);
	/* Known (and created) early in EAL init, so removable even if the init fails. */
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	atexit(eal_leftovers_remove);
	if (rc < 0) {
		fprintf(stderr, "manifold-core: error: EAL init failed: %s; see the EAL messages "
			"above (--log-level 8 shows more)\n", rte_strerror(rte_errno));
		mf_segment_destroy(&core->seg);
		return 1;
	}
	core->tsc_hz = rte_get_tsc_hz();

	workers_plan(core);
	rc = mf_ports_init(core, err, sizeof(err));
	if (rc < 0)
		goto fail;
	for (j = 0; j < core->n_workers; j++) {
		struct mf_worker *w = core->worker[j];
		unsigned int i;

		for (i = 0; i < w->n_rx; i++) {
			w->rx_dpdk[i] = core->port[w->rx_port[i]].dpdk_id;
			w->rx_bound[i] = core->port[w->rx_port[i]].rx_cpu_written;
		}
	}
	rc = mf_fwd_init(core);
	if (rc < 0) {
		snprintf(err, sizeof(err), "forward engine registry is inconsistent; fix "
			 "core/fwd.c");
		goto fail;
	}
	rc = mf_stack_init(core, err, sizeof(err));
	if (rc < 0)
		goto fail;
	rc = mf_reasm_init(core, err, sizeof(err));
	if (rc < 0)
		goto fail;
	rc = mf_policy_init(core, err, sizeof(err));
	if (rc < 0)
		goto fail;
	rc = mf_send_init(core, err, sizeof(err));
	if (rc < 0)
		goto fail;
	mf_control_init(core);
	workers_describe(core);

	for (j = 0; j < core->n_workers && !core->single_lcore; j++) {
		rc = rte_eal_remote_launch(mf_worker_main, core->worker[j],
					   core->worker[j]->lcore_id);
		if (rc != 0) {
			snprintf(err, sizeof(err), "cannot launch the worker on lcore %u: %s; "
				 "check --lcores", core->worker[j]->lcore_id, strerror(-rc));
			goto fail;
		}
	}

	mf_stats_fold(core);
	mf_segment_set_state(&core->seg, MF_SEG_RUNNING);
	mf_diag_tools_init(core);
	printf("manifold-core: ready name=%s ports=%u workers=%u hugepages=%s\n",
	       core->cfg.name, core->n_ports, core->n_workers, core->hugepages ? "yes" : "no");
	fflush(stdout);

	if (core->single_lcore && core->n_workers == 1)
		run_single_lcore(core);
	else
		mf_control_loop(core);

	/* Stop: the order matters to clients (STOPPING first) and to DPDK (lcores joined
	 * before their ports go away). */
	if (signal_seen)
		printf("\nmanifold-core: signal %d received, stopping\n", (int)signal_seen);
	else
		printf("manifold-core: shutdown requested, stopping\n");
	mf_segment_set_state(&core->seg, MF_SEG_STOPPING);
	mf_diag_tools_fini(core);
	mf_control_drain(core);
	rte_eal_mp_wait_lcore();
	mf_stats_fold(core);
	mf_stats_print_final(core);
	mf_send_print_final();
	mf_ports_close(core);
	mf_control_drain(core);
	mf_segment_destroy(&core->seg);
	rte_eal_cleanup();
	printf("manifold-core: stopped name=%s\n", core->cfg.name);
	return 0;

fail:
	/* After EAL init: undo what was done (atexit removes EAL's files), say why. */
	fprintf(stderr, "manifold-core: error: %s\n", err);
	mf_force_quit = true;
	rte_eal_mp_wait_lcore();
	mf_ports_close(core);
	mf_segment_destroy(&core->seg);
	rte_eal_cleanup();
	return 1;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * /manifold/lateness, for dpdk-telemetry.py: per transmitting lcore, then "all", one string
 * each: "<lcore> count <n> p50_ns <n> p99_ns <n> max_ns <n> mean_ns <n> buckets <b>:<n>,..."
 * (non-empty buckets only; bucket b >= 1 holds [2^(b-1), 2^b) ns late, 0 on time). Runs on
 * DPDK's telemetry thread and reads the histograms with relaxed loads; the schedulers are
 * fixed once the core serves.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "../telemetry.h"
#include "send_priv.h"

static void
lat_string(const char *who, const struct mf_lateness *l, char *s, size_t len)
{
	size_t o;
	unsigned int b;

	o = (size_t)snprintf(s, len, "%s count %" PRIu64 " p50_ns %" PRIu64 " p99_ns %" PRIu64
			     " max_ns %" PRIu64 " mean_ns %" PRIu64 " buckets", who, l->count,
			     mf_lat_percentile(l->bucket, l->count, l->max_ns, 50),
			     mf_lat_percentile(l->bucket, l->count, l->max_ns, 99), l->max_ns,
			     l->count ? l->sum_ns / l->count : 0);
	for (b = 0; b < MF_LAT_BUCKETS && o < len; b++)
		if (l->bucket[b] != 0)
			o += (size_t)snprintf(s + o, len - o, " %u:%" PRIu64, b, l->bucket[b]);
}

static int
tel_lateness(const char *cmd __rte_unused, const char *params __rte_unused,
	     struct rte_tel_data *d)
{
	struct mf_lateness l, sum;
	char s[RTE_TEL_MAX_STRING_LEN], who[16];
	unsigned int j;

	if (!mf_telemetry_begin())
		return -EAGAIN;
	memset(&sum, 0, sizeof(sum));
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (j = 0; j < mf_snd.n_workers; j++) {
		if (mf_snd.wk[j] == NULL)
			continue;
		memset(&l, 0, sizeof(l));
		mf_lat_merge(&l, &mf_snd.wk[j]->lat);
		mf_lat_merge(&sum, &l);
		snprintf(who, sizeof(who), "lcore%u", mf_snd.wk[j]->lat.lcore_id);
		lat_string(who, &l, s, sizeof(s));
		rte_tel_data_add_array_string(d, s);
	}
	lat_string("all", &sum, s, sizeof(s));
	rte_tel_data_add_array_string(d, s);
	mf_telemetry_end();
	return 0;
}

/* What sending costs: messages the control lcore handed over (built into packets, or as runs
 * for the worker to build) and the cycles it spent doing so; per worker, the packets it took
 * from its ring or wheel, the messages of runs it handled (built, or dropped with a reason), and
 * the cycles of its passes (build
 * and tx burst together). The ns-per-message figures are the capacity of each side (1e9 / ns =
 * messages per second on one core). */
/* The median pass's ns per message, and the mean over all measured passes. */
static void
cost_read(const struct mf_send_cost *c, uint64_t *msgs, unsigned int *p50)
{
	uint64_t passes = __atomic_load_n(&c->passes, __ATOMIC_RELAXED), seen = 0;
	unsigned int b;

	*msgs = __atomic_load_n(&c->msgs, __ATOMIC_RELAXED);
	*p50 = 0;
	for (b = 0; b < MF_SEND_COST_BUCKETS && passes != 0; b++) {
		seen += __atomic_load_n(&c->hist[b], __ATOMIC_RELAXED);
		if (seen * 2 >= passes) {
			*p50 = b;
			break;
		}
	}
}

static int
tel_send(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	char s[RTE_TEL_MAX_STRING_LEN];
	unsigned int j, p50;
	uint64_t n;

	if (!mf_telemetry_begin())
		return -EAGAIN;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	cost_read(&mf_snd.cost, &n, &p50);
	snprintf(s, sizeof(s), "control fed %" PRIu64 " measured %" PRIu64
		 " median_ns_per_msg %u", __atomic_load_n(&mf_snd.fed_msgs, __ATOMIC_RELAXED), n,
		 p50);
	rte_tel_data_add_array_string(d, s);
	cost_read(&mf_snd.submit_cost, &n, &p50);
	snprintf(s, sizeof(s), "control submitted measured %" PRIu64 " median_ns_per_msg %u", n,
		 p50);
	rte_tel_data_add_array_string(d, s);
	for (j = 0; j < mf_snd.n_workers; j++) {
		const struct mf_send_worker *sw = mf_snd.wk[j];

		cost_read(&sw->cost, &n, &p50);
		snprintf(s, sizeof(s), "lcore%u sent %" PRIu64 " built %" PRIu64 " measured %"
			 PRIu64 " median_ns_per_pkt %u", sw->lat.lcore_id,
			 __atomic_load_n(&sw->departed, __ATOMIC_RELAXED),
			 __atomic_load_n(&sw->run_msgs, __ATOMIC_RELAXED), n, p50);
		rte_tel_data_add_array_string(d, s);
	}
	mf_telemetry_end();
	return 0;
}

void
mf_send_print_final(void)
{
	unsigned int j, p50;
	uint64_t n;

	if (mf_snd.fed_msgs == 0)
		return;
	cost_read(&mf_snd.submit_cost, &n, &p50);
	printf("manifold-core: send: control lcore took %u ns per message at submit", p50);
	cost_read(&mf_snd.cost, &n, &p50);
	printf(", fed %" PRIu64 " messages, median pass %u ns each", mf_snd.fed_msgs, p50);
	for (j = 0; j < mf_snd.n_workers; j++) {
		cost_read(&mf_snd.wk[j]->cost, &n, &p50);
		printf("; lcore %u sent %" PRIu64 " packets fed built + %" PRIu64 " messages of "
		       "runs, median pass %u ns each", mf_snd.wk[j]->lat.lcore_id,
		       mf_snd.wk[j]->departed, mf_snd.wk[j]->run_msgs, p50);
	}
	printf(" (passes of >= 64)\n");
}

RTE_INIT(mf_telemetry_send_register)
{
	/* DPDK refuses a help text of RTE_TEL_MAX_STRING_LEN (128) or more */
	rte_telemetry_register_cmd("/manifold/send", tel_send,
		"manifold send cost: messages fed (control), packets sent and messages built "
		"(workers), median ns per message");
}

RTE_INIT(mf_telemetry_lateness_register)
{
	rte_telemetry_register_cmd("/manifold/lateness", tel_lateness,
		"manifold send lateness per lcore, then all: count p50/p99/max/mean ns, buckets "
		"b:n ([2^(b-1), 2^b) ns)");
}

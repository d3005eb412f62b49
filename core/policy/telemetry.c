/* SPDX-License-Identifier: BSD-3-Clause
 *
 * /manifold/policies and /manifold/policy,<id>, for dpdk-telemetry.py.
 *
 *   /manifold/policies       one string per policy: "<id> matched <packets> sent <packets>
 *                            dropped <packets>", at most TEL_LIST_MAX
 *   /manifold/policy,<id>    one policy: its fields, counters and drops by reason
 *
 * The policy store and the per-lcore counters belong to the control lcore, so DPDK's telemetry
 * thread never reads them. It asks instead: it raises `want` and waits (at most TEL_WAIT_MS)
 * for the control lcore, which, in its poll (mf_pol_telemetry_poll), copies every policy and
 * its summed counters into the snapshot under `lock` (trylock: the control loop never blocks)
 * and bumps `gen`. Nobody asking costs the control loop one relaxed load per poll.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_telemetry.h>

#include "../telemetry.h"
#include "pol_internal.h"

#define TEL_WAIT_MS 1000
#define TEL_LIST_MAX 100 /* policies in /manifold/policies (the reply holds 16 KiB) */

struct tel_pol {
	char id[MF_POLICY_ID_LEN];
	int32_t priority;
	uint8_t lifetime;
	uint8_t n_actions;
	uint32_t n_dests;
	uint32_t owner;
	struct mf_pol_pcnt c;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t want;
static uint64_t gen;
static uint32_t n_snap;
static struct tel_pol snap[MF_POLICY_CAP];

#define MF_POL_DROP_NAME(e, name, help) name,
static const char *const drop_name[] = { MF_POLICY_DROPS(MF_POL_DROP_NAME) };
#undef MF_POL_DROP_NAME
#define MF_POL_FLUSH_NAME(e, name, help) "agg_flush_" name,
static const char *const flush_name[] = { MF_AGG_FLUSHES(MF_POL_FLUSH_NAME) };
#undef MF_POL_FLUSH_NAME

void
mf_pol_telemetry_poll(void)
{
	uint32_t i;

	if (likely(__atomic_load_n(&want, __ATOMIC_RELAXED) == 0))
		return;
	if (pthread_mutex_trylock(&lock) != 0)
		return; /* next poll */
	for (i = 0; i < mf_pol.n_store && i < MF_POLICY_CAP; i++) {
		const struct mf_pol *p = mf_pol.store[i];
		struct tel_pol *t = &snap[i];

		memcpy(t->id, p->wire.id, sizeof(t->id));
		t->priority = p->wire.priority;
		t->lifetime = p->wire.lifetime;
		t->n_actions = (uint8_t)p->n_actions;
		t->n_dests = p->n_dests;
		t->owner = p->owner;
		mf_pol_sum(p, &t->c);
	}
	n_snap = i;
	__atomic_store_n(&want, 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&gen, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&lock);
}

/* Telemetry thread: a fresh snapshot, locked on success (unlock when done). */
static int
fresh(void)
{
	uint64_t g0 = __atomic_load_n(&gen, __ATOMIC_ACQUIRE);
	unsigned int ms;

	__atomic_store_n(&want, 1, __ATOMIC_RELAXED);
	for (ms = 0; __atomic_load_n(&gen, __ATOMIC_ACQUIRE) == g0; ms++) {
		if (ms >= TEL_WAIT_MS)
			return -EAGAIN; /* the control lcore did not come round */
		usleep(1000);
	}
	pthread_mutex_lock(&lock);
	return 0;
}

static uint64_t
drops_total(const struct tel_pol *t)
{
	uint64_t sum = 0;
	unsigned int k;

	for (k = 0; k < MF_POLICY_DROP_MAX; k++)
		sum += t->c.drop[k];
	return sum;
}

static void
pol_dict(struct rte_tel_data *x, const struct tel_pol *t)
{
	unsigned int k;

	rte_tel_data_start_dict(x);
	rte_tel_data_add_dict_string(x, "id", t->id);
	rte_tel_data_add_dict_int(x, "priority", t->priority);
	rte_tel_data_add_dict_string(x, "lifetime", t->lifetime == MF_POLICY_CLIENT ? "client" :
				     "persistent");
	rte_tel_data_add_dict_int(x, "actions", t->n_actions);
	rte_tel_data_add_dict_u64(x, "destinations", t->n_dests);
	rte_tel_data_add_dict_int(x, "owner", t->owner == MF_POLICY_NO_OWNER ? -1 :
				  (int)t->owner);
	rte_tel_data_add_dict_u64(x, "matched_packets", t->c.matched);
	rte_tel_data_add_dict_u64(x, "matched_bytes", t->c.matched_bytes);
	rte_tel_data_add_dict_u64(x, "sent_packets", t->c.sent);
	rte_tel_data_add_dict_u64(x, "sent_bytes", t->c.sent_bytes);
	rte_tel_data_add_dict_u64(x, "dropped", drops_total(t));
	for (k = 0; k < MF_POLICY_DROP_MAX; k++)
		rte_tel_data_add_dict_u64(x, drop_name[k], t->c.drop[k]);
	if (t->c.agg.messages == 0)
		return; /* no aggregate action, or one that took nothing yet */
	rte_tel_data_add_dict_u64(x, "agg_messages", t->c.agg.messages);
	rte_tel_data_add_dict_u64(x, "agg_packed", t->c.agg.packed);
	rte_tel_data_add_dict_u64(x, "agg_datagrams", t->c.agg.datagrams);
	for (k = 0; k < MF_AGG_FLUSH_MAX; k++)
		rte_tel_data_add_dict_u64(x, flush_name[k], t->c.agg.flush[k]);
	rte_tel_data_add_dict_u64(x, "agg_oversize", t->c.agg.oversize);
	rte_tel_data_add_dict_u64(x, "agg_hold_max_ns", t->c.agg.hold_max_ns);
}

/* One string per policy, in an array: policy ids may hold characters DPDK's dict names may
 * not ('.', ':'), and 22.11 nests no dicts. */
static int
tel_policies(const char *cmd __rte_unused, const char *params __rte_unused,
	     struct rte_tel_data *d)
{
	uint32_t i, shown;
	int rc;

	if (!mf_telemetry_begin())
		return -EAGAIN;
	rc = fresh();
	if (rc < 0)
		goto out;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	shown = RTE_MIN(n_snap, (uint32_t)TEL_LIST_MAX);
	for (i = 0; i < shown; i++) {
		const struct tel_pol *t = &snap[i];
		char val[RTE_TEL_MAX_STRING_LEN];

		/* at most 31 + 3 x 20 + 24 characters: fits the 128 a string may have */
		snprintf(val, sizeof(val), "%.31s matched %" PRIu64 " sent %" PRIu64 " dropped %"
			 PRIu64, t->id, t->c.matched, t->c.sent, drops_total(t));
		rte_tel_data_add_array_string(d, val);
	}
	if (n_snap > shown) {
		char more[48];

		snprintf(more, sizeof(more), "(%u more)", n_snap - shown);
		rte_tel_data_add_array_string(d, more);
	}
	pthread_mutex_unlock(&lock);
out:
	mf_telemetry_end();
	return rc;
}

static int
tel_policy(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	uint32_t i;
	int rc;

	if (params == NULL || *params == '\0')
		return -EINVAL;
	if (!mf_telemetry_begin())
		return -EAGAIN;
	rc = fresh();
	if (rc < 0)
		goto out;
	rc = -EINVAL; /* no such policy: telemetry answers null */
	for (i = 0; i < n_snap; i++) {
		if (strncmp(snap[i].id, params, MF_POLICY_ID_LEN) == 0) {
			pol_dict(d, &snap[i]);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
out:
	mf_telemetry_end();
	return rc;
}

RTE_INIT(mf_telemetry_policy_register)
{
	rte_telemetry_register_cmd("/manifold/policies", tel_policies,
		"manifold policies: id matched <pkts> sent <pkts> dropped <pkts>");
	rte_telemetry_register_cmd("/manifold/policy", tel_policy,
		"one manifold policy: counters and drops by reason. Parameters: policy id");
}

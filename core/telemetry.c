/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DPDK telemetry commands of manifold-core (see telemetry.h), in the shape of ethdev's:
 *
 *   /manifold/version          instance name, versions, pid, hugepages, ports, workers
 *   /manifold/ports            port names, by manifold port index
 *   /manifold/port,<p>         one port: driver, device, forward mode, peer, MAC, link
 *   /manifold/stats,<p>        one port's counters by name (as `manifold stats`)
 *   /manifold/lcores           lcore ids, in stats order
 *   /manifold/lcore,<id>       one lcore: role, busy and total cycles, packets, busy_percent,
 *                              cycles_per_packet
 *
 * <p> is a port index or a port name.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_pause.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "diag.h"
#include "fwd.h"
#include "telemetry.h"

#define STATS_READ_TRIES 1000

static pthread_rwlock_t serving_lock = PTHREAD_RWLOCK_INITIALIZER;
static bool serving;

#define MF_CNT_NAME(e, name, help) [MF_CNT_##e] = name,
static const char *const cnt_name[MF_CNT_MAX] = { MF_PORT_COUNTERS(MF_CNT_NAME) };
#undef MF_CNT_NAME

void
mf_telemetry_ready(void)
{
	pthread_rwlock_wrlock(&serving_lock);
	serving = true;
	pthread_rwlock_unlock(&serving_lock);
}

void
mf_telemetry_gone(void)
{
	pthread_rwlock_wrlock(&serving_lock); /* waits for the callbacks in flight */
	serving = false;
	pthread_rwlock_unlock(&serving_lock);
}

bool
mf_telemetry_begin(void)
{
	pthread_rwlock_rdlock(&serving_lock);
	if (serving)
		return true;
	pthread_rwlock_unlock(&serving_lock);
	return false;
}

void
mf_telemetry_end(void)
{
	pthread_rwlock_unlock(&serving_lock);
}

int
mf_telemetry_stats(struct mf_stats *out)
{
	const struct mf_stats *s = mf_core.seg.stats;
	unsigned int i;

	for (i = 0; i < STATS_READ_TRIES; i++) {
		uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);

		if (seq & 1) {
			rte_pause();
			continue;
		}
		/* The words are stored relaxed by the writer; a torn copy is caught by seq. */
		memcpy(out, (const void *)s, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) == seq)
			return 0;
	}
	return -EAGAIN;
}

/* A port index or name in `params`; -1 if none matches. */
static int
port_param(const char *params)
{
	unsigned int p;
	char *end;
	long v;

	if (params == NULL || *params == '\0')
		return -1;
	v = strtol(params, &end, 10);
	if (*end == '\0' && v >= 0 && (unsigned long)v < mf_core.n_ports)
		return (int)v;
	for (p = 0; p < mf_core.n_ports; p++)
		if (strcmp(mf_core.cfg.port[p].name, params) == 0)
			return (int)p;
	return -1;
}

static int
tel_version(const char *cmd __rte_unused, const char *params __rte_unused,
	    struct rte_tel_data *d)
{
	if (!mf_telemetry_begin())
		return -EAGAIN;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", mf_core.cfg.name);
	rte_tel_data_add_dict_string(d, "version", MF_VERSION);
	rte_tel_data_add_dict_string(d, "dpdk_version", rte_version());
	rte_tel_data_add_dict_int(d, "pid", (int)getpid());
	rte_tel_data_add_dict_int(d, "abi_major", MF_ABI_MAJOR);
	rte_tel_data_add_dict_int(d, "abi_minor", MF_ABI_MINOR);
	rte_tel_data_add_dict_int(d, "hugepages", mf_core.hugepages);
	rte_tel_data_add_dict_int(d, "n_ports", (int)mf_core.n_ports);
	rte_tel_data_add_dict_int(d, "n_workers", (int)mf_core.n_workers);
	rte_tel_data_add_dict_int(d, "forwarding",
				  !(__atomic_load_n(&mf_diag_flags, __ATOMIC_RELAXED) &
				    MF_DIAG_STOPPED));
	mf_telemetry_end();
	return 0;
}

static int
tel_ports(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	unsigned int p;

	if (!mf_telemetry_begin())
		return -EAGAIN;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (p = 0; p < mf_core.n_ports; p++)
		rte_tel_data_add_array_string(d, mf_core.cfg.port[p].name);
	mf_telemetry_end();
	return 0;
}

static int
tel_port(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct rte_eth_link link;
	uint8_t mac[6], nh[6];
	char buf[32];
	uint64_t word;
	uint16_t peer;
	int p;

	if (!mf_telemetry_begin())
		return -EAGAIN;
	p = port_param(params);
	if (p < 0) {
		mf_telemetry_end();
		return -EINVAL; /* telemetry answers {"/manifold/port": null} */
	}
	word = mf_fwd_word_load((uint16_t)p);
	peer = mf_fwd_word_peer(word);
	memcpy(mac, mf_core.port[p].mac.addr_bytes, 6);
	mf_fwd_word_mac(word, nh);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "id", p);
	rte_tel_data_add_dict_string(d, "name", mf_core.cfg.port[p].name);
	rte_tel_data_add_dict_string(d, "driver", mf_core.port[p].driver);
	rte_tel_data_add_dict_string(d, "dev", mf_core.cfg.port[p].dev);
	rte_tel_data_add_dict_int(d, "dpdk_port_id", mf_core.port[p].dpdk_id);
	rte_tel_data_add_dict_string(d, "mode", mf_fwd_mode_names[mf_fwd_word_mode(word)]);
	rte_tel_data_add_dict_string(d, "peer", peer < mf_core.n_ports ?
				     mf_core.cfg.port[peer].name : "none");
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	rte_tel_data_add_dict_string(d, "mac", buf);
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", nh[0], nh[1], nh[2], nh[3],
		 nh[4], nh[5]);
	rte_tel_data_add_dict_string(d, "peer_mac", buf);
	rte_tel_data_add_dict_int(d, "mtu", mf_core.port[p].mtu);
	if (rte_eth_link_get_nowait(mf_core.port[p].dpdk_id, &link) == 0) {
		rte_tel_data_add_dict_int(d, "link_up", link.link_status);
		rte_tel_data_add_dict_u64(d, "link_speed_mbps", link.link_speed);
	}
	mf_telemetry_end();
	return 0;
}

static int
tel_stats(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct mf_stats *s;
	unsigned int k;
	int p, rc = 0;

	if (!mf_telemetry_begin())
		return -EAGAIN;
	p = port_param(params);
	s = malloc(sizeof(*s));
	if (p < 0 || s == NULL) {
		rc = p < 0 ? -EINVAL : -ENOMEM;
		goto out;
	}
	rc = mf_telemetry_stats(s);
	if (rc < 0)
		goto out;
	rte_tel_data_start_dict(d);
	for (k = 0; k < MF_CNT_MAX; k++)
		rte_tel_data_add_dict_u64(d, cnt_name[k], s->port[p].c[k]);
out:
	free(s);
	mf_telemetry_end();
	return rc;
}

static int
tel_lcores(const char *cmd __rte_unused, const char *params __rte_unused,
	   struct rte_tel_data *d)
{
	unsigned int i;

	if (!mf_telemetry_begin())
		return -EAGAIN;
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	for (i = 0; i < mf_core.cfg.n_lcores && i < MF_MAX_LCORES; i++)
		rte_tel_data_add_array_int(d, (int)mf_core.cfg.lcore_ids[i]);
	mf_telemetry_end();
	return 0;
}

static const char *const role_name[] = { "unused", "control", "worker", "both" };

static int
tel_lcore(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	const struct mf_lcore_stats *l = NULL;
	struct mf_stats *s;
	unsigned int i;
	char *end;
	long id;
	int rc = -EINVAL;

	if (!mf_telemetry_begin())
		return -EAGAIN;
	s = malloc(sizeof(*s));
	if (s == NULL || params == NULL || *params == '\0') {
		rc = s == NULL ? -ENOMEM : -EINVAL;
		goto out;
	}
	id = strtol(params, &end, 10);
	rc = *end != '\0' ? -EINVAL : mf_telemetry_stats(s);
	if (rc < 0)
		goto out;
	for (i = 0; i < s->n_lcores && i < MF_MAX_LCORES; i++)
		if ((long)s->lcore[i].lcore_id == id)
			l = &s->lcore[i];
	if (l == NULL) {
		rc = -EINVAL;
		goto out;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "lcore_id", (int)l->lcore_id);
	rte_tel_data_add_dict_string(d, "role", l->role < RTE_DIM(role_name) ?
				     role_name[l->role] : "unknown");
	rte_tel_data_add_dict_u64(d, "busy_cycles", l->busy_cycles);
	rte_tel_data_add_dict_u64(d, "total_cycles", l->total_cycles);
	rte_tel_data_add_dict_u64(d, "packets", l->packets);
	rte_tel_data_add_dict_u64(d, "polls", l->polls);
	rte_tel_data_add_dict_u64(d, "idle_sleeps", l->idle_sleeps);
	rte_tel_data_add_dict_u64(d, "busy_percent", l->total_cycles ?
				  l->busy_cycles * 100 / l->total_cycles : 0);
	rte_tel_data_add_dict_u64(d, "cycles_per_packet", l->packets ?
				  l->busy_cycles / l->packets : 0);
	rc = 0;
out:
	free(s);
	mf_telemetry_end();
	return rc;
}

RTE_INIT(mf_telemetry_register)
{
	rte_telemetry_register_cmd("/manifold/version", tel_version,
		"manifold-core: instance name, versions, pid, hugepages, ports, workers");
	rte_telemetry_register_cmd("/manifold/ports", tel_ports,
		"manifold ports: names by port index");
	rte_telemetry_register_cmd("/manifold/port", tel_port,
		"one manifold port: driver, forward mode, peer, MAC, link. Parameters: port index "
		"or name");
	rte_telemetry_register_cmd("/manifold/stats", tel_stats,
		"one manifold port's counters. Parameters: port index or name");
	rte_telemetry_register_cmd("/manifold/lcores", tel_lcores, "manifold lcore ids");
	rte_telemetry_register_cmd("/manifold/lcore", tel_lcore,
		"one manifold lcore: role, cycles, packets, busy_percent, cycles_per_packet. "
		"Parameters: lcore id");
}

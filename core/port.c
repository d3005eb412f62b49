/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Port bring-up, after examples/skeleton/basicfwd.c: one rx queue (polled by exactly one
 * worker) and one tx queue per worker (so any worker transmits on any port without a lock),
 * 1024 descriptors each as the device allows, promiscuous where supported.
 *
 * net_ring note: a "net_ringN" vdev given alone is a loopback (what it transmits on tx queue q
 * it receives on rx queue q); two such vdevs are two loopbacks, not a pair. Nothing feeds
 * them, so they stay idle; with more than one worker, a worker other than the first sends
 * to a tx queue whose ring no rx queue reads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "port.h"

#define MF_RX_DESC 1024
#define MF_TX_DESC 1024
#define MF_MBUF_CACHE 256

/* args.c spells the headroom out (it is free of DPDK); both must agree. */
_Static_assert(MF_HEADROOM == RTE_PKTMBUF_HEADROOM, "MF_HEADROOM differs from DPDK's");

static int
port_socket(const struct mf_core *core, unsigned int i)
{
	int s = rte_eth_dev_socket_id(core->port[i].dpdk_id);
	unsigned int lcore;

	if (s >= 0 && s < RTE_MAX_NUMA_NODES)
		return s;
	/* vdevs have no socket: use the one of the lcore that polls the port */
	lcore = core->worker[core->port[i].worker]->lcore_id;
	return (int)rte_lcore_to_socket_id(lcore);
}

/* One pool per socket that has ports, created once. */
static int
pool_for(struct mf_core *core, int socket, char *err, size_t errlen)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	if (core->pool[socket] != NULL)
		return 0;
	snprintf(name, sizeof(name), "mf_mbuf_s%d", socket);
	core->pool[socket] = rte_pktmbuf_pool_create(name, core->cfg.mbufs, MF_MBUF_CACHE, 0,
						     (uint16_t)core->cfg.mbuf_data_room, socket);
	if (core->pool[socket] == NULL) {
		snprintf(err, errlen, "cannot create a pool of %u mbufs of %u bytes (%llu MiB) on "
			 "socket %d: %s; lower --mbufs or --mbuf-data-room, or give more memory "
			 "(--mem, hugepages)", core->cfg.mbufs, core->cfg.mbuf_data_room,
			 (unsigned long long)core->cfg.mbufs * core->cfg.mbuf_data_room >> 20,
			 socket, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

/* A frame longer than one mbuf's data room arrives as a chain where the device can scatter;
 * ask for it only then, so the common case (the default 2 KiB room, a 1500-byte MTU) keeps
 * one segment per packet. A device that cannot scatter drops such frames and counts them. */
static void
rx_scatter(struct mf_core *core, unsigned int i, const struct rte_eth_dev_info *info,
	   struct rte_eth_conf *conf)
{
	uint32_t room = core->cfg.mbuf_data_room - RTE_PKTMBUF_HEADROOM;
	uint32_t frame = info->max_rx_pktlen;
	uint16_t mtu;

	/* the frame the device takes now: its MTU plus Ethernet header, CRC and a VLAN tag */
	if (rte_eth_dev_get_mtu(core->port[i].dpdk_id, &mtu) == 0)
		frame = RTE_MIN(frame, (uint32_t)mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN +
					       RTE_VLAN_HLEN);
	if (frame <= room)
		return;
	if (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) {
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		core->port[i].rx_scatter = true;
		printf("manifold-core: port %s: rx scatter on: frames of up to %u bytes arrive as "
		       "chains of %u-byte mbufs\n", core->cfg.port[i].name, frame, room);
	} else {
		printf("manifold-core: note: port %s takes %u-byte frames but an mbuf holds %u "
		       "bytes and the device cannot scatter; raise --mbuf-data-room\n",
		       core->cfg.port[i].name, frame, room);
	}
}

static int
port_init(struct mf_core *core, unsigned int i, char *err, size_t errlen)
{
	const struct mf_port_conf *pc = &core->cfg.port[i];
	struct mf_port *p = &core->port[i];
	uint16_t nb_rxd = MF_RX_DESC, nb_txd = MF_TX_DESC, q, n_txq;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int rc;

	n_txq = (uint16_t)RTE_MAX(core->n_workers, 1u);
	rc = rte_eth_dev_info_get(p->dpdk_id, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %s (%s): cannot get device info: %s; check DEVARGS",
			 pc->name, pc->dev, strerror(-rc));
		return rc;
	}
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	p->rx_cpu_written = info.device != NULL && rte_dev_bus(info.device) != NULL &&
			    strcmp(rte_bus_name(rte_dev_bus(info.device)), "vdev") == 0;
	if (info.max_tx_queues < n_txq) {
		snprintf(err, errlen, "port %s (%s) has at most %u tx queues but %u workers need "
			 "one each; use at most %u worker lcores", pc->name, pc->dev,
			 info.max_tx_queues, n_txq, info.max_tx_queues);
		return -EINVAL;
	}
	p->socket = port_socket(core, i);
	rc = pool_for(core, p->socket, err, errlen);
	if (rc != 0)
		return rc;

	memset(&conf, 0, sizeof(conf));
	rx_scatter(core, i, &info, &conf);
	rc = rte_eth_dev_configure(p->dpdk_id, 1, n_txq, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->dpdk_id, &nb_rxd, &nb_txd);
	if (rc != 0) {
		snprintf(err, errlen, "port %s (%s): configure with 1 rx and %u tx queues failed: "
			 "%s; check the device", pc->name, pc->dev, n_txq, strerror(-rc));
		return rc;
	}
	rc = rte_eth_rx_queue_setup(p->dpdk_id, 0, nb_rxd, (unsigned int)p->socket, NULL,
				    core->pool[p->socket]);
	if (rc != 0) {
		snprintf(err, errlen, "port %s (%s): rx queue setup (%u descriptors) failed: %s; "
			 "raise --mbufs", pc->name, pc->dev, nb_rxd, strerror(-rc));
		return rc;
	}
	for (q = 0; q < n_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->dpdk_id, q, nb_txd, (unsigned int)p->socket, NULL);
		if (rc != 0) {
			snprintf(err, errlen, "port %s (%s): tx queue %u setup failed: %s; check "
				 "the device", pc->name, pc->dev, q, strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(p->dpdk_id);
	if (rc != 0) {
		snprintf(err, errlen, "port %s (%s): start failed: %s; check the device",
			 pc->name, pc->dev, strerror(-rc));
		return rc;
	}
	p->started = true;
	rc = rte_eth_promiscuous_enable(p->dpdk_id);
	if (rc != 0 && rc != -ENOTSUP)
		printf("manifold-core: port %s: promiscuous mode not enabled: %s\n", pc->name,
		       strerror(-rc));
	rc = rte_eth_macaddr_get(p->dpdk_id, &p->mac);
	if (rc != 0)
		memset(&p->mac, 0, sizeof(p->mac));
	if (rte_eth_dev_get_mtu(p->dpdk_id, &p->mtu) != 0)
		p->mtu = RTE_ETHER_MTU;
	return 0;
}

int
mf_ports_init(struct mf_core *core, char *err, size_t errlen)
{
	unsigned int i, need;
	int rc;

	for (i = 0; i < core->n_ports; i++) {
		const struct mf_port_conf *pc = &core->cfg.port[i];

		rc = rte_eth_dev_get_port_by_name(pc->dev, &core->port[i].dpdk_id);
		if (rc != 0) {
			snprintf(err, errlen, "port %s: EAL created no ethdev named '%s' from "
				 "'%s'; use a vdev such as net_null0 or the PCI address of a bound "
				 "NIC",
				 pc->name, pc->dev, pc->devargs);
			return -ENODEV;
		}
	}
	/* Rough need: every rx ring full, every tx ring full, every lcore cache full. */
	need = core->n_ports * (MF_RX_DESC + RTE_MAX(core->n_workers, 1u) * MF_TX_DESC) +
	       core->cfg.n_lcores * (MF_MBUF_CACHE + core->cfg.burst);
	if (need > core->cfg.mbufs)
		printf("manifold-core: note: %u ports may hold up to %u mbufs in rings and caches; "
		       "--mbufs is %u (raise it if rx_nombuf grows)\n", core->n_ports, need,
		       core->cfg.mbufs);
	for (i = 0; i < core->n_ports; i++) {
		rc = port_init(core, i, err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
mf_ports_close(struct mf_core *core)
{
	unsigned int i;

	for (i = 0; i < core->n_ports; i++) {
		struct mf_port *p = &core->port[i];

		if (!p->started)
			continue;
		rte_eth_dev_stop(p->dpdk_id);
		rte_eth_dev_close(p->dpdk_id);
		p->started = false;
	}
}

void
mf_port_info_fill(const struct mf_core *core, unsigned int i, struct mf_port_info *pi)
{
	const struct mf_port_conf *pc = &core->cfg.port[i];
	const struct mf_port *p = &core->port[i];
	struct rte_eth_link link;

	memset(pi, 0, sizeof(*pi));
	snprintf(pi->name, sizeof(pi->name), "%s", pc->name);
	snprintf(pi->driver, sizeof(pi->driver), "%s", p->driver);
	snprintf(pi->dev, sizeof(pi->dev), "%s", pc->dev);
	pi->port_id = (uint16_t)i;
	pi->dpdk_port_id = p->dpdk_id;
	pi->peer = pc->peer;
	pi->fwd_mode = pc->mode;
	memset(&link, 0, sizeof(link));
	if (p->started && rte_eth_link_get_nowait(p->dpdk_id, &link) == 0) {
		pi->link_up = link.link_status == RTE_ETH_LINK_UP;
		pi->link_speed_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ?
					      0 : link.link_speed;
	}
	pi->mtu = p->mtu;
	pi->n_rxq = 1;
	pi->n_txq = (uint16_t)RTE_MAX(core->n_workers, 1u);
	memcpy(pi->mac, p->mac.addr_bytes, 6);
	memcpy(pi->peer_mac, pc->peer_mac, 6);
}

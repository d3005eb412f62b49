/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Command line of manifold-core: the core's own options, parsed into a struct mf_config before
 * EAL sees anything. Free of DPDK so the unit test compiles it as is.
 */
#ifndef MF_ARGS_H
#define MF_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "manifold_abi.h"

#define MF_DEVARGS_LEN 256
#define MF_LCORES_LEN 128
#define MF_ERR_LEN 256

/* Defaults; the help text is generated from these. */
#define MF_DEF_NAME "default"
#define MF_DEF_MEM_MB 256u
#define MF_DEF_MBUFS 8191u
/* Port mbuf data room, headroom included: DPDK's RTE_MBUF_DEFAULT_BUF_SIZE (2048 + the
 * 128-byte RTE_PKTMBUF_HEADROOM), spelled out because this file is free of DPDK. The mempool
 * field is a uint16_t, hence the maximum. */
#define MF_HEADROOM 128u
#define MF_DEF_MBUF_DATA_ROOM (2048u + MF_HEADROOM)
#define MF_MIN_MBUF_DATA_ROOM (MF_HEADROOM + 128u) /* eth + ip with options + udp fit */
#define MF_MAX_MBUF_DATA_ROOM 65535u
#define MF_DEF_POLICY_MBUFS 16383u /* each of the policy engine's copy pools (2^n - 1) */
#define MF_MIN_POLICY_MBUFS 63u
#define MF_DEF_BURST 32u
#define MF_MAX_BURST 512u
#define MF_DEF_STATS_MS 100u

enum mf_huge { MF_HUGE_AUTO = 0, MF_HUGE_ON, MF_HUGE_OFF };

/* One --port NAME=DEVARGS. */
struct mf_port_conf {
	char name[MF_NAME_LEN];        /* manifold port name, e.g. "p0" */
	char devargs[MF_DEVARGS_LEN];  /* what EAL gets after --vdev or -a */
	char dev[MF_NAME_LEN];         /* DPDK device name: vdev name or normalized PCI address */
	bool is_pci;
	/* Forwarding, resolved after every --port is known. */
	uint8_t mode;                  /* enum mf_fwd_mode */
	uint16_t peer;                 /* port index or MF_PORT_NONE */
	bool mac_explicit;             /* next-hop MAC given with @MAC (else 02:00:00:00:00:peer) */
	uint8_t peer_mac[6];
	/* The stack: --addr NAME=IP/PREFIX (several), --gateway NAME=IP; host byte order. */
	unsigned int n_addrs;
	struct { uint32_t ip; uint8_t prefix_len; } addr[MF_STACK_MAX_ADDRS];
	uint32_t gateway;
};

struct mf_config {
	bool help;
	char name[MF_INSTANCE_NAME_MAX + 1];
	char lcores[MF_LCORES_LEN];    /* EAL -l list (--lcores when lcores_mapped) */
	unsigned int n_lcores;         /* lcores in that list */
	bool lcores_mapped;            /* some lcore names its CPU (lcore@cpu) */
	unsigned int lcore_ids[MF_MAX_LCORES]; /* ascending; [0] is the main (control) lcore */
	enum mf_huge huge;
	unsigned int mem_mb;
	unsigned int mbufs;
	unsigned int mbuf_data_room;   /* bytes per port mbuf, headroom included */
	unsigned int policy_mbufs;     /* mbufs in each policy copy pool (headers, clones) */
	unsigned int n_ports;
	struct mf_port_conf port[MF_MAX_PORTS];
	unsigned int burst;
	bool backoff;
	bool worker_fifo;                  /* --worker-sched fifo */
	bool exit_with_parent;         /* SIGTERM ourselves when the parent process dies */
	unsigned int stats_ms;
	int log_level;                 /* -1: not given */
};

/* Parse argv (argv[0] is skipped). n_cpus is the number of CPUs of the machine (it picks the
 * default lcore list and bounds --lcores). Returns 0, or -EINVAL with "<what is wrong>; <what
 * would be right>" in err. */
int mf_args_parse(struct mf_config *cfg, int argc, char **argv, unsigned int n_cpus,
		  char *err, size_t errlen);

/* The --help text. */
void mf_args_usage(FILE *f);

/* Helpers the control ops share with the parser. */
int mf_mac_parse(const char *s, uint8_t mac[6]);
void mf_mac_default(uint16_t peer, uint8_t mac[6]);
/* "a.b.c.d" -> host-order address; 0 or -EINVAL. */
int mf_ipv4_parse(const char *s, uint32_t *ip);

#endif /* MF_ARGS_H */

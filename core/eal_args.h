/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Turn a parsed struct mf_config into the argv handed to rte_eal_init. Free of DPDK.
 */
#ifndef MF_EAL_ARGS_H
#define MF_EAL_ARGS_H

#include "args.h"

#define MF_EAL_MAX_ARGS 64

struct mf_eal_args {
	int argc;
	char *argv[MF_EAL_MAX_ARGS + 1]; /* NULL-terminated; points into store */
	char store[MF_EAL_MAX_ARGS * 64 + MF_MAX_PORTS * MF_DEVARGS_LEN];
	size_t used;
};

/* 0, or -ENOSPC (cannot happen with the limits of args.h). */
int mf_eal_args_build(struct mf_eal_args *ea, const struct mf_config *cfg, int hugepages);

#endif /* MF_EAL_ARGS_H */

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Forward mode names (DPDK-free; the engines in fwd_*.c carry the same names).
 */
#include <errno.h>
#include <string.h>

#include "fwd_conf.h"

const char *const mf_fwd_mode_names[MF_FWD_MAX] = {
	[MF_FWD_IO] = MF_FWD_NAME_IO,
	[MF_FWD_MAC] = MF_FWD_NAME_MAC,
	[MF_FWD_STACK] = MF_FWD_NAME_STACK,
	[MF_FWD_DROP] = MF_FWD_NAME_DROP,
};

int
mf_fwd_mode_parse(const char *name)
{
	int m;

	for (m = 0; m < MF_FWD_MAX; m++)
		if (strcmp(name, mf_fwd_mode_names[m]) == 0)
			return m;
	return -EINVAL;
}

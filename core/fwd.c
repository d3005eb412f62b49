/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Forward engine registry and the per-port forward table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwd.h"

struct mf_fwd_table mf_fwd;

const struct mf_fwd_engine *const mf_fwd_engines[MF_FWD_MAX] = {
	[MF_FWD_IO] = &mf_fwd_io_engine,
	[MF_FWD_MAC] = &mf_fwd_mac_engine,
	[MF_FWD_STACK] = &mf_fwd_stack_engine,
	[MF_FWD_DROP] = &mf_fwd_drop_engine,
};

void
mf_fwd_publish(uint16_t port, uint8_t mode, uint16_t peer, const uint8_t mac[6])
{
	__atomic_store_n(&mf_fwd.word[port], mf_fwd_word_pack(mode, peer, mac), __ATOMIC_RELEASE);
}

int
mf_fwd_init(const struct mf_core *core)
{
	unsigned int i;

	for (i = 0; i < MF_FWD_MAX; i++) {
		if (mf_fwd_engines[i] == NULL ||
		    strcmp(mf_fwd_engines[i]->name, mf_fwd_mode_names[i]) != 0) {
			fprintf(stderr, "manifold-core: error: forward engine %u is not '%s'; fix "
				"the registry in core/fwd.c\n", i, mf_fwd_mode_names[i]);
			return -EINVAL;
		}
	}
	for (i = 0; i < core->n_ports; i++) {
		const struct mf_port_conf *pc = &core->cfg.port[i];

		mf_fwd.dpdk_id[i] = core->port[i].dpdk_id;
		mf_fwd.mac[i] = core->port[i].mac;
		mf_fwd_publish((uint16_t)i, pc->mode, pc->peer, pc->peer_mac);
	}
	return 0;
}

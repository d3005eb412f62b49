/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A port's forwarding configuration as workers see it: mode, peer and next-hop MAC packed into
 * one 64-bit word. The control lcore replaces the word with one atomic store (MF_OP_FWD_SET);
 * a worker loads it once per burst with one relaxed atomic load, so the three always belong
 * together and the fast path takes no lock. Free of DPDK (the unit test checks the packing).
 *
 *   bits  0..47  next-hop MAC, byte 0 in bits 0..7
 *   bits 48..55  peer port index, 0xff = none
 *   bits 56..63  enum mf_fwd_mode
 */
#ifndef MF_FWD_CONF_H
#define MF_FWD_CONF_H

#include <stdint.h>

#include "manifold_abi.h"

_Static_assert(MF_MAX_PORTS < 0xff, "a peer index must fit 8 bits beside the 'none' value");
_Static_assert(MF_FWD_MAX <= 0x100, "a forward mode must fit 8 bits");

#define MF_FWD_PEER_NONE8 0xffu

/* Names of enum mf_fwd_mode, shared by the command line, the help and the engines. */
#define MF_FWD_NAME_IO "io"
#define MF_FWD_NAME_MAC "mac"
#define MF_FWD_NAME_STACK "stack"
#define MF_FWD_NAME_DROP "drop"

extern const char *const mf_fwd_mode_names[MF_FWD_MAX];

/* enum mf_fwd_mode for a name, or -EINVAL. */
int mf_fwd_mode_parse(const char *name);

static inline uint64_t
mf_fwd_word_pack(uint8_t mode, uint16_t peer, const uint8_t mac[6])
{
	uint64_t w = 0;
	unsigned int i;

	for (i = 0; i < 6; i++)
		w |= (uint64_t)mac[i] << (8 * i);
	w |= (uint64_t)(peer < MF_MAX_PORTS ? peer : MF_FWD_PEER_NONE8) << 48;
	w |= (uint64_t)mode << 56;
	return w;
}

static inline uint8_t
mf_fwd_word_mode(uint64_t w)
{
	return (uint8_t)(w >> 56);
}

static inline uint16_t
mf_fwd_word_peer(uint64_t w)
{
	uint8_t p = (uint8_t)(w >> 48);

	return p == MF_FWD_PEER_NONE8 ? MF_PORT_NONE : p;
}

static inline void
mf_fwd_word_mac(uint64_t w, uint8_t mac[6])
{
	unsigned int i;

	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)(w >> (8 * i));
}

#endif /* MF_FWD_CONF_H */

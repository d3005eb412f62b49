/* SPDX-License-Identifier: BSD-3-Clause
 *
 * io: send what was received, unchanged, out of the peer port (testpmd "io").
 */
#include "fwd.h"

static void
io_pkt_burst(struct mf_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t nb,
	     uint64_t word)
{
	mf_fwd_send(w, port, mf_fwd_word_peer(word), pkts, nb);
}

const struct mf_fwd_engine mf_fwd_io_engine = {
	.name = MF_FWD_NAME_IO,
	.pkt_burst = io_pkt_burst,
};

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Ports: find the DPDK port of each --port, configure 1 rx queue and one tx queue per worker,
 * start, describe, stop.
 */
#ifndef MF_PORT_H
#define MF_PORT_H

#include <stddef.h>

#include "core.h"

/* Bring every configured port up; core->port[i].worker must be set. 0 or -errno with
 * "<wrong>; <right>" in err. */
int mf_ports_init(struct mf_core *core, char *err, size_t errlen);

/* Stop and close every started port. */
void mf_ports_close(struct mf_core *core);

/* Describe port i (as MF_OP_PORT_INFO replies). */
void mf_port_info_fill(const struct mf_core *core, unsigned int i, struct mf_port_info *pi);

#endif /* MF_PORT_H */

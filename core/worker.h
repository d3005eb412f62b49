/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Worker lcores: run to completion, rx burst -> forward engine -> tx burst, no lock and no
 * syscall while there is traffic; back off when there is none.
 */
#ifndef MF_WORKER_H
#define MF_WORKER_H

#include "core.h"

/* Call once on the worker's own lcore before its first poll. */
void mf_worker_begin(struct mf_worker *w);

/* One iteration over the worker's rx queues; returns the packets it received. */
unsigned int mf_worker_poll(struct mf_worker *w);

/* lcore entry for rte_eal_remote_launch: poll until mf_force_quit. */
int mf_worker_main(void *arg);

#endif /* MF_WORKER_H */

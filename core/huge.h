/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Hugepages or not (--huge auto|on|off): look at /proc/meminfo and /proc/mounts, decide, and
 * say why in one line. Free of DPDK: it runs before EAL and the unit test compiles it.
 */
#ifndef MF_HUGE_H
#define MF_HUGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"

struct mf_huge_env {
	uint64_t free_pages;   /* HugePages_Free */
	uint64_t page_kb;      /* Hugepagesize in kB */
	bool mounted;          /* a hugetlbfs is mounted */
	char mount[256];       /* its mount point */
};

/* Parse the text of /proc/meminfo; 0 or -ENOENT when the fields are missing. */
int mf_huge_meminfo_parse(const char *text, struct mf_huge_env *env);

/* Parse the text of /proc/mounts for a hugetlbfs; 1 found, 0 not. */
int mf_huge_mounts_parse(const char *text, struct mf_huge_env *env);

/* Read both files of this machine into env. */
void mf_huge_probe(struct mf_huge_env *env);

/* 1: use hugepages, 0: --no-huge, -ENOMEM: --huge on cannot be met. `why` gets the reason
 * (for -ENOMEM, an error in "<wrong>; <right>" form). */
int mf_huge_decide(enum mf_huge mode, unsigned int mem_mb, const struct mf_huge_env *env,
		   char *why, size_t len);

#endif /* MF_HUGE_H */

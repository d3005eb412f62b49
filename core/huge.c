/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Hugepage probe and decision; see huge.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "huge.h"

int
mf_huge_meminfo_parse(const char *text, struct mf_huge_env *env)
{
	const char *f = strstr(text, "HugePages_Free:");
	const char *s = strstr(text, "Hugepagesize:");

	env->free_pages = 0;
	env->page_kb = 0;
	if (f == NULL || s == NULL)
		return -ENOENT;
	if (sscanf(f, "HugePages_Free: %" SCNu64, &env->free_pages) != 1 ||
	    sscanf(s, "Hugepagesize: %" SCNu64, &env->page_kb) != 1)
		return -ENOENT;
	return 0;
}

int
mf_huge_mounts_parse(const char *text, struct mf_huge_env *env)
{
	const char *line = text;

	env->mounted = false;
	env->mount[0] = '\0';
	while (line != NULL && *line != '\0') {
		char dev[64], dir[256], type[64];

		if (sscanf(line, "%63s %255s %63s", dev, dir, type) == 3 &&
		    strcmp(type, "hugetlbfs") == 0) {
			env->mounted = true;
			snprintf(env->mount, sizeof(env->mount), "%s", dir);
			return 1;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return 0;
}

static void
read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

void
mf_huge_probe(struct mf_huge_env *env)
{
	char buf[16384];

	memset(env, 0, sizeof(*env));
	read_text("/proc/meminfo", buf, sizeof(buf));
	mf_huge_meminfo_parse(buf, env);
	read_text("/proc/mounts", buf, sizeof(buf));
	mf_huge_mounts_parse(buf, env);
}

int
mf_huge_decide(enum mf_huge mode, unsigned int mem_mb, const struct mf_huge_env *env,
	       char *why, size_t len)
{
	uint64_t free_mb = env->free_pages * env->page_kb / 1024;

	if (mode == MF_HUGE_OFF) {
		snprintf(why, len, "no (--huge off: --no-huge -m %u --no-shconf)", mem_mb);
		return 0;
	}
	if (env->mounted && free_mb >= mem_mb) {
		snprintf(why, len, "yes (%" PRIu64 " x %" PRIu64 " kB free = %" PRIu64 " MB >= "
			 "%u MB needed, hugetlbfs at %s)", env->free_pages, env->page_kb, free_mb,
			 mem_mb, env->mount);
		return 1;
	}
	if (mode == MF_HUGE_ON) {
		if (!env->mounted)
			snprintf(why, len, "--huge on, but no hugetlbfs is mounted; mount one "
				 "(mount -t hugetlbfs nodev /dev/hugepages) or use --huge "
				 "auto|off");
		else
			snprintf(why, len, "--huge on, but only %" PRIu64 " MB of hugepages are "
				 "free and %u MB are needed; reserve more (echo N > "
				 "/proc/sys/vm/nr_hugepages), lower --mem or use --huge auto|off",
				 free_mb, mem_mb);
		return -ENOMEM;
	}
	if (!env->mounted)
		snprintf(why, len, "no (--huge auto: no hugetlbfs mounted; --no-huge -m %u "
			 "--no-shconf)", mem_mb);
	else
		snprintf(why, len, "no (--huge auto: %" PRIu64 " MB of hugepages free < %u MB "
			 "needed; --no-huge -m %u --no-shconf)", free_mb, mem_mb, mem_mb);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Is the process that wrote a pid into the control segment still the one running under that
 * pid? Shared by the core (are a segment's core and a slot's client alive?) and by
 * libmanifold_ctl (is the core alive?), which has no DPDK, so this is header-only and libc-only.
 *
 * A pid alone is not enough: pids are reused (quickly in containers), and a process killed
 * while its parent is busy stays a zombie that kill(pid, 0) still finds. So /proc/<pid>/stat
 * is read for the state (Z or X: dead) and for the start time in clock ticks since boot
 * (field 22), which together with the pid names one process for the life of the machine.
 */
#ifndef MF_PROC_H
#define MF_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads /proc/<pid>/stat: the state letter and the start time. 0, or -errno (-ENOENT: no
 * such process). */
static inline int
mf_proc_stat(uint64_t pid, char *state, uint64_t *start_ticks)
{
	char path[64], buf[1024], *p, *end;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold spaces and parentheses, so the fields start
	 * after the last ')'; the state is field 3, the start time field 22. */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return -EIO;
	p += 2;
	*state = *p;
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return -EIO;
		p++;
	}
	*start_ticks = strtoull(p, &end, 10);
	return end == p ? -EIO : 0;
}

/* Our own start time, to publish beside our pid; 0 when /proc cannot tell. */
static inline uint64_t
mf_proc_self_start(void)
{
	uint64_t start = 0;
	char state;

	if (mf_proc_stat((uint64_t)getpid(), &state, &start) != 0)
		return 0;
	return start;
}

/* 1 when process `pid` runs and is not a zombie, and (when start_ticks is not 0) started at
 * start_ticks, i.e. is the same process that published the pid; else 0. */
static inline int
mf_proc_alive(uint64_t pid, uint64_t start_ticks)
{
	uint64_t start = 0;
	char state = '?';
	int rc;

	/* A value that is no pid (kill() would read it as a process group) is not alive. */
	if (pid == 0 || pid > INT_MAX)
		return 0;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return 0;
	rc = mf_proc_stat(pid, &state, &start);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return 1; /* no /proc to ask: trust kill() */
	if (state == 'Z' || state == 'X' || state == 'x')
		return 0;
	return start_ticks == 0 || start == start_ticks;
}

#endif /* MF_PROC_H */

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Control segment: POSIX shm "/manifold.<name>", mode 0600, MF_SEG_SIZE bytes, laid out by
 * the MF_SEG_* macros of manifold_abi.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mf_proc.h"
#include "segment.h"

#define STALE_WAIT_MS 200 /* how long a segment without magic may be "being created" */

/* Another core's segment: 1 if its core still runs (pid in *pid), 0 if stale, -EAGAIN if it
 * is too young to tell (no magic yet). */
static int
segment_owner_alive(const char *shm_name, uint32_t *pid)
{
	struct mf_seg_header h;
	struct stat st;
	void *p;
	int fd;

	*pid = 0;
	fd = shm_open(shm_name, O_RDONLY, 0);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(h)) {
		close(fd);
		return -EAGAIN;
	}
	p = mmap(NULL, sizeof(h), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	memcpy(&h, p, sizeof(h));
	munmap(p, sizeof(h));
	if (__atomic_load_n(&h.magic, __ATOMIC_ACQUIRE) != MF_ABI_MAGIC)
		return -EAGAIN;
	*pid = h.core_pid;
	/* Our own pid in a segment we did not create: a previous incarnation in a container
	 * that reuses pids. */
	if (h.core_pid == 0 || h.core_pid == (uint32_t)getpid())
		return 0;
	return mf_proc_alive(h.core_pid, h.core_start);
}

static int
segment_open_excl(struct mf_segment *seg, const char *name, char *err, size_t errlen)
{
	unsigned int waited = 0;
	uint32_t pid;
	int rc;

	for (;;) {
		seg->fd = shm_open(seg->shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (seg->fd >= 0)
			return 0;
		if (errno != EEXIST) {
			rc = -errno;
			snprintf(err, errlen, "cannot create /dev/shm%s: %s; check that /dev/shm "
				 "is mounted and writable", seg->shm_name, strerror(-rc));
			return rc;
		}
		rc = segment_owner_alive(seg->shm_name, &pid);
		if (rc == 1) {
			snprintf(err, errlen, "instance '%s' is already running (pid %u); stop it "
				 "first or choose another --name", name, pid);
			return -EEXIST;
		}
		if (rc == -EAGAIN && waited < STALE_WAIT_MS) {
			usleep(10 * 1000);
			waited += 10;
			continue;
		}
		if (shm_unlink(seg->shm_name) < 0 && errno != ENOENT) {
			rc = -errno;
			snprintf(err, errlen, "cannot remove stale /dev/shm%s: %s; remove it by "
				 "hand", seg->shm_name, strerror(-rc));
			return rc;
		}
		if (pid != 0)
			printf("manifold-core: removed stale control segment /dev/shm%s "
			       "(core pid %u is gone)\n", seg->shm_name, pid);
		else
			printf("manifold-core: removed stale control segment /dev/shm%s\n",
			       seg->shm_name);
	}
}

int
mf_segment_create(struct mf_segment *seg, const char *name, char *err, size_t errlen)
{
	struct mf_seg_header *h;
	int rc;

	memset(seg, 0, sizeof(*seg));
	seg->fd = -1;
	snprintf(seg->shm_name, sizeof(seg->shm_name), "%s%s", MF_SEG_PREFIX, name);
	rc = segment_open_excl(seg, name, err, errlen);
	if (rc < 0)
		return rc;
	seg->size = MF_SEG_SIZE;
	if (ftruncate(seg->fd, (off_t)seg->size) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot size /dev/shm%s to %zu bytes: %s; free space in "
			 "/dev/shm", seg->shm_name, seg->size, strerror(-rc));
		goto fail;
	}
	seg->base = mmap(NULL, seg->size, PROT_READ | PROT_WRITE, MAP_SHARED, seg->fd, 0);
	if (seg->base == MAP_FAILED) {
		rc = -errno;
		seg->base = NULL;
		snprintf(err, errlen, "cannot map /dev/shm%s: %s; check memory limits",
			 seg->shm_name, strerror(-rc));
		goto fail;
	}
	/* A fresh tmpfs file reads as zeroes: every client slot is MF_CLIENT_FREE. */
	h = seg->hdr = seg->base;
	seg->clients = (struct mf_client *)((uint8_t *)seg->base + MF_SEG_CLIENTS_OFFSET);
	seg->stats = (struct mf_stats *)((uint8_t *)seg->base + MF_SEG_STATS_OFFSET);
	h->abi_major = MF_ABI_MAJOR;
	h->abi_minor = MF_ABI_MINOR;
	h->header_size = sizeof(*h);
	h->state = MF_SEG_STARTING;
	h->segment_size = seg->size;
	h->core_pid = (uint32_t)getpid();
	h->core_start = mf_proc_self_start();
	h->ring_log2 = MF_RING_LOG2;
	h->max_clients = MF_MAX_CLIENTS;
	h->max_ports = MF_MAX_PORTS;
	h->max_lcores = MF_MAX_LCORES;
	h->start_ns = mf_now_ns();
	h->heartbeat_ns = h->start_ns;
	h->clients_offset = MF_SEG_CLIENTS_OFFSET;
	h->stats_offset = MF_SEG_STATS_OFFSET;
	h->arena_offset = MF_SEG_ARENA_OFFSET;
	h->arena_slot_size = MF_ARENA_SLOT_SIZE;
	h->bulk_offset = MF_SEG_BULK_OFFSET;
	h->bulk_slot_size = MF_BULK_SLOT_SIZE;
	h->bulk_slots = MF_BULK_SLOTS;
	snprintf(h->name, sizeof(h->name), "%s", name);
	/* Magic last: a client that sees it sees a complete header. */
	__atomic_store_n(&h->magic, MF_ABI_MAGIC, __ATOMIC_RELEASE);
	return 0;
fail:
	mf_segment_destroy(seg);
	return rc;
}

void
mf_segment_set_state(struct mf_segment *seg, enum mf_seg_state state)
{
	__atomic_store_n(&seg->hdr->state, (uint32_t)state, __ATOMIC_RELEASE);
}

void
mf_segment_destroy(struct mf_segment *seg)
{
	if (seg->base != NULL) {
		munmap(seg->base, seg->size);
		seg->base = NULL;
		seg->hdr = NULL;
	}
	if (seg->fd >= 0) {
		close(seg->fd);
		seg->fd = -1;
		shm_unlink(seg->shm_name);
	}
}

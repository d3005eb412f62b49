/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libmanifold_ctl: attach to a core's control segment, claim a client slot, exchange requests
 * and completions over its SPSC rings (mf_ring.h does the acquire/release), read the stats
 * region under its seqlock, and notice when the core has gone.
 *
 * Arena slots: request ring entry i owns arena slot i & MF_RING_MASK, and the core writes the
 * reply into that same slot. The library marks a slot busy from submit until its completion
 * is handed out (poll copies the reply out first), and refuses to submit into a busy slot, so a
 * slot is never reused while its reply may still be read, even if the core answered out of
 * order.
 *
 * Bulk slots (MF_BULK_SLOTS per client, for inputs past an arena slot) are the caller's from
 * mf_ctl_bulk_acquire() until the completion of the request that carried one is handed out
 * (or mf_ctl_bulk_release() when it was never submitted): the same rule, so a request that
 * timed out keeps its bulk slot until the core has answered it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "manifold_abi.h"
#include "mf_proc.h"
#include "mf_ring.h"
#include "mf_ctl.h"

#define MF_CTL_ERR_LEN 512
#define MF_CTL_CALL_CTX_BIT (1ull << 63) /* ctx of mf_ctl_call()'s own requests */
#define MF_CTL_SPIN_NS 20000ull          /* mf_ctl_call(): busy-wait this long... */
#define MF_CTL_YIELD_NS 200000ull        /* ...then sched_yield() up to this long... */
#define MF_CTL_SLEEP_NS 50000l           /* ...then sleep in steps of this */
#define MF_CTL_CREATE_WAIT_MS 1000u      /* a segment still being created (size/magic 0) */
#define MF_CTL_STATS_TRIES 100000u

#define NS_PER_MS 1000000ull

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

struct mf_ctl {
	uint8_t *seg;                   /* the mapping */
	size_t seg_len;
	struct mf_seg_header *hdr;
	struct mf_client *cl;           /* our slot */
	struct mf_stats *stats;
	uint32_t client;                /* index of our slot */
	uint32_t core_pid;
	uint64_t core_start;            /* with core_pid, names the core process (mf_proc.h) */
	uint64_t pid;                   /* ours, as written to owner_pid */
	uint32_t generation;            /* of our slot when claimed */
	char name[MF_INSTANCE_NAME_MAX + 1];

	uint8_t busy[MF_RING_SIZE];      /* arena slot holds an unanswered or unread request */
	uint8_t bulk_of[MF_RING_SIZE];   /* 1 + the bulk slot its request carries, or 0 */
	uint8_t bulk_state[MF_BULK_SLOTS]; /* enum bulk_state */
	uint8_t abandoned[MF_RING_SIZE]; /* mf_ctl_call() gave up on it: drop its completion */
	uint32_t n_busy;

	struct mf_completion stash[MF_RING_SIZE]; /* met by mf_ctl_call(), not yet handed out */
	uint32_t stash_head;
	uint32_t stash_n;

	uint64_t call_seq;
	uint64_t next_check_ns;         /* mf_ctl_poll(): next liveness check */
	int gone;                       /* 0, or the -errno once the core was seen gone */
};

enum bulk_state {
	BULK_FREE = 0,
	BULK_HELD = 1,     /* acquired: the caller writes it, then submits it (or releases it) */
	BULK_IN_FLIGHT = 2 /* carried by a request whose completion is not handed out yet */
};

static __thread char last_error[MF_CTL_ERR_LEN];

__attribute__((format(printf, 2, 3))) static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000l, .tv_nsec = ns % 1000000000l };

	nanosleep(&ts, NULL);
}

MF_CTL_API const char *mf_ctl_last_error(void)
{
	return last_error;
}

MF_CTL_API uint32_t mf_ctl_abi_version(void)
{
	return ((uint32_t)MF_ABI_MAJOR << 16) | MF_ABI_MINOR;
}

static uint32_t load_u32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static uint64_t load_u64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static int valid_name(const char *name)
{
	size_t i, n;

	if (name == NULL)
		return 0;
	n = strlen(name);
	if (n == 0 || n > MF_INSTANCE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}

/* ---- attach / detach ------------------------------------------------------------------- */

static int check_geometry(const struct mf_seg_header *h, const char *name, uint64_t size)
{
	static const char rebuild[] = "rebuild both from one checkout (npm run build)";

#define MF_GEOM(field, want)                                                                    \
	do {                                                                                    \
		if ((uint64_t)h->field != (uint64_t)(want))                                     \
			return fail(-EPROTONOSUPPORT,                                           \
				    "core '%s' lays out its segment differently under the same "  \
				    "ABI %u: %s is %llu, this library expects %llu; %s",          \
				    name, (unsigned)h->abi_major, #field,                          \
				    (unsigned long long)h->field, (unsigned long long)(want),      \
				    rebuild);                                                      \
	} while (0)
	MF_GEOM(ring_log2, MF_RING_LOG2);
	MF_GEOM(max_clients, MF_MAX_CLIENTS);
	MF_GEOM(max_ports, MF_MAX_PORTS);
	MF_GEOM(max_lcores, MF_MAX_LCORES);
	MF_GEOM(arena_slot_size, MF_ARENA_SLOT_SIZE);
	MF_GEOM(clients_offset, MF_SEG_CLIENTS_OFFSET);
	MF_GEOM(stats_offset, MF_SEG_STATS_OFFSET);
	MF_GEOM(arena_offset, MF_SEG_ARENA_OFFSET);
	MF_GEOM(bulk_offset, MF_SEG_BULK_OFFSET);
	MF_GEOM(bulk_slot_size, MF_BULK_SLOT_SIZE);
	MF_GEOM(bulk_slots, MF_BULK_SLOTS);
#undef MF_GEOM
	if (h->segment_size < MF_SEG_SIZE || h->segment_size > size)
		return fail(-EPROTONOSUPPORT,
			    "segment of core '%s' is %llu bytes and claims %llu, this library "
			    "expects %llu; not a complete manifold segment, or %s",
			    name, (unsigned long long)size, (unsigned long long)h->segment_size,
			    (unsigned long long)MF_SEG_SIZE, rebuild);
	return 0;
}

/* Checks the header; 0 when usable, 1 when it is still being written, else -errno. */
static int check_header(const struct mf_seg_header *h, const char *name, uint64_t size)
{
	uint32_t magic = load_u32(&h->magic);

	if (magic == 0)
		return 1;
	if (magic != MF_ABI_MAGIC)
		return fail(-EPROTO,
			    "/dev/shm%s%s is not a manifold segment (magic 0x%08x, expected "
			    "0x%08x); remove it if nothing uses it",
			    MF_SEG_PREFIX, name, magic, MF_ABI_MAGIC);
	if (h->abi_major != MF_ABI_MAJOR) {
		if (h->abi_major > MF_ABI_MAJOR)
			return fail(-EPROTONOSUPPORT,
				    "core '%s' speaks ABI %u.%u, this library was built for ABI "
				    "%u.%u; rebuild the client (npm run build)",
				    name, h->abi_major, h->abi_minor, MF_ABI_MAJOR, MF_ABI_MINOR);
		return fail(-EPROTONOSUPPORT,
			    "core '%s' speaks ABI %u.%u, this library was built for ABI %u.%u; "
			    "restart the core from this checkout (npm run build, then manifold "
			    "start --name %s)",
			    name, h->abi_major, h->abi_minor, MF_ABI_MAJOR, MF_ABI_MINOR, name);
	}
	if (h->abi_minor < 1) /* what this library uses of ABI 2.1: the bulk slots */
		return fail(-EPROTONOSUPPORT,
			    "core '%s' speaks ABI %u.%u, this library needs %u.1 (bulk slots for "
			    "aggregate sends); restart the core from this checkout (npm run build, "
			    "then manifold start --name %s)",
			    name, h->abi_major, h->abi_minor, MF_ABI_MAJOR, name);
	if (h->header_size != sizeof(struct mf_seg_header))
		return fail(-EPROTONOSUPPORT,
			    "core '%s' has a %u-byte segment header, this library expects %zu "
			    "under the same ABI %u; rebuild both from one checkout (npm run build)",
			    name, h->header_size, sizeof(struct mf_seg_header), MF_ABI_MAJOR);
	return check_geometry(h, name, size);
}

static int claim_slot(struct mf_ctl *ctl)
{
	uint32_t i, unclean = 0;
	char pids[256];
	size_t off = 0;

	for (i = 0; i < MF_MAX_CLIENTS; i++) {
		struct mf_client *c =
			(struct mf_client *)(ctl->seg + ctl->hdr->clients_offset) + i;
		uint64_t expected = 0;

		if (!__atomic_compare_exchange_n(&c->owner_pid, &expected, ctl->pid, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		/* A freed slot has empty rings; anything else is a slot the core never reset. */
		if (load_u32(&c->req_cons.value) != c->req_prod.value ||
		    load_u32(&c->cpl_prod.value) != c->cpl_cons.value) {
			__atomic_store_n(&c->owner_pid, 0, __ATOMIC_RELEASE);
			unclean++;
			continue;
		}
		ctl->cl = c;
		ctl->client = i;
		ctl->generation = load_u32(&c->generation);
		c->attach_ns = now_ns();
		__atomic_store_n(&c->owner_start, mf_proc_self_start(), __ATOMIC_RELEASE);
		__atomic_store_n(&c->state, (uint32_t)MF_CLIENT_ATTACHED, __ATOMIC_RELEASE);
		return 0;
	}
	pids[0] = '\0';
	for (i = 0; i < MF_MAX_CLIENTS && off < sizeof(pids) - 16; i++) {
		struct mf_client *c =
			(struct mf_client *)(ctl->seg + ctl->hdr->clients_offset) + i;
		int w = snprintf(pids + off, sizeof(pids) - off, "%s%llu", i ? " " : "",
				 (unsigned long long)load_u64(&c->owner_pid));

		if (w > 0)
			off += (size_t)w;
	}
	return fail(-EBUSY,
		    "all %u client slots of instance '%s' are taken (owner pids: %s)%s; detach a "
		    "client, or wait for the core to reclaim the slots of clients that exited",
		    MF_MAX_CLIENTS, ctl->name, pids,
		    unclean ? " and some free slots were not reset by the core" : "");
}

MF_CTL_API int mf_ctl_attach_ex(const char *name, uint32_t timeout_ms, struct mf_ctl **out)
{
	char path[sizeof(MF_SEG_PREFIX) + MF_INSTANCE_NAME_MAX + 1];
	uint64_t start = now_ns();
	uint64_t deadline = start + (uint64_t)timeout_ms * NS_PER_MS;
	uint64_t create_deadline = start + (uint64_t)MF_CTL_CREATE_WAIT_MS * NS_PER_MS;
	struct mf_ctl *ctl;
	struct stat st;
	int fd, rc;

	last_error[0] = '\0';
	if (out == NULL)
		return fail(-EINVAL, "mf_ctl_attach: out must not be NULL");
	*out = NULL;
	if (!valid_name(name))
		return fail(-EINVAL,
			    "bad instance name '%s': use 1 to %d characters from [A-Za-z0-9_-]",
			    name ? name : "(null)", MF_INSTANCE_NAME_MAX);
	snprintf(path, sizeof(path), "%s%s", MF_SEG_PREFIX, name);

	fd = shm_open(path, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT)
			return fail(-ENOENT,
				    "no manifold instance named '%s' (no /dev/shm%s); start one "
				    "with: manifold start --name %s",
				    name, path, name);
		if (e == EACCES)
			return fail(-EACCES,
				    "not allowed to open /dev/shm%s (mode 0600, owned by the user "
				    "who started the core); run as that user",
				    path);
		return fail(-e, "cannot open /dev/shm%s: %s", path, strerror(e));
	}

	/* The core creates the file, sizes it, then writes the header (magic last): a client
	 * racing it sees a short file or a zero magic for a moment. */
	for (;;) {
		if (fstat(fd, &st) < 0) {
			int e = errno;

			close(fd);
			return fail(-e, "cannot stat /dev/shm%s: %s", path, strerror(e));
		}
		if ((uint64_t)st.st_size >= sizeof(struct mf_seg_header))
			break;
		if (now_ns() >= create_deadline) {
			close(fd);
			return fail(-EPROTO,
				    "/dev/shm%s is %lld bytes, smaller than a manifold segment "
				    "header (%zu): not a manifold segment, or its core died while "
				    "creating it; remove it and start the instance again",
				    path, (long long)st.st_size, sizeof(struct mf_seg_header));
		}
		sleep_ns(1000000);
	}

	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL) {
		close(fd);
		return fail(-ENOMEM, "out of memory");
	}
	snprintf(ctl->name, sizeof(ctl->name), "%s", name);
	ctl->pid = (uint64_t)getpid();
	ctl->seg_len = (size_t)st.st_size;
	ctl->seg = mmap(NULL, ctl->seg_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (ctl->seg == MAP_FAILED) {
		int e = errno;

		free(ctl);
		return fail(-e, "cannot map /dev/shm%s (%zu bytes): %s", path,
			    (size_t)st.st_size, strerror(e));
	}
	ctl->hdr = (struct mf_seg_header *)ctl->seg;

	for (;;) {
		rc = check_header(ctl->hdr, name, ctl->seg_len);
		if (rc <= 0)
			break;
		if (now_ns() >= create_deadline) {
			rc = fail(-EPROTO,
				  "/dev/shm%s has no manifold header yet (magic 0): its core died "
				  "while creating it, or it is not a manifold segment; remove it "
				  "and start the instance again",
				  path);
			break;
		}
		sleep_ns(1000000);
	}
	if (rc < 0)
		goto err;

	ctl->core_pid = ctl->hdr->core_pid;
	ctl->core_start = load_u64(&ctl->hdr->core_start);
	ctl->stats = (struct mf_stats *)(ctl->seg + ctl->hdr->stats_offset);
	for (;;) {
		uint32_t state = load_u32(&ctl->hdr->state);

		if (!mf_proc_alive(ctl->core_pid, ctl->core_start)) {
			rc = fail(-ECONNREFUSED,
				  "instance '%s' is not running (stale segment from pid %u); start "
				  "it with: manifold start --name %s (the stale /dev/shm%s is "
				  "replaced)",
				  name, ctl->core_pid, name, path);
			goto err;
		}
		if (state == MF_SEG_RUNNING)
			break;
		if (state == MF_SEG_STOPPING) {
			rc = fail(-ECONNREFUSED,
				  "instance '%s' (pid %u) is shutting down; start it again with: "
				  "manifold start --name %s",
				  name, ctl->core_pid, name);
			goto err;
		}
		if (state != MF_SEG_STARTING) {
			rc = fail(-EPROTO, "instance '%s' (pid %u) is in unknown state %u",
				  name, ctl->core_pid, state);
			goto err;
		}
		if (now_ns() >= deadline) {
			rc = fail(-ETIMEDOUT,
				  "instance '%s' (pid %u) is still starting after %u ms; try "
				  "again, or look at its output",
				  name, ctl->core_pid, timeout_ms);
			goto err;
		}
		sleep_ns(2000000);
	}

	rc = claim_slot(ctl);
	if (rc < 0)
		goto err;
	*out = ctl;
	return 0;
err:
	munmap(ctl->seg, ctl->seg_len);
	free(ctl);
	return rc;
}

MF_CTL_API int mf_ctl_attach(const char *name, struct mf_ctl **out)
{
	return mf_ctl_attach_ex(name, MF_CTL_ATTACH_TIMEOUT_MS, out);
}

MF_CTL_API void mf_ctl_detach(struct mf_ctl *ctl)
{
	if (ctl == NULL)
		return;
	/* The core sees DETACHING, resets the rings, bumps generation and frees the slot. */
	if (load_u64(&ctl->cl->owner_pid) == ctl->pid)
		__atomic_store_n(&ctl->cl->state, (uint32_t)MF_CLIENT_DETACHING, __ATOMIC_RELEASE);
	munmap(ctl->seg, ctl->seg_len);
	free(ctl);
}

/* ---- liveness -------------------------------------------------------------------------- */

/* 0 while the core serves us, else -ECONNRESET (and the reason in last_error). */
static int check_core(struct mf_ctl *ctl)
{
	if (ctl->gone)
		return fail(ctl->gone, "core '%s' (pid %u) has exited", ctl->name, ctl->core_pid);
	if (!mf_proc_alive(ctl->core_pid, ctl->core_start)) {
		ctl->gone = -ECONNRESET;
		return fail(-ECONNRESET, "core '%s' (pid %u) has exited", ctl->name,
			    ctl->core_pid);
	}
	if (load_u64(&ctl->cl->owner_pid) != ctl->pid ||
	    load_u32(&ctl->cl->generation) != ctl->generation) {
		ctl->gone = -ECONNRESET;
		return fail(-ECONNRESET,
			    "core '%s' (pid %u) took back client slot %u; attach again",
			    ctl->name, ctl->core_pid, ctl->client);
	}
	return 0;
}

MF_CTL_API uint32_t mf_ctl_core_pid(const struct mf_ctl *ctl)
{
	return ctl ? ctl->core_pid : 0;
}

MF_CTL_API int mf_ctl_core_alive(const struct mf_ctl *ctl)
{
	return ctl && !ctl->gone && mf_proc_alive(ctl->core_pid, ctl->core_start);
}

MF_CTL_API uint64_t mf_ctl_heartbeat_age_ns(const struct mf_ctl *ctl)
{
	uint64_t hb, now;

	if (ctl == NULL)
		return UINT64_MAX;
	hb = load_u64(&ctl->hdr->heartbeat_ns);
	if (hb == 0)
		return UINT64_MAX;
	now = now_ns();
	return now > hb ? now - hb : 0;
}

MF_CTL_API int mf_ctl_client_index(const struct mf_ctl *ctl)
{
	return ctl ? (int)ctl->client : -EINVAL;
}

MF_CTL_API const char *mf_ctl_name(const struct mf_ctl *ctl)
{
	return ctl ? ctl->name : "";
}

MF_CTL_API uint32_t mf_ctl_in_flight(const struct mf_ctl *ctl)
{
	return ctl ? ctl->n_busy : 0;
}

/* ---- requests -------------------------------------------------------------------------- */

/* A request with MF_REQ_BULK: its bulk slot must be held by the caller (acquired, written,
 * not yet submitted) and hold its input. */
static int check_bulk(const struct mf_ctl *ctl, uint16_t flags, uint32_t in_len)
{
	unsigned int slot = MF_REQ_BULK_SLOT(flags);

	if ((flags & 0xff) != MF_REQ_BULK)
		return fail(-EINVAL, "request flags 0x%x: the only flag is BULK (0x1, the bulk slot "
			    "in the high byte)", flags);
	if (slot >= MF_BULK_SLOTS || ctl->bulk_state[slot] != BULK_HELD)
		return fail(-EINVAL, "bulk slot %u is not held by this caller; take one with "
			    "mf_ctl_bulk_acquire() and write the input there first", slot);
	if (in_len > MF_BULK_SLOT_SIZE)
		return fail(-EMSGSIZE, "request input is %u bytes, a bulk slot holds at most %u",
			    in_len, MF_BULK_SLOT_SIZE);
	return 0;
}

static int check_request(const struct mf_ctl *ctl, uint32_t args_len, uint32_t in_len,
			 const void *in)
{
	if (args_len > MF_CTL_ARGS_MAX)
		return fail(-EINVAL, "request arguments are %u bytes, at most %u fit inline",
			    args_len, MF_CTL_ARGS_MAX);
	if (in_len > MF_ARENA_SLOT_SIZE)
		return fail(-EMSGSIZE,
			    "request input is %u bytes, an arena slot holds at most %u",
			    in_len, MF_ARENA_SLOT_SIZE);
	if (in_len && in == NULL)
		return fail(-EINVAL, "request input is NULL but in_len is %u", in_len);
	(void)ctl;
	return 0;
}

/* Room for one more request at free-running index `head`? */
static int slot_free(const struct mf_ctl *ctl, uint32_t head)
{
	return ctl->n_busy < MF_RING_SIZE && !ctl->busy[head & MF_RING_MASK] &&
	       mf_ring_free(&ctl->cl->req_prod, &ctl->cl->req_cons) > 0;
}

static int full(const struct mf_ctl *ctl)
{
	return fail(-EAGAIN,
		    "%u requests in flight on instance '%s' (the most a client may have is %u); "
		    "poll for completions, then submit again",
		    ctl->n_busy, ctl->name, MF_RING_SIZE);
}

/* Writes request entry at `idx` (not yet published) and its arena input; a bulk request's
 * input is in its bulk slot already. */
static void put_request(struct mf_ctl *ctl, uint32_t idx, const struct mf_request *r,
			const void *in)
{
	struct mf_request *e = &ctl->cl->req[idx & MF_RING_MASK];

	ctl->bulk_of[idx & MF_RING_MASK] = 0;
	if (r->flags & MF_REQ_BULK) {
		ctl->bulk_state[MF_REQ_BULK_SLOT(r->flags)] = BULK_IN_FLIGHT;
		ctl->bulk_of[idx & MF_RING_MASK] = (uint8_t)(1 + MF_REQ_BULK_SLOT(r->flags));
	} else if (r->in_len) {
		memcpy(mf_arena_slot(ctl->seg, ctl->client, idx), in, r->in_len);
	}
	*e = *r;
	ctl->busy[idx & MF_RING_MASK] = 1;
	ctl->abandoned[idx & MF_RING_MASK] = 0;
	ctl->n_busy++;
}

MF_CTL_API int mf_ctl_submit(struct mf_ctl *ctl, uint64_t ctx, uint16_t op, const void *args,
			     uint32_t args_len, const void *in, uint32_t in_len)
{
	struct mf_request r;
	uint32_t head;
	int rc;

	if (ctl == NULL)
		return fail(-EINVAL, "mf_ctl_submit: no handle");
	rc = check_request(ctl, args_len, in_len, in);
	if (rc < 0)
		return rc;
	head = ctl->cl->req_prod.value;
	if (!slot_free(ctl, head))
		return full(ctl);
	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.op = op;
	r.in_len = in_len;
	if (args_len)
		memcpy(r.args, args, args_len);
	put_request(ctl, head, &r, in);
	mf_store_release(&ctl->cl->req_prod.value, head + 1);
	return 0;
}

MF_CTL_API int mf_ctl_submit_batch(struct mf_ctl *ctl, const struct mf_request *reqs,
				   uint32_t n, const void *in, uint32_t in_total)
{
	const uint8_t *src = in;
	uint32_t head, i, used = 0;
	int rc;

	if (ctl == NULL)
		return fail(-EINVAL, "mf_ctl_submit_batch: no handle");
	if (n && reqs == NULL)
		return fail(-EINVAL, "mf_ctl_submit_batch: reqs is NULL");
	head = ctl->cl->req_prod.value;
	for (i = 0; i < n; i++) {
		const bool bulk = reqs[i].flags != 0;

		if (bulk)
			rc = check_bulk(ctl, reqs[i].flags, reqs[i].in_len);
		else
			rc = check_request(ctl, 0, reqs[i].in_len, src ? src + used : NULL);
		if (rc == 0 && !bulk && in_total - used < reqs[i].in_len)
			rc = fail(-EINVAL,
				  "request %u of the batch wants %u input bytes, only %u remain of "
				  "the %u given",
				  i, reqs[i].in_len, in_total - used, in_total);
		if (rc < 0) {
			if (i)
				break; /* queue the good ones; the caller sees a short count */
			return rc;
		}
		if (!slot_free(ctl, head + i))
			break;
		put_request(ctl, head + i, &reqs[i], src ? src + used : NULL);
		if (!bulk)
			used += reqs[i].in_len;
	}
	if (i == 0 && n)
		return full(ctl);
	if (i)
		mf_store_release(&ctl->cl->req_prod.value, head + i);
	return (int)i;
}

/* ---- bulk slots ------------------------------------------------------------------------ */

MF_CTL_API int mf_ctl_bulk_acquire(struct mf_ctl *ctl)
{
	unsigned int i;

	if (ctl == NULL)
		return fail(-EINVAL, "mf_ctl_bulk_acquire: no handle");
	for (i = 0; i < MF_BULK_SLOTS; i++) {
		if (ctl->bulk_state[i] == BULK_FREE) {
			ctl->bulk_state[i] = BULK_HELD;
			return (int)i;
		}
	}
	return fail(-EAGAIN, "all %u bulk slots of this client are in use; poll for the "
		    "completions of the requests that carry them", MF_BULK_SLOTS);
}

MF_CTL_API int mf_ctl_bulk_write(struct mf_ctl *ctl, uint32_t slot, uint32_t offset,
				 const void *src, uint32_t len)
{
	if (ctl == NULL)
		return fail(-EINVAL, "mf_ctl_bulk_write: no handle");
	if (slot >= MF_BULK_SLOTS || ctl->bulk_state[slot] != BULK_HELD)
		return fail(-EINVAL, "bulk slot %u is not held by this caller; take one with "
			    "mf_ctl_bulk_acquire()", slot);
	if (offset > MF_BULK_SLOT_SIZE || len > MF_BULK_SLOT_SIZE - offset)
		return fail(-EMSGSIZE, "%u bytes at offset %u run past the %u bytes of a bulk "
			    "slot", len, offset, MF_BULK_SLOT_SIZE);
	if (len && src == NULL)
		return fail(-EINVAL, "mf_ctl_bulk_write: src is NULL but len is %u", len);
	if (len)
		memcpy((uint8_t *)mf_bulk_slot(ctl->seg, ctl->client, slot) + offset, src, len);
	return 0;
}

MF_CTL_API int mf_ctl_bulk_release(struct mf_ctl *ctl, uint32_t slot)
{
	if (ctl == NULL)
		return fail(-EINVAL, "mf_ctl_bulk_release: no handle");
	if (slot >= MF_BULK_SLOTS || ctl->bulk_state[slot] != BULK_HELD)
		return fail(-EINVAL, "bulk slot %u is not held by this caller (a slot carried by a "
			    "request is freed when its completion is handed out)", slot);
	ctl->bulk_state[slot] = BULK_FREE;
	return 0;
}

/* ---- completions ----------------------------------------------------------------------- */

static void release_slot(struct mf_ctl *ctl, uint32_t slot)
{
	slot &= MF_RING_MASK;
	if (ctl->busy[slot]) {
		if (ctl->bulk_of[slot]) /* the core has answered: its bulk slot is free again */
			ctl->bulk_state[ctl->bulk_of[slot] - 1] = BULK_FREE;
		ctl->bulk_of[slot] = 0;
		ctl->busy[slot] = 0;
		ctl->abandoned[slot] = 0;
		ctl->n_busy--;
	}
}

/* Moves every completion waiting in the ring into the stash, except the one for `slot`
 * with context `ctx`, which is copied to *mine (returns 1 then). Abandoned ones are dropped. */
static int drain_to_stash(struct mf_ctl *ctl, uint32_t slot, uint64_t ctx,
			  struct mf_completion *mine)
{
	struct mf_client *c = ctl->cl;
	uint32_t avail = mf_ring_used(&c->cpl_prod, &c->cpl_cons);
	uint32_t tail = c->cpl_cons.value;
	uint32_t i;
	int found = 0;

	for (i = 0; i < avail; i++) {
		const struct mf_completion *e = &c->cpl[(tail + i) & MF_RING_MASK];
		uint32_t s = e->slot & MF_RING_MASK;

		if (ctl->abandoned[s] && ctl->busy[s]) {
			release_slot(ctl, s);
			continue;
		}
		if (!found && s == slot && e->ctx == ctx) {
			*mine = *e;
			found = 1;
			continue;
		}
		if (ctl->stash_n < MF_RING_SIZE) { /* more only if the core invents completions */
			ctl->stash[(ctl->stash_head + ctl->stash_n) & MF_RING_MASK] = *e;
			ctl->stash_n++;
		}
	}
	if (avail)
		mf_store_release(&c->cpl_cons.value, tail + avail);
	return found;
}

MF_CTL_API int mf_ctl_poll(struct mf_ctl *ctl, struct mf_completion *out, uint32_t max,
			   void *reply_buf, uint32_t reply_cap, uint32_t *reply_lens)
{
	struct mf_client *c;
	uint8_t *dst = reply_buf;
	uint32_t n = 0, off = 0, avail, tail, taken = 0;

	if (ctl == NULL || (max && out == NULL))
		return fail(-EINVAL, "mf_ctl_poll: no handle or no output array");
	c = ctl->cl;
	avail = mf_ring_used(&c->cpl_prod, &c->cpl_cons);
	tail = c->cpl_cons.value;

	while (n < max) {
		const struct mf_completion *e;
		uint32_t slot, len;
		int from_stash = ctl->stash_n > 0;

		if (from_stash)
			e = &ctl->stash[ctl->stash_head & MF_RING_MASK];
		else if (taken < avail)
			e = &c->cpl[(tail + taken) & MF_RING_MASK];
		else
			break;
		slot = e->slot & MF_RING_MASK;
		if (!(ctl->abandoned[slot] && ctl->busy[slot])) {
			len = e->out_len;
			if (len > MF_ARENA_SLOT_SIZE)
				len = MF_ARENA_SLOT_SIZE; /* a core bug; never read past the slot */
			if (len > reply_cap - off || (len && dst == NULL)) {
				if (n == 0) {
					if (taken)
						mf_store_release(&c->cpl_cons.value, tail + taken);
					return fail(-ENOBUFS,
						    "a reply of %u bytes does not fit the %u-byte "
						    "reply buffer; give at least %u bytes per "
						    "completion",
						    len, reply_cap, MF_ARENA_SLOT_SIZE);
				}
				break;
			}
			if (len)
				memcpy(dst + off, mf_arena_slot(ctl->seg, ctl->client, slot), len);
			out[n] = *e;
			out[n].out_len = len;
			out[n].slot = slot;
			out[n].reason[MF_REASON_LEN - 1] = '\0';
			if (reply_lens)
				reply_lens[n] = len;
			off += len;
			n++;
		}
		release_slot(ctl, slot);
		if (from_stash) {
			ctl->stash_head++;
			ctl->stash_n--;
		} else {
			taken++;
		}
	}
	if (taken)
		mf_store_release(&c->cpl_cons.value, tail + taken);
	if (n)
		return (int)n;

	/* Nothing ready: is anyone still there to answer? (rate-limited: kill() and /proc) */
	if (ctl->gone)
		return check_core(ctl);
	{
		uint64_t now = now_ns();

		if (now >= ctl->next_check_ns) {
			int rc;

			ctl->next_check_ns = now + (uint64_t)MF_CTL_LIVENESS_PERIOD_MS * NS_PER_MS;
			rc = check_core(ctl);
			if (rc < 0)
				return rc;
			if (load_u32(&ctl->hdr->state) == MF_SEG_STOPPING && ctl->n_busy == 0)
				return fail(-ECONNRESET,
					    "core '%s' (pid %u) is shutting down; start it again "
					    "with: manifold start --name %s",
					    ctl->name, ctl->core_pid, ctl->name);
		}
	}
	return 0;
}

MF_CTL_API int mf_ctl_call(struct mf_ctl *ctl, uint16_t op, const void *args, uint32_t args_len,
			   const void *in, uint32_t in_len, void *reply, uint32_t reply_cap,
			   uint32_t *reply_len, int32_t *status, char *reason, uint32_t timeout_ms)
{
	struct mf_completion cpl;
	uint64_t ctx, start, next_check, now;
	uint32_t slot, spins = 0;
	int rc;

	if (ctl == NULL)
		return fail(-EINVAL, "mf_ctl_call: no handle");
	if (ctl->gone)
		return check_core(ctl);
	ctx = MF_CTL_CALL_CTX_BIT | ++ctl->call_seq;
	slot = ctl->cl->req_prod.value & MF_RING_MASK;
	rc = mf_ctl_submit(ctl, ctx, op, args, args_len, in, in_len);
	if (rc < 0)
		return rc;

	start = now_ns();
	next_check = start + (uint64_t)MF_CTL_LIVENESS_PERIOD_MS * NS_PER_MS;
	for (;;) {
		if (mf_ring_used(&ctl->cl->cpl_prod, &ctl->cl->cpl_cons) &&
		    drain_to_stash(ctl, slot, ctx, &cpl))
			break;
		if ((++spins & 63) != 0) {
			cpu_relax();
			continue;
		}
		now = now_ns();
		if (now >= next_check) {
			uint64_t hb = load_u64(&ctl->hdr->heartbeat_ns);

			next_check = now + (uint64_t)MF_CTL_LIVENESS_PERIOD_MS * NS_PER_MS;
			rc = check_core(ctl);
			if (rc == 0 && hb != 0 && now > hb &&
			    now - hb > (uint64_t)MF_CTL_HEARTBEAT_STALE_MS * NS_PER_MS)
				rc = fail(-EHOSTDOWN,
					  "core '%s' (pid %u) is alive but its control loop has "
					  "not run for %llu ms (hung, or stopped with SIGSTOP?)",
					  ctl->name, ctl->core_pid,
					  (unsigned long long)((now - hb) / NS_PER_MS));
			if (rc < 0) {
				ctl->abandoned[slot] = 1;
				return rc;
			}
		}
		if (timeout_ms && now - start >= (uint64_t)timeout_ms * NS_PER_MS) {
			ctl->abandoned[slot] = 1;
			return fail(-ETIMEDOUT,
				    "core '%s' (pid %u) did not answer op %u within %u ms",
				    ctl->name, ctl->core_pid, op, timeout_ms);
		}
		if (now - start < MF_CTL_SPIN_NS)
			cpu_relax();
		else if (now - start < MF_CTL_YIELD_NS)
			sched_yield();
		else
			sleep_ns(MF_CTL_SLEEP_NS);
	}

	{
		uint32_t len = cpl.out_len > MF_ARENA_SLOT_SIZE ? MF_ARENA_SLOT_SIZE : cpl.out_len;

		if (reply && reply_cap)
			memcpy(reply, mf_arena_slot(ctl->seg, ctl->client, slot),
			       len < reply_cap ? len : reply_cap);
		if (reply_len)
			*reply_len = len;
	}
	if (status)
		*status = cpl.status;
	if (reason) {
		memcpy(reason, cpl.reason, MF_REASON_LEN);
		reason[MF_REASON_LEN - 1] = '\0';
	}
	release_slot(ctl, slot);
	return 0;
}

/* ---- stats ----------------------------------------------------------------------------- */

MF_CTL_API int mf_ctl_stats_read(struct mf_ctl *ctl, struct mf_stats *out)
{
	const struct mf_stats *s;
	uint32_t tries;

	if (ctl == NULL || out == NULL)
		return fail(-EINVAL, "mf_ctl_stats_read: no handle or no output");
	s = ctl->stats;
	for (tries = 0; tries < MF_CTL_STATS_TRIES; tries++) {
		uint32_t s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE), s2;

		if (s1 & 1) {
			if (tries > 64)
				sched_yield();
			else
				cpu_relax();
			continue;
		}
		memcpy(out, s, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (s1 == s2) {
			out->seq = s1;
			return 0;
		}
	}
	return fail(-EAGAIN,
		    "the stats of instance '%s' changed during each of %u reads (the core keeps "
		    "writing them, or died mid-write); try again",
		    ctl->name, MF_CTL_STATS_TRIES);
}

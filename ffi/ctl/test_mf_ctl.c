/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Self-test of libmanifold_ctl against a fake core played in-process: this program creates
 * control segments itself and a thread serves their client rings (NOP, an echo op, a reject op),
 * folds fake stats under the seqlock and beats the heartbeat. Children that exit stand in for a
 * core that died. Every segment is named mft<pid>_<n> and unlinked at exit, on a fatal signal
 * or on a failed REQUIRE.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "manifold_abi.h"
#include "mf_ring.h"
#include "mf_ctl.h"

#define OP_ECHO 100   /* fake core: reply = input ^ 0x5a (or the args when no input) */
#define OP_REJECT 101 /* fake core: status -EINVAL with a reason */

/* ---- checks and cleanup ---------------------------------------------------------------- */

static int failures;
static int checks;

/* Evaluates cond once; a failed REQUIRE aborts (the handler unlinks the segments). */
#define CHECK_(fatal, cond, ...)                                                                \
	do {                                                                                    \
		checks++;                                                                       \
		if (!(cond)) {                                                                  \
			failures++;                                                             \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);         \
			fprintf(stderr, __VA_ARGS__);                                           \
			fprintf(stderr, " (last error: %s)\n", mf_ctl_last_error());           \
			if (fatal)                                                              \
				abort();                                                        \
		}                                                                               \
	} while (0)
#define CHECK(cond, ...) CHECK_(0, cond, __VA_ARGS__)
#define REQUIRE(cond, ...) CHECK_(1, cond, __VA_ARGS__)

#define MAX_SEGS 64
static char seg_names[MAX_SEGS][64];
static volatile int n_segs;

static void unlink_all(void)
{
	int i;

	for (i = 0; i < n_segs; i++)
		if (seg_names[i][0])
			shm_unlink(seg_names[i]);
}

static void on_fatal(int sig)
{
	unlink_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static const char *new_name(char *buf, size_t len)
{
	static int seq;

	snprintf(buf, len, "mft%d_%d", (int)getpid(), seq++);
	REQUIRE(n_segs < MAX_SEGS, "too many segments");
	snprintf(seg_names[n_segs], sizeof(seg_names[0]), "%s%s", MF_SEG_PREFIX, buf);
	n_segs++;
	return buf;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000l };

	nanosleep(&ts, NULL);
}

/* ---- the fake core --------------------------------------------------------------------- */

struct fake {
	char name[32];
	uint8_t *seg;
	struct mf_seg_header *hdr;
	pthread_t thread;
	int running;       /* thread alive */
	int serve;         /* answer requests */
	int beat;          /* refresh heartbeat_ns */
	int stats_writer;  /* fold fake stats continuously */
	int stats_busy;    /* the thread acknowledges stats_writer */
	uint64_t served;
};

static struct mf_client *client_of(struct fake *f, uint32_t i)
{
	return (struct mf_client *)(f->seg + f->hdr->clients_offset) + i;
}

static int get(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void set(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void serve_client(struct fake *f, uint32_t ci)
{
	struct mf_client *c = client_of(f, ci);
	struct mf_request reqs[MF_RING_SIZE];
	struct mf_completion cpls[MF_RING_SIZE];
	uint32_t room, first, n, i;

	room = mf_ring_free(&c->cpl_prod, &c->cpl_cons);
	if (room == 0)
		return;
	n = mf_req_dequeue(c, reqs, room, &first);
	for (i = 0; i < n; i++) {
		struct mf_completion *k = &cpls[i];
		uint32_t slot = (first + i) & MF_RING_MASK;
		uint8_t *arena = mf_arena_slot(f->seg, ci, slot);
		uint32_t j;

		memset(k, 0, sizeof(*k));
		k->ctx = reqs[i].ctx;
		k->op = reqs[i].op;
		k->slot = slot;
		snprintf(k->reason, sizeof(k->reason), "ok");
		switch (reqs[i].op) {
		case MF_OP_NOP:
			break;
		case OP_ECHO:
			if (reqs[i].flags & MF_REQ_BULK) {
				/* bulk input: reply its length and byte sum */
				const uint8_t *in = mf_bulk_slot(f->seg, ci, MF_REQ_BULK_SLOT(reqs[i].flags));
				uint64_t sum = 0;

				for (j = 0; j < reqs[i].in_len; j++)
					sum += in[j];
				memcpy(arena, &reqs[i].in_len, 4);
				memcpy(arena + 4, &sum, 8);
				k->out_len = 12;
			} else if (reqs[i].in_len) {
				for (j = 0; j < reqs[i].in_len; j++)
					arena[j] ^= 0x5a;
				k->out_len = reqs[i].in_len;
			} else {
				memcpy(arena, reqs[i].args, sizeof(reqs[i].args));
				k->out_len = sizeof(reqs[i].args);
			}
			break;
		case OP_REJECT:
			k->status = -EINVAL;
			snprintf(k->reason, sizeof(k->reason),
				 "port %u does not exist; ports are 0..1", reqs[i].args[0]);
			break;
		default:
			k->status = -EOPNOTSUPP;
			snprintf(k->reason, sizeof(k->reason), "unknown op %u", reqs[i].op);
		}
	}
	if (n) {
		mf_cpl_enqueue(c, cpls, n);
		__atomic_add_fetch(&f->served, n, __ATOMIC_RELAXED);
	}
}

static void fold_stats(struct fake *f, uint64_t v)
{
	struct mf_stats *s = (struct mf_stats *)(f->seg + f->hdr->stats_offset);
	uint32_t p, k;

	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED); /* odd */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->n_ports = 2;
	s->n_lcores = 1;
	s->n_counters = MF_CNT_MAX;
	s->updated_ns = v;
	for (p = 0; p < MF_MAX_PORTS; p++)
		for (k = 0; k < MF_CNT_CAPACITY; k++)
			s->port[p].c[k] = v;
	s->lcore[0].packets = v;
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE); /* even */
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	uint64_t v = 0;

	while (get(&f->running)) {
		uint32_t i;

		if (get(&f->beat))
			__atomic_store_n(&f->hdr->heartbeat_ns, now_ns(), __ATOMIC_RELEASE);
		for (i = 0; i < MF_MAX_CLIENTS; i++) {
			struct mf_client *c = client_of(f, i);
			uint32_t st = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);

			if (__atomic_load_n(&c->owner_pid, __ATOMIC_ACQUIRE) == 0)
				continue;
			if (st == MF_CLIENT_DETACHING) {
				/* Reset the rings where they stand; free the slot last. */
				mf_store_release(&c->req_prod.value, c->req_cons.value);
				mf_store_release(&c->cpl_cons.value, c->cpl_prod.value);
				__atomic_add_fetch(&c->generation, 1, __ATOMIC_RELEASE);
				__atomic_store_n(&c->state, (uint32_t)MF_CLIENT_FREE,
						 __ATOMIC_RELEASE);
				__atomic_store_n(&c->owner_pid, 0, __ATOMIC_RELEASE);
			} else if (st == MF_CLIENT_ATTACHED && get(&f->serve)) {
				serve_client(f, i);
			}
		}
		set(&f->stats_busy, get(&f->stats_writer));
		if (get(&f->stats_busy)) {
			uint64_t t = now_ns();

			fold_stats(f, ++v);
			while (now_ns() - t < 5000) /* a fold every 5 us: far busier than a core */
				;
		} else {
			usleep(20);
		}
	}
	return NULL;
}

/* Creates segment `name` as a core would; magic is stored last. */
static uint8_t *make_segment(const char *name, uint32_t core_pid, uint32_t state)
{
	char path[64];
	struct mf_seg_header *h;
	uint8_t *seg;
	int fd;

	snprintf(path, sizeof(path), "%s%s", MF_SEG_PREFIX, name);
	fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0, "shm_open %s: %s", path, strerror(errno));
	REQUIRE(ftruncate(fd, (off_t)MF_SEG_SIZE) == 0, "ftruncate");
	seg = mmap(NULL, MF_SEG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	REQUIRE(seg != MAP_FAILED, "mmap");
	h = (struct mf_seg_header *)seg;
	h->abi_major = MF_ABI_MAJOR;
	h->abi_minor = MF_ABI_MINOR;
	h->header_size = sizeof(*h);
	h->state = state;
	h->segment_size = MF_SEG_SIZE;
	h->core_pid = core_pid;
	h->ring_log2 = MF_RING_LOG2;
	h->max_clients = MF_MAX_CLIENTS;
	h->max_ports = MF_MAX_PORTS;
	h->max_lcores = MF_MAX_LCORES;
	h->start_ns = now_ns();
	h->heartbeat_ns = now_ns();
	h->clients_offset = MF_SEG_CLIENTS_OFFSET;
	h->stats_offset = MF_SEG_STATS_OFFSET;
	h->arena_offset = MF_SEG_ARENA_OFFSET;
	h->arena_slot_size = MF_ARENA_SLOT_SIZE;
	h->bulk_offset = MF_SEG_BULK_OFFSET;
	h->bulk_slot_size = MF_BULK_SLOT_SIZE;
	h->bulk_slots = MF_BULK_SLOTS;
	snprintf(h->name, sizeof(h->name), "%s", name);
	__atomic_store_n(&h->magic, MF_ABI_MAGIC, __ATOMIC_RELEASE);
	return seg;
}

/* The segment, no thread yet (fake_run starts it). */
static void fake_create(struct fake *f, uint32_t core_pid, uint32_t state)
{
	memset(f, 0, sizeof(*f));
	new_name(f->name, sizeof(f->name));
	f->seg = make_segment(f->name, core_pid, state);
	f->hdr = (struct mf_seg_header *)f->seg;
}

static void fake_run(struct fake *f)
{
	f->running = 1;
	f->serve = 1;
	f->beat = 1;
	REQUIRE(pthread_create(&f->thread, NULL, fake_main, f) == 0, "pthread_create");
}

static void fake_start(struct fake *f, uint32_t core_pid, uint32_t state)
{
	fake_create(f, core_pid, state);
	fake_run(f);
}

static void fake_stop(struct fake *f)
{
	char path[64];

	set(&f->running, 0);
	pthread_join(f->thread, NULL);
	munmap(f->seg, MF_SEG_SIZE);
	snprintf(path, sizeof(path), "%s%s", MF_SEG_PREFIX, f->name);
	shm_unlink(path);
}

/* A child that lives `ms` milliseconds, standing in for a core process. */
static pid_t short_lived_child(unsigned ms)
{
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		sleep_ms(ms);
		_exit(0);
	}
	return pid;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_static(void)
{
	int64_t v = -1;
	uint32_t size = 0, off = 0, i;
	const char *s;

	CHECK(mf_ctl_abi_version() == (((uint32_t)MF_ABI_MAJOR << 16) | MF_ABI_MINOR), "abi");
	CHECK(mf_ctl_counter_count() == MF_CNT_MAX, "count");
	CHECK(strcmp(mf_ctl_counter_name(0), "rx_packets") == 0, "name 0");
	CHECK(strcmp(mf_ctl_counter_name(MF_CNT_FWD_IN), "fwd_in") == 0, "fwd_in");
	CHECK(mf_ctl_counter_name(MF_CNT_MAX) == NULL && mf_ctl_counter_name(-1) == NULL, "oob");
	CHECK(mf_ctl_counter_help(MF_CNT_DROP_BY_MODE) != NULL, "help");

	CHECK(mf_ctl_layout("mf_request", NULL, &size, &off) == 0 && size == 64, "req size");
	CHECK(mf_ctl_layout("mf_completion", "reason", &size, &off) == 0 &&
		      size == MF_REASON_LEN && off == offsetof(struct mf_completion, reason),
	      "reason");
	CHECK(mf_ctl_layout("struct mf_stats", "lcore", &size, &off) == 0 &&
		      off == offsetof(struct mf_stats, lcore),
	      "lcore");
	CHECK(mf_ctl_layout("mf_nothing", NULL, &size, &off) == -ENOENT, "unknown struct");
	CHECK(mf_ctl_layout("mf_request", "nothing", &size, &off) == -ENOENT, "unknown field");

	/* Each field list tiles its struct: no hole, no overlap, nothing past the end. A field
	 * added in C but not to the table leaves a hole (or changes a size) and fails here. */
	for (i = 0; (s = mf_ctl_layout_struct(i)) != NULL; i++) {
		uint32_t total, end = 0, j;
		const char *fname;

		REQUIRE(mf_ctl_layout(s, NULL, &total, NULL) == 0, "%s", s);
		for (j = 0; (fname = mf_ctl_layout_field(s, j)) != NULL; j++) {
			REQUIRE(mf_ctl_layout(s, fname, &size, &off) == 0, "%s.%s", s, fname);
			CHECK(off == end, "%s.%s at %u, previous field ends at %u", s, fname, off,
			      end);
			end = off + size;
		}
		CHECK(j > 0 && end == total, "%s: fields end at %u, struct is %u bytes", s, end,
		      total);
	}
	/* the base 9 at least; op families add theirs, and test/unit/abi-layout.test.ts checks
	 * that the TypeScript mirror names exactly this set */
	CHECK(i >= 9, "at least 9 mirrored structs, got %u", i);

	/* Enumerations: dense from 0 up to their _MAX. */
	for (i = 0; (s = mf_ctl_enum_member("mf_op", i, &v)) != NULL; i++)
		CHECK(v == (int64_t)i, "%s = %lld", s, (long long)v);
	CHECK(i == MF_OP_MAX + 1, "ops");
	for (i = 0; (s = mf_ctl_enum_member("mf_fwd_mode", i, &v)) != NULL; i++)
		CHECK(v == (int64_t)i, "%s = %lld", s, (long long)v);
	CHECK(i == MF_FWD_MAX + 1, "modes");
	for (i = 0; (s = mf_ctl_enum_member("mf_port_counter", i, &v)) != NULL; i++)
		CHECK(v == (int64_t)i, "%s", s);
	CHECK(i == MF_CNT_MAX + 1, "counters");
	CHECK(mf_ctl_enum_value("const", "MF_RING_SIZE", &v) == 0 && v == MF_RING_SIZE, "ring");
	CHECK(mf_ctl_enum_value("mf_op", "MF_OP_FWD_SET", &v) == 0 && v == MF_OP_FWD_SET, "fwd");
	CHECK(mf_ctl_enum_value("mf_op", "MF_OP_BOGUS", &v) == -ENOENT, "bogus");
}

static void test_attach_errors(void)
{
	struct mf_ctl *ctl = NULL;
	char name[32], path[64];
	struct mf_seg_header *h;
	uint8_t *seg;
	pid_t child;
	int rc, fd;

	snprintf(name, sizeof(name), "mfnone%d", (int)getpid());
	rc = mf_ctl_attach(name, &ctl);
	CHECK(rc == -ENOENT && ctl == NULL, "rc %d", rc);
	CHECK(strstr(mf_ctl_last_error(), "no manifold instance named") &&
		      strstr(mf_ctl_last_error(), "manifold start --name"),
	      "ENOENT message");

	CHECK(mf_ctl_attach("a/b", &ctl) == -EINVAL, "bad name");
	CHECK(mf_ctl_attach("", &ctl) == -EINVAL, "empty name");
	CHECK(mf_ctl_attach("abcdefghijklmnopqrstuvwxyz", &ctl) == -EINVAL, "long name");

	/* A file that is not a manifold segment. */
	new_name(name, sizeof(name));
	snprintf(path, sizeof(path), "%s%s", MF_SEG_PREFIX, name);
	fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0, "shm_open");
	REQUIRE(ftruncate(fd, 4096) == 0, "ftruncate");
	REQUIRE(write(fd, "GIF89a-not-manifold", 19) == 19, "write");
	close(fd);
	rc = mf_ctl_attach(name, &ctl);
	CHECK(rc == -EPROTO && strstr(mf_ctl_last_error(), "not a manifold segment"), "rc %d",
	      rc);
	shm_unlink(path);

	/* An empty file (core died while creating it): fails after a short wait, not a hang. */
	new_name(name, sizeof(name));
	snprintf(path, sizeof(path), "%s%s", MF_SEG_PREFIX, name);
	fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0, "shm_open");
	close(fd);
	{
		uint64_t t0 = now_ns();

		rc = mf_ctl_attach(name, &ctl);
		CHECK(rc == -EPROTO && now_ns() - t0 < 3000000000ull, "empty: rc %d", rc);
	}
	shm_unlink(path);

	/* ABI mismatch, both ways. */
	new_name(name, sizeof(name));
	seg = make_segment(name, (uint32_t)getpid(), MF_SEG_RUNNING);
	h = (struct mf_seg_header *)seg;
	h->abi_major = MF_ABI_MAJOR + 1;
	rc = mf_ctl_attach(name, &ctl);
	{
		char want[128];

		snprintf(want, sizeof(want),
			 "core '%s' speaks ABI %d.%d, this library was built for ABI %d.%d; "
			 "rebuild the client (npm run build)",
			 name, MF_ABI_MAJOR + 1, MF_ABI_MINOR, MF_ABI_MAJOR, MF_ABI_MINOR);
		CHECK(rc == -EPROTONOSUPPORT && strcmp(mf_ctl_last_error(), want) == 0,
		      "rc %d, want '%s'", rc, want);
	}
	h->abi_major = MF_ABI_MAJOR - 1;
	rc = mf_ctl_attach(name, &ctl);
	CHECK(rc == -EPROTONOSUPPORT && strstr(mf_ctl_last_error(), "restart the core"),
	      "older core");
	h->abi_major = MF_ABI_MAJOR;
	h->abi_minor = 0; /* a core from before the bulk slots */
	rc = mf_ctl_attach(name, &ctl);
	CHECK(rc == -EPROTONOSUPPORT && strstr(mf_ctl_last_error(), "needs 2.1 (bulk slots"),
	      "core of ABI x.0: %s", mf_ctl_last_error());
	h->abi_minor = MF_ABI_MINOR;
	h->header_size = 128;
	rc = mf_ctl_attach(name, &ctl);
	CHECK(rc == -EPROTONOSUPPORT && strstr(mf_ctl_last_error(), "header"), "header size");
	h->header_size = sizeof(*h);
	h->arena_slot_size = 4096;
	rc = mf_ctl_attach(name, &ctl);
	CHECK(rc == -EPROTONOSUPPORT && strstr(mf_ctl_last_error(), "arena_slot_size"),
	      "geometry");
	h->arena_slot_size = MF_ARENA_SLOT_SIZE;

	/* Stale segment: its core is gone. */
	child = short_lived_child(0);
	waitpid(child, NULL, 0);
	h->core_pid = (uint32_t)child;
	rc = mf_ctl_attach(name, &ctl);
	{
		char want[96];

		snprintf(want, sizeof(want), "not running (stale segment from pid %d)", (int)child);
		CHECK(rc == -ECONNREFUSED && strstr(mf_ctl_last_error(), want), "stale: rc %d",
		      rc);
	}

	/* Shutting down. */
	h->core_pid = (uint32_t)getpid();
	h->state = MF_SEG_STOPPING;
	rc = mf_ctl_attach(name, &ctl);
	CHECK(rc == -ECONNREFUSED && strstr(mf_ctl_last_error(), "shutting down"), "stopping");

	/* Still starting: waits, then times out. */
	h->state = MF_SEG_STARTING;
	{
		uint64_t t0 = now_ns();

		rc = mf_ctl_attach_ex(name, 300, &ctl);
		CHECK(rc == -ETIMEDOUT && now_ns() - t0 >= 290000000ull, "starting: rc %d", rc);
	}
	munmap(seg, MF_SEG_SIZE);
	snprintf(path, sizeof(path), "%s%s", MF_SEG_PREFIX, name);
	shm_unlink(path);
}

static void *flip_running(void *arg)
{
	struct fake *f = arg;

	sleep_ms(200);
	__atomic_store_n(&f->hdr->state, (uint32_t)MF_SEG_RUNNING, __ATOMIC_RELEASE);
	return NULL;
}

static void test_wait_starting(void)
{
	struct fake f;
	struct mf_ctl *ctl = NULL;
	pthread_t t;
	uint64_t t0;
	int rc;

	fake_start(&f, (uint32_t)getpid(), MF_SEG_STARTING);
	pthread_create(&t, NULL, flip_running, &f);
	t0 = now_ns();
	rc = mf_ctl_attach(f.name, &ctl);
	CHECK(rc == 0 && now_ns() - t0 >= 150000000ull, "rc %d", rc);
	pthread_join(t, NULL);
	mf_ctl_detach(ctl);
	fake_stop(&f);
}

static void test_basic(void)
{
	struct fake f;
	struct mf_ctl *ctl = NULL;
	struct mf_completion cpl[MF_RING_SIZE];
	static uint8_t replies[MF_RING_SIZE * MF_ARENA_SLOT_SIZE];
	uint32_t lens[MF_RING_SIZE], reply_len = 0, i, off, got;
	uint8_t in[1000], out[1000];
	char reason[MF_REASON_LEN];
	int32_t status = 1;
	int rc;

	fake_start(&f, (uint32_t)getpid(), MF_SEG_RUNNING);
	rc = mf_ctl_attach(f.name, &ctl);
	REQUIRE(rc == 0, "attach %d", rc);
	CHECK(mf_ctl_core_pid(ctl) == (uint32_t)getpid(), "pid");
	CHECK(mf_ctl_core_alive(ctl) == 1, "alive");
	CHECK(mf_ctl_client_index(ctl) == 0, "slot 0");
	CHECK(strcmp(mf_ctl_name(ctl), f.name) == 0, "name");
	CHECK(mf_ctl_heartbeat_age_ns(ctl) < 1000000000ull, "heartbeat");
	CHECK(client_of(&f, 0)->owner_pid == (uint64_t)getpid() &&
		      client_of(&f, 0)->state == MF_CLIENT_ATTACHED &&
		      client_of(&f, 0)->attach_ns != 0,
	      "slot claimed");

	rc = mf_ctl_call(ctl, MF_OP_NOP, NULL, 0, NULL, 0, NULL, 0, &reply_len, &status, reason,
			 2000);
	CHECK(rc == 0 && status == 0 && reply_len == 0 && strcmp(reason, "ok") == 0,
	      "nop rc %d status %d", rc, status);

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7);
	rc = mf_ctl_call(ctl, OP_ECHO, NULL, 0, in, sizeof(in), out, sizeof(out), &reply_len,
			 &status, reason, 2000);
	CHECK(rc == 0 && status == 0 && reply_len == sizeof(in), "echo rc %d len %u", rc,
	      reply_len);
	for (i = 0; i < sizeof(in); i++)
		if (out[i] != (in[i] ^ 0x5a))
			break;
	CHECK(i == sizeof(in), "echo bytes differ at %u", i);

	{
		uint8_t arg = 9;

		rc = mf_ctl_call(ctl, OP_REJECT, &arg, 1, NULL, 0, NULL, 0, &reply_len, &status,
				 reason, 2000);
		CHECK(rc == 0 && status == -EINVAL && strstr(reason, "port 9"),
		      "reject rc %d status %d reason %s", rc, status, reason);
	}

	/* Argument checks. */
	{
		uint8_t big[MF_CTL_ARGS_MAX + 1] = { 0 };

		CHECK(mf_ctl_submit(ctl, 1, MF_OP_NOP, big, sizeof(big), NULL, 0) == -EINVAL,
		      "args too long");
		CHECK(mf_ctl_submit(ctl, 1, MF_OP_NOP, NULL, 0, replies, MF_ARENA_SLOT_SIZE + 1) ==
			      -EMSGSIZE,
		      "input too long");
		CHECK(mf_ctl_in_flight(ctl) == 0, "nothing queued by failures");
	}

	/* Asynchronous: many in flight, replies packed back to back in one poll. */
	for (i = 0; i < 10; i++) {
		uint8_t a[8];

		memset(a, (int)i, sizeof(a));
		rc = mf_ctl_submit(ctl, 1000 + i, OP_ECHO, a, sizeof(a), NULL, 0);
		CHECK(rc == 0, "submit %u: %d", i, rc);
	}
	got = 0;
	off = 0;
	for (int spins = 0; got < 10 && spins < 100000; spins++) {
		rc = mf_ctl_poll(ctl, cpl + got, MF_RING_SIZE - got, replies + off,
				 (uint32_t)sizeof(replies) - off, lens + got);
		REQUIRE(rc >= 0, "poll %d", rc);
		for (i = got; i < got + (uint32_t)rc; i++)
			off += lens[i];
		got += (uint32_t)rc;
		if (rc == 0)
			usleep(50);
	}
	CHECK(got == 10, "got %u", got);
	off = 0;
	for (i = 0; i < got; i++) {
		CHECK(cpl[i].ctx == 1000 + i && cpl[i].status == 0 && lens[i] == 48 &&
			      cpl[i].out_len == 48,
		      "cpl %u ctx %llu", i, (unsigned long long)cpl[i].ctx);
		CHECK(replies[off] == i && replies[off + 7] == i && replies[off + 8] == 0,
		      "reply %u", i);
		off += lens[i];
	}
	CHECK(mf_ctl_in_flight(ctl) == 0, "in flight %u", mf_ctl_in_flight(ctl));

	/* A call amid asynchronous requests: the others wait for the next poll, in order. */
	set(&f.serve, 0);
	for (i = 0; i < 3; i++)
		CHECK(mf_ctl_submit(ctl, 2000 + i, MF_OP_NOP, NULL, 0, NULL, 0) == 0, "submit");
	set(&f.serve, 1);
	rc = mf_ctl_call(ctl, OP_ECHO, NULL, 0, in, 4, out, sizeof(out), &reply_len, &status,
			 reason, 2000);
	CHECK(rc == 0 && reply_len == 4 && out[1] == (in[1] ^ 0x5a), "call amid async %d", rc);
	for (i = 0; i < 3; i++)
		CHECK(mf_ctl_submit(ctl, 3000 + i, MF_OP_NOP, NULL, 0, NULL, 0) == 0, "submit");
	got = 0;
	for (int spins = 0; got < 6 && spins < 100000; spins++) {
		rc = mf_ctl_poll(ctl, cpl + got, MF_RING_SIZE - got, replies, sizeof(replies),
				 lens + got);
		REQUIRE(rc >= 0, "poll %d", rc);
		got += (uint32_t)rc;
		if (rc == 0)
			usleep(50);
	}
	CHECK(got == 6 && cpl[0].ctx == 2000 && cpl[2].ctx == 2002 && cpl[3].ctx == 3000 &&
		      cpl[5].ctx == 3002,
	      "order after call: got %u", got);

	/* A reply larger than the buffer is not consumed: -ENOBUFS, then fine with room. */
	CHECK(mf_ctl_submit(ctl, 4000, OP_ECHO, NULL, 0, in, 100) == 0, "submit");
	do
		rc = mf_ctl_poll(ctl, cpl, 1, replies, 50, lens);
	while (rc == 0);
	CHECK(rc == -ENOBUFS, "enobufs %d", rc);
	rc = mf_ctl_poll(ctl, cpl, 1, replies, sizeof(replies), lens);
	CHECK(rc == 1 && cpl[0].ctx == 4000 && lens[0] == 100, "after enobufs %d", rc);

	/* Detach frees the slot (the fake core bumps the generation). */
	{
		uint32_t gen = __atomic_load_n(&client_of(&f, 0)->generation, __ATOMIC_ACQUIRE);

		mf_ctl_detach(ctl);
		for (i = 0; i < 1000 && __atomic_load_n(&client_of(&f, 0)->owner_pid,
							 __ATOMIC_ACQUIRE); i++)
			sleep_ms(1);
		CHECK(__atomic_load_n(&client_of(&f, 0)->generation, __ATOMIC_ACQUIRE) == gen + 1,
		      "slot freed");
	}
	fake_stop(&f);
}

static void test_eagain(void)
{
	struct fake f;
	struct mf_ctl *ctl = NULL;
	struct mf_completion cpl[MF_RING_SIZE];
	static uint8_t replies[MF_RING_SIZE * MF_ARENA_SLOT_SIZE];
	uint32_t lens[MF_RING_SIZE], i, got = 0;
	int rc;

	fake_start(&f, (uint32_t)getpid(), MF_SEG_RUNNING);
	REQUIRE(mf_ctl_attach(f.name, &ctl) == 0, "attach");
	set(&f.serve, 0);
	for (i = 0; i < MF_RING_SIZE; i++) {
		rc = mf_ctl_submit(ctl, i, MF_OP_NOP, NULL, 0, NULL, 0);
		CHECK(rc == 0, "submit %u: %d", i, rc);
	}
	CHECK(mf_ctl_in_flight(ctl) == MF_RING_SIZE, "in flight");
	rc = mf_ctl_submit(ctl, 99, MF_OP_NOP, NULL, 0, NULL, 0);
	CHECK(rc == -EAGAIN && strstr(mf_ctl_last_error(), "in flight"), "65th: %d", rc);
	{
		struct mf_request r = { .ctx = 99 };

		CHECK(mf_ctl_submit_batch(ctl, &r, 1, NULL, 0) == -EAGAIN, "batch full");
	}
	/* The core answers them all, but the ring slots stay ours until polled. */
	set(&f.serve, 1);
	while (__atomic_load_n(&f.served, __ATOMIC_RELAXED) < MF_RING_SIZE)
		sleep_ms(1);
	CHECK(mf_ctl_submit(ctl, 99, MF_OP_NOP, NULL, 0, NULL, 0) == -EAGAIN, "unpolled");
	rc = mf_ctl_poll(ctl, cpl, 10, replies, sizeof(replies), lens);
	CHECK(rc == 10, "poll 10: %d", rc);
	got = (uint32_t)rc;
	/* The next index maps to slot 0, which has been read: submitting works again. */
	CHECK(mf_ctl_submit(ctl, 100, MF_OP_NOP, NULL, 0, NULL, 0) == 0, "after poll");
	for (int spins = 0; got < MF_RING_SIZE + 1 && spins < 100000; spins++) {
		rc = mf_ctl_poll(ctl, cpl, MF_RING_SIZE, replies, sizeof(replies), lens);
		REQUIRE(rc >= 0, "poll");
		got += (uint32_t)rc;
		if (rc == 0)
			usleep(50);
	}
	CHECK(got == MF_RING_SIZE + 1 && mf_ctl_in_flight(ctl) == 0, "got %u", got);
	mf_ctl_detach(ctl);
	fake_stop(&f);
}

/* Indexes start just below 2^32 so the run crosses the wrap; > 3 * MF_RING_SIZE requests. */
static void test_wrap(void)
{
	struct fake f;
	struct mf_ctl *ctl = NULL;
	struct mf_completion cpl[MF_RING_SIZE];
	static uint8_t replies[MF_RING_SIZE * MF_ARENA_SLOT_SIZE];
	struct mf_request batch[20];
	uint8_t in[20 * 64];
	uint32_t lens[MF_RING_SIZE], i, start = UINT32_MAX - 100;
	uint64_t next_ctx = 0, expect_ctx = 0, total = 10 * MF_RING_SIZE;
	int rc, bad = 0;

	fake_create(&f, (uint32_t)getpid(), MF_SEG_RUNNING);
	for (i = 0; i < MF_MAX_CLIENTS; i++) {
		struct mf_client *c = client_of(&f, i);

		c->req_prod.value = c->req_cons.value = start;
		c->cpl_prod.value = c->cpl_cons.value = start - 7; /* need not match req's */
	}
	fake_run(&f);
	REQUIRE(mf_ctl_attach(f.name, &ctl) == 0, "attach");
	CHECK(mf_ctl_client_index(ctl) == 0, "slot 0");

	while (expect_ctx < total) {
		/* Alternate single and batched submits with inputs of varying size. */
		if (next_ctx < total && (next_ctx / 20) % 2 == 0) {
			uint32_t len = (uint32_t)(next_ctx % 64) + 1;
			uint8_t buf[64];

			memset(buf, (int)(next_ctx & 0xff), len);
			rc = mf_ctl_submit(ctl, next_ctx, OP_ECHO, NULL, 0, buf, len);
			if (rc == 0)
				next_ctx++;
			else
				CHECK(rc == -EAGAIN, "submit %d", rc);
		} else if (next_ctx < total) {
			uint32_t n = 0, used = 0;

			while (n < 20 && next_ctx + n < total) {
				uint64_t ctx = next_ctx + n;
				uint32_t len = (uint32_t)(ctx % 64) + 1;

				memset(&batch[n], 0, sizeof(batch[n]));
				batch[n].ctx = ctx;
				batch[n].op = OP_ECHO;
				batch[n].in_len = len;
				memset(in + used, (int)(ctx & 0xff), len);
				used += len;
				n++;
			}
			rc = mf_ctl_submit_batch(ctl, batch, n, in, used);
			if (rc > 0)
				next_ctx += (uint32_t)rc;
			else
				CHECK(rc == -EAGAIN, "batch %d", rc);
		}
		rc = mf_ctl_poll(ctl, cpl, MF_RING_SIZE, replies, sizeof(replies), lens);
		REQUIRE(rc >= 0, "poll %d", rc);
		{
			uint32_t off = 0;

			for (i = 0; i < (uint32_t)rc; i++) {
				uint64_t ctx = cpl[i].ctx;
				uint32_t len = (uint32_t)(ctx % 64) + 1, j;

				if (ctx != expect_ctx || lens[i] != len) {
					bad++;
				} else {
					for (j = 0; j < len; j++)
						if (replies[off + j] != ((ctx & 0xff) ^ 0x5a))
							bad++;
				}
				off += lens[i];
				expect_ctx++;
			}
		}
		if (rc == 0)
			usleep(20);
	}
	CHECK(bad == 0, "%d bad completions", bad);
	{
		uint32_t prod = __atomic_load_n(&client_of(&f, 0)->req_prod.value,
						__ATOMIC_ACQUIRE);

		CHECK(prod == start + (uint32_t)total && prod < 1000,
		      "request index went from %u across 2^32 to %u", start, prod);
	}
	/* mf_ctl_call across the wrap too. */
	for (i = 0; i < 3 * MF_RING_SIZE; i++) {
		int32_t status = 1;

		rc = mf_ctl_call(ctl, MF_OP_NOP, NULL, 0, NULL, 0, NULL, 0, NULL, &status, NULL,
				 2000);
		if (rc != 0 || status != 0)
			bad++;
	}
	CHECK(bad == 0 && mf_ctl_in_flight(ctl) == 0, "calls: %d bad", bad);
	mf_ctl_detach(ctl);
	fake_stop(&f);
}

static void test_busy(void)
{
	struct fake f;
	struct mf_ctl *ctl[MF_MAX_CLIENTS + 1];
	int i, rc;

	fake_start(&f, (uint32_t)getpid(), MF_SEG_RUNNING);
	for (i = 0; i < MF_MAX_CLIENTS; i++) {
		REQUIRE(mf_ctl_attach(f.name, &ctl[i]) == 0, "attach %d", i);
		CHECK(mf_ctl_client_index(ctl[i]) == i, "slot %d", mf_ctl_client_index(ctl[i]));
	}
	rc = mf_ctl_attach(f.name, &ctl[MF_MAX_CLIENTS]);
	CHECK(rc == -EBUSY && strstr(mf_ctl_last_error(), "client slots"), "17th: %d", rc);
	mf_ctl_detach(ctl[3]);
	for (i = 0; i < 1000; i++) {
		rc = mf_ctl_attach(f.name, &ctl[MF_MAX_CLIENTS]);
		if (rc != -EBUSY)
			break;
		sleep_ms(1);
	}
	CHECK(rc == 0 && mf_ctl_client_index(ctl[MF_MAX_CLIENTS]) == 3, "reuse slot 3: %d", rc);
	ctl[3] = ctl[MF_MAX_CLIENTS];
	for (i = 0; i < MF_MAX_CLIENTS; i++) {
		int32_t status = 1;

		rc = mf_ctl_call(ctl[i], MF_OP_NOP, NULL, 0, NULL, 0, NULL, 0, NULL, &status, NULL,
				 2000);
		CHECK(rc == 0 && status == 0, "client %d: %d", i, rc);
		mf_ctl_detach(ctl[i]);
	}
	fake_stop(&f);
}

/* Bulk slots: held from acquire to the completion of the request that carried one; inputs of
 * up to MF_BULK_SLOT_SIZE reach the core in place; misuse is refused with a reason. */
static void test_bulk(void)
{
	static uint8_t data[MF_BULK_SLOT_SIZE];
	struct mf_request reqs[MF_BULK_SLOTS];
	struct mf_completion cpl[MF_BULK_SLOTS];
	uint8_t replies[MF_BULK_SLOTS * MF_ARENA_SLOT_SIZE];
	uint32_t lens[MF_BULK_SLOTS];
	uint64_t want[MF_BULK_SLOTS];
	struct mf_ctl *ctl;
	struct fake f;
	int slots[MF_BULK_SLOTS];
	int i, rc, got = 0;
	uint32_t j;

	fake_start(&f, (uint32_t)getpid(), MF_SEG_RUNNING);
	REQUIRE(mf_ctl_attach(f.name, &ctl) == 0, "attach: %s", mf_ctl_last_error());
	for (i = 0; i < MF_BULK_SLOTS; i++) {
		slots[i] = mf_ctl_bulk_acquire(ctl);
		CHECK(slots[i] == i, "acquire %d: %d", i, slots[i]);
	}
	rc = mf_ctl_bulk_acquire(ctl);
	CHECK(rc == -EAGAIN && strstr(mf_ctl_last_error(), "bulk slots"), "all held: %d", rc);
	rc = mf_ctl_bulk_write(ctl, 0, MF_BULK_SLOT_SIZE - 8, data, 9);
	CHECK(rc == -EMSGSIZE && strstr(mf_ctl_last_error(), "run past"), "past the end: %d", rc);
	CHECK(mf_ctl_bulk_release(ctl, 3) == 0, "release 3");
	rc = mf_ctl_bulk_write(ctl, 3, 0, data, 8);
	CHECK(rc == -EINVAL && strstr(mf_ctl_last_error(), "not held"), "write released: %d", rc);
	memset(reqs, 0, sizeof(reqs));
	reqs[0].op = OP_ECHO;
	reqs[0].flags = MF_REQ_BULK_FLAGS(3);
	reqs[0].in_len = 8;
	rc = mf_ctl_submit_batch(ctl, reqs, 1, NULL, 0);
	CHECK(rc == -EINVAL && strstr(mf_ctl_last_error(), "not held"), "submit released: %d", rc);
	CHECK(mf_ctl_bulk_acquire(ctl) == 3, "acquire 3 again");

	/* four full slots, different bytes each, written in two parts */
	for (i = 0; i < MF_BULK_SLOTS; i++) {
		want[i] = 0;
		for (j = 0; j < MF_BULK_SLOT_SIZE; j++) {
			data[j] = (uint8_t)(j * 7 + (uint32_t)i * 13);
			want[i] += data[j];
		}
		CHECK(mf_ctl_bulk_write(ctl, (uint32_t)i, 0, data, 1000) == 0, "write a %d", i);
		CHECK(mf_ctl_bulk_write(ctl, (uint32_t)i, 1000, data + 1000,
					MF_BULK_SLOT_SIZE - 1000) == 0, "write b %d", i);
		reqs[i].ctx = 100 + (uint64_t)i;
		reqs[i].op = OP_ECHO;
		reqs[i].flags = MF_REQ_BULK_FLAGS(i);
		reqs[i].in_len = MF_BULK_SLOT_SIZE;
	}
	reqs[1].in_len = MF_BULK_SLOT_SIZE + 1;
	rc = mf_ctl_submit_batch(ctl, reqs, MF_BULK_SLOTS, NULL, 0);
	CHECK(rc == 1, "the batch stops at the oversized one: %d (%s)", rc, mf_ctl_last_error());
	reqs[1].in_len = MF_BULK_SLOT_SIZE;
	rc = mf_ctl_submit_batch(ctl, reqs + 1, MF_BULK_SLOTS - 1, NULL, 0);
	CHECK(rc == MF_BULK_SLOTS - 1, "the rest: %d (%s)", rc, mf_ctl_last_error());
	CHECK(mf_ctl_bulk_acquire(ctl) == -EAGAIN, "in flight: none free");
	for (j = 0; j < 2000 && got < MF_BULK_SLOTS; j++) {
		uint32_t off = 0;
		int k;

		rc = mf_ctl_poll(ctl, cpl, MF_BULK_SLOTS, replies, sizeof(replies), lens);
		REQUIRE(rc >= 0, "poll: %s", mf_ctl_last_error());
		for (k = 0; k < rc; k++) {
			uint32_t len;
			uint64_t sum;
			int which = (int)(cpl[k].ctx - 100);

			memcpy(&len, replies + off, 4);
			memcpy(&sum, replies + off + 4, 8);
			CHECK(cpl[k].status == 0 && which >= 0 && which < MF_BULK_SLOTS &&
			      len == MF_BULK_SLOT_SIZE && sum == want[which],
			      "reply %d: len %u sum %llu want %llu", which, len,
			      (unsigned long long)sum, (unsigned long long)want[which]);
			off += lens[k];
		}
		got += rc;
		if (got < MF_BULK_SLOTS)
			sleep_ms(1);
	}
	CHECK(got == MF_BULK_SLOTS, "%d completions", got);
	for (i = 0; i < MF_BULK_SLOTS; i++)
		CHECK(mf_ctl_bulk_acquire(ctl) >= 0, "free again after the completions %d", i);
	rc = mf_ctl_bulk_release(ctl, MF_BULK_SLOTS);
	CHECK(rc == -EINVAL, "release of a slot that does not exist: %d", rc);
	mf_ctl_detach(ctl);
	fake_stop(&f);
}

/* The core process exits while a request waits: -ECONNRESET within a second, never a hang.
 * The child is left a zombie (as a core killed under a busy parent is) for the call, and is
 * reaped for the poll. */
static void test_dead_core(void)
{
	struct fake f;
	struct mf_ctl *ctl = NULL;
	struct mf_completion cpl[4];
	uint8_t replies[4 * 64];
	uint32_t lens[4];
	pid_t child;
	uint64_t t_exit, t_done;
	int rc, status;

	/* mf_ctl_call, zombie core. */
	child = short_lived_child(300);
	fake_start(&f, (uint32_t)child, MF_SEG_RUNNING);
	set(&f.serve, 0); /* heartbeat keeps beating: only the pid tells */
	REQUIRE(mf_ctl_attach(f.name, &ctl) == 0, "attach");
	t_exit = now_ns() + 300000000ull;
	rc = mf_ctl_call(ctl, MF_OP_NOP, NULL, 0, NULL, 0, NULL, 0, NULL, NULL, NULL, 10000);
	t_done = now_ns();
	CHECK(rc == -ECONNRESET, "call: %d", rc);
	CHECK(t_done < t_exit + 1000000000ull, "call noticed after %llu ms",
	      (unsigned long long)((t_done - t_exit) / 1000000));
	{
		char want[96];

		snprintf(want, sizeof(want), "core '%s' (pid %d) has exited", f.name, (int)child);
		CHECK(strcmp(mf_ctl_last_error(), want) == 0, "message");
	}
	CHECK(mf_ctl_core_alive(ctl) == 0, "not alive");
	rc = mf_ctl_poll(ctl, cpl, 4, replies, sizeof(replies), lens);
	CHECK(rc == -ECONNRESET, "poll after death: %d", rc);
	waitpid(child, &status, 0);
	mf_ctl_detach(ctl);
	fake_stop(&f);

	/* mf_ctl_poll, reaped core. */
	child = short_lived_child(300);
	fake_start(&f, (uint32_t)child, MF_SEG_RUNNING);
	set(&f.serve, 0);
	REQUIRE(mf_ctl_attach(f.name, &ctl) == 0, "attach");
	CHECK(mf_ctl_submit(ctl, 7, MF_OP_NOP, NULL, 0, NULL, 0) == 0, "submit");
	waitpid(child, &status, 0);
	t_exit = now_ns();
	do {
		rc = mf_ctl_poll(ctl, cpl, 4, replies, sizeof(replies), lens);
		if (rc == 0)
			usleep(1000);
	} while (rc == 0 && now_ns() - t_exit < 5000000000ull);
	t_done = now_ns();
	CHECK(rc == -ECONNRESET && t_done - t_exit < 1000000000ull, "poll: %d after %llu ms", rc,
	      (unsigned long long)((t_done - t_exit) / 1000000));
	mf_ctl_detach(ctl);
	fake_stop(&f);
}

static void test_hung_and_timeout(void)
{
	struct fake f;
	struct mf_ctl *ctl = NULL;
	struct mf_completion cpl[4];
	uint8_t replies[4 * 64];
	uint32_t lens[4];
	uint64_t t0, dt;
	int rc, i;

	fake_start(&f, (uint32_t)getpid(), MF_SEG_RUNNING);
	REQUIRE(mf_ctl_attach(f.name, &ctl) == 0, "attach");

	/* No answer within the timeout while the heartbeat beats: -ETIMEDOUT, on time. */
	set(&f.serve, 0);
	t0 = now_ns();
	rc = mf_ctl_call(ctl, MF_OP_NOP, NULL, 0, NULL, 0, NULL, 0, NULL, NULL, NULL, 200);
	dt = now_ns() - t0;
	CHECK(rc == -ETIMEDOUT && dt >= 200000000ull && dt < 600000000ull, "timeout %d, %llu ms",
	      rc, (unsigned long long)(dt / 1000000));
	CHECK(mf_ctl_in_flight(ctl) == 1, "abandoned request still owns its slot");
	/* The late answer is dropped, and frees the slot. */
	set(&f.serve, 1);
	for (i = 0; i < 1000 && mf_ctl_in_flight(ctl); i++) {
		rc = mf_ctl_poll(ctl, cpl, 4, replies, sizeof(replies), lens);
		CHECK(rc == 0, "late completion handed out: %d", rc);
		sleep_ms(1);
	}
	CHECK(mf_ctl_in_flight(ctl) == 0, "slot back");

	/* Alive but the heartbeat stopped: -EHOSTDOWN after about a second. */
	set(&f.serve, 0);
	set(&f.beat, 0);
	t0 = now_ns();
	rc = mf_ctl_call(ctl, MF_OP_NOP, NULL, 0, NULL, 0, NULL, 0, NULL, NULL, NULL, 10000);
	dt = now_ns() - t0;
	CHECK(rc == -EHOSTDOWN && dt < 1500000000ull &&
		      strstr(mf_ctl_last_error(), "control loop"),
	      "hung %d after %llu ms", rc, (unsigned long long)(dt / 1000000));
	set(&f.beat, 1);
	set(&f.serve, 1);

	/* STOPPING with nothing of ours outstanding: poll reports the end. */
	for (i = 0; i < 1000 && mf_ctl_in_flight(ctl); i++) {
		mf_ctl_poll(ctl, cpl, 4, replies, sizeof(replies), lens);
		sleep_ms(1);
	}
	__atomic_store_n(&f.hdr->state, (uint32_t)MF_SEG_STOPPING, __ATOMIC_RELEASE);
	sleep_ms(2 * MF_CTL_LIVENESS_PERIOD_MS);
	rc = mf_ctl_poll(ctl, cpl, 4, replies, sizeof(replies), lens);
	CHECK(rc == -ECONNRESET && strstr(mf_ctl_last_error(), "shutting down"), "stopping %d",
	      rc);
	mf_ctl_detach(ctl);
	fake_stop(&f);
}

static void test_stats(void)
{
	struct fake f;
	struct mf_ctl *ctl = NULL;
	static struct mf_stats st;
	struct mf_stats *region;
	uint64_t last = 0, t0;
	int i, torn = 0, rc, moved = 0;
	uint32_t p, k;

	fake_start(&f, (uint32_t)getpid(), MF_SEG_RUNNING);
	REQUIRE(mf_ctl_attach(f.name, &ctl) == 0, "attach");
	set(&f.stats_writer, 1);
	for (i = 0, t0 = now_ns(); now_ns() - t0 < 300000000ull; i++) {
		rc = mf_ctl_stats_read(ctl, &st);
		if (rc) {
			CHECK(rc == 0, "read %d", rc);
			break;
		}
		if (st.seq & 1)
			torn++;
		for (p = 0; p < MF_MAX_PORTS; p++)
			for (k = 0; k < MF_CNT_CAPACITY; k++)
				if (st.port[p].c[k] != st.updated_ns)
					torn++;
		if (st.lcore[0].packets != st.updated_ns)
			torn++;
		if (st.updated_ns != last)
			moved++;
		last = st.updated_ns;
	}
	CHECK(torn == 0, "%d torn values", torn);
	CHECK(moved > 10, "the writer ran (%d changes seen in %d reads)", moved, i);
	set(&f.stats_writer, 0);
	while (get(&f.stats_busy))
		sleep_ms(1);

	/* A writer stuck mid-update: bounded retries, -EAGAIN. */
	region = (struct mf_stats *)(f.seg + f.hdr->stats_offset);
	__atomic_add_fetch(&region->seq, 1, __ATOMIC_RELEASE);
	rc = mf_ctl_stats_read(ctl, &st);
	CHECK(rc == -EAGAIN, "stuck writer: %d", rc);
	__atomic_add_fetch(&region->seq, 1, __ATOMIC_RELEASE);
	CHECK(mf_ctl_stats_read(ctl, &st) == 0, "after");
	mf_ctl_detach(ctl);
	fake_stop(&f);
}

int main(void)
{
	static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGINT, SIGTERM, SIGALRM, SIGFPE,
				    SIGPIPE, SIGHUP, SIGQUIT };
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_fatal);
	atexit(unlink_all);
	alarm(100); /* a hang is a failure, and still unlinks */

	test_static();
	test_attach_errors();
	test_wait_starting();
	test_basic();
	test_eagain();
	test_wrap();
	test_busy();
	test_bulk();
	test_dead_core();
	test_hung_and_timeout();
	test_stats();

	printf("%d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}

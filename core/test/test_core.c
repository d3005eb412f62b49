/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Unit tests of what in core/ is pure logic (no DPDK, no EAL): the control segment's SPSC
 * rings across index wrap-around, the command line, the EAL argv, the hugepage decision,
 * counter folding with baselines, the stats seqlock, the forward word, and the control
 * segment's stale-instance handling.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "args.h"
#include "cksum.h"
#include "counters.h"
#include "eal_args.h"
#include "fwd_conf.h"
#include "huge.h"
#include "mf_proc.h"
#include "mf_ring.h"
#include "segment.h"


/* ---- rings ---------------------------------------------------------------------------- */

static struct mf_client client;

static void
ring_set_indexes(uint32_t v)
{
	client.req_prod.value = client.req_cons.value = v;
	client.cpl_prod.value = client.cpl_cons.value = v;
}

static void
test_ring_wrap(void)
{
	struct mf_request in[MF_RING_SIZE + 1], out[MF_RING_SIZE];
	struct mf_completion cin[8], cout[8];
	uint64_t next_in = 0, next_out = 0;
	uint32_t first, n, i, round;

	memset(&client, 0, sizeof(client));
	ring_set_indexes(UINT32_MAX - 5);

	/* Fill to the brim across the wrap: exactly MF_RING_SIZE fit. */
	for (i = 0; i < MF_RING_SIZE + 1; i++)
		in[i].ctx = next_in++;
	CHECK(mf_ring_free(&client.req_prod, &client.req_cons) == MF_RING_SIZE);
	n = mf_req_enqueue(&client, in, MF_RING_SIZE + 1);
	CHECK(n == MF_RING_SIZE);
	next_in = n;
	CHECK(mf_ring_free(&client.req_prod, &client.req_cons) == 0);
	CHECK(mf_ring_used(&client.req_prod, &client.req_cons) == MF_RING_SIZE);
	CHECK(client.req_prod.value == (uint32_t)(UINT32_MAX - 5 + MF_RING_SIZE));
	CHECK(mf_req_enqueue(&client, in, 1) == 0);

	n = mf_req_dequeue(&client, out, 10, &first);
	CHECK(n == 10);
	CHECK(first == UINT32_MAX - 5);
	for (i = 0; i < n; i++)
		CHECK(out[i].ctx == next_out++);
	/* The 7th request has index UINT32_MAX - 5 + 6 = 0 (wrapped) and arena slot 0. */
	CHECK(((first + 6) & MF_RING_MASK) == 0);
	n = mf_req_dequeue(&client, out, MF_RING_SIZE, &first);
	CHECK(n == MF_RING_SIZE - 10);
	CHECK(first == (uint32_t)(UINT32_MAX - 5 + 10));
	for (i = 0; i < n; i++)
		CHECK(out[i].ctx == next_out++);
	CHECK(mf_ring_used(&client.req_prod, &client.req_cons) == 0);

	/* Many rounds of uneven batches through the wrap keep FIFO order. */
	ring_set_indexes(UINT32_MAX - 1000);
	next_in = next_out = 0;
	for (round = 0; round < 5000; round++) {
		uint32_t want = 1 + (round * 7) % MF_RING_SIZE;

		for (i = 0; i < want; i++)
			in[i].ctx = next_in + i;
		n = mf_req_enqueue(&client, in, want);
		next_in += n;
		n = mf_req_dequeue(&client, out, 1 + (round * 5) % MF_RING_SIZE, &first);
		for (i = 0; i < n; i++)
			if (out[i].ctx != next_out++)
				CHECK(!"request order broken across wrap");
		CHECK(mf_ring_used(&client.req_prod, &client.req_cons) <= MF_RING_SIZE);
	}
	CHECK(next_in - next_out == mf_ring_used(&client.req_prod, &client.req_cons));
	CHECK(client.req_prod.value < 1000000); /* it did wrap */

	/* Completions too. */
	ring_set_indexes(UINT32_MAX);
	for (i = 0; i < 8; i++)
		cin[i].ctx = 100 + i;
	CHECK(mf_cpl_enqueue(&client, cin, 8) == 8);
	CHECK(mf_cpl_dequeue(&client, cout, 8) == 8);
	for (i = 0; i < 8; i++)
		CHECK(cout[i].ctx == 100 + i);
	CHECK(client.cpl_prod.value == 7 && client.cpl_cons.value == 7);
}

static void
test_arena_slot(void)
{
	static uint8_t seg[sizeof(struct mf_seg_header) + MF_MAX_CLIENTS * MF_RING_SIZE * 8]
		__attribute__((aligned(64)));
	struct mf_seg_header *h = (struct mf_seg_header *)seg;

	h->arena_offset = sizeof(*h);
	h->arena_slot_size = 8;
	CHECK((uint8_t *)mf_arena_slot(seg, 0, 0) == seg + sizeof(*h));
	CHECK((uint8_t *)mf_arena_slot(seg, 1, 0) == seg + sizeof(*h) + MF_RING_SIZE * 8);
	/* a slot index is masked, so a free-running index may be passed as is */
	CHECK(mf_arena_slot(seg, 2, MF_RING_SIZE + 3) == mf_arena_slot(seg, 2, 3));
	CHECK(MF_SEG_SIZE > MF_SEG_ARENA_OFFSET);
}

/* ---- command line --------------------------------------------------------------------- */

static int
parse(struct mf_config *cfg, char *err, const char *line)
{
	static char buf[2048];
	char *argv[64];
	int argc = 0;
	char *tok;

	snprintf(buf, sizeof(buf), "manifold-core %s", line);
	for (tok = strtok(buf, " "); tok != NULL && argc < 63; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return mf_args_parse(cfg, argc, argv, 2, err, MF_ERR_LEN);
}

#define ERR_HAS(line, needle)                                                          \
	do {                                                                           \
		CHECK(parse(&cfg, err, line) == -EINVAL);                              \
		if (strstr(err, needle) == NULL || strchr(err, ';') == NULL)           \
			fprintf(stderr, "  for '%s' got '%s'\n", line, err);           \
		CHECK(strstr(err, needle) != NULL);                                    \
		CHECK(strchr(err, ';') != NULL);                                       \
	} while (0)

static void
test_args(void)
{
	static struct mf_config cfg;
	char err[MF_ERR_LEN];
	static const uint8_t mac1[6] = { 0x02, 0, 0, 0, 0, 1 };
	static const uint8_t macx[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

	CHECK(parse(&cfg, err, "") == 0);
	CHECK(strcmp(cfg.name, "default") == 0);
	CHECK(strcmp(cfg.lcores, "0-1") == 0 && cfg.n_lcores == 2 && cfg.lcore_ids[1] == 1);
	CHECK(cfg.huge == MF_HUGE_AUTO && cfg.mem_mb == 256 && cfg.mbufs == 8191);
	CHECK(cfg.mbuf_data_room == 2176); /* RTE_MBUF_DEFAULT_BUF_SIZE */
	CHECK(cfg.burst == 32 && cfg.backoff && cfg.stats_ms == 100 && cfg.log_level == -1);
	CHECK(cfg.n_ports == 0);
	{
		char *one[] = { "manifold-core", NULL };

		CHECK(mf_args_parse(&cfg, 1, one, 1, err, sizeof(err)) == 0);
		CHECK(strcmp(cfg.lcores, "0") == 0 && cfg.n_lcores == 1);
	}

	CHECK(parse(&cfg, err, "--name t1 --lcores 0 --huge off --mem 128 --mbufs 4095 "
			       "--port p0=net_null0 --port=p1=net_tap0,iface=mf0 "
			       "--port p2=0000:00:04.0,rxq=2 --burst 64 --backoff=off "
			       "--stats-ms 50 --log-level 7") == 0);
	CHECK(strcmp(cfg.name, "t1") == 0 && cfg.n_lcores == 1 && cfg.lcore_ids[0] == 0);
	CHECK(cfg.huge == MF_HUGE_OFF && cfg.mem_mb == 128 && cfg.mbufs == 4095);
	CHECK(cfg.burst == 64 && !cfg.backoff && cfg.stats_ms == 50 && cfg.log_level == 7);
	CHECK(cfg.n_ports == 3);
	CHECK(strcmp(cfg.port[0].dev, "net_null0") == 0 && !cfg.port[0].is_pci);
	CHECK(strcmp(cfg.port[1].dev, "net_tap0") == 0);
	CHECK(strcmp(cfg.port[1].devargs, "net_tap0,iface=mf0") == 0);
	CHECK(cfg.port[2].is_pci && strcmp(cfg.port[2].dev, "0000:00:04.0") == 0);
	/* testpmd's topology: 0<->1, odd last to itself; io; default next-hop MAC */
	CHECK(cfg.port[0].peer == 1 && cfg.port[1].peer == 0 && cfg.port[2].peer == 2);
	CHECK(cfg.port[0].mode == MF_FWD_IO && cfg.port[2].mode == MF_FWD_IO);
	CHECK(memcmp(cfg.port[0].peer_mac, mac1, 6) == 0 && !cfg.port[0].mac_explicit);

	CHECK(parse(&cfg, err, "--port a=net_null0 --port b=net_null1 --port c=00:1f.3 "
			       "--fwd c=mac:a@aa:bb:cc:dd:ee:ff --fwd a=drop --fwd b=mac") == 0);
	CHECK(cfg.port[2].is_pci && strcmp(cfg.port[2].dev, "0000:00:1f.3") == 0);
	CHECK(cfg.port[2].mode == MF_FWD_MAC && cfg.port[2].peer == 0);
	CHECK(cfg.port[2].mac_explicit && memcmp(cfg.port[2].peer_mac, macx, 6) == 0);
	CHECK(cfg.port[0].mode == MF_FWD_DROP && cfg.port[0].peer == 1);
	CHECK(cfg.port[1].mode == MF_FWD_MAC && cfg.port[1].peer == 0);
	CHECK(parse(&cfg, err, "--lcores 0,1") == 0 && cfg.n_lcores == 2 && !cfg.lcores_mapped);
	/* lcores on CPUs: more lcores than CPUs, EAL gets them with --lcores */
	CHECK(parse(&cfg, err, "--lcores 0@1,2@1,1@0") == 0 && cfg.n_lcores == 3 && cfg.lcores_mapped &&
	      cfg.lcore_ids[0] == 0 && cfg.lcore_ids[1] == 1 && cfg.lcore_ids[2] == 2);
	CHECK(parse(&cfg, err, "--mbuf-data-room 65535") == 0 && cfg.mbuf_data_room == 65535);
	CHECK(parse(&cfg, err, "--mbuf-data-room=256") == 0 && cfg.mbuf_data_room == 256);
	CHECK(cfg.policy_mbufs == 16383);
	CHECK(parse(&cfg, err, "--policy-mbufs 63") == 0 && cfg.policy_mbufs == 63);
	CHECK(parse(&cfg, err, "--help --bogus") == 0 && cfg.help);

	ERR_HAS("--bogus", "unknown option '--bogus'");
	ERR_HAS("stray", "unexpected argument 'stray'");
	ERR_HAS("--name", "--name needs a value");
	ERR_HAS("--name a.b", "not a valid instance name");
	ERR_HAS("--name abcdefghijklmnopqrstuvwxy", "not a valid instance name");
	ERR_HAS("--huge maybe", "use auto, on or off");
	ERR_HAS("--backoff yes", "use on or off");
	ERR_HAS("--burst 600", "from 1 to 512");
	ERR_HAS("--burst 0", "from 1 to 512");
	ERR_HAS("--burst 3x", "--burst '3x' is not valid");
	ERR_HAS("--mem -5", "--mem '-5' is not valid");
	ERR_HAS("--mbuf-data-room 65536", "from 256 to 65535, the 128-byte headroom included");
	ERR_HAS("--mbuf-data-room 255", "--mbuf-data-room '255' is not valid");
	ERR_HAS("--mbuf-data-room 64k", "bytes per mbuf from 256 to 65535");
	ERR_HAS("--policy-mbufs 62", "--policy-mbufs '62' is not valid; use an integer from 63");
	ERR_HAS("--log-level 9", "from 1 to 8");
	ERR_HAS("--lcores 0-3", "names lcore 3, which does not exist");
	ERR_HAS("--lcores 1-0", "not a valid lcore list");
	ERR_HAS("--lcores 0,,1", "not a valid lcore list");
	ERR_HAS("--lcores (0-1)@0", "not a valid lcore list");
	ERR_HAS("--lcores 0-1@1", "not a valid lcore list");
	ERR_HAS("--lcores 0@", "not a valid lcore list");
	ERR_HAS("--lcores 0@7", "puts lcore 0 on CPU 7, which does not exist");
	ERR_HAS("--lcores 0@0,200@1", "names lcore 200; DPDK numbers lcores 0..127");
	ERR_HAS("--lcores 0@0,0@1", "lists lcore 0 twice");
	ERR_HAS("--lcores 0,2", "names lcore 2, which does not exist; this machine has lcores 0..1 (or give it a CPU: 2@0)");
	ERR_HAS("--port p0", "has no '='");
	ERR_HAS("--port =net_null0", "port name must have 1 to 31");
	ERR_HAS("--port p.0=net_null0", "port name 'p.0' is not valid");
	ERR_HAS("--port p0=", "DEVARGS must have");
	ERR_HAS("--port p0=net_null0 --port p0=net_null1", "'p0' is used twice");
	ERR_HAS("--port p0=net_null0 --port p1=net_null0", "device 'net_null0' is given to");
	ERR_HAS("--port p0=net_null0 --fwd p1=io", "no --port defines; defined ports are p0");
	ERR_HAS("--port p0=net_null0 --fwd p0=fast", "mode 'fast' is not known");
	ERR_HAS("--port p0=net_null0 --fwd p0=io:p7", "peer 'p7' is not a port");
	ERR_HAS("--port p0=net_null0 --fwd p0=io:p7", "or none for no peer");
	ERR_HAS("--port none=net_null0", "port name 'none' is reserved");
	CHECK(parse(&cfg, err, "--port a=net_null0 --port b=net_null1 --fwd a=io:none") == 0);
	CHECK(cfg.port[0].peer == MF_PORT_NONE && cfg.port[1].peer == 0);
	ERR_HAS("--port p0=net_null0 --fwd p0=mac@02:00:00:00:00", "MAC '02:00:00:00:00' is not");
	ERR_HAS("--port p0=net_null0 --fwd p0=mac@zz:00:00:00:00:00", "is not valid");
	ERR_HAS("--port p0=net_null0 --fwd p0=io --fwd p0=drop", "given twice");
	ERR_HAS("--port p0=net_null0 --fwd p0", "has no '='");
	ERR_HAS("--help=1", "takes no value");
}

/* The stack's options: --addr NAME=IP/PREFIX (several per port), --gateway NAME=IP. */
static void
test_stack_args(void)
{
	static struct mf_config cfg;
	char err[MF_ERR_LEN];
	uint32_t ip;

	CHECK(mf_ipv4_parse("198.18.0.1", &ip) == 0 && ip == 0xc6120001u);
	CHECK(mf_ipv4_parse("255.255.255.255", &ip) == 0 && ip == 0xffffffffu);
	CHECK(mf_ipv4_parse("256.1.1.1", &ip) < 0 && mf_ipv4_parse("1.2.3", &ip) < 0);
	CHECK(mf_ipv4_parse("1.2.3.4.5", &ip) < 0 && mf_ipv4_parse("1.2.3.x", &ip) < 0);
	CHECK(mf_ipv4_parse("", &ip) < 0 && mf_ipv4_parse("1..2.3", &ip) < 0);

	CHECK(parse(&cfg, err, "--port p0=net_null0 --port p1=net_null1 "
			       "--addr p0=198.18.0.1/24 --addr=p0=198.18.1.1/16 "
			       "--addr p1=198.19.0.1/32 --gateway p1=198.19.0.254") == 0);
	CHECK(cfg.port[0].n_addrs == 2 && cfg.port[1].n_addrs == 1);
	CHECK(cfg.port[0].addr[0].ip == 0xc6120001u && cfg.port[0].addr[0].prefix_len == 24);
	CHECK(cfg.port[0].addr[1].ip == 0xc6120101u && cfg.port[0].addr[1].prefix_len == 16);
	CHECK(cfg.port[1].addr[0].prefix_len == 32 && cfg.port[1].gateway == 0xc61300feu);
	CHECK(cfg.port[0].gateway == 0);
	/* options may come before the --port they name */
	CHECK(parse(&cfg, err, "--addr p0=198.18.0.1/24 --port p0=net_null0") == 0 &&
	      cfg.port[0].n_addrs == 1);
	CHECK(parse(&cfg, err, "--port p0=net_null0 --addr p0=1.1.1.1/8 --addr p0=1.1.1.2/8 "
			       "--addr p0=1.1.1.3/8 --addr p0=1.1.1.4/8 --addr p0=1.1.1.5/8 "
			       "--addr p0=1.1.1.6/8 --addr p0=1.1.1.7/8 --addr p0=1.1.1.8/8") == 0 &&
	      cfg.port[0].n_addrs == MF_STACK_MAX_ADDRS);

	ERR_HAS("--port p0=net_null0 --addr p0=198.18.0.1", "has no prefix length");
	ERR_HAS("--port p0=net_null0 --addr p0=198.18.0.1/33", "prefix '/33' is not valid");
	ERR_HAS("--port p0=net_null0 --addr p0=198.18.0.1/0", "prefix '/0' is not valid");
	ERR_HAS("--port p0=net_null0 --addr p0=198.18.0/24", "is not a unicast IPv4 address");
	ERR_HAS("--port p0=net_null0 --addr p1=198.18.0.1/24", "no --port defines");
	ERR_HAS("--port p0=net_null0 --addr 198.18.0.1/24", "has no '='");
	ERR_HAS("--port p0=net_null0 --gateway p0=198.18.0.254/24", "prefix '/24' is not valid");
	ERR_HAS("--port p0=net_null0 --gateway p0=1.1.1.1 --gateway p0=1.1.1.2", "given twice");
	ERR_HAS("--port p0=net_null0 --gateway p0=0.0.0.0", "not a unicast IPv4 address");
	ERR_HAS("--port p0=net_null0 --addr p0=1.1.1.1/8 --addr p0=1.1.1.2/8 "
		"--addr p0=1.1.1.3/8 --addr p0=1.1.1.4/8 --addr p0=1.1.1.5/8 "
		"--addr p0=1.1.1.6/8 --addr p0=1.1.1.7/8 --addr p0=1.1.1.8/8 "
		"--addr p0=1.1.1.9/8", "the most a port holds");
}

static int
has_arg(const struct mf_eal_args *ea, const char *a, const char *next)
{
	int i;

	for (i = 0; i < ea->argc; i++)
		if (strcmp(ea->argv[i], a) == 0 &&
		    (next == NULL || (i + 1 < ea->argc && strcmp(ea->argv[i + 1], next) == 0)))
			return 1;
	return 0;
}

static void
test_eal_args(void)
{
	static struct mf_config cfg;
	static struct mf_eal_args ea;
	char err[MF_ERR_LEN];

	CHECK(parse(&cfg, err, "--name t1 --port p0=net_null0 --port p1=net_ring0") == 0);
	CHECK(mf_eal_args_build(&ea, &cfg, 0) == 0);
	CHECK(ea.argv[ea.argc] == NULL);
	CHECK(has_arg(&ea, "-l", "0-1"));
	CHECK(has_arg(&ea, "--file-prefix", "manifold-t1"));
	CHECK(has_arg(&ea, "--no-huge", NULL) && has_arg(&ea, "-m", "256"));
	CHECK(has_arg(&ea, "--no-shconf", NULL));
	CHECK(has_arg(&ea, "--no-pci", NULL));
	CHECK(has_arg(&ea, "--vdev", "net_null0") && has_arg(&ea, "--vdev", "net_ring0"));
	CHECK(has_arg(&ea, "--log-level=lib.eal:notice", NULL));

	CHECK(parse(&cfg, err, "--port p0=0000:00:04.0 --port p1=net_null0 --log-level 8") == 0);
	CHECK(mf_eal_args_build(&ea, &cfg, 1) == 0);
	CHECK(has_arg(&ea, "-a", "0000:00:04.0") && has_arg(&ea, "--vdev", "net_null0"));
	CHECK(!has_arg(&ea, "--no-pci", NULL) && !has_arg(&ea, "--no-huge", NULL));
	CHECK(!has_arg(&ea, "--no-shconf", NULL));
	CHECK(has_arg(&ea, "--file-prefix", "manifold-default"));
	CHECK(has_arg(&ea, "--log-level=8", NULL));

	CHECK(parse(&cfg, err, "--lcores 0@1,1@1 --port p0=net_null0") == 0);
	CHECK(mf_eal_args_build(&ea, &cfg, 0) == 0);
	CHECK(has_arg(&ea, "--lcores", "0@1,1@1") && !has_arg(&ea, "-l", NULL));
}

static void
test_huge(void)
{
	static const char meminfo[] = "MemTotal: 100 kB\nHugePages_Total:     512\n"
				      "HugePages_Free:      300\nHugepagesize:       2048 kB\n";
	static const char mounts[] = "proc /proc proc rw 0 0\n"
				     "nodev /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n";
	struct mf_huge_env env;
	char why[512];

	memset(&env, 0, sizeof(env));
	CHECK(mf_huge_meminfo_parse(meminfo, &env) == 0);
	CHECK(env.free_pages == 300 && env.page_kb == 2048);
	CHECK(mf_huge_mounts_parse(mounts, &env) == 1 && strcmp(env.mount, "/dev/hugepages") == 0);
	CHECK(mf_huge_decide(MF_HUGE_AUTO, 256, &env, why, sizeof(why)) == 1);
	CHECK(strncmp(why, "yes", 3) == 0);
	CHECK(mf_huge_decide(MF_HUGE_AUTO, 601, &env, why, sizeof(why)) == 0);
	CHECK(strstr(why, "600 MB of hugepages free < 601 MB") != NULL);
	CHECK(mf_huge_decide(MF_HUGE_ON, 601, &env, why, sizeof(why)) == -ENOMEM);
	CHECK(strchr(why, ';') != NULL);
	CHECK(mf_huge_decide(MF_HUGE_OFF, 256, &env, why, sizeof(why)) == 0);
	CHECK(mf_huge_mounts_parse("proc /proc proc rw 0 0\n", &env) == 0);
	CHECK(mf_huge_decide(MF_HUGE_AUTO, 256, &env, why, sizeof(why)) == 0);
	CHECK(strstr(why, "no hugetlbfs") != NULL);
	CHECK(mf_huge_decide(MF_HUGE_ON, 256, &env, why, sizeof(why)) == -ENOMEM);
	CHECK(mf_huge_meminfo_parse("MemTotal: 1 kB\n", &env) == -ENOENT);
}

/* ---- counters ------------------------------------------------------------------------- */

/* The fast sum against RFC 1071 word by word: every length to 300 at every alignment, a
 * 64 KiB buffer, all-ones data (the carries), and an odd last byte. */
static uint16_t
cksum_ref(const uint8_t *p, size_t n)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint16_t)(p[i] | p[i + 1] << 8); /* little-endian words, as x86 reads them */
	if (n & 1)
		s += p[n - 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void
test_cksum(void)
{
	static uint8_t buf[65536 + 64];
	size_t i, n, a, bad = 0;
	uint32_t x = 12345;

	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (a = 0; a < 8; a++)
		for (n = 0; n <= 300; n++)
			bad += mf_cksum_sum(buf + a, n) != cksum_ref(buf + a, n);
	CHECK(bad == 0);
	CHECK(mf_cksum_sum(buf + 3, 65535) == cksum_ref(buf + 3, 65535));
	CHECK(mf_cksum_sum(buf, 65536) == cksum_ref(buf, 65536));
	memset(buf, 0xff, sizeof(buf));
	CHECK(mf_cksum_sum(buf, 65536) == 0xffff && cksum_ref(buf, 65536) == 0xffff);
	buf[0] = 0x01;
	buf[1] = 0x02;
	buf[2] = 0x03;
	CHECK(mf_cksum_sum(buf, 3) == 0x0204); /* 0x0201 + 0x0003 */
}

/* The fused copy: the same sum, the same bytes, nothing written past the end, at every
 * alignment of both sides. */
static void
test_cksum_copy(void)
{
	static uint8_t src[4096 + 64], dst[4096 + 64];
	size_t i, n, a, b, bad = 0;
	uint32_t x = 777;

	for (i = 0; i < sizeof(src); i++) {
		x = x * 1103515245u + 12345u;
		src[i] = (uint8_t)(x >> 16);
	}
	for (a = 0; a < 4; a++)
		for (b = 0; b < 4; b++)
			for (n = 0; n <= 1300; n += (n < 200 ? 1 : 37)) {
				memset(dst, 0xee, sizeof(dst));
				bad += mf_cksum_copy(dst + b, src + a, n) != cksum_ref(src + a, n);
				bad += memcmp(dst + b, src + a, n) != 0;
				bad += dst[b + n] != 0xee;
			}
	CHECK(bad == 0);
	CHECK(mf_cksum_copy(dst, src, 4096) == cksum_ref(src, 4096) && memcmp(dst, src, 4096) == 0);
}

static void
test_counters(void)
{
	uint64_t raw[3] = { 100, 5, 0 }, base[3] = { 0, 0, 0 }, out[3];
	static struct mf_stats st;
	uint64_t c[MF_CNT_MAX];
	unsigned int k;

	mf_cnt_fold(raw, base, out, 3);
	CHECK(out[0] == 100 && out[1] == 5 && out[2] == 0);
	mf_cnt_clear(raw, base, 3);
	mf_cnt_fold(raw, base, out, 3);
	CHECK(out[0] == 0 && out[1] == 0 && out[2] == 0);
	raw[0] += 42;
	raw[2] += 7;
	mf_cnt_fold(raw, base, out, 3);
	CHECK(out[0] == 42 && out[1] == 0 && out[2] == 7);
	/* a source that restarted below its baseline counts from its new value */
	raw[1] = 3;
	mf_cnt_fold(raw, base, out, 3);
	CHECK(out[1] == 3 && base[1] == 0);
	/* values near 2^64 fold without surprise */
	raw[0] = UINT64_MAX;
	base[0] = UINT64_MAX - 10;
	mf_cnt_fold(raw, base, out, 1);
	CHECK(out[0] == 10);
	/* the owner-side add */
	out[0] = 1;
	mf_cnt_add(&out[0], 2);
	CHECK(mf_cnt_read(&out[0]) == 3);

	/* seqlock: odd while writing, even (+2) after */
	for (k = 0; k < MF_CNT_MAX; k++)
		c[k] = k * 10;
	CHECK(st.seq == 0);
	mf_stats_write_begin(&st);
	CHECK(st.seq == 1);
	mf_stats_store_port(&st, 3, c, MF_CNT_MAX);
	mf_stats_write_end(&st);
	CHECK(st.seq == 2);
	CHECK(st.port[3].c[MF_CNT_FWD_IN] == MF_CNT_FWD_IN * 10);
}

static void
test_fwd_word(void)
{
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0xfe };
	uint8_t got[6];
	uint64_t w;

	w = mf_fwd_word_pack(MF_FWD_MAC, 15, mac);
	CHECK(mf_fwd_word_mode(w) == MF_FWD_MAC && mf_fwd_word_peer(w) == 15);
	mf_fwd_word_mac(w, got);
	CHECK(memcmp(got, mac, 6) == 0);
	w = mf_fwd_word_pack(MF_FWD_DROP, MF_PORT_NONE, mac);
	CHECK(mf_fwd_word_mode(w) == MF_FWD_DROP && mf_fwd_word_peer(w) == MF_PORT_NONE);
	CHECK(mf_fwd_mode_parse("io") == MF_FWD_IO && mf_fwd_mode_parse("stack") == MF_FWD_STACK);
	CHECK(mf_fwd_mode_parse("IO") == -EINVAL);
}

/* ---- control segment ------------------------------------------------------------------ */

/* Leave a segment as a core with `pid` would have: magic and core_pid set. */
static void
plant_segment_started(const char *name, uint32_t pid, uint64_t start)
{
	char shm[64];
	struct mf_seg_header *h;
	int fd;

	snprintf(shm, sizeof(shm), "%s%s", MF_SEG_PREFIX, name);
	fd = shm_open(shm, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 4096) == 0);
	h = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(h != MAP_FAILED);
	h->magic = MF_ABI_MAGIC;
	h->core_pid = pid;
	h->core_start = start;
	munmap(h, 4096);
	close(fd);
}

static void
plant_segment(const char *name, uint32_t pid)
{
	plant_segment_started(name, pid, 0);
}

static void
test_segment(void)
{
	struct mf_segment seg, seg2;
	char name[32], err[MF_ERR_LEN], path[96];
	pid_t child;

	snprintf(name, sizeof(name), "mfunit%d", (int)getpid());
	snprintf(path, sizeof(path), "/dev/shm/manifold.%s", name);

	CHECK(mf_segment_create(&seg, name, err, sizeof(err)) == 0);
	CHECK(seg.hdr->magic == MF_ABI_MAGIC && seg.hdr->state == MF_SEG_STARTING);
	CHECK(seg.hdr->segment_size == MF_SEG_SIZE && seg.hdr->arena_offset == MF_SEG_ARENA_OFFSET);
	CHECK(seg.hdr->clients_offset == MF_SEG_CLIENTS_OFFSET);
	CHECK(seg.hdr->stats_offset == MF_SEG_STATS_OFFSET);
	CHECK(seg.hdr->header_size == sizeof(struct mf_seg_header));
	CHECK(seg.hdr->core_pid == (uint32_t)getpid() && strcmp(seg.hdr->name, name) == 0);
	CHECK(seg.clients[MF_MAX_CLIENTS - 1].owner_pid == 0);
	CHECK(access(path, F_OK) == 0);
	mf_segment_set_state(&seg, MF_SEG_RUNNING);
	CHECK(seg.hdr->state == MF_SEG_RUNNING);
	mf_segment_destroy(&seg);
	mf_segment_destroy(&seg);
	CHECK(access(path, F_OK) != 0);

	/* a live owner (our parent) refuses */
	plant_segment(name, (uint32_t)getppid());
	CHECK(mf_segment_create(&seg2, name, err, sizeof(err)) == -EEXIST);
	CHECK(strstr(err, "is already running (pid") != NULL);

	/* a live pid that started at another time is a reused pid: the segment is stale */
	plant_segment_started(name, (uint32_t)getppid(), 1);
	CHECK(mf_segment_create(&seg2, name, err, sizeof(err)) == 0);
	mf_segment_destroy(&seg2);

	/* liveness: a zombie is dead, and so is a value that is no pid */
	CHECK(mf_proc_alive((uint64_t)getpid(), 0) == 1);
	CHECK(mf_proc_alive(0, 0) == 0 && mf_proc_alive((uint64_t)1 << 40, 0) == 0);
	/* a pid with the start time it had is that process; with another, a reused pid */
	CHECK(mf_proc_self_start() != 0);
	CHECK(mf_proc_alive((uint64_t)getpid(), mf_proc_self_start()) == 1);
	CHECK(mf_proc_alive((uint64_t)getpid(), mf_proc_self_start() + 1) == 0);
	child = fork();
	if (child == 0)
		_exit(0);
	usleep(100 * 1000); /* let it exit; unreaped, it is a zombie */
	CHECK(mf_proc_alive((uint64_t)child, 0) == 0);
	waitpid(child, NULL, 0);
	CHECK(mf_proc_alive((uint64_t)child, 0) == 0);

	/* a dead owner is cleaned up */
	child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	plant_segment(name, (uint32_t)child);
	CHECK(mf_segment_create(&seg2, name, err, sizeof(err)) == 0);
	CHECK(seg2.hdr->core_pid == (uint32_t)getpid());
	mf_segment_destroy(&seg2);
	CHECK(access(path, F_OK) != 0);
}

int
main(void)
{
	test_ring_wrap();
	test_arena_slot();
	test_args();
	test_stack_args();
	test_eal_args();
	test_huge();
	test_counters();
	test_cksum();
	test_cksum_copy();
	test_fwd_word();
	test_segment();
	return check_report("core unit");
}

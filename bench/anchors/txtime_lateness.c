/* SPDX-License-Identifier: BSD-3-Clause
 *
 * mf-bench-txtime: the kernel anchor of the send-lateness bench. One thread sends `count`
 * messages of `size` bytes round robin to `dests` UDP recipients, message i scheduled at
 * t0 + i / rate (CLOCK_MONOTONIC), and measures how late each one left:
 *
 *   lateness = departure - scheduled, departure = the software transmit timestamp the device
 *   driver takes when it is handed the packet (SO_TIMESTAMPING, SOF_TIMESTAMPING_TX_SOFTWARE,
 *   read back from the error queue; the veth driver takes it in veth_xmit).
 *
 * Two ways to make the schedule:
 *   --mode txtime  each message carries its time (SO_TXTIME, SCM_TXTIME, CLOCK_MONOTONIC) and
 *                  is handed to the kernel up to --lead-us ahead; the fq qdisc on the egress
 *                  device holds it until then. Needs `tc qdisc add dev X root fq`: without a
 *                  time-aware qdisc the kernel ignores the time and the messages leave early,
 *                  which this program reports (early > 0) instead of hiding.
 *   --mode sleep   no kernel help: the thread sleeps (clock_nanosleep, 1 ns timer slack) until
 *                  the next message is due and sends everything due with one sendmmsg().
 *
 * Prints one JSON line: counts, lateness p50/p99/max in ns (negative lateness, i.e. early,
 * counts as 0 in the percentiles and separately in `early`), what could not be measured, the
 * span of the schedule and the span of the departures (a sender that cannot keep up with the
 * rate shows a longer one).
 * Bounded in time: it gives up `--seconds` after the first scheduled departure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>

#include "anchor_opts.h"

#ifndef SO_TXTIME
#define SO_TXTIME 61
#define SCM_TXTIME SO_TXTIME
#endif

#define MAX_BATCH 1024
#define ERRQ_BATCH 64

enum mode { MODE_TXTIME, MODE_SLEEP };

struct opts {
	enum mode mode;
	unsigned long long count;
	double rate, seconds;
	unsigned int dests, size, port_base, batch, lead_us;
	struct in_addr base;
};

struct run {
	int64_t *sched;          /* scheduled departure of message i, CLOCK_MONOTONIC ns */
	int64_t *late;           /* measured lateness of message i */
	uint8_t *got;            /* 1 once message i's timestamp came back */
	unsigned long long sent, stamped, dup, failed_calls;
	int64_t first_tx, last_tx;  /* earliest and latest departure, CLOCK_MONOTONIC ns */
	int64_t real_minus_mono; /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
};

static int64_t
clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The offset between the clocks, from the tightest of a few bracketed reads: software
 * transmit timestamps are CLOCK_REALTIME, the schedule is CLOCK_MONOTONIC. */
static int64_t
real_minus_mono(void)
{
	int64_t best_span = INT64_MAX, off = 0;
	int i;

	for (i = 0; i < 32; i++) {
		int64_t a = clock_ns(CLOCK_MONOTONIC), r = clock_ns(CLOCK_REALTIME);
		int64_t b = clock_ns(CLOCK_MONOTONIC);

		if (b - a < best_span) {
			best_span = b - a;
			off = r - (a + (b - a) / 2);
		}
	}
	return off;
}

static void
parse(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "mode", required_argument, NULL, 'm' }, { "count", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' }, { "dests", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' }, { "port-base", required_argument, NULL, 'p' },
		{ "batch", required_argument, NULL, 'b' }, { "lead-us", required_argument, NULL, 'l' },
		{ "seconds", required_argument, NULL, 't' }, { "dst-base", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	anchor_usage_set("mf-bench-txtime", "--dst-base A.B.C.D --rate MSGS_PER_S [--mode txtime|sleep] "
			 "[--count N] [--dests 1..4096] [--size 1..1472] [--port-base P] "
			 "[--batch 1..1024] [--lead-us US] [--seconds S]");
	*o = (struct opts){ .mode = MODE_TXTIME, .count = 100000, .rate = 0, .seconds = 30,
			    .dests = 64, .size = 64, .port_base = 7000, .batch = 64, .lead_us = 2000 };
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "txtime") == 0)
				o->mode = MODE_TXTIME;
			else if (strcmp(optarg, "sleep") == 0)
				o->mode = MODE_SLEEP;
			else
				anchor_usage("--mode: expected txtime or sleep");
			break;
		case 'n': o->count = anchor_uint("count", optarg, 1, 100000000); break;
		case 'r': o->rate = anchor_num("rate", optarg, 1, 1e8); break;
		case 'd': o->dests = anchor_uint("dests", optarg, 1, 4096); break;
		case 's': o->size = anchor_uint("size", optarg, 1, 1472); break;
		case 'p': o->port_base = anchor_uint("port-base", optarg, 1, 65535); break;
		case 'b': o->batch = anchor_uint("batch", optarg, 1, MAX_BATCH); break;
		case 'l': o->lead_us = anchor_uint("lead-us", optarg, 0, 10000000); break;
		case 't': o->seconds = anchor_num("seconds", optarg, 0.001, 3600); break;
		case 'a': anchor_ipv4("dst-base", optarg, &o->base); break;
		default: anchor_usage("unknown option");
		}
	}
	if (o->rate == 0)
		anchor_usage("--rate is required");
	if (o->base.s_addr == 0)
		anchor_usage("--dst-base is required");
	if (o->port_base + o->dests - 1 > 65535)
		anchor_usage("--port-base + --dests - 1 must stay <= 65535");
}

static int
open_socket(const struct opts *o)
{
	struct sock_txtime txt = { .clockid = CLOCK_MONOTONIC, .flags = 0 };
	unsigned int ts = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
			  SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 64 << 20;

	if (fd < 0) {
		perror("mf-bench-txtime: socket");
		exit(1);
	}
	/* Messages wait in the qdisc charged to the socket, timestamps wait in its error queue. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof(ts)) < 0) {
		perror("mf-bench-txtime: SO_TIMESTAMPING");
		exit(1);
	}
	if (o->mode == MODE_TXTIME && setsockopt(fd, SOL_SOCKET, SO_TXTIME, &txt, sizeof(txt)) < 0) {
		perror("mf-bench-txtime: SO_TXTIME");
		exit(1);
	}
	return fd;
}

/* Reads every transmit timestamp waiting in the error queue; returns how many. */
static unsigned int
drain_errqueue(int fd, struct run *r, unsigned long long count)
{
	static char ctl[ERRQ_BATCH][256];
	struct mmsghdr mm[ERRQ_BATCH];
	unsigned int total = 0;
	int n, i;

	for (;;) {
		memset(mm, 0, sizeof(mm));
		for (i = 0; i < ERRQ_BATCH; i++) {
			mm[i].msg_hdr.msg_control = ctl[i];
			mm[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		n = recvmmsg(fd, mm, ERRQ_BATCH, MSG_ERRQUEUE | MSG_DONTWAIT, NULL);
		if (n <= 0)
			return total;
		for (i = 0; i < n; i++) {
			struct msghdr *h = &mm[i].msg_hdr;
			struct cmsghdr *c;
			const struct scm_timestamping *tss = NULL;
			const struct sock_extended_err *ee = NULL;
			int64_t tx;

			for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING)
					tss = (const void *)CMSG_DATA(c);
				else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR)
					ee = (const void *)CMSG_DATA(c);
			}
			if (!tss || !ee || ee->ee_origin != SO_EE_ORIGIN_TIMESTAMPING ||
			    ee->ee_info != SCM_TSTAMP_SND || ee->ee_data >= count)
				continue;
			if (r->got[ee->ee_data]) {
				r->dup++;
				continue;
			}
			r->got[ee->ee_data] = 1;
			tx = (int64_t)tss->ts[0].tv_sec * 1000000000 + tss->ts[0].tv_nsec -
			     r->real_minus_mono;
			r->late[ee->ee_data] = tx - r->sched[ee->ee_data];
			if (r->first_tx == 0 || tx < r->first_tx)
				r->first_tx = tx;
			if (tx > r->last_tx)
				r->last_tx = tx;
			r->stamped++;
			total++;
		}
	}
}

static void
sleep_until(int64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t
pct(const int64_t *sorted, unsigned long long n, double p)
{
	unsigned long long i;

	if (n == 0)
		return -1;
	i = (unsigned long long)(p / 100.0 * n + 0.999999);
	i = i == 0 ? 0 : i - 1;
	return sorted[i < n ? i : n - 1];
}

int
main(int argc, char **argv)
{
	static union { char buf[CMSG_SPACE(sizeof(uint64_t))]; struct cmsghdr align; } ctl[MAX_BATCH];
	static struct mmsghdr mm[MAX_BATCH];
	struct opts o;
	struct run r = { 0 };
	struct sockaddr_in *to;
	struct iovec iov;
	unsigned long long i, n_late = 0, early = 0;
	int64_t t0, lead, deadline, *sorted;
	double interval;
	char *payload;
	int fd;

	parse(argc, argv, &o);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	fd = open_socket(&o);
	r.sched = calloc(o.count, sizeof(*r.sched));
	r.late = calloc(o.count, sizeof(*r.late));
	r.got = calloc(o.count, 1);
	to = calloc(o.dests, sizeof(*to));
	payload = malloc(o.size);
	if (!r.sched || !r.late || !r.got || !to || !payload) {
		fprintf(stderr, "mf-bench-txtime: out of memory for %llu messages\n", o.count);
		return 1;
	}
	memset(payload, 0x5a, o.size);
	iov.iov_base = payload;
	iov.iov_len = o.size;
	for (i = 0; i < o.dests; i++) {
		to[i].sin_family = AF_INET;
		to[i].sin_port = htons(o.port_base + i);
		to[i].sin_addr.s_addr = htonl(ntohl(o.base.s_addr) + i);
	}
	for (i = 0; i < MAX_BATCH; i++) {
		mm[i].msg_hdr.msg_iov = &iov;
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_namelen = sizeof(to[0]);
	}
	r.real_minus_mono = real_minus_mono();
	interval = 1e9 / o.rate;
	lead = o.mode == MODE_TXTIME ? (int64_t)o.lead_us * 1000 : 0;
	t0 = clock_ns(CLOCK_MONOTONIC) + 20000000; /* 20 ms to settle before the first */
	for (i = 0; i < o.count; i++)
		r.sched[i] = t0 + (int64_t)(i * interval);
	deadline = t0 + (int64_t)(o.seconds * 1e9);

	while (r.sent < o.count) {
		int64_t now = clock_ns(CLOCK_MONOTONIC);
		unsigned int k = 0;
		int sent;

		if (now > deadline)
			break;
		/* Everything due (txtime: due within the lead), at most one batch. */
		while (k < o.batch && r.sent + k < o.count && r.sched[r.sent + k] <= now + lead) {
			struct msghdr *h = &mm[k].msg_hdr;

			h->msg_name = &to[(r.sent + k) % o.dests];
			if (o.mode == MODE_TXTIME) {
				struct cmsghdr *c;

				h->msg_control = ctl[k].buf;
				h->msg_controllen = sizeof(ctl[k].buf);
				c = CMSG_FIRSTHDR(h);
				c->cmsg_level = SOL_SOCKET;
				c->cmsg_type = SCM_TXTIME;
				c->cmsg_len = CMSG_LEN(sizeof(uint64_t));
				memcpy(CMSG_DATA(c), &r.sched[r.sent + k], sizeof(uint64_t));
			}
			k++;
		}
		if (k == 0) {
			drain_errqueue(fd, &r, o.count);
			sleep_until(r.sched[r.sent] - lead);
			continue;
		}
		sent = sendmmsg(fd, mm, k, 0);
		if (sent <= 0) {
			r.failed_calls++;   /* qdisc or buffer full: drain, try again */
			drain_errqueue(fd, &r, o.count);
			continue;
		}
		r.sent += sent;
		if ((r.sent & 0x3ff) < (unsigned long long)sent)
			drain_errqueue(fd, &r, o.count);
	}
	/* The last departures and their timestamps: wait for them, bounded. */
	while (r.stamped < r.sent) {
		int64_t now = clock_ns(CLOCK_MONOTONIC);
		int64_t last = r.sent ? r.sched[r.sent - 1] : now;

		if (drain_errqueue(fd, &r, o.count) == 0) {
			if (now > last + 500000000 || now > deadline + 500000000)
				break;
			sleep_until(now + 200000);
		}
	}

	sorted = malloc(sizeof(*sorted) * (r.stamped ? r.stamped : 1));
	for (i = 0, r.stamped = 0; i < o.count; i++) {
		int64_t l;

		if (!r.got[i])
			continue;
		l = r.late[i];
		if (l < 0) {
			early++;
			l = 0;
		} else if (l > 0) {
			n_late++;
		}
		sorted[r.stamped++] = l;
	}
	qsort(sorted, r.stamped, sizeof(*sorted), cmp_i64);
	printf("{\"mode\": \"%s\", \"rate\": %.0f, \"count\": %llu, \"sent\": %llu, "
	       "\"stamped\": %llu, \"late\": %llu, \"early\": %llu, \"failedCalls\": %llu, "
	       "\"duplicates\": %llu, \"p50Ns\": %lld, \"p99Ns\": %lld, \"maxNs\": %lld, "
	       "\"spanNs\": %lld, \"departSpanNs\": %lld}\n",
	       o.mode == MODE_TXTIME ? "txtime" : "sleep", o.rate, o.count, r.sent, r.stamped,
	       n_late, early, r.failed_calls, r.dup, (long long)pct(sorted, r.stamped, 50),
	       (long long)pct(sorted, r.stamped, 99),
	       (long long)(r.stamped ? sorted[r.stamped - 1] : -1),
	       (long long)(r.sent ? r.sched[r.sent - 1] - r.sched[0] : 0),
	       (long long)(r.last_tx - r.first_tx));
	return r.sent == o.count ? 0 : 3;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * mf-bench-sendmmsg: the kernel anchor of the aggregate-send rate bench. One thread, one
 * unconnected UDP socket, `count` messages of `size` bytes sent round robin to `dests`
 * recipients (ip base+i, UDP port port_base+i) with sendmmsg() in calls of `batch` messages.
 * Prints one JSON line: messages the kernel took, seconds, messages per second, failed calls.
 *
 * Run it inside a network namespace whose route to the recipients is a veth with a permanent
 * neighbour entry, so every message takes the whole transmit path and nothing answers ARP or
 * ICMP (bench/entries/send-rate.ts sets that up). Stops after `count` messages or `seconds`,
 * whichever comes first, so a slow machine still ends.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "anchor_opts.h"

struct opts {
	unsigned long long count;
	unsigned int batch, dests, size, port_base;
	double seconds;
	struct in_addr base;
};

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void
parse(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "count", required_argument, NULL, 'n' }, { "batch", required_argument, NULL, 'b' },
		{ "dests", required_argument, NULL, 'd' }, { "size", required_argument, NULL, 's' },
		{ "port-base", required_argument, NULL, 'p' }, { "seconds", required_argument, NULL, 't' },
		{ "dst-base", required_argument, NULL, 'a' }, { NULL, 0, NULL, 0 },
	};
	int c;

	anchor_usage_set("mf-bench-sendmmsg", "--dst-base A.B.C.D [--count N] [--batch 1..1024] "
			 "[--dests 1..4096] [--size 1..1472] [--port-base 1..65535] [--seconds S]");
	*o = (struct opts){ .count = 10000000, .batch = 64, .dests = 64, .size = 64,
			    .port_base = 7000, .seconds = 10 };
	o->base.s_addr = 0;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'n': o->count = anchor_uint("count", optarg, 1, 1ULL << 40); break;
		case 'b': o->batch = anchor_uint("batch", optarg, 1, 1024); break;
		case 'd': o->dests = anchor_uint("dests", optarg, 1, 4096); break;
		case 's': o->size = anchor_uint("size", optarg, 1, 1472); break;
		case 'p': o->port_base = anchor_uint("port-base", optarg, 1, 65535); break;
		case 't': o->seconds = anchor_num("seconds", optarg, 0.001, 3600); break;
		case 'a': anchor_ipv4("dst-base", optarg, &o->base); break;
		default: anchor_usage("unknown option");
		}
	}
	if (o->base.s_addr == 0)
		anchor_usage("--dst-base is required");
	if (o->port_base + o->dests - 1 > 65535)
		anchor_usage("--port-base + --dests - 1 must stay <= 65535");
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct sockaddr_in *to;
	struct mmsghdr *m;
	struct iovec iov;
	unsigned long long sent = 0, failed = 0;
	unsigned int i, next = 0;
	double t0, t = 0;
	char *buf;
	int fd, sndbuf = 8 << 20;

	parse(argc, argv, &o);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("mf-bench-sendmmsg: socket");
		return 1;
	}
	/* A deep send buffer keeps the socket from being the bottleneck of a fast sender. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	to = calloc(o.dests, sizeof(*to));
	m = calloc(o.batch, sizeof(*m));
	buf = malloc(o.size);
	if (!to || !m || !buf) {
		fprintf(stderr, "mf-bench-sendmmsg: out of memory\n");
		return 1;
	}
	memset(buf, 0x5a, o.size);
	iov.iov_base = buf;
	iov.iov_len = o.size;
	for (i = 0; i < o.dests; i++) {
		to[i].sin_family = AF_INET;
		to[i].sin_port = htons(o.port_base + i);
		to[i].sin_addr.s_addr = htonl(ntohl(o.base.s_addr) + i);
	}
	for (i = 0; i < o.batch; i++) {
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_namelen = sizeof(to[0]);
	}
	t0 = now_s();
	while (sent < o.count) {
		unsigned int n = o.count - sent < o.batch ? (unsigned int)(o.count - sent) : o.batch;
		int r;

		/* Round robin over the recipients, continuing where the last call stopped. */
		for (i = 0; i < n; i++)
			m[i].msg_hdr.msg_name = &to[(next + i) % o.dests];
		r = sendmmsg(fd, m, n, 0);
		if (r <= 0) {
			failed++;        /* ENOBUFS and the like: retry the same messages */
		} else {
			sent += r;
			next = (next + r) % o.dests;
		}
		if ((sent & 0xffff) < o.batch || r <= 0) {
			t = now_s();
			if (t - t0 >= o.seconds)
				break;
		}
	}
	t = now_s();
	printf("{\"sent\": %llu, \"seconds\": %.6f, \"rate\": %.1f, \"failedCalls\": %llu, "
	       "\"batch\": %u, \"dests\": %u, \"size\": %u}\n",
	       sent, t - t0, sent / (t - t0), failed, o.batch, o.dests, o.size);
	return 0;
}

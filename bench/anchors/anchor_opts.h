/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The command-line checks the kernel anchors share (sendmmsg_rate.c, txtime_lateness.c): each
 * program names itself and its usage line once (anchor_usage_set); a bad value then ends it
 * with exit code 2 and a message naming the option, what it got and what it takes.
 * Header-only: each anchor is one small program.
 */
#ifndef MF_ANCHOR_OPTS_H
#define MF_ANCHOR_OPTS_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static const char *anchor_prog = "anchor";
static const char *anchor_usage_line = "";

static inline void
anchor_usage_set(const char *prog, const char *usage_line)
{
	anchor_prog = prog;
	anchor_usage_line = usage_line;
}

static inline void
anchor_usage(const char *why)
{
	fprintf(stderr, "%s: %s\nusage: %s %s\n", anchor_prog, why, anchor_prog, anchor_usage_line);
	exit(2);
}

/* --name VALUE: a whole number in lo..hi. */
static inline unsigned long long
anchor_uint(const char *name, const char *s, unsigned long long lo, unsigned long long hi)
{
	char *end, why[160];
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	/* strtoull takes a sign and leading blanks ("-1" wraps around): digits only */
	if (s[0] < '0' || s[0] > '9' || errno || *end || v < lo || v > hi) {
		snprintf(why, sizeof(why), "--%s %s: expected an integer in %llu..%llu", name, s, lo, hi);
		anchor_usage(why);
	}
	return v;
}

/* --name VALUE: a number in lo..hi. */
static inline double
anchor_num(const char *name, const char *s, double lo, double hi)
{
	char *end, why[160];
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= lo && v <= hi)) {
		snprintf(why, sizeof(why), "--%s %s: expected a number in %g..%g", name, s, lo, hi);
		anchor_usage(why);
	}
	return v;
}

/* --dst-base A.B.C.D */
static inline void
anchor_ipv4(const char *name, const char *s, struct in_addr *out)
{
	char why[160];

	if (inet_pton(AF_INET, s, out) != 1) {
		snprintf(why, sizeof(why), "--%s %s: expected an IPv4 address such as 198.18.76.1",
			 name, s);
		anchor_usage(why);
	}
}

#endif /* MF_ANCHOR_OPTS_H */

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The C units' one assertion. CHECK counts every check and every failure and says where a
 * check failed, then goes on, so one run reports all that is wrong (the first 20 failures in
 * full, not a flood); check_report() prints the tally and gives main its exit status.
 */
#ifndef MF_TEST_CHECK_H
#define MF_TEST_CHECK_H

#include <stdio.h>

static int failures, checks;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		checks++;                                                              \
		if (!(cond)) {                                                         \
			failures++;                                                    \
			if (failures <= 20)                                            \
				fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
					__LINE__, #cond);                              \
		}                                                                      \
	} while (0)

static inline int
check_report(const char *unit)
{
	printf("%s: %d checks, %d failed\n", unit, checks, failures);
	return failures == 0 ? 0 : 1;
}

#endif /* MF_TEST_CHECK_H */

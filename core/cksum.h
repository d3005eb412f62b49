/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The Internet checksum's ones' complement sum over a buffer, fast: split sums every payload
 * byte it cuts (one piece's UDP checksum each), and at 64 KiB a message that sum is most of
 * the work. Free of DPDK so the unit test holds it against the plain 16-bit definition.
 */
#ifndef MF_CKSUM_H
#define MF_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Sum of the buffer as 16-bit words in memory order (as rte_raw_cksum reads them: native
 * byte order, an odd last byte as the low byte of a word), folded to 16 bits. */
uint16_t mf_cksum_sum(const void *buf, size_t len);

/* Copies len bytes from src to dst (not overlapping) and returns mf_cksum_sum(src, len):
 * one pass over the bytes where a copy and a sum would take two. */
uint16_t mf_cksum_copy(void *dst, const void *src, size_t len);

#endif /* MF_CKSUM_H */

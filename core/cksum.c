/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Ones' complement sum, 32 bytes per step where the CPU has AVX2 (checked once at run time),
 * else 16 bytes per step in four scalar accumulators.
 *
 * Why summing wider words is right: a 32-bit little-endian word w = lo + 65536 * hi, and
 * 65536 = 1 (mod 65535), so w = lo + hi in ones' complement arithmetic. Adding 32-bit words
 * into 64-bit lanes cannot overflow below 2^32 words, far past any packet; one fold at the
 * end gives the same 16-bit sum as adding the 16-bit words one by one (RFC 1071).
 */
#include <string.h>

#include "cksum.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static inline uint16_t
fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The tail (and the whole buffer without AVX2): 32-bit words, then a 16-bit word, then an
 * odd byte. memcpy keeps unaligned loads legal; compilers make them plain loads. */
static uint64_t
sum_scalar(const uint8_t *p, size_t n)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	uint32_t w[4];
	uint16_t h;

	for (; n >= 16; p += 16, n -= 16) {
		memcpy(w, p, 16);
		s0 += w[0];
		s1 += w[1];
		s2 += w[2];
		s3 += w[3];
	}
	for (; n >= 4; p += 4, n -= 4) {
		memcpy(w, p, 4);
		s0 += w[0];
	}
	if (n >= 2) {
		memcpy(&h, p, 2);
		s1 += h;
		p += 2;
		n -= 2;
	}
	if (n == 1) {
		/* the low byte of a word whose other byte is zero, in memory order */
		h = 0;
		memcpy(&h, p, 1);
		s2 += h;
	}
	return s0 + s1 + s2 + s3;
}

#if defined(__x86_64__)
/* Each 32-byte load gives four 64-bit lanes; their low and high 32-bit halves are added
 * into two accumulators (an AND and a shift, no shuffle), two loads per step. */
__attribute__((target("avx2"))) static uint64_t
sum_avx2(const uint8_t *p, size_t n)
{
	const __m256i lo32 = _mm256_set1_epi64x(0xffffffffLL);
	__m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
	__m256i a2 = _mm256_setzero_si256(), a3 = _mm256_setzero_si256();
	uint64_t l[4];

	for (; n >= 64; p += 64, n -= 64) {
		__m256i x = _mm256_loadu_si256((const __m256i *)p);
		__m256i y = _mm256_loadu_si256((const __m256i *)(p + 32));

		_mm_prefetch((const char *)p + 512, _MM_HINT_T0);
		a0 = _mm256_add_epi64(a0, _mm256_and_si256(x, lo32));
		a1 = _mm256_add_epi64(a1, _mm256_srli_epi64(x, 32));
		a2 = _mm256_add_epi64(a2, _mm256_and_si256(y, lo32));
		a3 = _mm256_add_epi64(a3, _mm256_srli_epi64(y, 32));
	}
	a0 = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
	_mm256_storeu_si256((__m256i *)l, a0);
	return l[0] + l[1] + l[2] + l[3] + sum_scalar(p, n);
}
#endif

#if defined(__x86_64__)
/* sum_avx2 that also stores what it loads: the copy costs the stores only. */
__attribute__((target("avx2"))) static uint64_t
copy_sum_avx2(uint8_t *d, const uint8_t *p, size_t n)
{
	const __m256i lo32 = _mm256_set1_epi64x(0xffffffffLL);
	__m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
	__m256i a2 = _mm256_setzero_si256(), a3 = _mm256_setzero_si256();
	uint64_t l[4];

	for (; n >= 64; p += 64, d += 64, n -= 64) {
		__m256i x = _mm256_loadu_si256((const __m256i *)p);
		__m256i y = _mm256_loadu_si256((const __m256i *)(p + 32));

		/* a slice of a jumbo datagram often comes from L3: ask for it ahead */
		_mm_prefetch((const char *)p + 512, _MM_HINT_T0);
		_mm256_storeu_si256((__m256i *)d, x);
		_mm256_storeu_si256((__m256i *)(d + 32), y);
		a0 = _mm256_add_epi64(a0, _mm256_and_si256(x, lo32));
		a1 = _mm256_add_epi64(a1, _mm256_srli_epi64(x, 32));
		a2 = _mm256_add_epi64(a2, _mm256_and_si256(y, lo32));
		a3 = _mm256_add_epi64(a3, _mm256_srli_epi64(y, 32));
	}
	memcpy(d, p, n);
	a0 = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
	_mm256_storeu_si256((__m256i *)l, a0);
	return l[0] + l[1] + l[2] + l[3] + sum_scalar(p, n);
}
#endif

static inline int
have_avx2(void)
{
#if defined(__x86_64__)
	static int avx2_seen = -1; /* every lcore finds the same answer: racing is harmless */
	int avx2 = __atomic_load_n(&avx2_seen, __ATOMIC_RELAXED);

	if (__builtin_expect(avx2 < 0, 0)) {
		__builtin_cpu_init();
		avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
		__atomic_store_n(&avx2_seen, avx2, __ATOMIC_RELAXED);
	}
	return avx2;
#else
	return 0;
#endif
}

uint16_t
mf_cksum_sum(const void *buf, size_t len)
{
#if defined(__x86_64__)
	if (len >= 64 && have_avx2())
		return fold64(sum_avx2(buf, len));
#endif
	return fold64(sum_scalar(buf, len));
}

uint16_t
mf_cksum_copy(void *dst, const void *src, size_t len)
{
#if defined(__x86_64__)
	if (len >= 64 && have_avx2())
		return fold64(copy_sum_avx2(dst, src, len));
#endif
	memcpy(dst, src, len);
	return fold64(sum_scalar(src, len));
}

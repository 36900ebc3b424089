/* SPDX-License-Identifier: MIT */
/* Demo workload: a CPU-bound process. It runs an xorshift generator flat out and, about once a
 * second, prints how far it got and whether a running checksum of its 1 MiB work buffer still
 * matches (a bad migration shows as "MEMORY CORRUPT" or as a gap in the round numbers). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define WORDS ((1u << 20) / 8)

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000ull + t.tv_nsec / 1000000;
}

int main(void)
{
	uint64_t *buf = calloc(WORDS, 8), sum = 0, x = 88172645463325252ull, last = now_ms();
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (uint64_t round = 0;;) {
		for (int i = 0; i < 1 << 20; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint64_t w = x % WORDS;
			sum += x - buf[w];
			buf[w] = x;
		}
		if (now_ms() - last < 1000)
			continue;
		last = now_ms();
		uint64_t check = 0;
		for (uint64_t k = 0; k < WORDS; k++)
			check += buf[k];
		char host[64] = "?";
		gethostname(host, sizeof(host));
		printf("pid %d on %s: round %llu %s\n", (int)getpid(), host,
		       (unsigned long long)round++, check == sum ? "memory ok" : "MEMORY CORRUPT");
	}
}

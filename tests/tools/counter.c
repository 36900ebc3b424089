/* SPDX-License-Identifier: MIT */
/* Demo workload: counts once per 200 ms, printing the count and the PID it runs as, and keeps
 * a checksum of a 4 MiB buffer it rewrites, so a bad restore shows as a checksum error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define WORDS (4u << 20) / 8

int main(void)
{
	uint64_t *buf = calloc(WORDS, 8), sum = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (uint64_t i = 0;; i++) {
		uint64_t w = i % WORDS;
		sum -= buf[w];
		buf[w] = i * 2654435761u;
		sum += buf[w];
		uint64_t check = 0;
		for (uint64_t k = 0; k < WORDS; k++)
			check += buf[k];
		printf("pid %d count %llu %s\n", (int)getpid(), (unsigned long long)i,
		       check == sum ? "memory ok" : "MEMORY CORRUPT");
		struct timespec t = {0, 200000000};
		nanosleep(&t, NULL);
	}
}

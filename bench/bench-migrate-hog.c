/* SPDX-License-Identifier: MIT */
/* Workload of bench/bench-migrate.sh: holds MIB MiB of incompressible memory, then ticks every
 * millisecond. When a tick comes late (> 5 ms: it was frozen, or the machine was busy), it
 * appends "gap_start_ns gap_end_ns" (CLOCK_REALTIME, the same in every node) to FILE, so the
 * benchmark learns the blackout (the longest gap during a migration) and the moment of the
 * first instruction after it.
 *   bench-migrate-hog MIB FILE */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench-migrate-hog MIB FILE\n");
		return 2;
	}
	size_t len = strtoull(argv[1], NULL, 10) << 20;
	uint64_t *mem = malloc(len), x = 88172645463325252ULL;
	if (!mem)
		return 1;
	for (size_t i = 0; i < len / 8; i++) { /* xorshift: zstd cannot shrink it */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		mem[i] = x;
	}
	int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (fd < 0)
		return 1;
	dprintf(fd, "ready\n");
	uint64_t last = now_ns();
	for (;;) {
		struct timespec t = {0, 1000000};
		nanosleep(&t, NULL);
		uint64_t n = now_ns();
		if (n - last > 5000000) {
			char buf[64];
			int k = snprintf(buf, sizeof(buf), "%llu %llu\n", (unsigned long long)last,
					 (unsigned long long)n);
			if (write(fd, buf, k) != k)
				return 1;
		}
		last = n;
	}
}

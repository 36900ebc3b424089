/* SPDX-License-Identifier: MIT */
/* Peer channel throughput over loopback TCP: raw send/recv (the limit) against the channel with
 * encryption off and on, for each size, interleaved so machine noise hits every mode alike;
 * prints medians and ratios to raw. The sender times from the first byte to the receiver's
 * acknowledgement of the last (the receiver is a forked child, on the other core). CPU seconds
 * per GiB of each side are printed too: on a loaded machine they show the cost when wall
 * clock ratios are noise (a side's CPU per byte bounds the rate a dedicated core reaches).
 *   build/bench/bench-chan [--reps N] [--msg BYTES] [--only off|on] [SIZE...]  (SIZE: 64M, 1G)
 * --only runs raw and one channel mode (for profiling). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fdio.h"
#include "net/channel.h"

enum mode { RAW, CLEAR, SEALED, NMODES };
static const char *const mode_name[] = {"raw", "chan-off", "chan-on"};
static const uint8_t key[CHAN_KEY_BYTES] = {42};
static size_t msg_size = 4U << 20;
static int only = -1; /* --only raw|off|on */

static double now_s(void)
{
	return mono_ns() / 1e9;
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench-chan: %s: %s\n", what, detail);
	exit(1);
}

static int raw_io(int fd, void *buf, size_t n, int out)
{
	ssize_t r = out ? fd_write_all(fd, buf, n) : fd_read_full(fd, buf, n);
	return r < 0 || (!out && (size_t)r < n) ? -1 : 0;
}

/* Child: receive total bytes on fd in the given mode, then acknowledge with one byte/message. */
static int receive(int fd, enum mode m, uint64_t total)
{
	struct chan_opts o = {.encrypt = m == SEALED, .timeout_ms = 30000};
	struct ferry_err e = {{0}};
	struct chan *c = NULL;
	uint64_t got = 0;

	if (m == RAW) {
		char *buf = malloc(msg_size), ack = 1;
		while (got < total) {
			ssize_t r = read(fd, buf, msg_size);
			if (r <= 0)
				return 1;
			got += r;
		}
		free(buf);
		return raw_io(fd, &ack, 1, 1) ? 1 : 0;
	}
	if (chan_accept(fd, key, &o, &c, &e) < 0)
		die("accept", e.msg);
	while (got < total) {
		void *buf;
		size_t len;
		uint32_t t;
		if (chan_recv(c, &t, &buf, &len, &e) < 0)
			die("recv", e.msg);
		free(buf);
		got += len;
	}
	if (chan_send(c, 2, "k", 1, &e) < 0)
		die("ack", e.msg);
	chan_close(c);
	return 0;
}

/* Parent: send total bytes to addr in the given mode; returns seconds to the acknowledgement. */
static double transmit(const char *addr, const struct sockaddr_in *sa, enum mode m, uint64_t total,
		       const uint8_t *data)
{
	struct chan_opts o = {.encrypt = m == SEALED, .timeout_ms = 30000};
	struct ferry_err e = {{0}};
	struct chan *c = NULL;
	double t0;

	if (m == RAW) {
		int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		char ack;
		if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
			die("connect", strerror(errno));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		t0 = now_s();
		for (uint64_t off = 0; off < total; off += msg_size)
			if (raw_io(fd, (void *)data,
				   total - off < msg_size ? total - off : msg_size, 1))
				die("write", strerror(errno));
		if (raw_io(fd, &ack, 1, 0))
			die("ack", "raw receiver failed");
		double dt = now_s() - t0;
		close(fd);
		return dt;
	}
	if (chan_connect(addr, key, &o, &c, &e) < 0)
		die("connect", e.msg);
	t0 = now_s();
	for (uint64_t off = 0; off < total; off += msg_size)
		if (chan_send(c, 1, data, total - off < msg_size ? total - off : msg_size, &e) < 0)
			die("send", e.msg);
	void *ack;
	size_t len;
	uint32_t t;
	if (chan_recv(c, &t, &ack, &len, &e) < 0)
		die("ack", e.msg);
	double dt = now_s() - t0;
	free(ack);
	chan_close(c);
	return dt;
}

static double cpu_s(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds of the last run: sender (this process), receiver (the child). */
static double cpu_tx, cpu_rx;

static double run_once(enum mode m, uint64_t total, const uint8_t *data)
{
	double tx0 = cpu_s(RUSAGE_SELF), rx0 = cpu_s(RUSAGE_CHILDREN);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	char addr[64];
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), st;

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		die("listen", strerror(errno));
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(sa.sin_port));
	pid_t pid = fork();
	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);
		prctl(PR_SET_NAME, "bench-chan-rx"); /* profiles tell the ends apart */
		_exit(fd < 0 ? 1 : receive(fd, m, total));
	}
	close(lfd);
	double dt = transmit(addr, &sa, m, total, data);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("receiver", "failed");
	cpu_tx = cpu_s(RUSAGE_SELF) - tx0;
	cpu_rx = cpu_s(RUSAGE_CHILDREN) - rx0;
	return dt;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);
	switch (*end) {
	case 'G':
		return v << 30;
	case 'M':
		return v << 20;
	case 'K':
		return v << 10;
	default:
		return v;
	}
}

static void bench_size(uint64_t total, int reps, const uint8_t *data)
{
	double t[NMODES][64], med[NMODES], ctx[NMODES][64], crx[NMODES][64];

	for (int r = 0; r < reps; r++)
		for (int m = 0; m < NMODES; m++) {
			if (only >= 0 && m != only && m != RAW)
				continue;
			t[m][r] = run_once(m, total, data);
			ctx[m][r] = cpu_tx * (1 << 30) / total;
			crx[m][r] = cpu_rx * (1 << 30) / total;
		}
	for (int m = 0; m < NMODES; m++) {
		if (only >= 0 && m != only && m != RAW)
			continue;
		qsort(t[m], reps, sizeof(double), cmp_double);
		qsort(ctx[m], reps, sizeof(double), cmp_double);
		qsort(crx[m], reps, sizeof(double), cmp_double);
		med[m] = t[m][reps / 2];
		printf("%6llu MiB  %-9s median %8.1f MiB/s  (%.3f s; min %.3f max %.3f)",
		       (unsigned long long)(total >> 20), mode_name[m], total / 1048576.0 / med[m],
		       med[m], t[m][0], t[m][reps - 1]);
		printf("  cpu/GiB tx %.2fs rx %.2fs", ctx[m][reps / 2], crx[m][reps / 2]);
		if (m != RAW)
			printf("  %5.1f%% of raw", 100.0 * med[RAW] / med[m]);
		putchar('\n');
		fflush(stdout);
	}
}

#define USAGE "bench-chan [--reps N] [--msg BYTES] [--only off|on] [SIZE...]  (SIZE: 64M, 1G)"

int main(int argc, char **argv)
{
	int reps = 5, i = 1;
	uint64_t sizes[16];
	int n = 0;

	signal(SIGPIPE, SIG_IGN);
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = !strcmp(argv[++i], "on")	 ? SEALED
			       : !strcmp(argv[i], "off") ? CLEAR
							 : RAW;
		else if (!strcmp(argv[i], "--msg") && i + 1 < argc)
			msg_size = parse_size(argv[++i]);
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return puts(USAGE) < 0;
		else if (argv[i][0] >= '1' && argv[i][0] <= '9' && n < 16)
			sizes[n++] = parse_size(argv[i]);
		else
			die("usage", USAGE);
	}
	if (reps < 1 || reps > 64 || msg_size == 0 || msg_size > CHAN_MAX_MSG)
		die("usage", "--reps 1..64, --msg 1..16M");
	if (n == 0) {
		sizes[n++] = 64ULL << 20;
		sizes[n++] = 1ULL << 30;
	}
	uint8_t *data = malloc(msg_size);
	for (size_t k = 0; k < msg_size; k++)
		data[k] = (uint8_t)(k * 7 + (k >> 10));
	printf("bench-chan: loopback TCP, %d reps, %zu-byte messages\n", reps, msg_size);
	for (int k = 0; k < n; k++)
		bench_size(sizes[k], reps, data);
	free(data);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Shared helpers of the state-checking cases: ready/wait/pass/fail protocol with the harness. */
#include "caselib.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void case_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Development tools may leak fds (e.g. a pipe on a high number) into what they start; a
	 * case owns only stdin/stdout/stderr (KERNEL-FACTS.md, "Environment quirks"). */
	close_range(3, ~0U, 0);
}

void case_ready(void)
{
	/* write(2), not printf: stdio allocates its buffer on first use, and a case that snapshots
	 * its heap or /proc/self/maps just before case_ready() must not see them change after it */
	fflush(stdout);
	if (write(STDOUT_FILENO, "ready\n", 6) != 6)
		exit(1);
}

void case_wait(void)
{
	sigset_t mask, old;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sigdelset(&old, SIGTERM);
	while (!stop_requested)
		sigsuspend(&old);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

void case_block_term(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
}

int case_stop_requested(void)
{
	return stop_requested;
}

void case_pass(void)
{
	printf("PASS\n");
	fflush(stdout);
	exit(0);
}

void case_fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

long case_read_file(const char *path, char *buf, unsigned long size)
{
	unsigned long len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || size == 0)
		return -1;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (unsigned long)n;
	close(fd);
	buf[len] = 0;
	return (long)len;
}

int case_status_field(const char *key, char *out, unsigned long size)
{
	static char buf[8192];
	size_t klen = strlen(key);
	char *p = buf;

	if (case_read_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return -1;
	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			char *v = p + klen + 1, *e;

			while (*v == ' ' || *v == '\t')
				v++;
			e = strchr(v, '\n');
			if (!e)
				e = v + strlen(v);
			snprintf(out, size, "%.*s", (int)(e - v), v);
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

long long case_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int case_untraced(void)
{
	char tracer[32];
	return case_status_field("TracerPid", tracer, sizeof(tracer)) == 0 && !strcmp(tracer, "0");
}

void case_ready_wait_same_fds(void)
{
	char before[1024], now[1024];
	case_fd_list(before, sizeof(before));
	case_ready();
	case_wait();
	case_fd_list(now, sizeof(now));
	if (strcmp(now, before))
		case_fail("fds are '%s', were '%s'", now, before);
}

void case_fd_list(char *out, unsigned long size)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned long len = 0;

	out[0] = 0;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d) && len + 16 < size)
			len += (unsigned long)snprintf(out + len, size - len, "%s ", e->d_name);
	if (d)
		closedir(d);
}

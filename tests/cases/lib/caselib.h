/* SPDX-License-Identifier: MIT */
/* The shape every state-checking case follows (tests/cases/NAME.c):
 *   case_init(); build the state; case_ready(); case_wait(); check every detail; case_pass();
 * The harness (tests/cases/run.sh) starts the case in its own session with stdout/stderr on a log
 * file, waits for "ready" in the log, dumps/kills/restores it (once, or twice in a row), then
 * sends SIGTERM; case_wait() returns and the case checks its state and exits 0 (PASS) or 1. */
#ifndef FERRY_CASELIB_H
#define FERRY_CASELIB_H

#include <stdarg.h>

/* Installs the SIGTERM handler used by case_wait(); call first. */
void case_init(void);
/* Print "ready" to stdout and flush: the harness may now dump at any moment. */
void case_ready(void);
/* Block (sigsuspend) until the harness's SIGTERM arrives. */
void case_wait(void);
/* Non-zero once SIGTERM has arrived (for cases that keep working in a loop while waiting). */
int case_stop_requested(void);
/* Print "PASS" and exit 0. */
void case_pass(void) __attribute__((noreturn));
/* Print "FAIL: <reason>" and exit 1. */
void case_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* case_fail() unless cond, naming the expression and file:line. */
#define CASE_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			case_fail("%s:%d: check failed: %s", __FILE__, __LINE__, #cond);           \
	} while (0)

/* Block SIGTERM in the calling thread. Multi-threaded cases call it before pthread_create() so
 * every thread inherits the block and the harness's SIGTERM always wakes case_wait() in main. */
void case_block_term(void);
/* Read a whole file (e.g. under /proc) into buf (NUL-terminated); returns the byte count or -1. */
long case_read_file(const char *path, char *buf, unsigned long size);
/* Return the value of "Key:" in /proc/self/status (rest of the line, copied into out), or -1. */
int case_status_field(const char *key, char *out, unsigned long size);
/* The open fd numbers of this process as "0 1 2 ... " (ascending as the kernel lists them). */
void case_fd_list(char *out, unsigned long size);
/* For cases whose dump is refused: 1 if no tracer is attached any more (ferry let go). */
int case_untraced(void);
/* case_ready() and case_wait(), then case_fail() unless the fds open now are the ones open
 * before: a refused dump must leave nothing behind in the process. */
void case_ready_wait_same_fds(void);
/* Milliseconds of CLOCK_MONOTONIC. */
long long case_now_ms(void);

#endif

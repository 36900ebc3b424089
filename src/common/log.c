/* SPDX-License-Identifier: MIT */
/* Logging to stderr with levels, and the error-detail buffer used by the library layers. */
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum log_level log_max_level = LOG_WARN;

/* One write per line: several processes (ferryd and its workers) share one stderr, and a line
 * written in pieces could be cut by another one. A line longer than the buffer is truncated. */
void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char line[2048];
	va_list ap;

	if (lvl > log_max_level)
		return;
	int saved = errno;
	int n = snprintf(line, sizeof(line), "ferry: %s: ", names[lvl]);
	va_start(ap, fmt);
	int k = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	size_t len = k < 0 ? (size_t)n : (size_t)n + k;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w; /* nowhere to report a failure to log */
	errno = saved;
}

/* Record a detail if none is set yet; returns r so callers can write `return err_set(e, r, ...)`. */
int err_set(struct ferry_err *e, int r, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->msg[0])
		return r;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* Logging to stderr with levels, and the error-detail buffer used by the library layers. */
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum log_level log_max_level = LOG_WARN;

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	va_list ap;

	if (lvl > log_max_level)
		return;
	int saved = errno;
	fprintf(stderr, "ferry: %s: ", names[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

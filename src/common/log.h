/* SPDX-License-Identifier: MIT */
/* Logging for the CLI and the daemon. Library layers (image, dump, restore, policy) do not log
 * above debug: they return -errno and fill a caller-owned detail buffer (struct ferry_err). */
#ifndef FERRY_COMMON_LOG_H
#define FERRY_COMMON_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_max_level;

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Detail of a failure, filled by library code that does not log: names the resource and cause,
 * e.g. "pid 4242 fd 5 (socket): sockets are not supported yet". The first detail set wins, so
 * the innermost (most precise) cause survives as the error travels up. */
struct ferry_err {
	char msg[512];
};

int err_set(struct ferry_err *e, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif

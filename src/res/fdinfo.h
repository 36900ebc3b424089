/* SPDX-License-Identifier: MIT */
/* Pure parsers of the kind-specific lines of /proc/PID/fdinfo/FD (eventfd, timerfd, signalfd,
 * epoll, inotify, pidfd), unit-tested in tests/unit/test-res-fdinfo.c. Each returns 0, or
 * -EBADMSG when a field is missing or malformed. Formats are the kernel's (fs/eventfd.c,
 * fs/timerfd.c, fs/signalfd.c, fs/eventpoll.c, fs/notify/fdinfo.c, kernel/pid.c). */
#ifndef FERRY_RES_FDINFO_H
#define FERRY_RES_FDINFO_H

#include <stddef.h>
#include <stdint.h>

/* The text after "key:" (spaces/tabs skipped) on the line starting with key, NULL if none. */
const char *res_fdinfo_value(const char *fdinfo, const char *key);
/* That value as an unsigned number in base (8, 10, 16; 0 = C rules); -EBADMSG if absent/bad. */
int res_fdinfo_num(const char *fdinfo, const char *key, int base, uint64_t *ret);

int res_parse_eventfd(const char *fdinfo, uint64_t *count, uint32_t *semaphore);
int res_parse_signalfd(const char *fdinfo, uint64_t *sigmask);

struct res_timerfd_fdinfo {
	int32_t clockid;
	uint32_t settime_flags; /* TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET */
	uint64_t ticks;		/* expirations not read yet */
	int64_t value_ns;	/* remaining until the next expiry, 0 = disarmed */
	int64_t interval_ns;
};
int res_parse_timerfd(const char *fdinfo, struct res_timerfd_fdinfo *t);

struct res_epoll_item {
	int32_t tfd;
	uint32_t events;
	uint64_t data;
	uint64_t ino; /* inode of the registered file */
};
/* Every "tfd:" line; *items is malloc'd (NULL when n is 0). */
int res_parse_epoll(const char *fdinfo, struct res_epoll_item **items, size_t *n);

#define RES_FHANDLE_MAX 128
struct res_inotify_watch {
	uint32_t wd;
	uint32_t mask;
	uint32_t ignored_mask;
	uint32_t sdev; /* kernel dev_t of the watched inode's superblock (major << 20 | minor) */
	uint64_t ino;
	uint32_t fh_bytes; /* 0 when the kernel printed no handle */
	int32_t fh_type;
	uint8_t fh[RES_FHANDLE_MAX];
};
/* Every "inotify wd:" line; *w is malloc'd (NULL when n is 0). */
int res_parse_inotify(const char *fdinfo, struct res_inotify_watch **w, size_t *n);

/* "Pid:" of a pidfd: > 0, or -1 once the process was reaped (then *pid is -1). */
int res_parse_pidfd(const char *fdinfo, int32_t *pid);

/* Read all of /proc/PID/fdinfo/FD (any size) into a malloc'd NUL-terminated string. */
int res_fdinfo_read(int pid, int fd, char **ret);

#endif

/* SPDX-License-Identifier: MIT */
/* Parsers of the kind-specific fdinfo lines (see fdinfo.h), and a reader for fdinfo texts of any
 * length (an epoll set or an inotify instance with many entries outgrows a fixed buffer). */
#include "res/fdinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

const char *res_fdinfo_value(const char *fdinfo, const char *key)
{
	size_t klen = strlen(key);
	for (const char *l = fdinfo; l && *l;) {
		if (!strncmp(l, key, klen) && l[klen] == ':') {
			const char *v = l + klen + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return NULL;
}

/* Parse an unsigned number that must end the token (space, newline or NUL follows). */
static int parse_u64(const char *v, int base, uint64_t *ret, const char **end)
{
	char *e;
	if (!v || !((*v >= '0' && *v <= '9') ||
		    (base == 16 && ((*v | 0x20) >= 'a' && (*v | 0x20) <= 'f'))))
		return -EBADMSG;
	errno = 0;
	*ret = strtoull(v, &e, base);
	if (errno || (*e && *e != ' ' && *e != '\n' && *e != '\t' && *e != ')' && *e != ','))
		return -EBADMSG;
	if (end)
		*end = e;
	return 0;
}

int res_fdinfo_num(const char *fdinfo, const char *key, int base, uint64_t *ret)
{
	return parse_u64(res_fdinfo_value(fdinfo, key), base, ret, NULL);
}

int res_parse_eventfd(const char *fdinfo, uint64_t *count, uint32_t *semaphore)
{
	uint64_t sem;
	if (res_fdinfo_num(fdinfo, "eventfd-count", 16, count) < 0 ||
	    res_fdinfo_num(fdinfo, "eventfd-semaphore", 10, &sem) < 0 || sem > 1)
		return -EBADMSG;
	*semaphore = sem;
	return 0;
}

int res_parse_signalfd(const char *fdinfo, uint64_t *sigmask)
{
	return res_fdinfo_num(fdinfo, "sigmask", 16, sigmask);
}

/* "(SEC, NSEC)" as nanoseconds. */
static int parse_timespec(const char *v, int64_t *ns)
{
	uint64_t s, n;
	const char *e;
	if (!v || *v != '(' || parse_u64(v + 1, 10, &s, &e) < 0 || strncmp(e, ", ", 2) ||
	    parse_u64(e + 2, 10, &n, &e) < 0 || *e != ')' || n >= 1000000000ULL ||
	    s > INT64_MAX / 1000000000LL - 1)
		return -EBADMSG;
	*ns = (int64_t)s * 1000000000LL + (int64_t)n;
	return 0;
}

int res_parse_timerfd(const char *fdinfo, struct res_timerfd_fdinfo *t)
{
	uint64_t clk, flags;
	if (res_fdinfo_num(fdinfo, "clockid", 10, &clk) < 0 || clk > INT32_MAX ||
	    res_fdinfo_num(fdinfo, "ticks", 10, &t->ticks) < 0 ||
	    res_fdinfo_num(fdinfo, "settime flags", 8, &flags) < 0 || flags > UINT32_MAX ||
	    parse_timespec(res_fdinfo_value(fdinfo, "it_value"), &t->value_ns) < 0 ||
	    parse_timespec(res_fdinfo_value(fdinfo, "it_interval"), &t->interval_ns) < 0)
		return -EBADMSG;
	t->clockid = clk;
	t->settime_flags = flags;
	return 0;
}

/* Next line starting with prefix, from l on (NULL if none). */
static const char *next_line(const char *l, const char *prefix)
{
	size_t plen = strlen(prefix);
	while (l && *l) {
		if (!strncmp(l, prefix, plen))
			return l;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return NULL;
}

static const char *after_line(const char *l)
{
	l = strchr(l, '\n');
	return l ? l + 1 : NULL;
}

/* "name:VALUE" somewhere in [l, end of line): VALUE in base. */
static int field(const char *l, const char *name, int base, uint64_t *ret)
{
	const char *eol = strchr(l, '\n');
	size_t len = eol ? (size_t)(eol - l) : strlen(l), nlen = strlen(name);
	for (size_t i = 0; i + nlen <= len; i++)
		if ((i == 0 || l[i - 1] == ' ' || l[i - 1] == '\t') &&
		    !strncmp(l + i, name, nlen)) {
			const char *v = l + i + nlen;
			while (*v == ' ')
				v++;
			return parse_u64(v, base, ret, NULL);
		}
	return -EBADMSG;
}

int res_parse_epoll(const char *fdinfo, struct res_epoll_item **items, size_t *n)
{
	size_t cap = 0;
	*items = NULL;
	*n = 0;
	for (const char *l = next_line(fdinfo, "tfd:"); l; l = next_line(after_line(l), "tfd:")) {
		uint64_t tfd, ev, data, ino;
		if (field(l, "tfd:", 10, &tfd) < 0 || tfd > INT32_MAX ||
		    field(l, "events:", 16, &ev) < 0 || ev > UINT32_MAX ||
		    field(l, "data:", 16, &data) < 0 || field(l, "ino:", 16, &ino) < 0)
			goto bad;
		struct res_epoll_item *it = array_reserve(*items, &cap, *n + 1, sizeof(*it));
		if (!it) {
			free(*items);
			*items = NULL;
			return -ENOMEM;
		}
		*items = it;
		it[(*n)++] = (struct res_epoll_item){(int32_t)tfd, (uint32_t)ev, data, ino};
	}
	return 0;
bad:
	free(*items);
	*items = NULL;
	*n = 0;
	return -EBADMSG;
}

/* "f_handle:HEX" of an inotify line: fh_bytes bytes. */
static int parse_handle(const char *l, struct res_inotify_watch *w)
{
	uint64_t bytes, type;
	if (field(l, "fhandle-bytes:", 16, &bytes) < 0) {
		w->fh_bytes = 0; /* kernels without CONFIG_EXPORTFS print none */
		return 0;
	}
	const char *h = strstr(l, "f_handle:");
	if (bytes == 0 || bytes > RES_FHANDLE_MAX || field(l, "fhandle-type:", 16, &type) < 0 ||
	    type > INT32_MAX || !h)
		return -EBADMSG;
	h += strlen("f_handle:");
	for (uint64_t i = 0; i < bytes; i++) {
		unsigned v;
		if (sscanf(h + 2 * i, "%2x", &v) != 1 || h[2 * i] == ' ' || h[2 * i + 1] == ' ')
			return -EBADMSG;
		w->fh[i] = v;
	}
	w->fh_bytes = bytes;
	w->fh_type = type;
	return 0;
}

int res_parse_inotify(const char *fdinfo, struct res_inotify_watch **ws, size_t *n)
{
	size_t cap = 0;
	*ws = NULL;
	*n = 0;
	for (const char *l = next_line(fdinfo, "inotify wd:"); l;
	     l = next_line(after_line(l), "inotify wd:")) {
		struct res_inotify_watch w = {0};
		uint64_t wd, ino, sdev, mask, ign;
		if (field(l + 8, "wd:", 16, &wd) < 0 || wd == 0 || wd > INT32_MAX ||
		    field(l, "ino:", 16, &ino) < 0 || field(l, "sdev:", 16, &sdev) < 0 ||
		    sdev > UINT32_MAX || field(l, "mask:", 16, &mask) < 0 || mask > UINT32_MAX ||
		    field(l, "ignored_mask:", 16, &ign) < 0 || ign > UINT32_MAX)
			goto bad;
		w.wd = wd;
		w.ino = ino;
		w.sdev = sdev;
		w.mask = mask;
		w.ignored_mask = ign;
		if (parse_handle(l, &w) < 0)
			goto bad;
		struct res_inotify_watch *nw = array_reserve(*ws, &cap, *n + 1, sizeof(*nw));
		if (!nw) {
			free(*ws);
			*ws = NULL;
			return -ENOMEM;
		}
		*ws = nw;
		nw[(*n)++] = w;
	}
	return 0;
bad:
	free(*ws);
	*ws = NULL;
	*n = 0;
	return -EBADMSG;
}

int res_parse_pidfd(const char *fdinfo, int32_t *pid)
{
	const char *v = res_fdinfo_value(fdinfo, "Pid");
	uint64_t p;
	if (v && !strncmp(v, "-1", 2) && (v[2] == '\n' || v[2] == 0)) {
		*pid = -1;
		return 0;
	}
	if (parse_u64(v, 10, &p, NULL) < 0 || p == 0 || p > INT32_MAX)
		return -EBADMSG;
	*pid = p;
	return 0;
}

int res_fdinfo_read(int pid, int fd, char **ret)
{
	char path[64];
	size_t len = 0, cap = 8192;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	char *buf = malloc(cap);
	for (ssize_t n = 1; buf && n > 0;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(f, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n < 0) {
			free(buf);
			buf = NULL;
		} else
			len += n;
	}
	close(f);
	if (!buf || len + 1 >= cap) {
		free(buf);
		return -ENOMEM;
	}
	buf[len] = 0;
	char *fit = realloc(buf, len + 1); /* the dump keeps one per fd */
	*ret = fit ? fit : buf;
	return 0;
}

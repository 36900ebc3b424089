/* SPDX-License-Identifier: MIT */
/* Whole reads and writes on file descriptors (see fdio.h). */
#include "common/fdio.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

ssize_t fd_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		got += n;
	}
	return (ssize_t)got;
}

int fd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	int sock = 1; /* send() until the fd turns out not to be a socket */
	while (len > 0) {
		ssize_t n = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
		if (n < 0 && errno == ENOTSOCK && sock) {
			sock = 0;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? neg_errno() : -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Peer channel socket I/O: whole writes with sendmsg (no SIGPIPE), exact reads with readv
 * straight into the caller's buffers (no read-ahead, so poll() stays truthful), and the inactivity
 * timeout (SO_RCVTIMEO/SO_SNDTIMEO, or poll when the owner made the fd non-blocking). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "common/util.h"
#include "net/internal.h"

int chan_set_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};

	if (timeout_ms <= 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return neg_errno();
	return 0;
}

/* After EAGAIN: a blocking socket already waited timeout_ms (SO_*TIMEO); a non-blocking one
 * waits here. Returns 0 to retry or -ETIMEDOUT. */
static int wait_ready(struct chan *c, short events)
{
	struct pollfd p = {.fd = c->fd, .events = events};
	int fl = fcntl(c->fd, F_GETFL);

	if (fl < 0)
		return neg_errno();
	if (!(fl & O_NONBLOCK))
		return -ETIMEDOUT;
	for (;;) {
		int r = poll(&p, 1, c->timeout_ms > 0 ? c->timeout_ms : -1);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return neg_errno();
	}
}

/* Advance iov/cnt past n bytes just sent or read. */
static void advance(struct iovec **iov, int *cnt, size_t n)
{
	while (*cnt > 0 && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt > 0) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

int chan_write_all(struct chan *c, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = cnt};
		ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return neg_errno();
			int r = wait_ready(c, POLLOUT);
			if (r < 0)
				return r;
			continue;
		}
		advance(&iov, &cnt, (size_t)w);
	}
	return 0;
}

/* Read exactly the iov (modified), never more: nothing of the next message is ever buffered
 * here, so poll() on the fd tells the truth about pending messages. Segments and their tags
 * land in place with one readv, so no payload byte is copied twice. */
int chan_readv_full(struct chan *c, struct iovec *iov, int cnt)
{
	size_t got = 0;

	while (cnt > 0) {
		ssize_t r = readv(c->fd, iov, cnt);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return neg_errno();
			int w = wait_ready(c, POLLIN);
			if (w < 0)
				return w;
			continue;
		}
		if (r == 0)
			return got ? -ECONNRESET : -ENODATA;
		got += r;
		advance(&iov, &cnt, r);
	}
	return 0;
}

int chan_read_full(struct chan *c, void *dst, size_t n)
{
	struct iovec iov = {dst, n};
	return chan_readv_full(c, &iov, 1);
}

/* SPDX-License-Identifier: MIT */
/* Peer channel life cycle: connect (with timeout) or adopt an accepted socket, run the
 * handshake, accessors for the daemon's poll loop and logs, and close with the end frame. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include <sys/socket.h>

#include "common/util.h"
#include "net/internal.h"

/* Called once per process before any channel (ferryd: when it loads its key, before the first
 * worker is forked). Besides libsodium, it keys a throwaway context of each AEAD, so OpenSSL's
 * one-time set-up (its configuration file, the cipher implementations' lookup) is done here
 * once and inherited by every forked worker instead of being redone in each connection. */
int chan_crypto_init(struct ferry_err *e)
{
	static const uint8_t zero_key[CHAN_KEY_BYTES];
	if (sodium_init() < 0)
		return err_set(e, -EIO, "libsodium failed to initialise");
	for (int aesgcm = 0; aesgcm < 2; aesgcm++) {
		struct chan_dir d = {0};
		int r = chan_dir_init(&d, zero_key, aesgcm, 1);
		chan_dir_free(&d);
		if (r < 0)
			return err_set(e, r, "OpenSSL cannot set up %s",
				       aesgcm ? "AES-256-GCM" : "ChaCha20-Poly1305");
	}
	return 0;
}

static void peer_name(int fd, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	snprintf(out, size, "fd %d", fd);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		snprintf(out, size, "%s:%d", host, port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		snprintf(out, size, "[%s]:%d", host, port);
	} else if (ss.ss_family == AF_UNIX) {
		snprintf(out, size, "unix socket fd %d", fd);
	}
}

struct chan *chan_new(int fd, int timeout_ms)
{
	struct chan *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->sbuf = malloc(CHAN_SEG + CHAN_TAG_LEN);
	if (!c->sbuf) {
		free(c);
		return NULL;
	}
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	peer_name(fd, c->peer, sizeof(c->peer));
	return c;
}

static void chan_free(struct chan *c)
{
	safe_close(c->fd);
	chan_dir_free(&c->tx);
	chan_dir_free(&c->rx);
	free(c->sbuf);
	free(c);
}

/* Handshake on fd as client or server; fd is owned (closed on failure). */
static int chan_start(int fd, const uint8_t key[CHAN_KEY_BYTES], const struct chan_opts *o,
		      int client, struct chan **ret, struct ferry_err *e)
{
	int timeout = o ? o->timeout_ms : 0, enc = o ? o->encrypt : 1, one = 1;
	int r = chan_crypto_init(e);
	if (r < 0) {
		safe_close(fd);
		return r;
	}
	/* Not a TCP socket (socketpair in tests): TCP_NODELAY fails, harmlessly. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r = chan_set_timeouts(fd, timeout);
	struct chan *c = chan_new(fd, timeout);
	if (!c) {
		safe_close(fd);
		return err_set(e, -ENOMEM, "no memory for a channel on fd %d", fd);
	}
	if (r < 0)
		err_set(e, r, "peer %s: setting the socket timeouts: %s", c->peer, strerror(-r));
	else
		r = chan_handshake(c, key, client, enc, e);
	if (r < 0) {
		chan_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int chan_accept(int fd, const uint8_t key[CHAN_KEY_BYTES], const struct chan_opts *o,
		struct chan **ret, struct ferry_err *e)
{
	return chan_start(fd, key, o, 0, ret, e);
}

int chan_client_fd(int fd, const uint8_t key[CHAN_KEY_BYTES], const struct chan_opts *o,
		   struct chan **ret, struct ferry_err *e)
{
	return chan_start(fd, key, o, 1, ret, e);
}

/* "1.2.3.4:5" or "[::1]:5" -> host and port strings. */
static int split_addr(const char *addr, char *host, size_t hsize, const char **port)
{
	const char *colon;
	size_t hl;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		addr++;
		hl = end - addr;
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || strchr(addr, ':') != colon)
			return -EINVAL;
		hl = colon - addr;
	}
	if (hl == 0 || hl >= hsize || !colon[1])
		return -EINVAL;
	memcpy(host, addr, hl);
	host[hl] = 0;
	*port = colon + 1;
	return 0;
}

/* Non-blocking connect bounded by timeout_ms, then back to blocking. */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t sl, int timeout_ms)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return neg_errno();
	int r = connect(fd, sa, sl) < 0 ? neg_errno() : 0;
	if (r == -EINPROGRESS) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int err = 0;
		socklen_t el = sizeof(err);
		do
			r = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			return neg_errno();
		r = -err;
	}
	if (r == 0 && fcntl(fd, F_SETFL, fl) < 0)
		return neg_errno();
	return r;
}

int chan_connect(const char *addr, const uint8_t key[CHAN_KEY_BYTES], const struct chan_opts *o,
		 struct chan **ret, struct ferry_err *e)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	char host[256];
	const char *port;

	if (split_addr(addr, host, sizeof(host), &port) < 0)
		return err_set(e, -EINVAL, "peer address '%s': expected host:port or [ipv6]:port",
			       addr);
	int g = getaddrinfo(host, port, &hints, &ai);
	if (g != 0)
		return err_set(e, -EHOSTUNREACH, "peer address '%s': %s", addr, gai_strerror(g));
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r = fd < 0 ? neg_errno() : 0;
	if (r == 0)
		r = connect_timeout(fd, ai->ai_addr, ai->ai_addrlen, o ? o->timeout_ms : 0);
	freeaddrinfo(ai);
	if (r < 0) {
		safe_close(fd);
		return err_set(e, r, "connecting to peer %s: %s", addr, strerror(-r));
	}
	return chan_start(fd, key, o, 1, ret, e);
}

int chan_fd(const struct chan *c)
{
	return c->fd;
}

const char *chan_peer(const struct chan *c)
{
	return c->peer;
}

int chan_encrypted(const struct chan *c)
{
	return c->encrypt;
}

const char *chan_cipher(const struct chan *c)
{
	return c->aesgcm ? "aes256gcm" : "chacha20poly1305";
}

void chan_close(struct chan *c)
{
	if (!c)
		return;
	/* Never block on a peer that stopped reading: if the end frame does not fit at once,
	 * the peer sees a cut stream, which is what it is. */
	if (!c->tx.err) {
		uint8_t hdr[CHAN_HDR_LEN + CHAN_TAG_LEN];
		put_le32(hdr, 0);
		put_le32(hdr + 4, CHAN_TYPE_END);
		chan_seal(&c->tx, NULL, NULL, 0, hdr, CHAN_HDR_LEN, hdr + CHAN_HDR_LEN);
		if (send(c->fd, hdr, sizeof(hdr), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			c->tx.err = neg_errno();
	}
	chan_free(c);
}

void chan_abort(struct chan *c)
{
	if (c)
		chan_free(c);
}

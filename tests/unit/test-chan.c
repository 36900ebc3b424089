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
#include <poll.h>
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

static int pair_timeout_ms = 5000;

static void pair_open(struct pair *p, const uint8_t *kc, const uint8_t *ks, int enc_c, int enc_s)
{
	int sv[2];
	pthread_t th;

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p->srv = (struct server){
		.fd = sv[1], .key = ks, .o = {.encrypt = enc_s, .timeout_ms = pair_timeout_ms}};
	assert_int_equal(pthread_create(&th, NULL, serve, &p->srv), 0);
	struct chan_opts o = {.encrypt = enc_c, .timeout_ms = pair_timeout_ms};
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
	static const size_t sizes[] = {
		0, 1, 100, CHAN_SEG - 1, CHAN_SEG, CHAN_SEG + 1, 3 * CHAN_SEG + 17, CHAN_MAX_MSG};
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
	assert_string_equal(chan_cipher(p.cli), "chacha20poly1305"); /* fastest tag over data */
	assert_string_equal(chan_cipher(p.srv.c), "chacha20poly1305");
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

/* Raw bytes on the wire of a message of len bytes. */
static size_t frame_size(size_t len)
{
	return CHAN_HDR_LEN + CHAN_TAG_LEN + len + (len + CHAN_SEG - 1) / CHAN_SEG * CHAN_TAG_LEN;
}

/* Send a message from the client and take its frame off the server's socket end. */
static uint8_t *steal_frame(struct pair *p, size_t len, unsigned seed)
{
	struct ferry_err e = {{0}};
	size_t n = frame_size(len);
	uint8_t *msg = malloc(len + 1), *raw = malloc(n);

	fill(msg, len, seed);
	assert_int_equal(chan_send(p->cli, 5, msg, len, &e), 0);
	for (size_t got = 0; got < n;) {
		ssize_t r = read(chan_fd(p->srv.c), raw + got, n - got);
		assert_true(r > 0);
		got += r;
	}
	free(msg);
	return raw;
}

/* Inject raw bytes so that the server reads them. */
static void inject(struct pair *p, const uint8_t *raw, size_t n)
{
	assert_int_equal(write(chan_fd(p->cli), raw, n), (ssize_t)n);
}

static int recv_one(struct chan *c, struct ferry_err *e)
{
	void *buf = NULL;
	size_t len;
	uint32_t t;
	int r = chan_recv(c, &t, &buf, &len, e);
	free(buf);
	return r;
}

/* Flipping any bit of header, tag or data is detected, encrypted or not; the channel then
 * stays dead. */
static void tampered_frame(void **state)
{
	const size_t len = 1000;
	const size_t where[] = {0, 4, CHAN_HDR_LEN, 24, 24 + 500, 24 + len, frame_size(len) - 1};

	for (int enc = 0; enc <= 1; enc++)
		for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
			struct pair p;
			struct ferry_err e = {{0}};
			pair_ok(&p, enc, enc);
			uint8_t *raw = steal_frame(&p, len, 1);
			raw[where[i]] ^= 0x01;
			inject(&p, raw, frame_size(len));
			assert_int_equal(recv_one(p.srv.c, &e), -EBADMSG);
			assert_non_null(strstr(e.msg, "failed authentication"));
			memset(&e, 0, sizeof(e));
			raw[where[i]] ^= 0x01; /* the genuine frame is refused too now */
			inject(&p, raw, frame_size(len));
			assert_int_equal(recv_one(p.srv.c, &e), -EBADMSG);
			free(raw);
			pair_close(&p);
		}
}

static void replayed_frame(void **state)
{
	for (int enc = 0; enc <= 1; enc++) {
		struct pair p;
		struct ferry_err e = {{0}};
		pair_ok(&p, enc, enc);
		uint8_t *f1 = steal_frame(&p, 300, 1);
		inject(&p, f1, frame_size(300));
		inject(&p, f1, frame_size(300));
		assert_int_equal(recv_one(p.srv.c, &e), 0);
		assert_int_equal(recv_one(p.srv.c, &e), -EBADMSG);
		free(f1);
		pair_close(&p);
	}
}

/* Swapped or dropped frames fail: the nonce is a counter. */
static void reordered_frames(void **state)
{
	for (int enc = 0; enc <= 1; enc++) {
		struct pair p;
		struct ferry_err e = {{0}};
		pair_ok(&p, enc, enc);
		uint8_t *f1 = steal_frame(&p, 300, 1), *f2 = steal_frame(&p, 300, 2);
		uint8_t *f3 = steal_frame(&p, 300, 3);
		inject(&p, f2, frame_size(300));
		inject(&p, f1, frame_size(300));
		assert_int_equal(recv_one(p.srv.c, &e), -EBADMSG);
		pair_close(&p);

		pair_ok(&p, enc, enc); /* drop the middle one */
		free(f1), free(f2), free(f3);
		f1 = steal_frame(&p, 300, 1), f2 = steal_frame(&p, 300, 2);
		f3 = steal_frame(&p, 300, 3);
		inject(&p, f1, frame_size(300));
		inject(&p, f3, frame_size(300));
		assert_int_equal(recv_one(p.srv.c, &e), 0);
		assert_int_equal(recv_one(p.srv.c, &e), -EBADMSG);
		free(f1), free(f2), free(f3);
		pair_close(&p);
	}
}

/* A stream cut inside a frame, or between frames without the end frame, is truncation;
 * chan_close's end frame is a clean end. */
static void truncated_stream(void **state)
{
	struct pair p;
	struct ferry_err e = {{0}};
	const size_t len = 3 * CHAN_SEG / 2;

	pair_ok(&p, 1, 1);
	uint8_t *f = steal_frame(&p, 2000, 1);
	inject(&p, f, frame_size(2000) / 2);
	shutdown(chan_fd(p.cli), SHUT_WR);
	assert_int_equal(recv_one(p.srv.c, &e), -ECONNRESET);
	assert_non_null(strstr(e.msg, "truncated inside a frame"));
	free(f);
	pair_close(&p);

	memset(&e, 0, sizeof(e));
	pair_ok(&p, 0, 0);
	roundtrip(p.cli, p.srv.c, 3, len);
	chan_abort(p.cli);
	p.cli = NULL;
	assert_int_equal(recv_one(p.srv.c, &e), -ECONNRESET);
	assert_non_null(strstr(e.msg, "without the end frame"));
	pair_close(&p);

	memset(&e, 0, sizeof(e));
	pair_ok(&p, 1, 1);
	roundtrip(p.cli, p.srv.c, 3, 10);
	chan_close(p.cli);
	p.cli = NULL;
	assert_int_equal(recv_one(p.srv.c, &e), -ESHUTDOWN);
	assert_int_equal(recv_one(p.srv.c, &e), -ESHUTDOWN);
	pair_close(&p);
}

/* A length over the limit is refused from the header alone, before its tag is checked or any
 * buffer allocated; the sender refuses it too, and reserved types. */
static void oversized_length(void **state)
{
	struct pair p;
	struct ferry_err e = {{0}};
	static const uint32_t lens[] = {CHAN_MAX_MSG + 1, 0x7fffffff, 0xffffffff};

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(&e, 0, sizeof(e));
		pair_ok(&p, 1, 1);
		uint8_t *f = steal_frame(&p, 10, 1);
		put_le32(f, lens[i]);
		inject(&p, f, frame_size(10));
		assert_int_equal(recv_one(p.srv.c, &e), -EMSGSIZE);
		assert_non_null(strstr(e.msg, "over the limit"));
		free(f);
		pair_close(&p);
	}
	pair_ok(&p, 1, 1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(chan_send(p.cli, 1, "", (size_t)CHAN_MAX_MSG + 1, &e), -EMSGSIZE);
	assert_int_equal(chan_send(p.cli, CHAN_TYPE_RESERVED, "x", 1, &e), -EINVAL);
	assert_int_equal(chan_send(p.cli, CHAN_TYPE_END, NULL, 0, &e), -EINVAL);
	roundtrip(p.cli, p.srv.c, CHAN_TYPE_RESERVED - 1, 1);
	pair_close(&p);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A silent peer: handshake and receive give up after timeout_ms. */
static void timeouts(void **state)
{
	int sv[2];
	struct ferry_err e = {{0}};
	struct chan *c = NULL;
	struct chan_opts o = {.encrypt = 1, .timeout_ms = 200};

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	double t0 = now_s();
	assert_int_equal(chan_accept(sv[1], key_a, &o, &c, &e), -ETIMEDOUT);
	double dt = now_s() - t0;
	assert_true(dt >= 0.15 && dt < 3);
	assert_non_null(strstr(e.msg, "timed out"));
	close(sv[0]);

	/* Blocking fd (SO_RCVTIMEO), then non-blocking as a daemon may set it (poll). */
	pair_timeout_ms = 200;
	for (int nonblock = 0; nonblock <= 1; nonblock++) {
		struct pair p;
		pair_ok(&p, 1, 1);
		memset(&e, 0, sizeof(e));
		int fl = fcntl(chan_fd(p.srv.c), F_GETFL);
		if (nonblock)
			fcntl(chan_fd(p.srv.c), F_SETFL, fl | O_NONBLOCK);
		t0 = now_s();
		assert_int_equal(recv_one(p.srv.c, &e), -ETIMEDOUT);
		dt = now_s() - t0;
		assert_true(dt >= 0.15 && dt < 3);
		assert_non_null(strstr(e.msg, "nothing received for 200 ms"));
		pair_close(&p);
	}
	pair_timeout_ms = 5000;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* keygen: mode 0600, never overwrites, random; load: refuses loose modes, wrong sizes,
 * bad formats, symlinks. */
static void key_files(void **state)
{
	char dir[] = "/tmp/ferry-test-chan-XXXXXX", k1[64], k2[64], bad[64], ln[64];
	uint8_t a[CHAN_KEY_BYTES], b[CHAN_KEY_BYTES];
	struct ferry_err e = {{0}};
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(k1, sizeof(k1), "%s/k1", dir);
	snprintf(k2, sizeof(k2), "%s/k2", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	snprintf(ln, sizeof(ln), "%s/link", dir);
	mode_t old = umask(0);
	assert_int_equal(chan_keygen(k1, &e), 0);
	umask(old);
	assert_int_equal(stat(k1, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(chan_keygen(k1, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "already exists"));
	assert_int_equal(chan_keygen(k2, &e), 0);
	assert_int_equal(chan_load_key(k1, a, &e), 0);
	assert_int_equal(chan_load_key(k2, b, &e), 0);
	assert_memory_not_equal(a, b, CHAN_KEY_BYTES);

	static const mode_t loose[] = {0640, 0604, 0660, 0644, 0610, 0601};
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(chmod(k1, loose[i]), 0);
		assert_int_equal(chan_load_key(k1, a, &e), -EPERM);
		assert_non_null(strstr(e.msg, "group/other"));
	}
	assert_int_equal(chmod(k1, 0400), 0);
	assert_int_equal(chan_load_key(k1, a, &e), 0);

	static const char *const texts[] = {
		"",
		"ferry-cluster-key-v1 00\n",
		"ferry-cluster-key-v1 "
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n",
		"ferry-cluster-key-v2 "
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
		"ferry-cluster-key-v1 "
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f ",
		"ferry-cluster-key-v1 "
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n\n"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		memset(&e, 0, sizeof(e));
		write_file(bad, texts[i], 0600);
		assert_int_equal(chan_load_key(bad, a, &e), -EBADMSG);
		assert_non_null(strstr(e.msg, bad));
	}
	write_file(bad,
		   "ferry-cluster-key-v1 "
		   "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
		   0600);
	assert_int_equal(chan_load_key(bad, a, &e), 0);
	assert_int_equal(a[0], 0);
	assert_int_equal(a[31], 0x1f);

	assert_int_equal(symlink(k2, ln), 0);
	assert_int_equal(chan_load_key(ln, a, &e), -ELOOP);
	assert_int_equal(chan_keygen(ln, &e), -EEXIST);
	memset(&e, 0, sizeof(e));
	assert_int_equal(chan_load_key(dir, a, &e), -EINVAL); /* a directory */
	snprintf(k1, sizeof(k1), "%s/nodir/k", dir);
	assert_true(chan_keygen(k1, &e) < 0);

	unlink(ln);
	unlink(bad);
	unlink(k2);
	snprintf(k1, sizeof(k1), "%s/k1", dir);
	unlink(k1);
	assert_int_equal(rmdir(dir), 0);
}

struct listener {
	int lfd;
	struct server srv;
};

static void *accept_one(void *arg)
{
	struct listener *l = arg;
	l->srv.fd = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (l->srv.fd < 0) {
		l->srv.r = -errno;
		return NULL;
	}
	return serve(&l->srv);
}

/* chan_connect over loopback TCP; peer names; bad addresses; nobody listening. */
static void tcp_loopback(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	struct listener l = {.srv = {.key = key_a, .o = {.encrypt = 1, .timeout_ms = 5000}}};
	struct chan_opts o = {.encrypt = 1, .timeout_ms = 5000};
	struct ferry_err e = {{0}};
	struct chan *c = NULL;
	char addr[64], want[64];
	pthread_t th;

	l.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l.lfd >= 0);
	assert_int_equal(bind(l.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l.lfd, 4), 0);
	assert_int_equal(getsockname(l.lfd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(sa.sin_port));
	assert_int_equal(pthread_create(&th, NULL, accept_one, &l), 0);
	int r = chan_connect(addr, key_a, &o, &c, &e);
	pthread_join(th, NULL);
	if (r)
		fprintf(stderr, "%s\n", e.msg);
	assert_int_equal(r, 0);
	assert_int_equal(l.srv.r, 0);
	assert_string_equal(chan_peer(c), addr);
	snprintf(want, sizeof(want), "127.0.0.1:");
	assert_memory_equal(chan_peer(l.srv.c), want, strlen(want));
	roundtrip(c, l.srv.c, 9, 3 * CHAN_SEG);
	roundtrip(l.srv.c, c, 10, 77);
	chan_close(c);
	assert_int_equal(recv_one(l.srv.c, &e), -ESHUTDOWN);
	chan_close(l.srv.c);
	close(l.lfd); /* nobody listens there any more */

	static const char *const bad[] = {"127.0.0.1", "127.0.0.1:", ":80",
					  "::1:80",    "[::1]80",    "[::1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(chan_connect(bad[i], key_a, &o, &c, &e), -EINVAL);
		assert_non_null(strstr(e.msg, bad[i]));
	}
	memset(&e, 0, sizeof(e));
	assert_int_equal(chan_connect(addr, key_a, &o, &c, &e), -ECONNREFUSED);
	assert_non_null(strstr(e.msg, addr));
}

/* Both ciphers, both modes, on sessions made directly with known keys (the handshake picks
 * AES-256-GCM only when both ends have it in hardware, so ChaCha20-Poly1305 needs this). */
static void both_ciphers(void **state)
{
	static const uint8_t k1[CHAN_KEY_BYTES] = {11}, k2[CHAN_KEY_BYTES] = {22};

	for (int aes = 0; aes <= 1; aes++)
		for (int enc = 0; enc <= 1; enc++) {
			struct ferry_err e = {{0}};
			int sv[2];
			assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
			struct chan *a = chan_new(sv[0], 5000), *b = chan_new(sv[1], 5000);
			assert_non_null(a);
			assert_non_null(b);
			assert_int_equal(chan_set_session(a, k1, k2, enc, aes), 0);
			assert_int_equal(chan_set_session(b, k2, k1, enc, aes), 0);
			assert_string_equal(chan_cipher(a), aes ? "aes256gcm" : "chacha20poly1305");
			roundtrip(a, b, 1, 3 * CHAN_SEG + 5);
			roundtrip(b, a, 2, 0);
			roundtrip(a, b, 3, 999);
			/* One flipped bit in the clear or sealed payload is refused. */
			uint8_t msg[100], raw[CHAN_HDR_LEN + 2 * CHAN_TAG_LEN + 100];
			memset(msg, 'm', sizeof(msg));
			assert_int_equal(chan_send(a, 4, msg, sizeof(msg), &e), 0);
			assert_int_equal(read(sv[1], raw, sizeof(raw)), sizeof(raw));
			if (!enc) /* clear mode: the payload is readable on the wire */
				assert_memory_equal(raw + 24, msg, sizeof(msg));
			else
				assert_memory_not_equal(raw + 24, msg, sizeof(msg));
			raw[24 + 50] ^= 0x80;
			assert_int_equal(write(sv[0], raw, sizeof(raw)), sizeof(raw));
			assert_int_equal(recv_one(b, &e), -EBADMSG);
			chan_abort(a);
			chan_abort(b);
		}
}

/* The channel reads nothing beyond the message it returns: poll() on its fd between two
 * chan_recv calls sees the second message, and nothing after the last. */
static void poll_between_messages(void **state)
{
	struct pair p;
	struct ferry_err e = {{0}};
	struct pollfd pf;

	pair_ok(&p, 1, 1);
	assert_int_equal(chan_send(p.cli, 1, "one", 3, &e), 0);
	assert_int_equal(chan_send(p.cli, 2, "two", 3, &e), 0);
	assert_int_equal(chan_send(p.cli, 3, NULL, 0, &e), 0);
	for (int i = 0; i < 3; i++) {
		pf = (struct pollfd){.fd = chan_fd(p.srv.c), .events = POLLIN};
		assert_int_equal(poll(&pf, 1, 1000), 1);
		assert_int_equal(recv_one(p.srv.c, &e), 0);
	}
	pf = (struct pollfd){.fd = chan_fd(p.srv.c), .events = POLLIN};
	assert_int_equal(poll(&pf, 1, 0), 0);
	pair_close(&p);
}

/* chan_recv_into: in place when it fits; a message over cap is dropped with -EMSGSIZE and the
 * channel goes on (the next message still arrives intact). */
static void recv_into_caller_buffer(void **state)
{
	struct pair p;
	struct ferry_err e = {{0}};
	size_t big = 3 * CHAN_SEG + 5, len = 0;
	uint8_t *src = malloc(big), *dst = malloc(big);
	uint32_t t = 0;

	pair_ok(&p, 1, 1);
	fill(src, big, 3);
	struct sender s = {.c = p.cli, .type = 5, .buf = src, .len = big};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, send_thread, &s), 0);
	assert_int_equal(chan_recv_into(p.srv.c, &t, dst, big, &len, &e), 0);
	pthread_join(th, NULL);
	assert_int_equal(t, 5);
	assert_int_equal(len, big);
	assert_memory_equal(dst, src, big);
	assert_int_equal(pthread_create(&th, NULL, send_thread, &s), 0);
	assert_int_equal(chan_recv_into(p.srv.c, &t, dst, big - 1, &len, &e), -EMSGSIZE);
	pthread_join(th, NULL);
	assert_int_equal(chan_send(p.cli, 6, "next", 4, &e), 0);
	assert_int_equal(chan_recv_into(p.srv.c, &t, dst, big, &len, &e), 0);
	assert_int_equal(t, 6);
	assert_int_equal(len, 4);
	assert_memory_equal(dst, "next", 4);
	free(src);
	free(dst);
	pair_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handshake_encrypted),
		cmocka_unit_test(handshake_clear),
		cmocka_unit_test(encryption_either_end),
		cmocka_unit_test(wrong_key),
		cmocka_unit_test(version_mismatch),
		cmocka_unit_test(tampered_frame),
		cmocka_unit_test(replayed_frame),
		cmocka_unit_test(reordered_frames),
		cmocka_unit_test(truncated_stream),
		cmocka_unit_test(oversized_length),
		cmocka_unit_test(timeouts),
		cmocka_unit_test(key_files),
		cmocka_unit_test(tcp_loopback),
		cmocka_unit_test(both_ciphers),
		cmocka_unit_test(poll_between_messages),
		cmocka_unit_test(recv_into_caller_buffer),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

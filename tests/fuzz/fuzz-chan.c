/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the peer channel's parsers (src/net/): any bytes from a peer must be
 * refused with one of the documented errors, never crash, over-read, leak or block. The first
 * input byte picks what the bytes are:
 *   0: a client's handshake, read by chan_accept;  1: a server's handshake, read by a client;
 *   2: raw frames, read by chan_recv on a session with known keys;
 *   3: a script of genuine messages (sent by a real sender with the same keys) plus bit flips
 *      and a cut applied to the wire bytes. Any message delivered must then be exactly the
 *      next one sent: a flipped bit may only ever cause a refusal, never a different message.
 * Inputs are capped so the whole exchange fits in a socketpair's buffer (no threads needed). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 60000
#define MAX_MSGS  64
#define MAX_FLIPS 16

static const uint8_t key[CHAN_KEY_BYTES] = {7, 7, 7};
static const uint8_t k_ab[CHAN_KEY_BYTES] = {1}, k_ba[CHAN_KEY_BYTES] = {2};

static void check_refusal(int r, const struct ferry_err *e)
{
	static const int ok[] = {-EACCES,  -EPROTO,   -EPROTONOSUPPORT, -ECONNRESET,
				 -EBADMSG, -EMSGSIZE, -ESHUTDOWN,	-ETIMEDOUT};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (r == ok[i]) {
			if (!e->msg[0])
				abort(); /* every refusal says why */
			return;
		}
	abort();
}

/* Bytes into one end of a socketpair, then EOF; returns the other end. */
static int feed(const uint8_t *p, size_t n, int extra_fd_out[1])
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (n && write(sv[0], p, n) != (ssize_t)n)
		abort();
	shutdown(sv[0], SHUT_WR);
	extra_fd_out[0] = sv[0];
	return sv[1];
}

static void fuzz_handshake(const uint8_t *p, size_t n, int client)
{
	struct chan_opts o = {.encrypt = 1, .timeout_ms = 1000};
	struct ferry_err e = {{0}};
	struct chan *c = NULL;
	int other, fd = feed(p, n, &other);
	int r = client ? chan_client_fd(fd, key, &o, &c, &e) : chan_accept(fd, key, &o, &c, &e);
	if (r == 0)
		abort(); /* a proof made without the key, or without our nonce */
	check_refusal(r, &e);
	close(other);
}

/* Receive until the channel refuses; each delivered message must be expect[i]. */
static void drain(struct chan *rx, const uint8_t *const *expect, const size_t *elen,
		  const uint32_t *etype, size_t nexp, int strict)
{
	struct ferry_err e = {{0}};
	for (size_t i = 0;; i++) {
		void *buf = NULL;
		size_t len = 0;
		uint32_t t;
		int r = chan_recv(rx, &t, &buf, &len, &e);
		if (r < 0) {
			check_refusal(r, &e);
			if (strict && i != nexp)
				abort(); /* an untouched stream delivers every message */
			return;
		}
		if (expect && (i >= nexp || t != etype[i] || len != elen[i] ||
			       (len && memcmp(buf, expect[i], len))))
			abort(); /* a forged or altered message got through */
		if (!expect && len > CHAN_MAX_MSG)
			abort();
		free(buf);
	}
}

static struct chan *session(int fd, const uint8_t *tx, const uint8_t *rx, uint8_t mode)
{
	struct chan *c = chan_new(fd, 1000);
	if (!c)
		abort();
	if (chan_set_session(c, tx, rx, mode & 1, (mode >> 1) & 1) < 0)
		abort();
	return c;
}

static void fuzz_raw_frames(const uint8_t *p, size_t n)
{
	if (n < 1)
		return;
	int other, fd = feed(p + 1, n - 1, &other);
	struct chan *rx = session(fd, k_ba, k_ab, p[0]);
	drain(rx, NULL, NULL, NULL, 0, 0);
	chan_abort(rx);
	close(other);
}

struct script {
	const uint8_t *msg[MAX_MSGS];
	size_t len[MAX_MSGS];
	uint32_t type[MAX_MSGS];
	size_t nmsg;
	uint16_t flip_at[MAX_FLIPS];
	uint8_t flip_xor[MAX_FLIPS];
	size_t nflip;
	size_t cut; /* wire bytes kept, SIZE_MAX = all */
	int end;    /* send the end frame last */
};

static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

/* op < 0xf0: message {type16, len16, payload}; 0xf0 flip {at16, xor}; 0xf1 cut {at16};
 * 0xf2 end frame. */
static void parse_script(const uint8_t *p, size_t n, struct script *s)
{
	size_t i = 0;
	memset(s, 0, sizeof(*s));
	s->cut = SIZE_MAX;
	while (i < n) {
		uint8_t op = p[i++];
		if (op < 0xf0 && i + 4 <= n && s->nmsg < MAX_MSGS) {
			uint32_t t = get16(p + i) | (op & 0x80 ? 0xffff0000U : 0);
			size_t len = get16(p + i + 2);
			i += 4;
			if (len > n - i)
				len = n - i;
			s->type[s->nmsg] = t;
			s->len[s->nmsg] = len;
			s->msg[s->nmsg++] = p + i;
			i += len;
		} else if (op == 0xf0 && i + 3 <= n && s->nflip < MAX_FLIPS) {
			s->flip_at[s->nflip] = get16(p + i);
			s->flip_xor[s->nflip++] = p[i + 2] ? p[i + 2] : 1;
			i += 3;
		} else if (op == 0xf1 && i + 2 <= n) {
			s->cut = get16(p + i);
			i += 2;
		} else if (op == 0xf2) {
			s->end = 1;
		}
	}
}

static void fuzz_script(const uint8_t *p, size_t n)
{
	static uint8_t wire[MAX_INPUT * 2];
	struct ferry_err e = {{0}};
	struct script s;
	int sv[2];
	size_t w = 0;

	if (n < 1)
		return;
	parse_script(p + 1, n - 1, &s);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	struct chan *tx = session(sv[0], k_ab, k_ba, p[0]);
	/* Reserved types go out through the raw sender: the receiver must refuse them. */
	for (size_t i = 0; i < s.nmsg; i++)
		if (chan_send_frame(tx, s.type[i], s.msg[i], s.len[i], &e) < 0)
			abort();
	if (s.end && chan_send_frame(tx, CHAN_TYPE_END, NULL, 0, &e) < 0)
		abort();
	chan_abort(tx);
	for (ssize_t r; (r = read(sv[1], wire + w, sizeof(wire) - w)) > 0;)
		w += r;
	close(sv[1]);

	int tampered = s.cut < w;
	if (s.cut < w)
		w = s.cut;
	for (size_t i = 0; i < s.nflip; i++)
		if (s.flip_at[i] < w) {
			wire[s.flip_at[i]] ^= s.flip_xor[i];
			tampered = 1;
		}
	size_t ok = 0; /* genuine messages before the first reserved type */
	while (ok < s.nmsg && s.type[ok] < CHAN_TYPE_RESERVED)
		ok++;
	int other, fd = feed(wire, w, &other);
	struct chan *rx = session(fd, k_ba, k_ab, p[0]);
	drain(rx, s.msg, s.len, s.type, ok, !tampered && ok == s.nmsg);
	chan_abort(rx);
	close(other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > MAX_INPUT || chan_crypto_init(NULL) < 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_handshake(data + 1, size - 1, 0);
		break;
	case 1:
		fuzz_handshake(data + 1, size - 1, 1);
		break;
	case 2:
		fuzz_raw_frames(data + 1, size - 1);
		break;
	default:
		fuzz_script(data + 1, size - 1);
		break;
	}
	return 0;
}

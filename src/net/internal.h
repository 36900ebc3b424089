/* SPDX-License-Identifier: MIT */
/* Peer channel internals shared by its files (handshake, framing, socket I/O) and by the unit
 * test and fuzz target, which build frames by hand: the wire constants of docs/protocol.md. */
#ifndef FERRY_NET_INTERNAL_H
#define FERRY_NET_INTERNAL_H

#include <stdint.h>
#include <sys/uio.h>

#include "net/channel.h"

/* Handshake hello: magic[8] version u32 flags u32 nonce[32] kx_pk[32], integers little-endian.
 * Every future version keeps magic + version first, so a mismatch is always reported. */
#define CHAN_MAGIC	  "FERRYCHN"
#define CHAN_MAGIC_LEN	  8
#define CHAN_HELLO_PREFIX 12
#define CHAN_HELLO_LEN	  80
#define CHAN_NONCE_LEN	  32
#define CHAN_PROOF_LEN	  32
#define CHAN_FLAG_ENCRYPT 1U /* this end wants frames encrypted */
#define CHAN_FLAG_AESGCM  2U /* this end has AES-256-GCM in hardware */
/* Frame: header {len u32, type u32} + tag, then ceil(len / SEG) segments, each data + tag. */
#define CHAN_HDR_LEN  8
#define CHAN_TAG_LEN  16
#define CHAN_SEG      (256U << 10)
#define CHAN_MAX_SEGS (CHAN_MAX_MSG / CHAN_SEG)
#define CHAN_TYPE_END 0xffffffffU /* end of stream: the sender closed on purpose */

/* One direction of the session: key, AEAD invocation counter (the nonce), sticky error. */
struct chan_dir {
	struct evp_cipher_ctx_st *ctx; /* OpenSSL EVP_CIPHER_CTX keyed with the direction key */
	uint64_t ctr;
	int err;
};

struct chan {
	int fd;
	int timeout_ms;
	int encrypt;
	int aesgcm; /* else ChaCha20-Poly1305 */
	char peer[64];
	struct chan_dir tx, rx;
	int peer_ended; /* the end frame was received */
	uint8_t *sbuf;	/* one sealed segment + tag (encrypting sender) */
};

/* Socket I/O with the channel's inactivity timeout. chan_read_full returns -ENODATA on EOF
 * before the first byte, -ECONNRESET on EOF after some. */
int chan_write_all(struct chan *c, struct iovec *iov, int cnt);
int chan_read_full(struct chan *c, void *dst, size_t n);
int chan_readv_full(struct chan *c, struct iovec *iov, int cnt);
int chan_readv_full(struct chan *c, struct iovec *iov, int cnt);
int chan_set_timeouts(int fd, int timeout_ms);

/* The handshake of docs/protocol.md; on success c->tx/rx keys, encrypt and aead are set. */
int chan_handshake(struct chan *c, const uint8_t key[CHAN_KEY_BYTES], int client, int want_enc,
		   struct ferry_err *e);
/* Seal/verify one AEAD invocation with the direction's next nonce (src/net/aead.c). */
int chan_dir_init(struct chan_dir *d, const uint8_t key[CHAN_KEY_BYTES], int aesgcm, int sealer);
void chan_dir_free(struct chan_dir *d);
int chan_seal(struct chan_dir *d, uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad,
	      size_t adlen, uint8_t tag[CHAN_TAG_LEN]);
int chan_open(struct chan_dir *d, uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad,
	      size_t adlen, const uint8_t tag[CHAN_TAG_LEN]);
/* Send a frame of any type (chan_send adds the type check). */
int chan_send_frame(struct chan *c, uint32_t type, const void *buf, size_t len,
		    struct ferry_err *e);

/* A channel over fd with the given direction keys, without handshake (tests, fuzzing). */
struct chan *chan_new(int fd, int timeout_ms);
int chan_set_session(struct chan *c, const uint8_t tx[CHAN_KEY_BYTES],
		     const uint8_t rx[CHAN_KEY_BYTES], int encrypt, int aesgcm);
int chan_crypto_init(struct ferry_err *e);

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}
static inline uint32_t get_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif

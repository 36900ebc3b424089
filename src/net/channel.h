/* SPDX-License-Identifier: MIT */
/* Peer channel between ferry daemons: a TCP connection mutually authenticated by the cluster key
 * (`ferry keygen`), then a stream of typed messages, each authenticated, in order and delivered
 * once; encrypted unless both ends turn encryption off. libsodium for the handshake (X25519
 * key exchange, BLAKE2b keyed MACs and KDF), OpenSSL for the record AEAD (AES-256-GCM or
 * ChaCha20-Poly1305). Wire format: docs/protocol.md.
 * Non-logging: functions return 0 or -errno and fill a struct ferry_err naming peer and cause. */
#ifndef FERRY_NET_CHANNEL_H
#define FERRY_NET_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "common/log.h"

#define CHAN_KEY_BYTES 32
#define CHAN_MAX_MSG   (16U << 20) /* largest message payload */
#define CHAN_VERSION   1	   /* channel protocol version carried by the handshake */

/* Message types >= CHAN_TYPE_RESERVED belong to the channel itself; chan_send refuses them. */
#define CHAN_TYPE_RESERVED 0xffff0000U

/* Write a new random cluster key to path (mode 0600). Refuses to overwrite: -EEXIST. */
int chan_keygen(const char *path, struct ferry_err *e);
/* Read a cluster key file. Refuses (-EPERM) a file that is group/world accessible or owned by
 * another user than us or root, (-EBADMSG) a wrong size or format. */
int chan_load_key(const char *path, uint8_t key[CHAN_KEY_BYTES], struct ferry_err *e);

struct chan;
struct chan_opts {
	/* 1 = encrypt + authenticate every frame; 0 = authenticated handshake, then frames
	 * authenticated (integrity, order, no replay, no truncation) but sent in clear. The
	 * session is encrypted when either end asks for it. */
	int encrypt;
	/* Handshake and I/O inactivity timeout in ms: a wait for the peer that makes no progress
	 * for this long fails with -ETIMEDOUT. 0 = wait forever. */
	int timeout_ms;
};

/* Client side: connect to "host:port" (IPv4 or [IPv6]:port) and run the handshake.
 * o may be NULL (encryption on, no timeout). Same handshake errors as chan_accept. */
int chan_connect(const char *addr, const uint8_t key[CHAN_KEY_BYTES], const struct chan_opts *o,
		 struct chan **ret, struct ferry_err *e);
/* Server side: run the handshake on an accepted socket fd (takes ownership of fd, closed on
 * failure). Errors: -EACCES the peer does not hold the cluster key, -EPROTONOSUPPORT other
 * protocol version, -EPROTO not a ferry peer, -ETIMEDOUT, -ECONNRESET peer hung up. */
int chan_accept(int fd, const uint8_t key[CHAN_KEY_BYTES], const struct chan_opts *o,
		struct chan **ret, struct ferry_err *e);
/* Client side on an already connected stream socket (takes ownership of fd). */
int chan_client_fd(int fd, const uint8_t key[CHAN_KEY_BYTES], const struct chan_opts *o,
		   struct chan **ret, struct ferry_err *e);

/* Send one message: type (< CHAN_TYPE_RESERVED) + payload of len <= CHAN_MAX_MSG bytes. */
int chan_send(struct chan *c, uint32_t type, const void *buf, size_t len, struct ferry_err *e);
/* Receive the next message; *buf is malloc'd (NULL when len is 0), the caller frees it.
 * Returns 0, or -ESHUTDOWN when the peer closed the channel cleanly (chan_close), or an error:
 * -EBADMSG tampered/replayed/reordered frame, -EMSGSIZE frame over the limit, -ECONNRESET
 * stream cut without the end frame (truncation), -ETIMEDOUT. After an error the channel is
 * dead: every later call fails. One thread may send while another receives. Nothing beyond
 * the message returned is buffered, so poll() on chan_fd is exact between calls (a message that
 * arrives partly still blocks chan_recv until its end, bounded by timeout_ms). */
int chan_recv(struct chan *c, uint32_t *type, void **buf, size_t *len, struct ferry_err *e);
/* The same, into the caller's buffer of cap bytes (no allocation, no copy). A larger message
 * is read, checked and dropped, and -EMSGSIZE returned: the channel stays usable. */
int chan_recv_into(struct chan *c, uint32_t *type, void *buf, size_t cap, size_t *len,
		   struct ferry_err *e);
int chan_fd(const struct chan *c);	       /* for poll() */
const char *chan_peer(const struct chan *c);   /* "ip:port" for logs */
int chan_encrypted(const struct chan *c);      /* 1 when frames are encrypted */
const char *chan_cipher(const struct chan *c); /* "aes256gcm" or "chacha20poly1305" */
/* Send the end frame (if the channel is still healthy), close the socket, wipe the keys. */
void chan_close(struct chan *c);
/* Close without the end frame: the peer sees a cut stream (-ECONNRESET). For aborts. */
void chan_abort(struct chan *c);

#endif

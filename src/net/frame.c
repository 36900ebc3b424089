/* SPDX-License-Identifier: MIT */
/* Peer channel framing (docs/protocol.md): a message is a header {len, type} with its own tag,
 * then segments of up to CHAN_SEG bytes, each with a tag. Every tag is one AEAD invocation with
 * the direction's key and a counter nonce, so tampering, replay, reordering and forgery fail
 * verification; a stream cut without the end frame is reported as truncated. Lengths are
 * checked before anything is allocated. Clear mode authenticates the data as AEAD associated
 * data and sends it straight from the caller's buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "net/internal.h"

int chan_set_session(struct chan *c, const uint8_t tx[CHAN_KEY_BYTES],
		     const uint8_t rx[CHAN_KEY_BYTES], int encrypt, int aesgcm)
{
	c->encrypt = encrypt;
	c->aesgcm = aesgcm;
	int r = chan_dir_init(&c->tx, tx, aesgcm, 1);
	return r < 0 ? r : chan_dir_init(&c->rx, rx, aesgcm, 0);
}

/* Header + its tag, as the first 24 bytes of out. */
static void seal_header(struct chan *c, uint32_t type, size_t len, uint8_t *out)
{
	put_le32(out, (uint32_t)len);
	put_le32(out + 4, type);
	chan_seal(&c->tx, NULL, NULL, 0, out, CHAN_HDR_LEN, out + CHAN_HDR_LEN);
}

/* The iovecs of one segment, returned in iov (1 or 2 of them). Encrypted: sealed into sbuf
 * with its tag. Clear: the data goes straight from the caller's buffer, its tag computed just
 * before the copy into the socket, while the segment is still in cache. */
static int seal_segment(struct chan *c, const uint8_t *p, size_t seg, uint8_t *tag,
			struct iovec *iov)
{
	if (c->encrypt) {
		chan_seal(&c->tx, c->sbuf, p, seg, NULL, 0, c->sbuf + seg);
		iov[0] = (struct iovec){c->sbuf, seg + CHAN_TAG_LEN};
		return 1;
	}
	chan_seal(&c->tx, NULL, NULL, 0, p, seg, tag);
	iov[0] = (struct iovec){(void *)p, seg};
	iov[1] = (struct iovec){tag, CHAN_TAG_LEN};
	return 2;
}

/* The sealed header, then the payload segment by segment (the header goes with the first). */
static int send_segments(struct chan *c, const uint8_t *hdr, const uint8_t *p, size_t len)
{
	uint8_t tag[CHAN_TAG_LEN];
	struct iovec iov[3];
	size_t off = 0;
	int n = 0, r;

	iov[n++] = (struct iovec){(void *)hdr, CHAN_HDR_LEN + CHAN_TAG_LEN};
	do {
		size_t seg = len - off < CHAN_SEG ? len - off : CHAN_SEG;
		if (seg)
			n += seal_segment(c, p + off, seg, tag, iov + n);
		r = chan_write_all(c, iov, n);
		off += seg;
		n = 0;
	} while (r == 0 && off < len);
	return r;
}

int chan_send_frame(struct chan *c, uint32_t type, const void *buf, size_t len, struct ferry_err *e)
{
	uint8_t hdr[CHAN_HDR_LEN + CHAN_TAG_LEN];

	if (c->tx.err)
		return err_set(e, c->tx.err, "channel to %s: an earlier send failed", c->peer);
	if (len > CHAN_MAX_MSG)
		return err_set(e, -EMSGSIZE,
			       "channel to %s: message of %zu bytes over the %u limit", c->peer,
			       len, CHAN_MAX_MSG);
	seal_header(c, type, len, hdr);
	int r = send_segments(c, hdr, buf, len);
	if (r < 0) {
		c->tx.err = r;
		if (r == -ETIMEDOUT)
			return err_set(e, r, "channel to %s: send timed out after %d ms", c->peer,
				       c->timeout_ms);
		return err_set(e, r, "channel to %s: send: %s", c->peer, strerror(-r));
	}
	return 0;
}

int chan_send(struct chan *c, uint32_t type, const void *buf, size_t len, struct ferry_err *e)
{
	if (type >= CHAN_TYPE_RESERVED)
		return err_set(e, -EINVAL, "channel to %s: message type %#x is reserved", c->peer,
			       type);
	return chan_send_frame(c, type, buf, len, e);
}

/* Map a read failure while receiving frame part `what` to a named error. */
static int recv_error(struct chan *c, int r, int at_boundary, struct ferry_err *e)
{
	if (r == -ENODATA && at_boundary)
		return err_set(e, -ECONNRESET,
			       "peer %s closed the connection without the end frame: stream "
			       "truncated",
			       c->peer);
	if (r == -ENODATA || r == -ECONNRESET)
		return err_set(e, -ECONNRESET, "peer %s: stream truncated inside a frame", c->peer);
	if (r == -ETIMEDOUT)
		return err_set(e, r, "peer %s: nothing received for %d ms", c->peer, c->timeout_ms);
	return err_set(e, r, "peer %s: receive: %s", c->peer, strerror(-r));
}

static int auth_error(struct chan *c, struct ferry_err *e)
{
	return err_set(e, -EBADMSG,
		       "peer %s: frame %llu failed authentication (tampered, replayed, reordered "
		       "or forged)",
		       c->peer, (unsigned long long)c->rx.ctr - 1);
}

/* Read and check the header: length limit first (nothing allocated yet), then its tag. */
static int recv_header(struct chan *c, uint32_t *type, size_t *len, struct ferry_err *e)
{
	uint8_t hdr[CHAN_HDR_LEN + CHAN_TAG_LEN];
	int r = chan_read_full(c, hdr, sizeof(hdr));
	if (r < 0)
		return recv_error(c, r, 1, e);
	*len = get_le32(hdr);
	*type = get_le32(hdr + 4);
	if (*len > CHAN_MAX_MSG)
		return err_set(e, -EMSGSIZE,
			       "peer %s sent a frame of %zu bytes, over the limit of %u: dropped",
			       c->peer, *len, CHAN_MAX_MSG);
	if (chan_open(&c->rx, NULL, NULL, 0, hdr, CHAN_HDR_LEN, hdr + CHAN_HDR_LEN) < 0)
		return auth_error(c, e);
	if (*type == CHAN_TYPE_END && *len == 0) {
		c->peer_ended = 1;
		return err_set(e, -ESHUTDOWN, "peer %s closed the channel", c->peer);
	}
	if (*type >= CHAN_TYPE_RESERVED)
		return err_set(e, -EBADMSG, "peer %s sent reserved frame type %#x", c->peer, *type);
	return 0;
}

/* Segments land in place in the message buffer; encrypted ones are decrypted in place. */
static int recv_body(struct chan *c, uint8_t *p, size_t len, struct ferry_err *e)
{
	uint8_t tag[CHAN_TAG_LEN];

	for (size_t off = 0; off < len; off += CHAN_SEG) {
		size_t seg = len - off < CHAN_SEG ? len - off : CHAN_SEG;
		struct iovec iov[2] = {{p + off, seg}, {tag, sizeof(tag)}};
		int r = chan_readv_full(c, iov, 2);
		if (r < 0)
			return recv_error(c, r == -ENODATA ? -ECONNRESET : r, 0, e);
		if (c->encrypt)
			r = chan_open(&c->rx, p + off, p + off, seg, NULL, 0, tag);
		else
			r = chan_open(&c->rx, NULL, NULL, 0, p + off, seg, tag);
		if (r < 0)
			return auth_error(c, e);
	}
	return 0;
}

/* Checks shared by the receivers: the channel is still alive. */
static int recv_alive(struct chan *c, struct ferry_err *e)
{
	if (c->peer_ended)
		return err_set(e, -ESHUTDOWN, "peer %s closed the channel", c->peer);
	if (c->rx.err)
		return err_set(e, c->rx.err, "channel to %s: an earlier receive failed", c->peer);
	return 0;
}

/* The tail of both receives: a failure poisons the channel (unless the peer ended it). */
static int recv_done(struct chan *c, int r, uint32_t t, size_t n, uint32_t *type, size_t *len)
{
	if (r < 0) {
		if (!c->peer_ended)
			c->rx.err = r;
		return r;
	}
	*type = t;
	*len = n;
	return 0;
}

/* A buffer for an n-byte body into *p, or -ENOMEM. */
static int body_alloc(struct chan *c, size_t n, uint8_t **p, struct ferry_err *e)
{
	*p = malloc(n);
	return *p ? 0
		  : err_set(e, -ENOMEM, "peer %s: no memory for a %zu-byte message", c->peer, n);
}

int chan_recv_into(struct chan *c, uint32_t *type, void *buf, size_t cap, size_t *len,
		   struct ferry_err *e)
{
	size_t n = 0;
	uint32_t t = 0;
	int r = recv_alive(c, e);

	if (r == 0)
		r = recv_header(c, &t, &n, e);
	if (r == 0 && n > cap) { /* read it anyway, so the channel stays in step */
		_cleanup_free_ uint8_t *tmp = NULL;
		r = body_alloc(c, n, &tmp, e);
		if (r == 0)
			r = recv_body(c, tmp, n, e);
		if (r == 0)
			return err_set(e, -EMSGSIZE,
				       "peer %s: a %zu-byte message does not fit in %zu bytes",
				       c->peer, n, cap);
	} else if (r == 0 && n > 0) {
		r = recv_body(c, buf, n, e);
	}
	return recv_done(c, r, t, n, type, len);
}

int chan_recv(struct chan *c, uint32_t *type, void **buf, size_t *len, struct ferry_err *e)
{
	size_t n = 0;
	uint32_t t = 0;
	uint8_t *p = NULL;
	int r = recv_alive(c, e);

	if (r == 0)
		r = recv_header(c, &t, &n, e);
	if (r == 0 && n > 0 && (r = body_alloc(c, n, &p, e)) == 0 &&
	    (r = recv_body(c, p, n, e)) < 0) {
		free(p);
		p = NULL;
	}
	if (r == 0)
		*buf = p;
	return recv_done(c, r, t, n, type, len);
}

/* SPDX-License-Identifier: MIT */
/* Peer channel record protection: AES-256-GCM or ChaCha20-Poly1305 (IETF, 12-byte nonce,
 * 16-byte tag) through OpenSSL's EVP interface, one cipher context per direction keyed once
 * per session. The bulk AEAD comes from OpenSSL rather than libsodium because Debian 12's
 * libsodium (1.0.18) runs both ciphers at ~1 GB/s here against ~4 GB/s for OpenSSL's
 * VAES/AVX-512 code (docs/protocol.md, "Performance"): the wire format is the standard AEAD,
 * so either library could produce it. The nonce is the direction's invocation counter. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <openssl/evp.h>

#include "common/util.h"
#include "net/internal.h"

static void nonce_of(uint64_t ctr, uint8_t n[12])
{
	memset(n, 0, 12);
	for (int i = 0; i < 8; i++)
		n[i] = ctr >> (8 * i);
}

int chan_dir_init(struct chan_dir *d, const uint8_t key[CHAN_KEY_BYTES], int aesgcm, int sealer)
{
	const EVP_CIPHER *ciph = aesgcm ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();

	chan_dir_free(d);
	d->ctx = EVP_CIPHER_CTX_new();
	if (!d->ctx)
		return -ENOMEM;
	d->ctr = 0;
	d->err = 0;
	if (EVP_CipherInit_ex(d->ctx, ciph, NULL, key, NULL, sealer) != 1) {
		chan_dir_free(d);
		return -EIO;
	}
	return 0;
}

void chan_dir_free(struct chan_dir *d)
{
	EVP_CIPHER_CTX_free(d->ctx); /* cleanses the key schedule */
	d->ctx = NULL;
}

/* IV for the next invocation, then the associated data and the data (in place allowed). */
static int run(struct chan_dir *d, uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad,
	       size_t adlen)
{
	uint8_t n[12];
	int outl;

	if (!d->ctx || len > INT_MAX || adlen > INT_MAX)
		return -EINVAL;
	nonce_of(d->ctr++, n);
	if (EVP_CipherInit_ex(d->ctx, NULL, NULL, NULL, n, -1) != 1)
		return -EIO;
	if (adlen && EVP_CipherUpdate(d->ctx, NULL, &outl, ad, (int)adlen) != 1)
		return -EIO;
	if (len && EVP_CipherUpdate(d->ctx, out, &outl, in, (int)len) != 1)
		return -EIO;
	return 0;
}

int chan_seal(struct chan_dir *d, uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad,
	      size_t adlen, uint8_t tag[CHAN_TAG_LEN])
{
	uint8_t end[32];
	int outl, r = run(d, out, in, len, ad, adlen);

	if (r < 0)
		return r;
	if (EVP_CipherFinal_ex(d->ctx, end, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_GET_TAG, CHAN_TAG_LEN, tag) != 1)
		return -EIO;
	return 0;
}

int chan_open(struct chan_dir *d, uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad,
	      size_t adlen, const uint8_t tag[CHAN_TAG_LEN])
{
	uint8_t end[32];
	int outl, r = run(d, out, in, len, ad, adlen);

	if (r < 0)
		return r;
	if (EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, CHAN_TAG_LEN, (void *)tag) != 1)
		return -EIO;
	return EVP_CipherFinal_ex(d->ctx, end, &outl) == 1 ? 0 : -EBADMSG;
}

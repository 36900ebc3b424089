/* SPDX-License-Identifier: MIT */
/* Peer channel handshake (docs/protocol.md): both ends send a hello (version, flags, fresh
 * nonce, ephemeral X25519 key); a session secret is derived from the key exchange, the
 * transcript and the cluster key; the client proves it first, the server checks and answers
 * with its own proof. A peer without the cluster key cannot produce a proof; fresh nonces and
 * ephemeral keys make every session's proofs and keys new, so nothing can be replayed. */
#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "common/util.h"
#include "net/internal.h"

#define KDF_CONTEXT "ferrych1"
enum { SUBKEY_CLIENT_PROOF = 1, SUBKEY_SERVER_PROOF, SUBKEY_C2S, SUBKEY_S2C };

struct hs {
	uint8_t pk[crypto_kx_PUBLICKEYBYTES], sk[crypto_kx_SECRETKEYBYTES];
	uint8_t mine[CHAN_HELLO_LEN], theirs[CHAN_HELLO_LEN];
	uint8_t master[crypto_kdf_KEYBYTES];
	uint8_t proof_c[CHAN_PROOF_LEN], proof_s[CHAN_PROOF_LEN];
};

static void hello_build(uint8_t *h, const uint8_t *pk, int want_enc)
{
	uint32_t flags = (want_enc ? CHAN_FLAG_ENCRYPT : 0) |
			 (crypto_aead_aes256gcm_is_available() ? CHAN_FLAG_AESGCM : 0);

	memcpy(h, CHAN_MAGIC, CHAN_MAGIC_LEN);
	put_le32(h + 8, CHAN_VERSION);
	put_le32(h + 12, flags);
	randombytes_buf(h + 16, CHAN_NONCE_LEN);
	memcpy(h + 16 + CHAN_NONCE_LEN, pk, crypto_kx_PUBLICKEYBYTES);
}

static int read_error(struct chan *c, int r, const char *step, struct ferry_err *e)
{
	if (r == -ENODATA || r == -ECONNRESET)
		return err_set(e, -ECONNRESET, "peer %s hung up during the handshake (%s)", c->peer,
			       step);
	if (r == -ETIMEDOUT)
		return err_set(e, r, "peer %s: handshake timed out after %d ms waiting for %s",
			       c->peer, c->timeout_ms, step);
	return err_set(e, r, "peer %s: reading %s: %s", c->peer, step, strerror(-r));
}

static int read_step(struct chan *c, void *dst, size_t n, const char *step, struct ferry_err *e)
{
	int r = chan_read_full(c, dst, n);
	return r < 0 ? read_error(c, r, step, e) : 0;
}

static int write_step(struct chan *c, const void *src, size_t n, const char *step,
		      struct ferry_err *e)
{
	struct iovec iov = {(void *)src, n};
	int r = chan_write_all(c, &iov, 1);
	if (r < 0)
		return err_set(e, r, "peer %s: sending %s: %s", c->peer, step, strerror(-r));
	return 0;
}

/* Read the peer's hello: magic and version first, so any version's hello gets a clear answer. */
static int hello_read(struct chan *c, uint8_t *h, struct ferry_err *e)
{
	int r = read_step(c, h, CHAN_HELLO_PREFIX, "hello", e);
	if (r < 0)
		return r;
	if (memcmp(h, CHAN_MAGIC, CHAN_MAGIC_LEN))
		return err_set(e, -EPROTO, "peer %s is not a ferry peer (bad channel magic)",
			       c->peer);
	uint32_t v = get_le32(h + 8);
	if (v != CHAN_VERSION)
		return err_set(e, -EPROTONOSUPPORT,
			       "peer %s speaks channel protocol version %u, we speak version %u: "
			       "refused",
			       c->peer, v, CHAN_VERSION);
	return read_step(c, h + CHAN_HELLO_PREFIX, CHAN_HELLO_LEN - CHAN_HELLO_PREFIX, "hello", e);
}

/* master = BLAKE2b keyed by the cluster key over (transcript hash, both kx session keys);
 * proofs and direction keys are KDF subkeys of master. */
static int derive(struct chan *c, struct hs *h, const uint8_t *cluster, int client,
		  struct ferry_err *e)
{
	const uint8_t *hello_c = client ? h->mine : h->theirs;
	const uint8_t *hello_s = client ? h->theirs : h->mine;
	const uint8_t *peer_pk = h->theirs + 16 + CHAN_NONCE_LEN;
	uint8_t rx[crypto_kx_SESSIONKEYBYTES], tx[crypto_kx_SESSIONKEYBYTES], th[32];
	uint8_t c2s[CHAN_KEY_BYTES], s2c[CHAN_KEY_BYTES];
	crypto_generichash_state st;
	int r;

	if (client)
		r = crypto_kx_client_session_keys(rx, tx, h->pk, h->sk, peer_pk);
	else
		r = crypto_kx_server_session_keys(rx, tx, h->pk, h->sk, peer_pk);
	if (r != 0)
		return err_set(e, -EPROTO, "peer %s sent an invalid key-exchange public key",
			       c->peer);
	crypto_generichash_init(&st, NULL, 0, sizeof(th));
	crypto_generichash_update(&st, hello_c, CHAN_HELLO_LEN);
	crypto_generichash_update(&st, hello_s, CHAN_HELLO_LEN);
	crypto_generichash_final(&st, th, sizeof(th));

	crypto_generichash_init(&st, cluster, CHAN_KEY_BYTES, sizeof(h->master));
	crypto_generichash_update(&st, (const uint8_t *)"ferry-chan-1 master", 19);
	crypto_generichash_update(&st, th, sizeof(th));
	crypto_generichash_update(&st, client ? tx : rx, sizeof(tx)); /* client -> server */
	crypto_generichash_update(&st, client ? rx : tx, sizeof(rx)); /* server -> client */
	crypto_generichash_final(&st, h->master, sizeof(h->master));
	sodium_memzero(rx, sizeof(rx));
	sodium_memzero(tx, sizeof(tx));

	crypto_kdf_derive_from_key(h->proof_c, sizeof(h->proof_c), SUBKEY_CLIENT_PROOF, KDF_CONTEXT,
				   h->master);
	crypto_kdf_derive_from_key(h->proof_s, sizeof(h->proof_s), SUBKEY_SERVER_PROOF, KDF_CONTEXT,
				   h->master);
	crypto_kdf_derive_from_key(c2s, sizeof(c2s), SUBKEY_C2S, KDF_CONTEXT, h->master);
	crypto_kdf_derive_from_key(s2c, sizeof(s2c), SUBKEY_S2C, KDF_CONTEXT, h->master);

	/* Encrypted: AES-256-GCM if both ends have it in hardware. Clear: ChaCha20-Poly1305,
	 * whose tag over associated data (Poly1305) is far faster than GCM's (GHASH). */
	uint32_t fm = get_le32(h->mine + 12), ft = get_le32(h->theirs + 12);
	int enc = ((fm | ft) & CHAN_FLAG_ENCRYPT) != 0;
	r = chan_set_session(c, client ? c2s : s2c, client ? s2c : c2s, enc,
			     enc && (fm & ft & CHAN_FLAG_AESGCM));
	sodium_memzero(c2s, sizeof(c2s));
	sodium_memzero(s2c, sizeof(s2c));
	if (r < 0)
		return err_set(e, r, "peer %s: setting up the session ciphers failed", c->peer);
	return 0;
}

static int client_prove(struct chan *c, struct hs *h, struct ferry_err *e)
{
	uint8_t got[CHAN_PROOF_LEN];
	int r = write_step(c, h->proof_c, sizeof(h->proof_c), "proof", e);
	if (r < 0)
		return r;
	r = chan_read_full(c, got, sizeof(got));
	if (r == -ENODATA || r == -ECONNRESET)
		return err_set(e, -EACCES,
			       "peer %s dropped us during authentication: it does not accept our "
			       "cluster key",
			       c->peer);
	if (r < 0)
		return read_error(c, r, "proof", e);
	if (crypto_verify_32(got, h->proof_s) != 0)
		return err_set(e, -EACCES,
			       "peer %s failed authentication: it does not hold our cluster key",
			       c->peer);
	return 0;
}

static int server_check(struct chan *c, struct hs *h, struct ferry_err *e)
{
	uint8_t got[CHAN_PROOF_LEN];
	int r = read_step(c, got, sizeof(got), "proof", e);
	if (r < 0)
		return r;
	if (crypto_verify_32(got, h->proof_c) != 0)
		return err_set(e, -EACCES,
			       "peer %s failed authentication: it does not hold our cluster key; "
			       "dropped",
			       c->peer);
	return write_step(c, h->proof_s, sizeof(h->proof_s), "proof", e);
}

int chan_handshake(struct chan *c, const uint8_t key[CHAN_KEY_BYTES], int client, int want_enc,
		   struct ferry_err *e)
{
	struct hs h;
	int r;

	crypto_kx_keypair(h.pk, h.sk);
	hello_build(h.mine, h.pk, want_enc);
	r = write_step(c, h.mine, sizeof(h.mine), "hello", e);
	if (r == 0)
		r = hello_read(c, h.theirs, e);
	if (r == 0)
		r = derive(c, &h, key, client, e);
	if (r == 0)
		r = client ? client_prove(c, &h, e) : server_check(c, &h, e);
	sodium_memzero(&h, sizeof(h));
	return r;
}

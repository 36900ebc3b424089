/* SPDX-License-Identifier: MIT */
/* Cluster key files: one line "ferry-cluster-key-v1 <64 hex digits>\n", mode 0600. Made with
 * libsodium's random generator, never overwritten; loading checks owner, mode, size and format
 * before the key is used, and wipes every copy of the key it made. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>

#include "common/fdio.h"
#include "common/util.h"
#include "net/internal.h"

#define KEY_PREFIX   "ferry-cluster-key-v1 "
#define KEY_PREFIX_N (sizeof(KEY_PREFIX) - 1)
#define KEY_FILE_LEN (KEY_PREFIX_N + 2 * CHAN_KEY_BYTES + 1)

int chan_keygen(const char *path, struct ferry_err *e)
{
	uint8_t key[CHAN_KEY_BYTES];
	char line[KEY_FILE_LEN + 1];
	int r = chan_crypto_init(e);

	if (r < 0)
		return r;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = neg_errno();
		if (r == -EEXIST)
			return err_set(e, r, "key file %s already exists: not overwriting it",
				       path);
		return err_set(e, r, "creating key file %s: %s", path, strerror(-r));
	}
	randombytes_buf(key, sizeof(key));
	memcpy(line, KEY_PREFIX, KEY_PREFIX_N);
	sodium_bin2hex(line + KEY_PREFIX_N, 2 * CHAN_KEY_BYTES + 1, key, sizeof(key));
	line[KEY_FILE_LEN - 1] = '\n';
	r = fchmod(fd, 0600) < 0 ? neg_errno() : 0; /* whatever the umask did */
	if (r == 0)
		r = fd_write_all(fd, line, KEY_FILE_LEN);
	if (r == 0 && fsync(fd) < 0)
		r = neg_errno();
	sodium_memzero(key, sizeof(key));
	sodium_memzero(line, sizeof(line));
	if (close(fd) < 0 && r == 0)
		r = neg_errno();
	if (r < 0) {
		unlink(path);
		return err_set(e, r, "writing key file %s: %s", path, strerror(-r));
	}
	return 0;
}

static int check_stat(const char *path, const struct stat *st, struct ferry_err *e)
{
	if (!S_ISREG(st->st_mode))
		return err_set(e, -EINVAL, "key file %s is not a regular file", path);
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return err_set(e, -EPERM, "key file %s is owned by uid %u, not by us or root", path,
			       (unsigned)st->st_uid);
	if (st->st_mode & 077)
		return err_set(e, -EPERM,
			       "key file %s has mode %04o: group/other may access it (chmod 600)",
			       path, (unsigned)(st->st_mode & 07777));
	if (st->st_size != (off_t)KEY_FILE_LEN)
		return err_set(e, -EBADMSG, "key file %s has %lld bytes, a key file has %zu", path,
			       (long long)st->st_size, KEY_FILE_LEN);
	return 0;
}

static int parse_line(const char *path, const char *line, uint8_t *key, struct ferry_err *e)
{
	size_t n = 0;
	const char *end = NULL;

	if (memcmp(line, KEY_PREFIX, KEY_PREFIX_N) || line[KEY_FILE_LEN - 1] != '\n')
		return err_set(e, -EBADMSG,
			       "key file %s: not a ferry cluster key (made by `ferry "
			       "keygen`)",
			       path);
	if (sodium_hex2bin(key, CHAN_KEY_BYTES, line + KEY_PREFIX_N, 2 * CHAN_KEY_BYTES, NULL, &n,
			   &end) != 0 ||
	    n != CHAN_KEY_BYTES || end != line + KEY_FILE_LEN - 1) {
		sodium_memzero(key, CHAN_KEY_BYTES);
		return err_set(e, -EBADMSG, "key file %s: the key is not %d hex digits", path,
			       2 * CHAN_KEY_BYTES);
	}
	return 0;
}

int chan_load_key(const char *path, uint8_t key[CHAN_KEY_BYTES], struct ferry_err *e)
{
	char line[KEY_FILE_LEN];
	struct stat st;
	int r = chan_crypto_init(e);

	if (r < 0)
		return r;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = neg_errno();
		return err_set(e, r, "opening key file %s: %s", path, strerror(-r));
	}
	r = fstat(fd, &st) < 0 ? neg_errno() : check_stat(path, &st, e);
	if (r == 0) {
		ssize_t n = pread(fd, line, sizeof(line), 0);
		if (n != (ssize_t)sizeof(line))
			r = err_set(e, n < 0 ? neg_errno() : -EBADMSG, "reading key file %s failed",
				    path);
	}
	close(fd);
	if (r == 0)
		r = parse_line(path, line, key, e);
	sodium_memzero(line, sizeof(line));
	return r;
}

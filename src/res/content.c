/* SPDX-License-Identifier: MIT */
/* File content saved in REC_FILE_DATA chunks (see content.h), for the kinds whose file exists
 * nowhere but in the image: memfds that are not mapped, and files deleted while open. */
#include "res/content.h"

#include <string.h>
#include <unistd.h>

#include "dump/internal.h"
#include "restore/internal.h"

_Static_assert(RES_CONTENT_CHUNK + sizeof(struct res_content_chunk) <= DUMP_BUF,
	       "a content chunk must fit the dump buffer");

static int dump_range(struct dump_ctx *c, const struct img_file *f, uint32_t tag, int fd,
		      uint64_t from, uint64_t to, const char *who)
{
	struct res_content_chunk h;
	for (uint64_t o = from; o < to;) {
		size_t n = to - o < RES_CONTENT_CHUNK ? to - o : RES_CONTENT_CHUNK;
		ssize_t got = pread(fd, c->buf + sizeof(h), n, o);
		if (got <= 0)
			return err_set(c->e, got < 0 ? neg_errno() : -EIO,
				       "%s: cannot read its content at %llu: %m", who,
				       (unsigned long long)o);
		h.offset = o;
		memcpy(c->buf, &h, sizeof(h));
		int r = res_write_data(c, f, tag, c->buf, sizeof(h) + got);
		if (r < 0)
			return r;
		o += got;
	}
	return 0;
}

int res_content_dump(struct dump_ctx *c, const struct img_file *f, uint32_t tag, int fd,
		     uint64_t size, const char *who)
{
	for (uint64_t off = 0; off < size;) {
		off_t data = lseek(fd, off, SEEK_DATA);
		if (data < 0)
			break; /* ENXIO: only a hole is left */
		off_t hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > size)
			hole = size;
		int r = dump_range(c, f, tag, fd, data, hole, who);
		if (r < 0)
			return r;
		off = hole;
	}
	return 0;
}

int res_content_validate(const struct img_file_model *f, uint32_t tag, uint64_t size,
			 struct ferry_err *e)
{
	uint64_t end = 0;
	for (size_t i = 0; i < f->ndata; i++) {
		const struct img_data *d = &f->data[i];
		struct res_content_chunk h;
		if (d->tag != tag)
			continue;
		if (d->len <= sizeof(h))
			return err_set(e, -EBADMSG, "image: file %u: empty content chunk", f->f.id);
		memcpy(&h, d->data, sizeof(h));
		uint64_t n = d->len - sizeof(h);
		if (h.offset < end || h.offset > size || n > size - h.offset)
			return err_set(
				e, -EBADMSG,
				"image: file %u: content chunk at %llu (%llu bytes) out of order "
				"or beyond its size %llu",
				f->f.id, (unsigned long long)h.offset, (unsigned long long)n,
				(unsigned long long)size);
		end = h.offset + n;
	}
	return 0;
}

int res_content_fill(struct restore_ctx *c, const struct img_file_model *f, uint32_t tag, int fd,
		     uint64_t size)
{
	for (size_t i = 0; i < f->ndata; i++) {
		const struct img_data *d = &f->data[i];
		struct res_content_chunk h;
		if (d->tag != tag)
			continue;
		memcpy(&h, d->data, sizeof(h));
		const uint8_t *p = d->data + sizeof(h);
		for (uint64_t n = d->len - sizeof(h), done = 0; done < n;) {
			ssize_t w = pwrite(fd, p + done, n - done, h.offset + done);
			if (w <= 0)
				return err_set(c->e, w < 0 ? neg_errno() : -EIO,
					       "file %u (%s): cannot write its content: %m",
					       f->f.id, f->path);
			done += w;
		}
	}
	if (ftruncate(fd, size) < 0)
		return err_set(c->e, neg_errno(), "file %u (%s): cannot set its size %llu: %m",
			       f->f.id, f->path, (unsigned long long)size);
	return 0;
}

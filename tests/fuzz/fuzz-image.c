/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the image loader: any byte string must load or be refused with a
 * negative errno, never crash, over-read or leak (run under ASan/UBSan by scripts/fuzz.sh).
 * Each input is loaded as is (checksum path) and again with every reachable record checksum
 * recomputed, so mutations get past the checksum into the field and cross-record checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int load(const uint8_t *data, size_t size)
{
	struct ferry_err e = {{0}};
	struct img_model *m = NULL;

	int r = img_load_buf(data, size, &m, &e);
	if (r == 0)
		img_model_free(m);
	else if (r != -EBADMSG && r != -E2BIG && r != -ENOMEM)
		abort(); /* the loader promised one of these */
	else if (m || !e.msg[0])
		abort(); /* a refusal leaves ret untouched and says why */
	return r;
}

/* Rewrite the csum of every record whose payload lies inside the buffer. */
static int fix_checksums(uint8_t *buf, size_t size)
{
	size_t off = sizeof(struct img_header);
	int changed = 0;

	while (size >= off && size - off >= sizeof(struct img_rec_hdr)) {
		struct img_rec_hdr h;
		memcpy(&h, buf + off, sizeof(h));
		off += sizeof(h);
		if (h.len > size - off)
			break;
		uint64_t c = img_csum(buf + off, h.len);
		if (c != h.csum) {
			h.csum = c;
			memcpy(buf + off - sizeof(h), &h, sizeof(h));
			changed = 1;
		}
		off += h.len;
	}
	return changed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (load(data, size) == 0 || size == 0)
		return 0;
	uint8_t *copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (fix_checksums(copy, size))
		load(copy, size);
	free(copy);
	return 0;
}

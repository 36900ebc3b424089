/* SPDX-License-Identifier: MIT */
/* File content in REC_FILE_DATA records (memfd.c, unlinked.c): the data ranges of a file (holes
 * skipped with SEEK_DATA/SEEK_HOLE), each record a struct res_content_chunk header followed by
 * its bytes, in increasing offset order, inside the file's size. */
#ifndef FERRY_RES_CONTENT_H
#define FERRY_RES_CONTENT_H

#include <stdint.h>

#include "res/res.h"

#define RES_CONTENT_CHUNK (4UL << 20)  /* bytes per record (fits the dump buffer) */
#define RES_CONTENT_MAX	  (1ULL << 30) /* larger files are refused */

struct res_content_chunk {
	uint64_t offset;
};

struct dump_ctx;
/* Write the data ranges of fd (size bytes) as `tag` records of file f. */
int res_content_dump(struct dump_ctx *c, const struct img_file *f, uint32_t tag, int fd,
		     uint64_t size, const char *who) MUST_CHECK;
/* Check f's `tag` records: headers, order, no overlap, inside size. */
int res_content_validate(const struct img_file_model *f, uint32_t tag, uint64_t size,
			 struct ferry_err *e) MUST_CHECK;
/* Write f's `tag` records into fd at their offsets, then set its size. */
int res_content_fill(struct restore_ctx *c, const struct img_file_model *f, uint32_t tag, int fd,
		     uint64_t size) MUST_CHECK;

#endif

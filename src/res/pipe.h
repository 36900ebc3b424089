/* SPDX-License-Identifier: MIT */
/* Pipes and FIFOs (pipe.c, fifo.c): the REC_FILE_DATA layouts they share and the helpers both
 * kinds use to copy a pipe's unread bytes without consuming them and to find the processes
 * outside the dumped tree that hold the same pipe. docs/resources-files.md describes them. */
#ifndef FERRY_RES_PIPE_H
#define FERRY_RES_PIPE_H

#include <stdint.h>

#include "res/res.h"

enum res_pipe_tag {
	PIPE_TAG_INFO = 1, /* struct res_pipe_info, exactly one per pipe/FIFO file */
	PIPE_TAG_DATA = 2, /* the unread bytes, at most one, only on the first file of a pipe */
};

#define PIPE_MAX_OUTSIDE 4
#define PIPE_MIN_SIZE	 4096U
#define PIPE_MAX_SIZE	 (64U << 20) /* above any pipe-max-size ferry could read whole */

/* PIPE_TAG_INFO: fixed layout, little-endian. */
struct res_pipe_info {
	uint32_t pipe_size;   /* F_GETPIPE_SZ: power of two, PIPE_MIN_SIZE..PIPE_MAX_SIZE */
	uint32_t noutside;    /* entries used in outside[], 0..PIPE_MAX_OUTSIDE */
	struct {	      /* processes outside the tree that held this pipe at the dump */
		uint32_t pid; /* != 0 */
		int32_t fd;   /* >= 0 */
	} outside[PIPE_MAX_OUTSIDE]; /* unused entries are zero */
};

/* Pure checks of one pipe/FIFO file's records (kind-independent part of validate()). */
int res_pipe_check_records(const struct img_file_model *f, struct ferry_err *e);
/* Validate flags of a pipe end: access mode and the status flags a pipe can carry. */
int res_pipe_check_flags(const struct img_file_model *f, struct ferry_err *e);

struct dump_ctx;
struct fd_desc;
struct dproc;
/* Write PIPE_TAG_INFO and (if first_of_pipe) PIPE_TAG_DATA for pipe/FIFO fd d of p. The outside
 * holders are the fds of processes outside the tree whose /proc/PID/fd/N has d's dev/ino. */
int res_pipe_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		  const struct img_file *f, int first_of_pipe) MUST_CHECK;
/* Refuse what the pipe kinds cannot save (packet-mode pipes with data). */
int res_pipe_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d) MUST_CHECK;
/* Is /proc/PID/fd/FD of one of info's outside holders still the pipe with dev/ino? Returns an
 * O_RDWR fd on it (the reattached pipe) or -1. */
int res_pipe_reattach(const struct res_pipe_info *info, uint64_t dev, uint64_t ino);
/* Write the saved unread bytes into pipe fd `wfd` (its size already set). */
int res_pipe_fill(struct restore_ctx *c, const struct img_file_model *f, int wfd) MUST_CHECK;
/* Copy info out of f's PIPE_TAG_INFO (validated). */
void res_pipe_info_get(const struct img_file_model *f, struct res_pipe_info *info);
/* Set fd's status flags to exactly those of the image (O_NONBLOCK, O_DIRECT...). */
int res_pipe_set_flags(struct restore_ctx *c, const struct img_file_model *f, int fd) MUST_CHECK;

#endif

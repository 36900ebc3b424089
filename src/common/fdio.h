/* SPDX-License-Identifier: MIT */
/* Whole reads and writes on file descriptors: retry after EINTR and short transfers. */
#ifndef FERRY_COMMON_FDIO_H
#define FERRY_COMMON_FDIO_H

#include <stddef.h>
#include <sys/types.h>

#include "common/util.h"

/* Read until len bytes or end of file. Returns the bytes read (< len only at EOF) or -errno. */
ssize_t fd_read_full(int fd, void *buf, size_t len) MUST_CHECK;
/* Write all len bytes. Returns 0, -errno, or -EIO if the fd stopped taking bytes. A socket whose
 * peer is gone gives -EPIPE without raising SIGPIPE. */
int fd_write_all(int fd, const void *buf, size_t len) MUST_CHECK;

#endif

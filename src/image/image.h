/* SPDX-License-Identifier: MIT */
/* Image stream API: a writer that emits checksummed records to a directory (atomically) or to
 * any fd, and a loader that validates a whole image into an in-memory model before restore
 * creates anything. Non-logging: errors are -errno plus a detail in struct ferry_err. */
#ifndef FERRY_IMAGE_IMAGE_H
#define FERRY_IMAGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "common/util.h"
#include "image/csum.h"
#include "image/records.h"

#define IMG_FILE_NAME	 "image.ferry"
#define IMG_PARTIAL_NAME ".image.ferry.partial"

/* ---- writer ---- */
struct img_writer;

/* Create DIR if missing (mode 0700), refuse a DIR that already holds an image or other files
 * (-EEXIST), and start writing DIR/.image.ferry.partial. Writes the file header. */
int img_writer_open_dir(const char *dir, struct img_writer **ret, struct ferry_err *e) MUST_CHECK;
/* Write the stream to fd (socket, pipe); fd is not closed by the writer. */
int img_writer_open_fd(int fd, struct img_writer **ret, struct ferry_err *e) MUST_CHECK;
/* Write the stream through a callback instead of an fd: sink(ud, p, n) takes n bytes (n > 0)
 * and returns 0 or a negative errno, which becomes the writer's sticky error. Called from the
 * caller's thread and from the page-writer thread, never from both at once, in stream order;
 * p is valid only during the call. Lets a migration send the pages straight from the writer's
 * buffers rather than through a pipe. */
typedef int (*img_sink_fn)(void *ud, const void *p, size_t n);
int img_writer_open_sink(img_sink_fn sink, void *ud, struct img_writer **ret,
			 struct ferry_err *e) MUST_CHECK;
/* Append one record made of head (hlen bytes) followed by data (dlen bytes, may be 0/NULL).
 * Errors are sticky: after one failure every later call returns the same error at once. */
int img_writer_add(struct img_writer *w, uint32_t type, const void *head, size_t hlen,
		   const void *data, size_t dlen) MUST_CHECK;
/* Append REC_END, flush, fsync, and for a directory rename the partial file to IMG_FILE_NAME
 * and fsync the directory. Returns the sticky error if any earlier write failed. */
int img_writer_commit(struct img_writer *w, struct ferry_err *e) MUST_CHECK;
/* Page records written by a background thread, so the caller can read the next pages while
 * the previous ones are written: get a buffer of IMG_WRITER_PAGE_BUF bytes (waits for a free
 * one), fill it, hand it over with img_writer_add_pages (checksummed there, while the data is
 * still in cache). The buffer belongs to the writer again after that call. Records keep the
 * stream order of every img_writer_add* call. */
#define IMG_WRITER_PAGE_BUF (4UL << 20)
int img_writer_page_buf(struct img_writer *w, uint8_t **ret) MUST_CHECK;
int img_writer_add_pages(struct img_writer *w, const struct img_pages *head, uint8_t *buf,
			 size_t dlen) MUST_CHECK;
/* Bytes written so far (header included). */
uint64_t img_writer_bytes(const struct img_writer *w);
/* Free the writer; if not committed, remove the partial file (and DIR if the writer made it). */
void img_writer_free(struct img_writer *w);

/* ---- model (what a loaded image holds) ---- */
struct img_page_run {
	uint64_t vaddr; /* process address, or offset inside the shm object */
	uint64_t npages;
	const uint8_t *data; /* npages * 4096 bytes, points into the loaded image */
};

struct img_thread_model {
	struct img_thread t;
	const uint8_t *xstate; /* t.xstate_size bytes */
	uint32_t nsiginfo;
	const uint8_t *siginfo; /* nsiginfo * 128 bytes */
};

struct img_vma_model {
	struct img_vma v;
	char *path; /* NUL-terminated copy; NULL for kinds without a path */
};

struct img_proc_model {
	struct img_proc p;
	int has_mm;
	struct img_mm mm;
	uint64_t auxv[128];
	int has_sigacts;
	struct img_sigacts sigacts;
	uint32_t ngroups;
	uint32_t *groups;
	uint32_t nshared_siginfo;
	const uint8_t *shared_siginfo; /* process-wide pending, nshared_siginfo * 128 bytes */
	size_t nthreads;
	struct img_thread_model *threads; /* threads[0] is the thread group leader (tid == pid) */
	size_t nvmas;
	struct img_vma_model *vmas; /* sorted by start, non-overlapping */
	size_t nfds;
	struct img_fd *fds;
	size_t ntimers;
	struct img_timer *timers;
	size_t nruns;
	struct img_page_run *runs; /* sorted by vaddr, each inside one VMA */
};

struct img_shm_model {
	struct img_shm s;
	size_t nruns;
	struct img_page_run *runs;
};

/* Kind-specific bytes of a REC_FILE_DATA or REC_TREE_DATA record (pointing into the image). */
struct img_data {
	uint32_t tag;
	uint32_t pid; /* REC_TREE_DATA only */
	const uint8_t *data;
	uint64_t len;
};

struct img_file_model {
	struct img_file f;
	char *path; /* "" when the kind has none */
	size_t ndata;
	struct img_data *data; /* its REC_FILE_DATA records, in image order */
};

struct img_model {
	struct img_info info;
	size_t nprocs;
	struct img_proc_model *procs; /* procs[0] is the root; parents come before children */
	size_t nshms;
	struct img_shm_model *shms;
	size_t nfiles;
	struct img_file_model *files;
	size_t ntree;
	struct img_data *tree; /* REC_TREE_DATA records, in image order */
	uint64_t page_bytes;
	uint64_t image_bytes;
	/* private: the mapping the page pointers point into */
	void *map;
	size_t map_len;
};

/* Load DIR/image.ferry: map it, check the header, every record's checksum, every field
 * (validate.c) and the cross-record rules (one root, parents exist, tids unique, pages inside
 * VMAs, fds name existing files, REC_END present and counts match). Errors: -ENOENT no image,
 * -EBADMSG corrupt (detail says which record and field), -E2BIG over a limit, -ENOMEM. */
int img_load_dir(const char *dir, struct img_model **ret, struct ferry_err *e) MUST_CHECK;
/* The same over a buffer that stays valid while the model lives (fuzzing, tests). */
int img_load_buf(const void *buf, size_t len, struct img_model **ret,
		 struct ferry_err *e) MUST_CHECK;
/* Streaming (ferryd's migration): the image is still arriving into buf while it loads.
 * wait(ud, need) blocks until at least need bytes of buf are valid or the stream ended, and
 * returns how many are valid now (setting *ended once that is the image's final size), or
 * -errno when the stream broke (the load fails with that error). */
typedef ssize_t (*img_wait_fn)(void *ud, size_t need, int *ended);
/* img_load_buf over such a buffer of cap bytes: each record is read (and checksummed) as soon
 * as it has arrived; the image's size is the stream's final size. */
int img_load_stream(const void *buf, size_t cap, img_wait_fn wait, void *ud, struct img_model **ret,
		    struct ferry_err *e) MUST_CHECK;
void img_model_free(struct img_model *m);

struct img_proc_model *img_model_proc(struct img_model *m, uint32_t pid);
struct img_file_model *img_model_file(struct img_model *m, uint32_t id);
struct img_shm_model *img_model_shm(struct img_model *m, uint32_t id);

/* ---- per-record validation (validate.c): pure, used by the loader and by tests ---- */
/* Check one record payload of the given type: exact or minimum size, every enum in range,
 * addresses page-aligned and below IMG_USER_ADDR_LIMIT, strings NUL-terminated/NUL-free,
 * trailing variable parts consistent with their counts. -EBADMSG with detail on failure. */
int img_record_validate(uint32_t type, const void *payload, uint64_t len,
			struct ferry_err *e) MUST_CHECK;
const char *img_record_name(uint32_t type);
/* The largest payload a record of this type may have. */
uint64_t img_record_max(uint32_t type);

#endif

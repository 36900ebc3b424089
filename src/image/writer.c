/* SPDX-License-Identifier: MIT */
/* Image stream writer: header + checksummed records into a buffered fd, with a directory backend
 * that is atomic (write a partial file, fsync, rename, fsync the directory) so a crash never
 * leaves a corrupt image under IMG_FILE_NAME. Non-logging; errors are sticky (Redis rio).
 * Page records can go through a ring of slots written by a background thread, so that reading
 * the next pages (and checksumming them while they are still in cache) overlaps with writing. */
#include "image/image.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define WBUF_SIZE    (1UL << 20)
#define PASS_THROUGH (256UL << 10) /* chunks this large skip the buffer (page records) */
#define NSLOTS	     4
#define SLOT_PREFIX  (64UL << 10) /* buffered metadata + record header ahead of the pages */

/* One page record on its way to the fd: prefix bytes, then data (dlen bytes). */
struct slot {
	uint8_t *prefix;
	size_t plen;
	uint8_t *data;
	size_t dlen;
	int full;
};

/* The background writer: slots are filled in order by the caller and written in order by the
 * thread; head is the next slot to fill, tail the next to write. */
struct wring {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct slot slots[NSLOTS];
	void *data_map; /* the slots' page buffers (slots_map) */
	size_t data_len;
	size_t head, tail, nfull;
	int stop;
	int err; /* first write failure of the thread */
};

struct img_writer {
	int fd;
	img_sink_fn sink; /* instead of fd, when set */
	void *sink_ud;
	int dirfd; /* directory backend: the image directory, else -1 */
	char *dir;
	int made_dir;
	int committed;
	int err; /* sticky: first failure, returned by every later call */
	struct ferry_err detail;
	uint8_t *buf;
	size_t blen;
	uint64_t bytes;
	uint64_t nrecords;
	uint64_t page_bytes;
	struct wring *ring; /* started by the first img_writer_page_buf */
};

/* Record the first failure; later calls return it at once. */
static int __attribute__((format(printf, 3, 4)))
fail(struct img_writer *w, int r, const char *fmt, ...)
{
	va_list ap;

	if (w->err)
		return w->err;
	w->err = r;
	va_start(ap, fmt);
	vsnprintf(w->detail.msg, sizeof(w->detail.msg), fmt, ap);
	va_end(ap);
	return r;
}

/* Wait until a non-blocking fd (socket, pipe) can take more bytes. */
static int wait_writable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return neg_errno();
	return 0;
}

/* writev everything, resuming after short writes, EINTR and EAGAIN. */
static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t k = writev(fd, iov, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_writable(fd);
			if (r < 0)
				return r;
			continue;
		}
		if (k < 0)
			return neg_errno();
		while (n > 0 && (size_t)k >= iov->iov_len) {
			k -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}

/* Everything in iov to the fd or the sink. */
static int emit(struct img_writer *w, struct iovec *iov, int n)
{
	if (!w->sink)
		return writev_all(w->fd, iov, n);
	for (int i = 0; i < n; i++) {
		int r = iov[i].iov_len ? w->sink(w->sink_ud, iov[i].iov_base, iov[i].iov_len) : 0;
		if (r < 0)
			return r;
	}
	return 0;
}

static int ring_drain(struct img_writer *w);

/* Write the buffer followed by p (n bytes, may be 0) in one writev, after the ring's records. */
static int flush_with(struct img_writer *w, const void *p, size_t n)
{
	struct iovec iov[2] = {{w->buf, w->blen}, {(void *)p, n}};
	int r = ring_drain(w);
	if (r < 0)
		return r;
	r = emit(w, iov, n ? 2 : 1);

	if (r < 0)
		return fail(w, r, "writing the image: %s", strerror(-r));
	w->blen = 0;
	return 0;
}

static int put(struct img_writer *w, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	w->bytes += n;
	if (n >= PASS_THROUGH)
		return flush_with(w, p, n);
	if (w->blen + n > WBUF_SIZE) {
		int r = flush_with(w, NULL, 0);
		if (r < 0)
			return r;
	}
	memcpy(w->buf + w->blen, p, n);
	w->blen += n;
	return 0;
}

static int writer_new(int fd, struct img_writer **ret)
{
	struct img_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->dirfd = -1;
	w->buf = malloc(WBUF_SIZE);
	if (!w->buf) {
		img_writer_free(w);
		return -ENOMEM;
	}
	*ret = w;
	return 0;
}

static int put_header(struct img_writer *w)
{
	struct img_header h = {.version = IMG_VERSION, .hdr_size = sizeof(h)};

	memcpy(h.magic, IMG_MAGIC, sizeof(h.magic));
	return put(w, &h, sizeof(h));
}

/* Write the header of a new stream writer w: *ret = w, or w freed and the failure in e. */
static int start_stream(struct img_writer *w, struct img_writer **ret, struct ferry_err *e)
{
	int r = put_header(w);
	if (r < 0) {
		r = err_set(e, r, "%s", w->detail.msg);
		img_writer_free(w);
		return r;
	}
	*ret = w;
	return 0;
}

int img_writer_open_fd(int fd, struct img_writer **ret, struct ferry_err *e)
{
	struct img_writer *w = NULL;

	if (fd < 0)
		return err_set(e, -EBADF, "image writer: fd %d invalid", fd);
	int r = writer_new(fd, &w);
	if (r < 0)
		return err_set(e, r, "image writer: out of memory");
	return start_stream(w, ret, e);
}

int img_writer_open_sink(img_sink_fn sink, void *ud, struct img_writer **ret, struct ferry_err *e)
{
	struct img_writer *w = NULL;

	int r = writer_new(-1, &w);
	if (r < 0)
		return err_set(e, r, "image writer: out of memory");
	w->sink = sink;
	w->sink_ud = ud;
	return start_stream(w, ret, e);
}

/* An existing DIR may only hold a stale partial file from an interrupted dump. */
static int dir_check_empty(int dfd, const char *dir, struct ferry_err *e)
{
	int fd = dup(dfd);
	if (fd < 0)
		return err_set(e, neg_errno(), "%s: dup: %m", dir);
	DIR *d = fdopendir(fd);
	if (!d) {
		int r = neg_errno();
		close(fd);
		return err_set(e, r, "%s: opendir: %s", dir, strerror(-r));
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		const char *n = de->d_name;
		if (strcmp(n, ".") && strcmp(n, "..") && strcmp(n, IMG_PARTIAL_NAME))
			r = err_set(e, -EEXIST, "%s: directory not empty (holds %s)", dir, n);
	}
	closedir(d);
	return r;
}

static int dir_prepare(struct img_writer *w, const char *dir, struct ferry_err *e)
{
	if (mkdir(dir, 0700) == 0)
		w->made_dir = 1;
	else if (errno != EEXIST)
		return err_set(e, neg_errno(), "%s: mkdir: %m", dir);
	w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0)
		return err_set(e, neg_errno(), "%s: open: %m", dir);
	if (!w->made_dir) {
		int r = dir_check_empty(w->dirfd, dir, e);
		if (r < 0)
			return r;
	}
	w->fd = openat(w->dirfd, IMG_PARTIAL_NAME,
		       O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return err_set(e, neg_errno(), "%s/%s: open: %m", dir, IMG_PARTIAL_NAME);
	return 0;
}

int img_writer_open_dir(const char *dir, struct img_writer **ret, struct ferry_err *e)
{
	struct img_writer *w = NULL;

	int r = writer_new(-1, &w);
	if (r < 0)
		return err_set(e, r, "image writer: out of memory");
	w->dir = strdup(dir);
	if (!w->dir)
		r = err_set(e, -ENOMEM, "image writer: out of memory");
	if (r == 0)
		r = dir_prepare(w, dir, e);
	if (r == 0 && put_header(w) < 0)
		r = err_set(e, w->err, "%s", w->detail.msg);
	if (r < 0) {
		img_writer_free(w);
		return r;
	}
	*ret = w;
	return 0;
}

static int add_checked(struct img_writer *w, uint32_t type, size_t len)
{
	uint64_t max = img_record_max(type);

	if (w->committed)
		return fail(w, -EINVAL, "image writer: record after commit");
	if (type == 0 || type >= REC_TYPE_MAX)
		return fail(w, -EINVAL, "image writer: record type %u unknown", type);
	if (len > max)
		return fail(w, -E2BIG, "image writer: %s of %zu bytes above the %llu limit",
			    img_record_name(type), len, (unsigned long long)max);
	return 0;
}

static int add_record(struct img_writer *w, uint32_t type, const void *head, size_t hlen,
		      const void *data, size_t dlen)
{
	if (w->err)
		return w->err;
	if (hlen > SIZE_MAX - dlen)
		return fail(w, -E2BIG, "image writer: record size overflows");
	int r = add_checked(w, type, hlen + dlen);
	if (r < 0)
		return r;

	struct img_rec_hdr h = {
		.type = type, .len = hlen + dlen, .csum = img_csum2(head, hlen, data, dlen)};

	r = put(w, &h, sizeof(h));
	if (r == 0)
		r = put(w, head, hlen);
	if (r == 0)
		r = put(w, data, dlen);
	if (r < 0)
		return r;
	w->nrecords++;
	if (type == REC_PAGES && hlen + dlen >= sizeof(struct img_pages))
		w->page_bytes += hlen + dlen - sizeof(struct img_pages);
	return 0;
}

int img_writer_add(struct img_writer *w, uint32_t type, const void *head, size_t hlen,
		   const void *data, size_t dlen)
{
	/* REC_END is the writer's own: a caller's copy would end the image early. */
	if (type == REC_END)
		return fail(w, -EINVAL, "image writer: REC_END is written by commit");
	return add_record(w, type, head, hlen, data, dlen);
}

/* ---- page records through the background writer ---- */

static void *ring_thread(void *arg)
{
	struct img_writer *w = arg;
	struct wring *q = w->ring;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->nfull && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		if (!q->nfull)
			break;
		struct slot *s = &q->slots[q->tail];
		pthread_mutex_unlock(&q->lock);
		struct iovec iov[2] = {{s->prefix, s->plen}, {s->data, s->dlen}};
		int r = q->err ? 0 : emit(w, iov, 2);
		pthread_mutex_lock(&q->lock);
		if (r < 0 && !q->err)
			q->err = r;
		s->full = 0;
		q->tail = (q->tail + 1) % NSLOTS;
		q->nfull--;
		pthread_cond_broadcast(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static void ring_free(struct wring *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < NSLOTS; i++)
		free(q->slots[i].prefix);
	if (q->data_map)
		munmap(q->data_map, q->data_len);
	free(q);
}

/* The slots' page buffers: one mapping of huge pages where the kernel has them, as the dump
 * reads into them while the tree is frozen and a fault per 4 KiB page would be a large part of
 * that time (a 2 MiB fault costs a few 4 KiB ones). */
static int slots_map(struct wring *q)
{
	const size_t huge = 2UL << 20;
	q->data_len = NSLOTS * IMG_WRITER_PAGE_BUF + huge;
	q->data_map =
		mmap(NULL, q->data_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->data_map == MAP_FAILED) {
		q->data_map = NULL;
		return -ENOMEM;
	}
	uint8_t *base = (uint8_t *)(((uintptr_t)q->data_map + huge - 1) & ~(huge - 1));
	madvise(base, NSLOTS * IMG_WRITER_PAGE_BUF, MADV_HUGEPAGE); /* a hint */
	for (size_t i = 0; i < NSLOTS; i++)
		q->slots[i].data = base + i * IMG_WRITER_PAGE_BUF;
	return 0;
}

static int ring_start(struct img_writer *w)
{
	struct wring *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	if (slots_map(q) < 0) {
		ring_free(q);
		return -ENOMEM;
	}
	for (size_t i = 0; i < NSLOTS; i++) {
		q->slots[i].prefix = malloc(SLOT_PREFIX);
		if (!q->slots[i].prefix) {
			ring_free(q);
			return -ENOMEM;
		}
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	w->ring = q;
	int r = pthread_create(&q->thread, NULL, ring_thread, w);
	if (r) {
		w->ring = NULL;
		ring_free(q);
		return -r;
	}
	return 0;
}

/* Wait until the thread has written every full slot (n == 0) or until the head slot is free
 * (n == NSLOTS - 1 full at most); then report its write failure, if any, as ours. */
static int ring_wait(struct img_writer *w, size_t max_full)
{
	struct wring *q = w->ring;
	if (!q)
		return 0;
	pthread_mutex_lock(&q->lock);
	while (q->nfull > max_full)
		pthread_cond_wait(&q->cond, &q->lock);
	int r = q->err;
	pthread_mutex_unlock(&q->lock);
	return r < 0 ? fail(w, r, "writing the image: %s", strerror(-r)) : 0;
}

static int ring_drain(struct img_writer *w)
{
	return ring_wait(w, 0);
}

/* Stop and join the thread: after writing what is queued, or (discard) dropping it. */
static void ring_stop(struct img_writer *w, int discard)
{
	struct wring *q = w->ring;
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	if (discard && !q->err)
		q->err = -ECANCELED;
	q->stop = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	ring_free(q);
	w->ring = NULL;
}

int img_writer_page_buf(struct img_writer *w, uint8_t **ret)
{
	if (w->err)
		return w->err;
	if (!w->ring) {
		int r = ring_start(w);
		if (r < 0)
			return fail(w, r, "image writer: cannot start the writer thread: %s",
				    strerror(-r));
	}
	int r = ring_wait(w, NSLOTS - 1);
	if (r < 0)
		return r;
	*ret = w->ring->slots[w->ring->head].data;
	return 0;
}

int img_writer_add_pages(struct img_writer *w, const struct img_pages *head, uint8_t *buf,
			 size_t dlen)
{
	struct wring *q = w->ring;
	size_t hlen = sizeof(*head);

	if (w->err)
		return w->err;
	if (!q || buf != q->slots[q->head].data || dlen > IMG_WRITER_PAGE_BUF)
		return fail(w, -EINVAL, "image writer: page buffer not from img_writer_page_buf");
	int r = add_checked(w, REC_PAGES, hlen + dlen);
	if (r < 0)
		return r;
	/* Metadata buffered so far goes first: in the slot's prefix if it fits. */
	if (w->blen + sizeof(struct img_rec_hdr) + hlen > SLOT_PREFIX &&
	    (r = flush_with(w, NULL, 0)) < 0)
		return r;

	struct img_rec_hdr h = {
		.type = REC_PAGES, .len = hlen + dlen, .csum = img_csum2(head, hlen, buf, dlen)};

	struct slot *s = &q->slots[q->head];
	memcpy(s->prefix, w->buf, w->blen);
	memcpy(s->prefix + w->blen, &h, sizeof(h));
	memcpy(s->prefix + w->blen + sizeof(h), head, hlen);
	s->plen = w->blen + sizeof(h) + hlen;
	s->dlen = dlen;
	w->bytes += sizeof(h) + hlen + dlen;
	w->blen = 0;
	w->nrecords++;
	w->page_bytes += dlen;

	pthread_mutex_lock(&q->lock);
	s->full = 1;
	q->head = (q->head + 1) % NSLOTS;
	q->nfull++;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static int sync_fd(struct img_writer *w)
{
	struct stat st;

	/* Pipes and sockets cannot be fsynced (EINVAL); only regular files must reach disk. */
	if (fstat(w->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (fsync(w->fd) < 0)
		return fail(w, neg_errno(), "fsync of the image: %m");
	return 0;
}

/* Atomic publish: the rename makes the complete image visible, the directory fsync makes the
 * rename itself durable (as Redis rdbSave does). */
static int publish(struct img_writer *w)
{
	if (renameat(w->dirfd, IMG_PARTIAL_NAME, w->dirfd, IMG_FILE_NAME) < 0)
		return fail(w, neg_errno(), "%s: rename to %s: %m", w->dir, IMG_FILE_NAME);
	w->committed = 1;
	if (fsync(w->dirfd) < 0)
		return fail(w, neg_errno(), "%s: fsync of the directory: %m", w->dir);
	return 0;
}

int img_writer_commit(struct img_writer *w, struct ferry_err *e)
{
	struct img_end end = {.nrecords = w->nrecords, .page_bytes = w->page_bytes};

	if (!w->err && w->committed)
		fail(w, -EINVAL, "image writer: committed twice");
	int r = add_record(w, REC_END, &end, sizeof(end), NULL, 0);
	if (r == 0)
		r = flush_with(w, NULL, 0);
	ring_stop(w, r < 0);
	if (r == 0)
		r = sync_fd(w);
	if (r == 0 && w->dirfd >= 0)
		r = publish(w);
	if (r < 0)
		return err_set(e, w->err, "%s", w->detail.msg);
	w->committed = 1;
	return 0;
}

uint64_t img_writer_bytes(const struct img_writer *w)
{
	return w->bytes;
}

void img_writer_free(struct img_writer *w)
{
	if (!w)
		return;
	ring_stop(w, !w->committed);
	if (w->dirfd >= 0) {
		safe_close(w->fd);
		if (!w->committed)
			unlinkat(w->dirfd, IMG_PARTIAL_NAME, 0);
		close(w->dirfd);
	}
	if (!w->committed && w->made_dir)
		rmdir(w->dir);
	free(w->buf);
	free(w->dir);
	free(w);
}

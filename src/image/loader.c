/* SPDX-License-Identifier: MIT */
/* Image loader: walks every record of an image with full bounds checks, verifies checksums and
 * fields (validate.c), builds the in-memory model and then checks the cross-record rules, so
 * restore only ever sees a consistent image. Checksums of big page records are verified once
 * the walk is done, by two threads (they are most of the loading time). Non-logging. Page data is
 * not copied: runs point into the caller's buffer or the read-only mapping of DIR/image.ferry. */
#include "image/image.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define DEFER_MIN   (1UL << 20)	 /* page records this large are checksummed after the walk */
#define THREADS_MIN (32UL << 20) /* deferred bytes that make a second checksum thread worth it */

/* A record whose checksum is verified after the walk, by two threads when there is much. */
struct deferred {
	size_t off; /* of the record header */
	const uint8_t *p;
	uint64_t len, csum;
};

/* u32 id -> index, open addressing; ids are never 0 (validate.c), so 0 marks a free slot.
 * Lookups stay O(1) so a hostile image with many small records cannot make loading quadratic. */
struct idmap {
	uint32_t *keys;
	size_t *vals;
	size_t cap; /* power of two, or 0 */
	size_t n;
	unsigned shift;
};

struct loader {
	const uint8_t *buf;
	size_t len;
	struct img_model *m;
	struct ferry_err *e;
	uint64_t nrecords; /* records seen before REC_END */
	uint64_t page_bytes;
	int have_info;
	int ended;
	uint32_t last_type; /* type of the record before the current one */
	struct img_end end;
	struct idmap pids;   /* pid -> index in m->procs */
	struct idmap tids;   /* tid -> index in its process's threads */
	struct idmap shmids; /* shm id -> index in m->shms */
	struct deferred *dfr;
	size_t ndfr;
	uint64_t dfr_bytes;
	atomic_size_t dfr_next;
	atomic_size_t dfr_bad; /* lowest index that failed, or SIZE_MAX */
	img_wait_fn wait;      /* streaming: wait for bytes beyond avail (NULL once ended) */
	void *wait_ud;
	size_t avail;
};

static int __attribute__((format(printf, 2, 3))) bad(struct loader *l, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(l->e, -EBADMSG, "image: %s", msg);
}

/* Make room for element n of an array whose capacity is implied by its count: 4, then doubled
 * whenever the count reaches a power of two. */
static int grow(void **arr, size_t n, size_t elem)
{
	size_t cap;

	if (n != 0 && (n < 4 || (n & (n - 1))))
		return 0;
	if (__builtin_mul_overflow(n ? n * 2 : 4, elem, &cap))
		return -ENOMEM;
	void *p = realloc(*arr, cap);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

#define APPEND(l, arr, n)                                                                          \
	({                                                                                         \
		int _r = grow((void **)&(arr), (n), sizeof(*(arr)));                               \
		if (_r == 0)                                                                       \
			memset(&(arr)[(n)], 0, sizeof(*(arr)));                                    \
		_r < 0 ? err_set((l)->e, _r, "image: out of memory") : 0;                          \
	})

static size_t idmap_slot(const struct idmap *h, uint32_t key)
{
	size_t i = (size_t)(((uint64_t)key * 0x9e3779b97f4a7c15ULL) >> h->shift);

	while (h->keys[i] && h->keys[i] != key)
		i = (i + 1) & (h->cap - 1);
	return i;
}

static int idmap_get(const struct idmap *h, uint32_t key, size_t *val)
{
	if (!h->cap)
		return 0;
	size_t i = idmap_slot(h, key);
	if (!h->keys[i])
		return 0;
	*val = h->vals[i];
	return 1;
}

static int idmap_grow(struct idmap *h)
{
	struct idmap g = {.cap = h->cap ? h->cap * 2 : 16, .shift = h->cap ? h->shift - 1 : 60};
	size_t bytes;

	if (__builtin_mul_overflow(g.cap, sizeof(*g.vals), &bytes))
		return -ENOMEM;
	g.keys = calloc(g.cap, sizeof(*g.keys));
	g.vals = malloc(bytes);
	if (!g.keys || !g.vals) {
		free(g.keys);
		free(g.vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->cap; i++)
		if (h->keys[i]) {
			size_t j = idmap_slot(&g, h->keys[i]);
			g.keys[j] = h->keys[i];
			g.vals[j] = h->vals[i];
		}
	g.n = h->n;
	free(h->keys);
	free(h->vals);
	*h = g;
	return 0;
}

/* Insert a key known to be absent. */
static int idmap_put(struct loader *l, struct idmap *h, uint32_t key, size_t val)
{
	if ((h->n + 1) * 2 > h->cap && idmap_grow(h) < 0)
		return err_set(l->e, -ENOMEM, "image: out of memory");
	size_t i = idmap_slot(h, key);
	h->keys[i] = key;
	h->vals[i] = val;
	h->n++;
	return 0;
}

static void idmap_free(struct idmap *h)
{
	free(h->keys);
	free(h->vals);
}

static char *path_dup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static struct img_proc_model *rec_proc_of(struct loader *l, uint32_t type, uint32_t pid, int *r)
{
	size_t i;
	struct img_proc_model *p = idmap_get(&l->pids, pid, &i) ? &l->m->procs[i] : NULL;

	*r = p ? 0
	       : bad(l, "%s pid %u: no REC_PROC for this pid before it", img_record_name(type),
		     pid);
	return p;
}

static struct img_shm_model *shm_find(struct loader *l, uint32_t id)
{
	size_t i;

	return idmap_get(&l->shmids, id, &i) ? &l->m->shms[i] : NULL;
}

/* ---- one function per record kind; payloads are validated, but may be unaligned ---- */

static int add_info(struct loader *l, const uint8_t *p, uint64_t len)
{
	if (l->have_info)
		return bad(l, "REC_INFO appears twice");
	memcpy(&l->m->info, p, sizeof(l->m->info));
	l->have_info = 1;
	return 0;
}

static int add_proc(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_model *m = l->m;
	struct img_proc pr;
	size_t i;

	memcpy(&pr, p, sizeof(pr));
	if (m->nprocs >= m->info.nprocs)
		return bad(l, "REC_PROC pid %u: more processes than info.nprocs %u", pr.pid,
			   m->info.nprocs);
	if (idmap_get(&l->pids, pr.pid, &i))
		return bad(l, "REC_PROC pid %u: pid appears twice", pr.pid);
	int r = APPEND(l, m->procs, m->nprocs);
	if (r == 0)
		r = idmap_put(l, &l->pids, pr.pid, m->nprocs);
	if (r < 0)
		return r;
	m->procs[m->nprocs++].p = pr;
	return 0;
}

static int add_thread(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_thread t;
	size_t i;
	int r;

	memcpy(&t, p, sizeof(t));
	struct img_proc_model *pm = rec_proc_of(l, REC_THREAD, t.pid, &r);
	if (!pm)
		return r;
	if (pm->nthreads >= pm->p.nthreads)
		return bad(l, "REC_THREAD pid %u tid %u: more threads than nthreads %u", t.pid,
			   t.tid, pm->p.nthreads);
	if (pm->nthreads == 0 && t.tid != t.pid)
		return bad(l, "REC_THREAD pid %u tid %u: first thread is not the leader", t.pid,
			   t.tid);
	if (t.xstate_size != l->m->info.xstate_size)
		return bad(l, "REC_THREAD pid %u tid %u: xstate_size %u differs from info %u",
			   t.pid, t.tid, t.xstate_size, l->m->info.xstate_size);
	if (idmap_get(&l->tids, t.tid, &i))
		return bad(l, "REC_THREAD pid %u tid %u: pid/tid used twice", t.pid, t.tid);
	r = APPEND(l, pm->threads, pm->nthreads);
	if (r == 0)
		r = idmap_put(l, &l->tids, t.tid, pm->nthreads);
	if (r < 0)
		return r;
	pm->threads[pm->nthreads].t = t;
	pm->threads[pm->nthreads++].xstate = p + sizeof(t);
	return 0;
}

static int add_sigacts(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_sigacts s;
	int r;

	memcpy(&s, p, sizeof(s));
	struct img_proc_model *pm = rec_proc_of(l, REC_SIGACTS, s.pid, &r);
	if (!pm)
		return r;
	if (pm->has_sigacts)
		return bad(l, "REC_SIGACTS pid %u: appears twice", s.pid);
	pm->sigacts = s;
	pm->has_sigacts = 1;
	return 0;
}

static struct img_thread_model *find_thread(struct loader *l, struct img_proc_model *pm,
					    uint32_t tid)
{
	size_t i;

	if (!idmap_get(&l->tids, tid, &i) || i >= pm->nthreads || pm->threads[i].t.tid != tid)
		return NULL;
	return &pm->threads[i];
}

static int add_siginfo(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_siginfo_hdr h;
	int r;

	memcpy(&h, p, sizeof(h));
	struct img_proc_model *pm = rec_proc_of(l, REC_SIGINFO, h.pid, &r);
	if (!pm)
		return r;
	if (h.tid == 0) {
		if (pm->shared_siginfo)
			return bad(l, "REC_SIGINFO pid %u: process-wide set appears twice", h.pid);
		pm->nshared_siginfo = h.count;
		pm->shared_siginfo = p + sizeof(h);
		return 0;
	}
	struct img_thread_model *t = find_thread(l, pm, h.tid);
	if (!t)
		return bad(l, "REC_SIGINFO pid %u tid %u: no such thread before it", h.pid, h.tid);
	if (t->siginfo)
		return bad(l, "REC_SIGINFO pid %u tid %u: appears twice", h.pid, h.tid);
	t->nsiginfo = h.count;
	t->siginfo = p + sizeof(h);
	return 0;
}

static int add_vma(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_vma v;
	int r;

	memcpy(&v, p, sizeof(v));
	struct img_proc_model *pm = rec_proc_of(l, REC_VMA, v.pid, &r);
	if (!pm)
		return r;
	if (pm->nvmas >= IMG_MAX_VMAS)
		return err_set(l->e, -E2BIG, "image: REC_VMA pid %u: more than %u VMAs", v.pid,
			       IMG_MAX_VMAS);
	if (pm->nvmas && v.start < pm->vmas[pm->nvmas - 1].v.end)
		return bad(l, "REC_VMA pid %u: start 0x%llx overlaps or precedes the previous VMA",
			   v.pid, (unsigned long long)v.start);
	r = APPEND(l, pm->vmas, pm->nvmas);
	if (r < 0)
		return r;
	struct img_vma_model *vm = &pm->vmas[pm->nvmas];
	vm->v = v;
	if (v.path_len && !(vm->path = path_dup(p + sizeof(v), v.path_len)))
		return err_set(l->e, -ENOMEM, "image: out of memory");
	pm->nvmas++;
	return 0;
}

static int add_shm(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_model *m = l->m;
	struct img_shm s;

	memcpy(&s, p, sizeof(s));
	if (shm_find(l, s.id))
		return bad(l, "REC_SHM id %u: id appears twice", s.id);
	int r = APPEND(l, m->shms, m->nshms);
	if (r == 0)
		r = idmap_put(l, &l->shmids, s.id, m->nshms);
	if (r < 0)
		return r;
	m->shms[m->nshms++].s = s;
	return 0;
}

static int add_run(struct loader *l, struct img_page_run **runs, size_t *n,
		   const struct img_pages *pg, const uint8_t *data)
{
	int r = APPEND(l, *runs, *n);

	if (r < 0)
		return r;
	(*runs)[(*n)++] = (struct img_page_run){pg->vaddr, pg->npages, data};
	l->page_bytes += pg->npages * IMG_PAGE;
	return 0;
}

static int add_pages(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_pages pg;
	int r;

	memcpy(&pg, p, sizeof(pg));
	if (pg.pid == 0) {
		struct img_shm_model *s = shm_find(l, pg.shm_id);
		if (!s)
			return bad(l, "REC_PAGES shm %u: no REC_SHM with this id before it",
				   pg.shm_id);
		return add_run(l, &s->runs, &s->nruns, &pg, p + sizeof(pg));
	}
	struct img_proc_model *pm = rec_proc_of(l, REC_PAGES, pg.pid, &r);
	if (!pm)
		return r;
	return add_run(l, &pm->runs, &pm->nruns, &pg, p + sizeof(pg));
}

static int add_file(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_model *m = l->m;
	struct img_file f;

	memcpy(&f, p, sizeof(f));
	int r = APPEND(l, m->files, m->nfiles);
	if (r < 0)
		return r;
	m->files[m->nfiles].f = f;
	if (!(m->files[m->nfiles].path = path_dup(p + sizeof(f), f.path_len)))
		return err_set(l->e, -ENOMEM, "image: out of memory");
	m->nfiles++;
	return 0;
}

/* REC_FILE_DATA belongs to the REC_FILE just before it (or before its siblings). */
static int add_file_data(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_model *m = l->m;
	struct img_file_data d;

	memcpy(&d, p, sizeof(d));
	struct img_file_model *f = m->nfiles ? &m->files[m->nfiles - 1] : NULL;
	if (!f || f->f.id != d.file_id || l->last_type != REC_FILE)
		return bad(l, "REC_FILE_DATA file %u does not follow its REC_FILE", d.file_id);
	int r = APPEND(l, f->data, f->ndata);
	if (r < 0)
		return r;
	f->data[f->ndata++] = (struct img_data){d.tag, 0, p + sizeof(d), len - sizeof(d)};
	return 0;
}

static int add_tree_data(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_model *m = l->m;
	struct img_tree_data d;
	size_t idx;

	memcpy(&d, p, sizeof(d));
	if (d.pid && !idmap_get(&l->pids, d.pid, &idx))
		return bad(l, "REC_TREE_DATA tag %u: pid %u has no REC_PROC before it", d.tag,
			   d.pid);
	int r = APPEND(l, m->tree, m->ntree);
	if (r < 0)
		return r;
	m->tree[m->ntree++] = (struct img_data){d.tag, d.pid, p + sizeof(d), len - sizeof(d)};
	return 0;
}

static int add_fd(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_fd f;
	int r;

	memcpy(&f, p, sizeof(f));
	struct img_proc_model *pm = rec_proc_of(l, REC_FD, f.pid, &r);
	if (!pm)
		return r;
	if (pm->nfds >= IMG_MAX_FDS)
		return err_set(l->e, -E2BIG, "image: REC_FD pid %u: more than %u fds", f.pid,
			       IMG_MAX_FDS);
	r = APPEND(l, pm->fds, pm->nfds);
	if (r < 0)
		return r;
	pm->fds[pm->nfds++] = f;
	return 0;
}

static int add_timer(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_timer t;
	int r;

	memcpy(&t, p, sizeof(t));
	struct img_proc_model *pm = rec_proc_of(l, REC_TIMER, t.pid, &r);
	if (!pm)
		return r;
	if (pm->ntimers >= IMG_MAX_TIMERS)
		return err_set(l->e, -E2BIG, "image: REC_TIMER pid %u: more than %u timers", t.pid,
			       IMG_MAX_TIMERS);
	r = APPEND(l, pm->timers, pm->ntimers);
	if (r < 0)
		return r;
	pm->timers[pm->ntimers++] = t;
	return 0;
}

static int add_groups(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_groups g;
	int r;

	memcpy(&g, p, sizeof(g));
	struct img_proc_model *pm = rec_proc_of(l, REC_GROUPS, g.pid, &r);
	if (!pm)
		return r;
	if (pm->groups)
		return bad(l, "REC_GROUPS pid %u: appears twice", g.pid);
	/* At least one element, so a non-NULL groups marks "seen" even with count 0. */
	pm->groups = malloc(((size_t)g.count ?: 1) * sizeof(uint32_t));
	if (!pm->groups)
		return err_set(l->e, -ENOMEM, "image: out of memory");
	memcpy(pm->groups, p + sizeof(g), (size_t)g.count * sizeof(uint32_t));
	pm->ngroups = g.count;
	return 0;
}

static int add_mm(struct loader *l, const uint8_t *p, uint64_t len)
{
	struct img_mm mm;
	int r;

	memcpy(&mm, p, sizeof(mm));
	struct img_proc_model *pm = rec_proc_of(l, REC_MM, mm.pid, &r);
	if (!pm)
		return r;
	if (pm->has_mm)
		return bad(l, "REC_MM pid %u: appears twice", mm.pid);
	pm->mm = mm;
	pm->has_mm = 1;
	memcpy(pm->auxv, p + sizeof(mm), (size_t)mm.auxv_words * sizeof(uint64_t));
	return 0;
}

static int add_end(struct loader *l, const uint8_t *p, uint64_t len)
{
	memcpy(&l->end, p, sizeof(l->end));
	if (l->end.nrecords != l->nrecords)
		return bad(l, "REC_END: nrecords %llu but %llu records precede it",
			   (unsigned long long)l->end.nrecords, (unsigned long long)l->nrecords);
	l->ended = 1;
	return 0;
}

typedef int (*add_fn)(struct loader *l, const uint8_t *p, uint64_t len);

static const add_fn adders[REC_TYPE_MAX] = {
	[REC_INFO] = add_info,
	[REC_PROC] = add_proc,
	[REC_THREAD] = add_thread,
	[REC_SIGACTS] = add_sigacts,
	[REC_SIGINFO] = add_siginfo,
	[REC_VMA] = add_vma,
	[REC_SHM] = add_shm,
	[REC_PAGES] = add_pages,
	[REC_FILE] = add_file,
	[REC_FD] = add_fd,
	[REC_TIMER] = add_timer,
	[REC_GROUPS] = add_groups,
	[REC_MM] = add_mm,
	[REC_END] = add_end,
	[REC_FILE_DATA] = add_file_data,
	[REC_TREE_DATA] = add_tree_data,
};

/* ---- the record walk ---- */

static int check_header(struct loader *l)
{
	struct img_header h;

	if (l->len < sizeof(h))
		return bad(l, "%zu bytes, shorter than the file header", l->len);
	memcpy(&h, l->buf, sizeof(h));
	if (memcmp(h.magic, IMG_MAGIC, sizeof(h.magic)))
		return bad(l, "bad magic, not a ferry image");
	if (h.version != IMG_VERSION)
		return bad(l, "version %u unsupported (expected %u)", h.version, IMG_VERSION);
	if (h.hdr_size != sizeof(h) || h.flags)
		return bad(l, "header size %u or flags 0x%llx invalid", h.hdr_size,
			   (unsigned long long)h.flags);
	return 0;
}

static int check_rec_hdr(struct loader *l, const struct img_rec_hdr *h, size_t off)
{
	const char *name = img_record_name(h->type);
	uint64_t max = img_record_max(h->type);

	if (h->type == 0 || h->type >= REC_TYPE_MAX || h->pad)
		return bad(l, "record %llu at offset %zu: type %u unknown or pad not zero",
			   (unsigned long long)l->nrecords, off, h->type);
	if (h->len > max)
		return err_set(l->e, -E2BIG, "image: %s at offset %zu: length %llu above %llu",
			       name, off, (unsigned long long)h->len, (unsigned long long)max);
	if (h->len > l->len - off - sizeof(*h))
		return bad(l, "%s at offset %zu: truncated (length %llu, %zu bytes left)", name,
			   off, (unsigned long long)h->len, l->len - off - sizeof(*h));
	if (!l->have_info && h->type != REC_INFO)
		return bad(l, "first record is %s, expected REC_INFO", name);
	return 0;
}

/* Streaming hook: wait until the first n bytes have arrived (or the stream ended: then len
 * becomes the final size, and the usual truncation checks apply). */
static int need(struct loader *l, size_t n)
{
	int ended = 0;
	if (!l->wait || n <= l->avail)
		return 0;
	ssize_t r = l->wait(l->wait_ud, n, &ended);
	if (r < 0)
		return err_set(l->e, (int)r, "image: the stream broke at byte %zu", l->avail);
	l->avail = (size_t)r;
	if (ended) {
		l->len = l->avail < l->len ? l->avail : l->len;
		l->wait = NULL;
	}
	return 0;
}

static int one_record(struct loader *l, size_t *off)
{
	struct img_rec_hdr h;
	int r = need(l, *off + sizeof(h));

	if (r < 0)
		return r;
	if (l->len - *off < sizeof(h))
		return bad(l, "truncated at offset %zu: no REC_END, image incomplete", *off);
	memcpy(&h, l->buf + *off, sizeof(h));
	r = need(l, h.len > l->len - *off - sizeof(h) ? SIZE_MAX : *off + sizeof(h) + h.len);
	if (r == 0)
		r = check_rec_hdr(l, &h, *off);
	if (r < 0)
		return r;
	const uint8_t *p = l->buf + *off + sizeof(h);
	/* While bytes are still arriving, checksum now rather than after the walk. */
	if (h.type == REC_PAGES && h.len >= DEFER_MIN && !l->wait) {
		if (grow((void **)&l->dfr, l->ndfr, sizeof(*l->dfr)) < 0)
			return err_set(l->e, -ENOMEM, "image: out of memory");
		l->dfr[l->ndfr++] = (struct deferred){*off, p, h.len, h.csum};
		l->dfr_bytes += h.len;
	} else if (img_csum(p, h.len) != h.csum) {
		return bad(l, "%s at offset %zu: checksum mismatch", img_record_name(h.type), *off);
	}
	r = img_record_validate(h.type, p, h.len, l->e);
	if (r < 0)
		return r;
	r = adders[h.type](l, p, h.len);
	if (r < 0)
		return r;
	/* Several REC_FILE_DATA may follow one REC_FILE. */
	l->last_type = h.type == REC_FILE_DATA ? REC_FILE : h.type;
	*off += sizeof(h) + h.len;
	l->nrecords++;
	return 0;
}

static void *verify_worker(void *arg)
{
	struct loader *l = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&l->dfr_next, 1);
		if (i >= l->ndfr)
			return NULL;
		if (img_csum(l->dfr[i].p, l->dfr[i].len) == l->dfr[i].csum)
			continue;
		size_t cur = atomic_load(&l->dfr_bad);
		while (i < cur && !atomic_compare_exchange_weak(&l->dfr_bad, &cur, i))
			;
	}
}

/* Checksums of the big page records, deferred by the walk so that two threads share them. */
static int verify_deferred(struct loader *l)
{
	pthread_t t;
	int helper = l->dfr_bytes >= THREADS_MIN && pthread_create(&t, NULL, verify_worker, l) == 0;

	atomic_store(&l->dfr_next, 0);
	atomic_store(&l->dfr_bad, SIZE_MAX);
	verify_worker(l);
	if (helper)
		pthread_join(t, NULL);
	size_t b = atomic_load(&l->dfr_bad);
	if (b != SIZE_MAX)
		return bad(l, "%s at offset %zu: checksum mismatch", img_record_name(REC_PAGES),
			   l->dfr[b].off);
	return 0;
}

static int walk(struct loader *l)
{
	size_t off = sizeof(struct img_header);

	while (!l->ended) {
		int r = one_record(l, &off);
		if (r < 0)
			return r;
	}
	int r = need(l, SIZE_MAX); /* streaming: the final size */
	if (r < 0)
		return r;
	if (off != l->len)
		return bad(l, "%zu bytes of trailing data after REC_END", l->len - off);
	return verify_deferred(l);
}

/* ---- cross-record checks, after every record is in ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int cmp_run(const void *a, const void *b)
{
	uint64_t x = ((const struct img_page_run *)a)->vaddr;
	uint64_t y = ((const struct img_page_run *)b)->vaddr;
	return (x > y) - (x < y);
}

static int cmp_fd(const void *a, const void *b)
{
	int32_t x = ((const struct img_fd *)a)->fd, y = ((const struct img_fd *)b)->fd;
	return (x > y) - (x < y);
}

static int cmp_file(const void *a, const void *b)
{
	return cmp_u32(&((const struct img_file_model *)a)->f.id,
		       &((const struct img_file_model *)b)->f.id);
}

static int cmp_shm(const void *a, const void *b)
{
	return cmp_u32(&((const struct img_shm_model *)a)->s.id,
		       &((const struct img_shm_model *)b)->s.id);
}

static int check_tree(struct loader *l)
{
	struct img_model *m = l->m;

	if (m->nprocs != m->info.nprocs)
		return bad(l, "REC_INFO: nprocs %u but %zu REC_PROC records", m->info.nprocs,
			   m->nprocs);
	if (m->procs[0].p.pid != m->info.root_pid)
		return bad(l, "REC_PROC pid %u: first process is not root_pid %u",
			   m->procs[0].p.pid, m->info.root_pid);
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct img_proc *p = &m->procs[i].p;
		size_t j = 0;
		while (i > 0 && j < i && m->procs[j].p.pid != p->ppid)
			j++;
		if (i > 0 && j == i)
			return bad(l, "REC_PROC pid %u: parent %u does not precede it", p->pid,
				   p->ppid);
		if (m->procs[i].nthreads != p->nthreads)
			return bad(l, "REC_PROC pid %u: nthreads %u but %zu REC_THREAD records",
				   p->pid, p->nthreads, m->procs[i].nthreads);
	}
	return 0;
}

/* Every pid and tid names one task: collect them all, sort, look for neighbours. */
static int check_ids_unique(struct loader *l)
{
	struct img_model *m = l->m;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < m->nprocs; i++)
		cap += m->procs[i].nthreads ?: 1;
	_cleanup_free_ uint32_t *ids = malloc(cap * sizeof(*ids));
	if (!ids)
		return err_set(l->e, -ENOMEM, "image: out of memory");
	for (size_t i = 0; i < m->nprocs; i++) {
		struct img_proc_model *pm = &m->procs[i];
		if (pm->nthreads == 0)
			ids[n++] = pm->p.pid;
		for (size_t k = 0; k < pm->nthreads; k++)
			ids[n++] = pm->threads[k].t.tid;
	}
	qsort(ids, n, sizeof(*ids), cmp_u32);
	for (size_t i = 1; i < n; i++)
		if (ids[i] == ids[i - 1])
			return bad(l, "REC_THREAD tid %u: pid/tid used twice", ids[i]);
	return 0;
}

/* The VMA holding addr, or NULL (vmas are sorted and disjoint). */
static const struct img_vma_model *vma_at(const struct img_proc_model *pm, uint64_t addr)
{
	size_t lo = 0, hi = pm->nvmas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pm->vmas[mid].v.end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < pm->nvmas && pm->vmas[lo].v.start <= addr)
		return &pm->vmas[lo];
	return NULL;
}

static int check_proc_runs(struct loader *l, struct img_proc_model *pm)
{
	if (pm->nruns)
		qsort(pm->runs, pm->nruns, sizeof(*pm->runs), cmp_run);
	for (size_t i = 0; i < pm->nruns; i++) {
		const struct img_page_run *run = &pm->runs[i];
		uint64_t end = run->vaddr + run->npages * IMG_PAGE; /* bounded by validate */
		const struct img_vma_model *v = vma_at(pm, run->vaddr);
		if (!v || end > v->v.end)
			return bad(l, "REC_PAGES pid %u: run 0x%llx-0x%llx not inside one VMA",
				   pm->p.pid, (unsigned long long)run->vaddr,
				   (unsigned long long)end);
		if (i > 0 && run->vaddr < pm->runs[i - 1].vaddr + pm->runs[i - 1].npages * IMG_PAGE)
			return bad(l, "REC_PAGES pid %u: run at 0x%llx overlaps another", pm->p.pid,
				   (unsigned long long)run->vaddr);
	}
	return 0;
}

static int check_proc_refs(struct loader *l, struct img_proc_model *pm)
{
	for (size_t i = 0; i < pm->nvmas; i++) {
		const struct img_vma *v = &pm->vmas[i].v;
		if (v->kind == VMA_SHM && !img_model_shm(l->m, v->shm_id))
			return bad(l, "REC_VMA pid %u: shm_id %u has no REC_SHM", v->pid,
				   v->shm_id);
	}
	if (pm->nfds)
		qsort(pm->fds, pm->nfds, sizeof(*pm->fds), cmp_fd);
	for (size_t i = 0; i < pm->nfds; i++) {
		const struct img_fd *f = &pm->fds[i];
		if (i > 0 && f->fd == pm->fds[i - 1].fd)
			return bad(l, "REC_FD pid %u fd %d: fd appears twice", f->pid, f->fd);
		if (!img_model_file(l->m, f->file_id))
			return bad(l, "REC_FD pid %u fd %d: file_id %u has no REC_FILE", f->pid,
				   f->fd, f->file_id);
	}
	return 0;
}

static int check_shm_runs(struct loader *l, struct img_shm_model *s)
{
	uint64_t size = (s->s.size + IMG_PAGE - 1) & ~(IMG_PAGE - 1); /* size bounded */

	if (s->nruns)
		qsort(s->runs, s->nruns, sizeof(*s->runs), cmp_run);
	for (size_t i = 0; i < s->nruns; i++) {
		const struct img_page_run *run = &s->runs[i];
		uint64_t end = run->vaddr + run->npages * IMG_PAGE;
		if (end > size)
			return bad(l, "REC_PAGES shm %u: run 0x%llx-0x%llx beyond size %llu",
				   s->s.id, (unsigned long long)run->vaddr, (unsigned long long)end,
				   (unsigned long long)s->s.size);
		if (i > 0 && run->vaddr < s->runs[i - 1].vaddr + s->runs[i - 1].npages * IMG_PAGE)
			return bad(l, "REC_PAGES shm %u: run at 0x%llx overlaps another", s->s.id,
				   (unsigned long long)run->vaddr);
	}
	return 0;
}

static int sort_ids(struct loader *l)
{
	struct img_model *m = l->m;

	/* qsort and bsearch must not see a NULL base, even with 0 elements. */
	if (m->nfiles)
		qsort(m->files, m->nfiles, sizeof(*m->files), cmp_file);
	for (size_t i = 1; i < m->nfiles; i++)
		if (m->files[i].f.id == m->files[i - 1].f.id)
			return bad(l, "REC_FILE id %u: id appears twice", m->files[i].f.id);
	if (m->nshms)
		qsort(m->shms, m->nshms, sizeof(*m->shms), cmp_shm);
	return 0;
}

static int check_model(struct loader *l)
{
	struct img_model *m = l->m;
	int r = check_tree(l);

	if (r == 0)
		r = check_ids_unique(l);
	if (r == 0)
		r = sort_ids(l);
	for (size_t i = 0; r == 0 && i < m->nprocs; i++) {
		r = check_proc_runs(l, &m->procs[i]);
		if (r == 0)
			r = check_proc_refs(l, &m->procs[i]);
	}
	for (size_t i = 0; r == 0 && i < m->nshms; i++)
		r = check_shm_runs(l, &m->shms[i]);
	if (r == 0 && l->page_bytes != l->end.page_bytes)
		return bad(l, "REC_END: page_bytes %llu but runs hold %llu",
			   (unsigned long long)l->end.page_bytes,
			   (unsigned long long)l->page_bytes);
	return r;
}

static int load(struct loader *l0, struct img_model **ret)
{
	struct ferry_err *e = l0->e;
	struct img_model *m = calloc(1, sizeof(*m));
	if (!m)
		return err_set(e, -ENOMEM, "image: out of memory");
	struct loader l = *l0;
	l.m = m;

	int r = l.buf ? need(&l, sizeof(struct img_header)) : bad(&l, "no buffer");
	if (r == 0)
		r = check_header(&l);
	if (r == 0)
		r = walk(&l);
	if (r == 0)
		r = check_model(&l);
	idmap_free(&l.pids);
	idmap_free(&l.tids);
	idmap_free(&l.shmids);
	free(l.dfr);
	if (r < 0) {
		img_model_free(m);
		return r;
	}
	m->page_bytes = l.page_bytes;
	m->image_bytes = l.len;
	*ret = m;
	return 0;
}

int img_load_buf(const void *buf, size_t len, struct img_model **ret, struct ferry_err *e)
{
	struct loader l = {.buf = buf, .len = len, .e = e};
	return load(&l, ret);
}

int img_load_stream(const void *buf, size_t cap, img_wait_fn wait, void *ud, struct img_model **ret,
		    struct ferry_err *e)
{
	struct loader l = {.buf = buf, .len = cap, .e = e, .wait = wait, .wait_ud = ud};
	return load(&l, ret);
}

int img_load_dir(const char *dir, struct img_model **ret, struct ferry_err *e)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (asprintf(&path, "%s/%s", dir, IMG_FILE_NAME) < 0)
		return err_set(e, -ENOMEM, "image: out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return err_set(e, -ENOENT, "%s: no image (%s missing)", dir, IMG_FILE_NAME);
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_set(e, neg_errno(), "%s: %m", path);
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(struct img_header))
		return err_set(e, -EBADMSG, "%s: not a regular file or too short", path);
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return err_set(e, neg_errno(), "%s: mmap: %m", path);
	int r = img_load_buf(map, (size_t)st.st_size, ret, e);
	if (r < 0) {
		munmap(map, (size_t)st.st_size);
		return r;
	}
	(*ret)->map = map;
	(*ret)->map_len = (size_t)st.st_size;
	return 0;
}

static void proc_model_free(struct img_proc_model *pm)
{
	for (size_t i = 0; i < pm->nvmas; i++)
		free(pm->vmas[i].path);
	free(pm->vmas);
	free(pm->threads);
	free(pm->groups);
	free(pm->fds);
	free(pm->timers);
	free(pm->runs);
}

void img_model_free(struct img_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nprocs; i++)
		proc_model_free(&m->procs[i]);
	free(m->procs);
	for (size_t i = 0; i < m->nshms; i++)
		free(m->shms[i].runs);
	free(m->shms);
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].path);
		free(m->files[i].data);
	}
	free(m->tree);
	free(m->files);
	if (m->map)
		munmap(m->map, m->map_len);
	free(m);
}

struct img_proc_model *img_model_proc(struct img_model *m, uint32_t pid)
{
	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i].p.pid == pid)
			return &m->procs[i];
	return NULL;
}

/* files and shms are sorted by id once loading is done (sort_ids), so look up by bisection. */
struct img_file_model *img_model_file(struct img_model *m, uint32_t id)
{
	struct img_file_model key = {.f.id = id};
	if (!m->nfiles)
		return NULL;
	return bsearch(&key, m->files, m->nfiles, sizeof(*m->files), cmp_file);
}

struct img_shm_model *img_model_shm(struct img_model *m, uint32_t id)
{
	struct img_shm_model key = {.s.id = id};
	if (!m->nshms)
		return NULL;
	return bsearch(&key, m->shms, m->nshms, sizeof(*m->shms), cmp_shm);
}

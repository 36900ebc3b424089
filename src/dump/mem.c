/* SPDX-License-Identifier: MIT */
/* Memory dump: classify each VMA, then write only pages that exist (pagemap present/swapped):
 * all of them for private anonymous memory, only the copied-on-write ones for private file
 * mappings (the rest comes back from the file), and the data ranges (SEEK_DATA) of shared
 * memory objects once per object, however many processes map them. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/remote.h"
#include "dump/internal.h"
#include "res/ipc.h"

#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define PM_FILE	   (1ULL << 61)

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* The kind of a VMA, or -EOPNOTSUPP with a detail, or 0 for one that is not dumped at all. */
static int vma_kind(struct dump_ctx *c, struct dproc *p, const struct proc_vma *v)
{
	if (!strcmp(v->path, "[vsyscall]"))
		return 0;
	if (!strcmp(v->path, "[vdso]"))
		return VMA_VDSO;
	if (!strcmp(v->path, "[vvar]"))
		return VMA_VVAR;
	if (!strcmp(v->path, "[vvar_vclock]"))
		return VMA_VVAR_VCLOCK;
	if (v->vmflags & PROC_VMF_IO)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d mapping %#lx-%#lx (%s): device memory cannot be dumped",
			       p->pid, (unsigned long)v->start, (unsigned long)v->end, v->path);
	if (v->shared && !strncmp(v->path, "/SYSV", 5))
		return sysv_shm_check_vma(c, p, v); /* 0: saved by res/sysvshm.c, not here */
	if (v->shared) {
		if (!strcmp(v->path, "/dev/zero (deleted)") || !strncmp(v->path, "/memfd:", 7))
			return VMA_SHM;
		if (v->path[0] == '/' && !ends_with(v->path, " (deleted)"))
			return VMA_FILE_SHARED;
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d mapping %#lx-%#lx (%s): this kind of shared mapping is not "
			       "supported yet",
			       p->pid, (unsigned long)v->start, (unsigned long)v->end, v->path);
	}
	if (v->ino == 0 || !strcmp(v->path, "/dev/zero (deleted)"))
		return VMA_ANON_PRIVATE;
	if (v->path[0] == '/' && !ends_with(v->path, " (deleted)"))
		return VMA_FILE_PRIVATE;
	return err_set(
		c->e, -EOPNOTSUPP,
		"pid %d mapping %#lx-%#lx (%s): private mapping of a deleted or special file "
		"is not supported yet",
		p->pid, (unsigned long)v->start, (unsigned long)v->end, v->path);
}

/* Classify every VMA into p->vma_kinds, refusing unsupported ones before anything is touched. */
int mem_check_vmas(struct dump_ctx *c, struct dproc *p)
{
	p->vma_kinds = calloc(p->nvmas ? p->nvmas : 1, sizeof(int));
	if (!p->vma_kinds)
		return -ENOMEM;
	for (size_t i = 0; i < p->nvmas; i++) {
		int k = vma_kind(c, p, &p->vmas[i]);
		if (k < 0)
			return k;
		p->vma_kinds[i] = k;
	}
	return 0;
}

static uint32_t vma_flags(const struct proc_vma *v)
{
	static const uint32_t map[][2] = {
		{PROC_VMF_GROWSDOWN, VMA_F_GROWSDOWN},	 {PROC_VMF_DONTFORK, VMA_F_DONTFORK},
		{PROC_VMF_DONTDUMP, VMA_F_DONTDUMP},	 {PROC_VMF_HUGEPAGE, VMA_F_HUGEPAGE},
		{PROC_VMF_NOHUGEPAGE, VMA_F_NOHUGEPAGE}, {PROC_VMF_LOCKED, VMA_F_LOCKED},
		{PROC_VMF_WIPEONFORK, VMA_F_WIPEONFORK},
	};
	uint32_t f = 0;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (v->vmflags & map[i][0])
			f |= map[i][1];
	if (!strcmp(v->path, "[heap]"))
		f |= VMA_F_HEAP;
	if (!strcmp(v->path, "[stack]"))
		f |= VMA_F_STACK;
	return f;
}

/* The content hash of a mapped file (img_file_hash) into v->content_hash; read once per
 * identity, as a library is mapped by several VMAs and often by several processes. */
static int file_hash(struct dump_ctx *c, int fd, const char *path, struct img_vma *v)
{
	for (size_t i = 0; i < c->nfhash && i < DUMP_FHASH; i++) {
		const struct dfhash *h = &c->fhash[i];
		if (h->dev == v->dev && h->ino == v->ino && h->size == v->size &&
		    h->mtime_ns == v->mtime_ns) {
			v->content_hash = h->hash;
			return 0;
		}
	}
	int r = img_file_hash(fd, v->size, &v->content_hash);
	if (r < 0)
		return err_set(c->e, r, "cannot read %s: %s", path, strerror(-r));
	c->fhash[c->nfhash++ % DUMP_FHASH] =
		(struct dfhash){v->dev, v->ino, v->size, v->mtime_ns, v->content_hash};
	return 0;
}

/* Identity of a mapped file: checked against the maps line so the path still names the
 * mapped file, and recorded so restore can refuse a changed file. */
static int file_identity_read(struct dump_ctx *c, struct dproc *p, const struct proc_vma *pv,
			      struct img_vma *v)
{
	struct stat st;
	_cleanup_close_ int fd = open(pv->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d mapping %#lx (%s): cannot open the file: %m", p->pid,
			       (unsigned long)pv->start, pv->path);
	if (st.st_ino != pv->ino || major(st.st_dev) != pv->dev_major ||
	    minor(st.st_dev) != pv->dev_minor)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d mapping %#lx: %s now names another file than the mapped one",
			       p->pid, (unsigned long)pv->start, pv->path);
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	v->size = st.st_size;
	v->mtime_ns = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return file_hash(c, fd, pv->path, v);
}

/* The same for the tree's next VMA: the VMAs of one file come one after another, and within
 * one dump the file that a path named a moment ago is still the one it names. */
static int file_identity(struct dump_ctx *c, struct dproc *p, const struct proc_vma *pv,
			 struct img_vma *v)
{
	const struct proc_vma *last = c->last_file_vma;
	if (last && last->ino == pv->ino && last->dev_major == pv->dev_major &&
	    last->dev_minor == pv->dev_minor && !strcmp(last->path, pv->path)) {
		v->dev = c->last_file_id.dev;
		v->ino = c->last_file_id.ino;
		v->size = c->last_file_id.size;
		v->mtime_ns = c->last_file_id.mtime_ns;
		v->content_hash = c->last_file_id.content_hash;
		return 0;
	}
	int r = file_identity_read(c, p, pv, v);
	if (r == 0) {
		c->last_file_vma = pv;
		c->last_file_id = *v;
	}
	return r;
}

static void maybe_progress(struct dump_ctx *c)
{
	if (!c->o->progress)
		return;
	uint64_t now = mono_ns();
	if (now - c->last_progress_ns < 200000000ULL)
		return;
	c->last_progress_ns = now;
	struct dump_progress pr = {img_writer_bytes(c->w), now - c->start_ns};
	c->o->progress(&pr, c->o->userdata);
}

/* Runs below this size are written synchronously: handing a few pages to the writer thread
 * costs more (a wake-up, which can take milliseconds on a busy machine) than writing them. */
#define RING_MIN_BYTES (1UL << 20)
#define RING_MIN_CHUNK (256UL << 10)

/* Chunks of a run through the writer's ring: at least four per run up to the slot size, so
 * that even a run of a few MiB has its reading overlap with its writing. */
static uint64_t ring_chunk(uint64_t len)
{
	uint64_t n = (len / 4 + IMG_PAGE - 1) & ~(uint64_t)(IMG_PAGE - 1);
	n = n < RING_MIN_CHUNK ? RING_MIN_CHUNK : n;
	return n < IMG_WRITER_PAGE_BUF ? n : IMG_WRITER_PAGE_BUF;
}

/* Read up to n bytes of a run into buf and write them as one REC_PAGES. */
static int write_chunk(struct dump_ctx *c, pid_t pid, uint64_t addr, uint64_t n, int ring)
{
	uint8_t *buf = c->buf;
	int r = ring ? img_writer_page_buf(c->w, &buf) : 0;
	if (r < 0)
		return err_set(c->e, r, "writing the image: %s", strerror(-r));
	r = remote_read(pid, addr, buf, n);
	if (r < 0)
		return err_set(c->e, r, "pid %d: cannot read memory at %#lx: %s", pid,
			       (unsigned long)addr, strerror(-r));
	struct img_pages h = {.pid = pid, .vaddr = addr, .npages = n / IMG_PAGE};
	r = ring ? img_writer_add_pages(c->w, &h, buf, n)
		 : img_writer_add(c->w, REC_PAGES, &h, sizeof(h), buf, n);
	if (r < 0)
		return err_set(c->e, r, "writing the image: %s", strerror(-r));
	c->page_bytes += n;
	return 0;
}

/* Write one run of present pages [addr, addr + npages). A large run is read chunk by chunk
 * straight into buffers of the image writer, whose thread writes each chunk while the next is
 * read (and checksummed while still in cache). */
static int write_run(struct dump_ctx *c, pid_t pid, uint64_t addr, uint64_t npages)
{
	uint64_t len = npages * IMG_PAGE;
	int ring = len >= RING_MIN_BYTES;
	uint64_t max = ring ? ring_chunk(len) : DUMP_BUF;
	while (len) {
		uint64_t n = len < max ? len : max;
		int r = write_chunk(c, pid, addr, n, ring);
		if (r < 0)
			return r;
		addr += n;
		len -= n;
		maybe_progress(c);
	}
	return 0;
}

static int dump_vma_pages(struct dump_ctx *c, struct dproc *p, int pm_fd, const struct proc_vma *v,
			  int file_backed)
{
	enum { BATCH = 4096 };
	uint64_t pm[BATCH];
	uint64_t run_start = 0, run_len = 0;

	for (uint64_t addr = v->start; addr < v->end;) {
		uint64_t n = (v->end - addr) / IMG_PAGE;
		if (n > BATCH)
			n = BATCH;
		ssize_t got = pread(pm_fd, pm, n * 8, addr / IMG_PAGE * 8);
		if (got != (ssize_t)(n * 8))
			return err_set(c->e, -EIO, "pid %d: cannot read pagemap at %#lx", p->pid,
				       (unsigned long)addr);
		for (uint64_t i = 0; i < n; i++, addr += IMG_PAGE) {
			int want = file_backed ? ((pm[i] & PM_PRESENT) && !(pm[i] & PM_FILE)) ||
							 (pm[i] & PM_SWAPPED)
					       : !!(pm[i] & (PM_PRESENT | PM_SWAPPED));
			if (want && run_len && run_start + run_len * IMG_PAGE == addr) {
				run_len++;
				continue;
			}
			if (run_len) {
				int r = write_run(c, p->pid, run_start, run_len);
				if (r < 0)
					return r;
			}
			run_start = addr;
			run_len = want;
		}
	}
	return run_len ? write_run(c, p->pid, run_start, run_len) : 0;
}

static int shm_lookup(struct dump_ctx *c, uint64_t ino, uint32_t *ret_id)
{
	for (size_t i = 0; i < c->nshms; i++)
		if (c->shms[i].ino == ino) {
			*ret_id = c->shms[i].id;
			return 1;
		}
	struct dshm *n = array_reserve(c->shms, &c->shms_cap, c->nshms + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	c->shms = n;
	n[c->nshms].ino = ino;
	n[c->nshms].id = c->nshms + 1;
	*ret_id = n[c->nshms].id;
	c->nshms++;
	return 0;
}

/* First sight of a shared memory object: its record and its data ranges, read through
 * /proc/PID/map_files (which reopens the object even when no fd refers to it any more). */
static int dump_shm_object(struct dump_ctx *c, struct dproc *p, const struct proc_vma *v,
			   uint32_t id)
{
	char path[128];
	struct img_shm s = {.id = id};
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", p->pid, (unsigned long)v->start,
		 (unsigned long)v->end);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_set(c->e, neg_errno(), "pid %d mapping %#lx (%s): cannot open: %m",
			       p->pid, (unsigned long)v->start, v->path);
	s.size = (st.st_size + IMG_PAGE - 1) & ~(IMG_PAGE - 1);
	if (!strncmp(v->path, "/memfd:", 7)) {
		s.kind = SHM_MEMFD;
		size_t len = strlen(v->path + 7);
		if (ends_with(v->path, " (deleted)"))
			len -= strlen(" (deleted)");
		if (len > sizeof(s.name) - 1)
			len = sizeof(s.name) - 1;
		memcpy(s.name, v->path + 7, len);
		int seals = fcntl(fd, F_GET_SEALS);
		s.seals = seals > 0 ? seals : 0;
	} else {
		s.kind = SHM_ANON;
	}
	int r = img_writer_add(c->w, REC_SHM, &s, sizeof(s), NULL, 0);
	if (r < 0)
		return r;
	for (off_t off = 0; off < (off_t)s.size;) {
		off_t data = lseek(fd, off, SEEK_DATA);
		if (data < 0)
			break; /* ENXIO: no more data */
		off_t hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > (off_t)s.size)
			hole = s.size;
		data &= ~(off_t)(IMG_PAGE - 1);
		for (off_t o = data; o < hole;) {
			size_t n = hole - o < (off_t)DUMP_BUF ? (size_t)(hole - o) : DUMP_BUF;
			n = (n + IMG_PAGE - 1) & ~(IMG_PAGE - 1);
			memset(c->buf, 0, n);
			if (pread(fd, c->buf, n, o) < 0)
				return err_set(c->e, neg_errno(), "reading %s: %m", path);
			struct img_pages h = {.shm_id = id, .vaddr = o, .npages = n / IMG_PAGE};
			r = img_writer_add(c->w, REC_PAGES, &h, sizeof(h), c->buf, n);
			if (r < 0)
				return r;
			c->page_bytes += n;
			o += n;
		}
		off = hole;
	}
	return 0;
}

static int dump_one_vma(struct dump_ctx *c, struct dproc *p, int pm_fd, const struct proc_vma *pv,
			int kind)
{
	struct img_vma v = {.pid = p->pid, .kind = kind, .start = pv->start, .end = pv->end};
	size_t plen = 0;
	int r;

	v.prot = pv->prot;
	v.flags = vma_flags(pv);
	if (kind == VMA_FILE_PRIVATE || kind == VMA_FILE_SHARED) {
		v.pgoff = pv->pgoff;
		plen = strlen(pv->path);
		v.path_len = plen;
		if ((r = file_identity(c, p, pv, &v)) < 0)
			return r;
	} else if (kind == VMA_SHM) {
		v.pgoff = pv->pgoff;
		r = shm_lookup(c, pv->ino, &v.shm_id);
		if (r < 0)
			return r;
		if (r == 0 && (r = dump_shm_object(c, p, pv, v.shm_id)) < 0)
			return r;
	}
	r = img_writer_add(c->w, REC_VMA, &v, sizeof(v), plen ? pv->path : NULL, plen);
	if (r < 0)
		return r;
	c->st->nvmas++;
	if (kind == VMA_ANON_PRIVATE || kind == VMA_FILE_PRIVATE)
		return dump_vma_pages(c, p, pm_fd, pv, kind == VMA_FILE_PRIVATE);
	return 0;
}

int dump_mem(struct dump_ctx *c, struct dproc *p)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", p->pid);
	_cleanup_close_ int pm_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pm_fd < 0)
		return err_set(c->e, neg_errno(), "pid %d: cannot open %s: %m", p->pid, path);
	for (size_t i = 0; i < p->nvmas; i++) {
		if (!p->vma_kinds[i])
			continue;
		int r = dump_one_vma(c, p, pm_fd, &p->vmas[i], p->vma_kinds[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Unit tests for the image stream (src/image): writer backends, loader round trip, every
 * validation rule family, corruption, truncation against a guard page, atomic directory rules.
 * Run with `--seed DIR` it only writes fuzzing seeds (a full and a small valid image) to DIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <xxhash.h> /* the reference for the record checksum */

#include "image/image.h"

/* ---- an image described as a list of records, serialised through the writer ---- */

#define MAX_RECS 64

struct rec {
	uint32_t type;
	void *head;
	size_t hlen;
	void *data;
	size_t dlen;
};

struct spec {
	struct rec r[MAX_RECS];
	size_t n;
};

static void *add(struct spec *s, uint32_t type, size_t hlen, size_t dlen)
{
	assert_true(s->n < MAX_RECS);
	struct rec *r = &s->r[s->n++];
	r->type = type;
	r->hlen = hlen;
	r->head = calloc(1, hlen ?: 1);
	r->dlen = dlen;
	r->data = dlen ? calloc(1, dlen) : NULL;
	assert_non_null(r->head);
	return r->head;
}

static void set_data(struct rec *r, const void *p, size_t n)
{
	free(r->data);
	r->data = malloc(n ?: 1);
	memcpy(r->data, p, n);
	r->dlen = n;
}

static struct rec *nth_rec(struct spec *s, uint32_t type, int idx)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].type == type && idx-- == 0)
			return &s->r[i];
	fail_msg("no record %s #%d", img_record_name(type), idx);
	return NULL;
}

static void *nth(struct spec *s, uint32_t type, int idx)
{
	return nth_rec(s, type, idx)->head;
}

static void spec_free(struct spec *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->r[i].head);
		free(s->r[i].data);
	}
	s->n = 0;
}

static void fill(void *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = (uint8_t)(seed + i * 7);
}

static void add_proc(struct spec *s, uint32_t pid, uint32_t ppid, uint32_t nthreads)
{
	struct img_proc *p = add(s, REC_PROC, sizeof(*p), 0);
	p->pid = pid;
	p->ppid = ppid;
	p->pgid = p->sid = 100;
	p->state = nthreads ? PROC_ALIVE : PROC_ZOMBIE;
	p->exit_status = nthreads ? 0 : 3 << 8;
	p->nthreads = nthreads;
	p->uid[1] = 1000;
	p->gid[2] = 1000;
	p->cap_bnd = 0x1ffffffffffULL;
	p->umask = 022;
	p->nice = 5;
	p->timerslack_ns = 50000;
	p->rlim_cur[7] = 1024;
	p->rlim_max[7] = 4096;
	p->itimer_value_us[0] = 1500;
	p->exit_signal = SIGCHLD;
	snprintf(p->comm, sizeof(p->comm), "proc%u", pid);
	strcpy(p->cwd, "/home/user");
	strcpy(p->root, "/");
}

static void add_thread(struct spec *s, uint32_t pid, uint32_t tid)
{
	struct img_thread *t = add(s, REC_THREAD, sizeof(*t), 512);
	t->pid = pid;
	t->tid = tid;
	for (int i = 0; i < 27; i++)
		t->regs[i] = tid * 1000 + i;
	t->sigmask = 1 << 9;
	t->rseq_sig = 0x53053053;
	t->xstate_size = 512;
	strcpy(t->comm, "worker");
	fill(s->r[s->n - 1].data, 512, (uint8_t)tid);
}

static void add_vma(struct spec *s, uint32_t kind, uint64_t start, uint64_t end, const char *path)
{
	struct img_vma *v = add(s, REC_VMA, sizeof(*v), 0);
	v->pid = 100;
	v->kind = kind;
	v->start = start;
	v->end = end;
	v->prot = PROT_READ | PROT_WRITE;
	v->flags = VMA_F_HEAP;
	if (kind == VMA_SHM)
		v->shm_id = 1;
	if (path) {
		v->path_len = strlen(path);
		v->ino = 77;
		v->content_hash = 0xabcdef;
		set_data(&s->r[s->n - 1], path, strlen(path));
	}
}

static void add_pages(struct spec *s, uint32_t pid, uint32_t shm, uint64_t vaddr, uint64_t n)
{
	struct img_pages *p = add(s, REC_PAGES, sizeof(*p), n * 4096);
	p->pid = pid;
	p->shm_id = shm;
	p->vaddr = vaddr;
	p->npages = n;
	fill(s->r[s->n - 1].data, n * 4096, (uint8_t)(vaddr >> 12));
}

static void add_file(struct spec *s, uint32_t id, uint32_t kind, const char *path)
{
	struct img_file *f = add(s, REC_FILE, sizeof(*f), 0);
	f->id = id;
	f->kind = kind;
	f->flags = O_RDWR;
	f->path_len = strlen(path);
	f->pos = 12;
	set_data(&s->r[s->n - 1], path, strlen(path));
}

static void add_fd(struct spec *s, int fd, uint32_t file)
{
	struct img_fd *f = add(s, REC_FD, sizeof(*f), 0);
	f->pid = 100;
	f->fd = fd;
	f->file_id = file;
	f->cloexec = fd > 2;
}

static void add_info(struct spec *s, uint32_t nprocs)
{
	struct img_info *i = add(s, REC_INFO, sizeof(*i), 0);
	i->dump_time_ns = 1700000000000000000ULL;
	i->frozen_ns = 12345;
	i->xcr0 = 0x7;
	i->xstate_size = 512;
	i->nprocs = nprocs;
	i->root_pid = 100;
	i->flags = IMG_INFO_SHELL_JOB;
	i->vdso_fingerprint = 0x1234;
	strcpy(i->kernel_release, "6.1.0-test");
}

/* The smallest valid image: one process with one thread. */
static void build_small(struct spec *s)
{
	add_info(s, 1);
	add_proc(s, 100, 0, 1);
	add_thread(s, 100, 100);
}

static void add_proc_extras(struct spec *s)
{
	struct img_mm *mm = add(s, REC_MM, sizeof(*mm), 4 * 8);
	mm->pid = 100;
	mm->auxv_words = 4;
	mm->start_code = 0x400000;
	mm->end_code = 0x401000;
	mm->start_stack = 0x7ffe0000;
	strcpy(mm->exe_path, "/usr/bin/app");
	uint64_t auxv[4] = {6, 4096, 0, 0};
	set_data(&s->r[s->n - 1], auxv, sizeof(auxv));

	struct img_sigacts *sa = add(s, REC_SIGACTS, sizeof(*sa), 0);
	sa->pid = 100;
	sa->act[SIGTERM - 1].handler = 0x401234;
	sa->act[SIGTERM - 1].mask = 1;

	struct img_groups *g = add(s, REC_GROUPS, sizeof(*g), 8);
	g->pid = 100;
	g->count = 2;
	uint32_t gids[2] = {10, 20};
	set_data(&s->r[s->n - 1], gids, sizeof(gids));

	struct img_siginfo_hdr *si = add(s, REC_SIGINFO, sizeof(*si), 128);
	si->pid = 100;
	si->count = 1;
	((int32_t *)s->r[s->n - 1].data)[0] = SIGUSR1;
	si = add(s, REC_SIGINFO, sizeof(*si), 128);
	si->pid = 100;
	si->tid = 102;
	si->count = 1;
	((int32_t *)s->r[s->n - 1].data)[0] = SIGUSR2;

	struct img_timer *t = add(s, REC_TIMER, sizeof(*t), 0);
	t->pid = 100;
	t->timer_id = 1;
	t->sigev_notify = 4;
	t->sigev_signo = SIGALRM;
	t->notify_tid = 102;
	t->value_ns = 1000;
}

/* Two processes (a live root with two threads, a zombie child), every record kind, one page
 * record large enough (80 pages) to take the writer's pass-through path. */
static void build_full(struct spec *s)
{
	add_info(s, 2);
	add_proc(s, 100, 0, 2);
	add_thread(s, 100, 100);
	add_thread(s, 100, 102);
	add_proc_extras(s);
	add_vma(s, VMA_ANON_PRIVATE, 0x10000, 0x70000, NULL);
	add_vma(s, VMA_FILE_PRIVATE, 0x80000, 0x82000, "/usr/lib/libx.so");
	add_vma(s, VMA_SHM, 0x90000, 0x92000, NULL);
	add_pages(s, 100, 0, 0x10000, 80);
	add_pages(s, 100, 0, 0x81000, 1);
	add_fd(s, 0, 1);
	add_fd(s, 3, 2);
	add_proc(s, 101, 100, 0);
	struct img_shm *shm = add(s, REC_SHM, sizeof(*shm), 0);
	shm->id = 1;
	shm->kind = SHM_MEMFD;
	shm->size = 8000;
	shm->seals = 0x3;
	strcpy(shm->name, "ring");
	add_pages(s, 0, 1, 0, 1);
	add_file(s, 2, FILE_REG, "/tmp/data.log");
	add_file(s, 1, FILE_CHR, "/dev/null");
}

static int write_spec(struct img_writer *w, struct spec *s, struct ferry_err *e)
{
	for (size_t i = 0; i < s->n; i++) {
		struct rec *r = &s->r[i];
		int k = img_writer_add(w, r->type, r->head, r->hlen, r->data, r->dlen);
		if (k < 0)
			return k;
	}
	return img_writer_commit(w, e);
}

/* Serialise through the fd backend into a malloc'd buffer. */
static uint8_t *to_buf(struct spec *s, size_t *len)
{
	struct ferry_err e = {{0}};
	struct img_writer *w = NULL;
	int fd = memfd_create("img", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(img_writer_open_fd(fd, &w, &e), 0);
	assert_int_equal(write_spec(w, s, &e), 0);
	uint64_t bytes = img_writer_bytes(w);
	img_writer_free(w);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, bytes);
	uint8_t *buf = malloc(st.st_size);
	assert_int_equal(pread(fd, buf, st.st_size, 0), st.st_size);
	close(fd);
	*len = st.st_size;
	return buf;
}

/* ---- checking a loaded model against the spec, field by field ---- */

static void check_proc100(struct img_model *m, struct spec *s)
{
	struct img_proc_model *p = img_model_proc(m, 100);
	assert_ptr_equal(p, &m->procs[0]);
	assert_memory_equal(&p->p, nth(s, REC_PROC, 0), sizeof(p->p));
	assert_int_equal(p->nthreads, 2);
	for (int i = 0; i < 2; i++) {
		struct rec *r = nth_rec(s, REC_THREAD, i);
		assert_memory_equal(&p->threads[i].t, r->head, sizeof(struct img_thread));
		assert_memory_equal(p->threads[i].xstate, r->data, 512);
	}
	assert_int_equal(p->threads[0].t.tid, 100);
	assert_int_equal(p->threads[1].nsiginfo, 1);
	assert_memory_equal(p->threads[1].siginfo, nth_rec(s, REC_SIGINFO, 1)->data, 128);
	assert_null(p->threads[0].siginfo);
	assert_int_equal(p->nshared_siginfo, 1);
	assert_memory_equal(p->shared_siginfo, nth_rec(s, REC_SIGINFO, 0)->data, 128);
	assert_true(p->has_mm);
	assert_memory_equal(&p->mm, nth(s, REC_MM, 0), sizeof(p->mm));
	assert_memory_equal(p->auxv, nth_rec(s, REC_MM, 0)->data, 32);
	assert_true(p->has_sigacts);
	assert_memory_equal(&p->sigacts, nth(s, REC_SIGACTS, 0), sizeof(p->sigacts));
	assert_int_equal(p->ngroups, 2);
	assert_int_equal(p->groups[1], 20);
	assert_int_equal(p->ntimers, 1);
	assert_memory_equal(&p->timers[0], nth(s, REC_TIMER, 0), sizeof(struct img_timer));
}

static void check_proc100_mem(struct img_model *m, struct spec *s)
{
	struct img_proc_model *p = &m->procs[0];
	assert_int_equal(p->nvmas, 3);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(&p->vmas[i].v, nth(s, REC_VMA, i), sizeof(struct img_vma));
	assert_null(p->vmas[0].path);
	assert_string_equal(p->vmas[1].path, "/usr/lib/libx.so");
	assert_int_equal(p->nruns, 2);
	for (int i = 0; i < 2; i++) {
		struct rec *r = nth_rec(s, REC_PAGES, i);
		const struct img_pages *pg = r->head;
		assert_int_equal(p->runs[i].vaddr, pg->vaddr);
		assert_int_equal(p->runs[i].npages, pg->npages);
		assert_memory_equal(p->runs[i].data, r->data, r->dlen);
	}
	assert_int_equal(p->nfds, 2);
	assert_memory_equal(&p->fds[0], nth(s, REC_FD, 0), sizeof(struct img_fd));
	assert_memory_equal(&p->fds[1], nth(s, REC_FD, 1), sizeof(struct img_fd));
}

static void check_full(struct img_model *m, struct spec *s, size_t len)
{
	assert_memory_equal(&m->info, nth(s, REC_INFO, 0), sizeof(m->info));
	assert_int_equal(m->nprocs, 2);
	check_proc100(m, s);
	check_proc100_mem(m, s);
	struct img_proc_model *z = img_model_proc(m, 101);
	assert_non_null(z);
	assert_memory_equal(&z->p, nth(s, REC_PROC, 1), sizeof(z->p));
	assert_int_equal(z->nthreads, 0);
	assert_false(z->has_mm);
	assert_null(img_model_proc(m, 999));
	struct img_shm_model *shm = img_model_shm(m, 1);
	assert_non_null(shm);
	assert_memory_equal(&shm->s, nth(s, REC_SHM, 0), sizeof(shm->s));
	assert_int_equal(shm->nruns, 1);
	assert_memory_equal(shm->runs[0].data, nth_rec(s, REC_PAGES, 2)->data, 4096);
	assert_null(img_model_shm(m, 2));
	assert_int_equal(m->nfiles, 2);
	struct img_file_model *f = img_model_file(m, 2);
	assert_non_null(f);
	assert_memory_equal(&f->f, nth(s, REC_FILE, 0), sizeof(f->f));
	assert_string_equal(f->path, "/tmp/data.log");
	assert_string_equal(img_model_file(m, 1)->path, "/dev/null");
	assert_null(img_model_file(m, 3));
	assert_int_equal(m->page_bytes, 82 * 4096);
	assert_int_equal(m->image_bytes, len);
}

/* ---- temp directories ---- */

static char tmp_base[64];

static int setup_tmp(void **state)
{
	strcpy(tmp_base, "/tmp/ferry-test-image-XXXXXX");
	return mkdtemp(tmp_base) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_base);
	return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmp_base, name);
}

static int exists_at(const char *dir, const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* ---- round trips ---- */

static void test_roundtrip_dir(void **state)
{
	struct spec s = {0};
	struct ferry_err e = {{0}};
	struct img_writer *w = NULL;
	struct img_model *m = NULL;
	char dir[128];

	tmp_path(dir, sizeof(dir), "rt");
	build_full(&s);
	assert_int_equal(img_writer_open_dir(dir, &w, &e), 0);
	assert_true(exists_at(dir, IMG_PARTIAL_NAME));
	assert_int_equal(write_spec(w, &s, &e), 0);
	uint64_t bytes = img_writer_bytes(w);
	img_writer_free(w);
	assert_false(exists_at(dir, IMG_PARTIAL_NAME));
	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(img_load_dir(dir, &m, &e), 0);
	assert_int_equal(m->image_bytes, bytes);
	check_full(m, &s, bytes);
	img_model_free(m);
	spec_free(&s);
}

static void test_roundtrip_buf(void **state)
{
	struct spec s = {0};
	struct ferry_err e = {{0}};
	struct img_model *m = NULL;
	size_t len;

	build_full(&s);
	uint8_t *buf = to_buf(&s, &len);
	assert_int_equal(img_load_buf(buf, len, &m, &e), 0);
	check_full(m, &s, len);
	img_model_free(m);
	free(buf);
	spec_free(&s);
}

/* ---- streaming load (img_load_stream): the image arrives while it is read ---- */

struct fake_stream {
	size_t len;	 /* bytes the stream will deliver in all */
	size_t avail;	 /* delivered so far */
	size_t break_at; /* fail once a wait asks past this (0: never) */
	size_t calls;
};

static ssize_t fake_wait(void *ud, size_t need, int *ended)
{
	struct fake_stream *f = ud;
	f->calls++;
	if (f->break_at && need > f->break_at)
		return -ECONNRESET;
	size_t step = f->avail + 4096 > need ? f->avail + 4096 : need;
	f->avail = step < f->len ? step : f->len;
	*ended = f->avail == f->len;
	return (ssize_t)f->avail;
}

/* Load the full image through a stream that delivers `delivered` bytes (0: exactly the image)
 * and breaks once asked past break_at (0: never); checks the model when the load succeeds. */
static int stream_load(size_t delivered, size_t break_at, struct ferry_err *e, size_t *calls)
{
	struct spec s = {0};
	struct img_model *m = NULL;
	size_t len;
	build_full(&s);
	uint8_t *buf = to_buf(&s, &len);
	size_t cap = len + 65536;
	uint8_t *room = calloc(1, cap);
	memcpy(room, buf, len);
	struct fake_stream f = {.len = delivered ? delivered : len, .break_at = break_at};
	int r = img_load_stream(room, cap, fake_wait, &f, &m, e);
	if (r == 0) {
		check_full(m, &s, len);
		assert_int_equal(m->image_bytes, len);
	} else {
		assert_null(m);
	}
	*calls = f.calls;
	img_model_free(m);
	free(room);
	free(buf);
	spec_free(&s);
	return r;
}

static size_t full_len(void)
{
	struct spec s = {0};
	size_t len;
	build_full(&s);
	free(to_buf(&s, &len));
	spec_free(&s);
	return len;
}

static void test_stream_load(void **state)
{
	struct ferry_err e = {{0}};
	size_t calls;

	assert_int_equal(stream_load(0, 0, &e, &calls), 0);
	assert_true(calls > 2); /* it waited record by record, not once for everything */
	assert_int_equal(stream_load(0, 100, &e, &calls), -ECONNRESET);
	assert_non_null(strstr(e.msg, "stream broke"));
}

static void test_stream_cut_or_long(void **state)
{
	struct ferry_err e = {{0}};
	size_t calls, len = full_len();

	assert_int_equal(stream_load(len - 10, 0, &e, &calls), -EBADMSG);
	e.msg[0] = 0;
	assert_int_equal(stream_load(len + 5, 0, &e, &calls), -EBADMSG);
	assert_non_null(strstr(e.msg, "trailing"));
}

/* ---- rejection tables: one mutation each, expected errno and a word of the detail ---- */

struct bad_case {
	const char *name;
	void (*mutate)(struct spec *s);
	const char *detail;
};

static void run_cases(const struct bad_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct spec s = {0};
		struct ferry_err e = {{0}};
		struct img_model *m = NULL;
		size_t len;

		build_full(&s);
		c[i].mutate(&s);
		uint8_t *buf = to_buf(&s, &len);
		int r = img_load_buf(buf, len, &m, &e);
		if (r != -EBADMSG || !strstr(e.msg, c[i].detail))
			fail_msg("case %s: r=%d detail \"%s\", wanted \"%s\"", c[i].name, r, e.msg,
				 c[i].detail);
		assert_null(m);
		free(buf);
		spec_free(&s);
	}
}

/* A mutation: CASE(name, statements...) defines static void name(struct spec *s). */
#define CASE(name, ...)                                                                            \
	static void name(struct spec *s)                                                           \
	{                                                                                          \
		__VA_ARGS__;                                                                       \
	}
#define INFO	 ((struct img_info *)nth(s, REC_INFO, 0))
#define PROC(i)	 ((struct img_proc *)nth(s, REC_PROC, i))
#define THR(i)	 ((struct img_thread *)nth(s, REC_THREAD, i))
#define VMA(i)	 ((struct img_vma *)nth(s, REC_VMA, i))
#define PG(i)	 ((struct img_pages *)nth(s, REC_PAGES, i))
#define SHM	 ((struct img_shm *)nth(s, REC_SHM, 0))
#define FILE_(i) ((struct img_file *)nth(s, REC_FILE, i))
#define FD(i)	 ((struct img_fd *)nth(s, REC_FD, i))
#define TIMER	 ((struct img_timer *)nth(s, REC_TIMER, 0))
#define MM	 ((struct img_mm *)nth(s, REC_MM, 0))
#define GRP	 ((struct img_groups *)nth(s, REC_GROUPS, 0))
#define SIGI(i)	 ((struct img_siginfo_hdr *)nth(s, REC_SIGINFO, i))
#define SACT	 ((struct img_sigacts *)nth(s, REC_SIGACTS, 0))

CASE(i_xstate, INFO->xstate_size = 100)
CASE(i_nprocs, INFO->nprocs = 0)
CASE(i_root, INFO->root_pid = 0)
CASE(i_flags, INFO->flags = 0x80)
CASE(i_release, memset(INFO->kernel_release, 'a', 65))
CASE(i_pad, INFO->pad[3] = 1)
CASE(i_size, nth_rec(s, REC_INFO, 0)->hlen -= 1)

static void test_reject_info(void **state)
{
	static const struct bad_case c[] = {
		{"xstate", i_xstate, "REC_INFO: xstate_size 100"},
		{"nprocs", i_nprocs, "REC_INFO: nprocs 0"},
		{"root", i_root, "REC_INFO: root_pid"},
		{"flags", i_flags, "REC_INFO: unknown flags"},
		{"release", i_release, "REC_INFO: kernel_release"},
		{"pad", i_pad, "REC_INFO: pad"},
		{"size", i_size, "REC_INFO: payload 119"},
	};
	run_cases(c, ARRAY_SIZE(c));
}

CASE(p_pid, PROC(1)->pid = 0)
CASE(p_state, PROC(0)->state = 7)
CASE(p_zombie, PROC(1)->nthreads = 1)
CASE(p_nothreads, PROC(0)->nthreads = 0)
CASE(p_toomany, PROC(0)->nthreads = IMG_MAX_THREADS + 1)
CASE(p_comm, memset(PROC(0)->comm, 'x', 16))
CASE(p_cwd, strcpy(PROC(0)->cwd, "relative"))
CASE(p_root, memset(PROC(0)->root, '/', IMG_MAX_PATH))
CASE(p_pad0, PROC(0)->pad0 = 1)
CASE(p_pad, PROC(0)->pad = 1)
CASE(p_nice, PROC(0)->nice = 40)
CASE(p_pdeath, PROC(0)->pdeathsig = 65)
CASE(p_exitsig, PROC(0)->exit_signal = 65)
CASE(p_umask, PROC(0)->umask = 01000)
CASE(p_itimer, PROC(0)->itimer_interval_us[2] = -1)

static void test_reject_proc(void **state)
{
	static const struct bad_case c[] = {
		{"pid", p_pid, "REC_PROC pid 0: pid is 0"},
		{"state", p_state, "REC_PROC pid 100: state 7"},
		{"zombie", p_zombie, "pid 101: zombie"},
		{"nothreads", p_nothreads, "nthreads 0"},
		{"toomany", p_toomany, "nthreads 65537"},
		{"comm", p_comm, "REC_PROC pid 100: comm"},
		{"cwd", p_cwd, "REC_PROC pid 100: cwd"},
		{"root", p_root, "REC_PROC pid 100: root"},
		{"pad0", p_pad0, "REC_PROC pid 100: pad"},
		{"pad", p_pad, "REC_PROC pid 100: pad"},
		{"nice", p_nice, "nice 40"},
		{"pdeathsig", p_pdeath, "pdeathsig 65"},
		{"exit_signal", p_exitsig, "exit_signal 65"},
		{"umask", p_umask, "umask"},
		{"itimer", p_itimer, "itimer 2"},
	};
	run_cases(c, ARRAY_SIZE(c));
}

CASE(t_xbig, THR(0)->xstate_size = 8193)
CASE(t_xlen, THR(0)->xstate_size = 600)
CASE(t_tid, THR(1)->tid = 0)
CASE(t_comm, memset(THR(0)->comm, 'c', 16))
CASE(t_xinfo, {
	THR(1)->xstate_size = 1024;
	nth_rec(s, REC_THREAD, 1)->dlen = 1024;
	nth_rec(s, REC_THREAD, 1)->data = realloc(nth_rec(s, REC_THREAD, 1)->data, 1024);
	memset(nth_rec(s, REC_THREAD, 1)->data, 0, 1024);
})
CASE(t_extra, PROC(0)->nthreads = 1)
CASE(t_leader, {
	struct rec tmp = *nth_rec(s, REC_THREAD, 0);
	*nth_rec(s, REC_THREAD, 0) = *nth_rec(s, REC_THREAD, 1);
	s->r[3] = tmp;
})
CASE(t_count, PROC(0)->nthreads = 3)
CASE(t_dup_thread, THR(1)->tid = 100)
CASE(t_dup_tid, THR(1)->tid = 101; SIGI(1)->tid = 101)
CASE(t_nice, THR(0)->nice = 20)
CASE(t_policy, THR(1)->sched_policy = 7)

static void test_reject_thread(void **state)
{
	static const struct bad_case c[] = {
		{"xstate big", t_xbig, "REC_THREAD pid 100 tid 100: xstate_size 8193"},
		{"xstate len", t_xlen, "REC_THREAD pid 100 tid 100: payload "},
		{"thread nice", t_nice, "REC_THREAD pid 100 tid 100: nice 20"},
		{"thread policy", t_policy, "sched_policy 7"},
		{"tid", t_tid, "tid 0: pid or tid is 0"},
		{"comm", t_comm, "REC_THREAD pid 100 tid 100: comm"},
		{"xstate info", t_xinfo, "differs from info"},
		{"extra", t_extra, "more threads than nthreads 1"},
		{"leader", t_leader, "first thread is not the leader"},
		{"count", t_count, "nthreads 3 but 2"},
		{"dup thread", t_dup_thread, "REC_THREAD pid 100 tid 100: pid/tid used twice"},
		{"dup tid", t_dup_tid, "tid 101: pid/tid used twice"},
	};
	run_cases(c, ARRAY_SIZE(c));
}

CASE(v_start, VMA(0)->start = 0x10001)
CASE(v_end, VMA(0)->end = 0x70001)
CASE(v_empty, VMA(0)->end = 0x10000)
CASE(v_limit, { VMA(2)->end = IMG_USER_ADDR_LIMIT + 4096; })
CASE(v_kind0, VMA(0)->kind = 0)
CASE(v_kind, VMA(0)->kind = VMA_KIND_MAX)
CASE(v_prot, VMA(0)->prot = 8)
CASE(v_flags, VMA(0)->flags = 0x200)
CASE(v_rel, set_data(nth_rec(s, REC_VMA, 1), "usr/lib/libx.so!", 16))
CASE(v_nul, set_data(nth_rec(s, REC_VMA, 1), "/usr/lib\0libx.so", 16))
CASE(v_plen, VMA(1)->path_len = 3)
CASE(v_anonpath, {
	VMA(0)->path_len = 2;
	set_data(nth_rec(s, REC_VMA, 0), "/x", 2);
})
CASE(v_nopath, {
	VMA(1)->path_len = 0;
	set_data(nth_rec(s, REC_VMA, 1), "", 0);
})
CASE(v_longpath, {
	char p[IMG_MAX_PATH + 1];
	memset(p, 'a', sizeof(p));
	p[0] = '/';
	VMA(1)->path_len = sizeof(p);
	set_data(nth_rec(s, REC_VMA, 1), p, sizeof(p));
})
CASE(v_shmid, VMA(2)->shm_id = 0)
CASE(v_anonshm, VMA(0)->shm_id = 1)
CASE(v_pgoff, VMA(1)->pgoff = 0x123)
CASE(v_order, {
	struct rec tmp = *nth_rec(s, REC_VMA, 0);
	*nth_rec(s, REC_VMA, 0) = *nth_rec(s, REC_VMA, 1);
	*nth_rec(s, REC_VMA, 1) = tmp;
})
CASE(v_overlap, VMA(1)->start = 0x60000)
CASE(v_noshm, VMA(2)->shm_id = 7)
CASE(v_nopid, VMA(0)->pid = 555)

static void test_reject_vma(void **state)
{
	static const struct bad_case c[] = {
		{"start", v_start, "REC_VMA pid 100: start 0x10001 not page-aligned"},
		{"end", v_end, "REC_VMA pid 100: range 0x10000-0x70001 not page-aligned"},
		{"empty", v_empty, "empty"},
		{"limit", v_limit, "above the user limit"},
		{"kind0", v_kind0, "REC_VMA pid 100: kind 0"},
		{"kind", v_kind, "kind 8 unknown"},
		{"prot", v_prot, "prot 0x8"},
		{"flags", v_flags, "flags 0x200"},
		{"relative", v_rel, "not absolute"},
		{"nul", v_nul, "NUL byte"},
		{"path_len", v_plen, "REC_VMA pid 100: payload 104"},
		{"anon path", v_anonpath, "kind without a path"},
		{"no path", v_nopath, "path_len 0"},
		{"long path", v_longpath, "path_len 4097"},
		{"shm_id", v_shmid, "shm_id 0 does not match"},
		{"anon shm", v_anonshm, "shm_id 1 does not match"},
		{"pgoff", v_pgoff, "pgoff 0x123"},
		{"order", v_order, "precedes the previous VMA"},
		{"overlap", v_overlap, "overlaps"},
		{"unknown shm", v_noshm, "shm_id 7 has no REC_SHM"},
		{"unknown pid", v_nopid, "REC_VMA pid 555: no REC_PROC"},
	};
	run_cases(c, ARRAY_SIZE(c));
}

CASE(g_zero, {
	PG(1)->npages = 0;
	nth_rec(s, REC_PAGES, 1)->dlen = 0;
})
CASE(g_align, PG(1)->vaddr = 0x81001)
CASE(g_len, PG(0)->npages = 79)
CASE(g_both, PG(1)->shm_id = 1)
CASE(g_limit, PG(1)->vaddr = IMG_USER_ADDR_LIMIT)
CASE(g_huge, PG(1)->npages = (IMG_MAX_PAGES_REC / 4096) + 1)
CASE(g_outside, PG(1)->vaddr = 0x83000)
CASE(g_span, PG(0)->vaddr = 0x30000)
CASE(g_overlap, { PG(1)->vaddr = 0x11000; })
CASE(g_shmsize, PG(2)->vaddr = 0x2000)
CASE(g_noshm, PG(2)->shm_id = 9)
CASE(g_nopid, PG(1)->pid = 555)

static void test_reject_pages(void **state)
{
	static const struct bad_case c[] = {
		{"npages", g_zero, "REC_PAGES pid 100 shm 0: npages 0"},
		{"align", g_align, "vaddr 0x81001 not page-aligned"},
		{"len", g_len, "REC_PAGES pid 100 shm 0: payload"},
		{"both", g_both, "exactly one of pid and shm_id"},
		{"limit", g_limit, "above the user limit"},
		{"huge", g_huge, "npages 16385"},
		{"outside", g_outside, "not inside one VMA"},
		{"span", g_span, "not inside one VMA"},
		{"overlap", g_overlap, "overlaps another"},
		{"shm size", g_shmsize, "beyond size 8000"},
		{"no shm", g_noshm, "REC_PAGES shm 9: no REC_SHM"},
		{"no pid", g_nopid, "REC_PAGES pid 555: no REC_PROC"},
	};
	run_cases(c, ARRAY_SIZE(c));
}

CASE(s_id, SHM->id = 0)
CASE(s_kind, SHM->kind = 3)
CASE(s_pad, SHM->pad = 1)
CASE(s_size, SHM->size = 0)
CASE(s_seals, SHM->seals = 0x40)
CASE(s_name, memset(SHM->name, 'n', 256))
CASE(s_dup, {
	struct img_shm *d = add(s, REC_SHM, sizeof(*d), 0);
	*d = *SHM;
})

static void test_reject_shm(void **state)
{
	static const struct bad_case c[] = {
		{"id", s_id, "REC_SHM id 0: id is 0"},
		{"kind", s_kind, "REC_SHM id 1: kind 3"},
		{"pad", s_pad, "REC_SHM id 1: pad"},
		{"size", s_size, "REC_SHM id 1: size 0"},
		{"seals", s_seals, "seals 0x40"},
		{"name", s_name, "name not NUL-terminated"},
		{"dup", s_dup, "REC_SHM id 1: id appears twice"},
	};
	run_cases(c, ARRAY_SIZE(c));
}

CASE(f_id, FILE_(0)->id = 0)
CASE(f_kind, FILE_(0)->kind = 999)
CASE(f_rel, set_data(nth_rec(s, REC_FILE, 0), "tmp/data.log!", 13))
CASE(f_empty, {
	FILE_(0)->path_len = 0;
	set_data(nth_rec(s, REC_FILE, 0), "", 0);
})
CASE(f_tty, FILE_(0)->is_tty = 1)
CASE(f_acc, FILE_(0)->flags = 3)
CASE(f_dup, FILE_(0)->id = 1)
CASE(d_neg, FD(0)->fd = -1)
CASE(d_file0, FD(0)->file_id = 0)
CASE(d_cloexec, FD(0)->cloexec = 2)
CASE(d_nofile, FD(1)->file_id = 9)
CASE(d_dup, FD(1)->fd = 0)

static void test_reject_file_fd(void **state)
{
	static const struct bad_case c[] = {
		{"id", f_id, "REC_FILE id 0: id is 0"},
		{"kind", f_kind, "REC_FILE id 2: kind 999 unknown"},
		{"relative", f_rel, "REC_FILE id 2: path is not absolute"},
		{"empty", f_empty, "REC_FILE id 2: path_len 0"},
		{"tty", f_tty, "is_tty 1 invalid"},
		{"access", f_acc, "invalid access mode"},
		{"dup", f_dup, "REC_FILE id 1: id appears twice"},
		{"fd neg", d_neg, "REC_FD pid 100 fd -1: fd is negative"},
		{"file 0", d_file0, "file_id is 0"},
		{"cloexec", d_cloexec, "cloexec 2"},
		{"no file", d_nofile, "REC_FD pid 100 fd 3: file_id 9 has no REC_FILE"},
		{"dup fd", d_dup, "fd 0: fd appears twice"},
	};
	run_cases(c, ARRAY_SIZE(c));
}

CASE(tm_pad, TIMER->pad = 1)
CASE(tm_notify, TIMER->sigev_notify = 3)
CASE(tm_signo, TIMER->sigev_signo = 65)
CASE(tm_tid, TIMER->notify_tid = 0)
CASE(tm_value, TIMER->value_ns = -5)
CASE(tm_id, TIMER->timer_id = -1)
CASE(gr_count, GRP->count = IMG_MAX_GROUPS + 1)
CASE(gr_len, GRP->count = 3)
CASE(gr_dup, {
	struct img_groups *g = add(s, REC_GROUPS, sizeof(*g), 0);
	g->pid = 100;
})
CASE(mm_odd, MM->auxv_words = 3)
CASE(mm_big, MM->auxv_words = 130)
CASE(mm_len, MM->auxv_words = 2)
CASE(mm_code, MM->end_code = 0x1000)
CASE(mm_exe, strcpy(MM->exe_path, "app"))
CASE(mm_exe_nul, memset(MM->exe_path, '/', IMG_MAX_PATH))
CASE(mm_dup, {
	struct img_mm *m = add(s, REC_MM, sizeof(*m), 0);
	m->pid = 100;
})
CASE(si_count, SIGI(0)->count = IMG_MAX_SIGINFO + 1)
CASE(si_signo, ((int32_t *)nth_rec(s, REC_SIGINFO, 0)->data)[0] = 0)
CASE(si_pad, SIGI(0)->pad = 1)
CASE(si_tid, SIGI(1)->tid = 103)
CASE(si_dup, SIGI(1)->tid = 0)
CASE(sa_pad, SACT->pad = 1)
CASE(sa_dup, {
	struct img_sigacts *a = add(s, REC_SIGACTS, sizeof(*a), 0);
	a->pid = 100;
})

static void test_reject_misc(void **state)
{
	static const struct bad_case c[] = {
		{"timer pad", tm_pad, "REC_TIMER pid 100 timer 1: timer_id negative or pad"},
		{"timer notify", tm_notify, "sigev_notify 3"},
		{"timer signo", tm_signo, "sigev_signo 65"},
		{"timer tid", tm_tid, "notify_tid 0"},
		{"timer value", tm_value, "negative value"},
		{"timer id", tm_id, "timer -1"},
		{"groups count", gr_count, "REC_GROUPS pid 100: count 65537"},
		{"groups len", gr_len, "REC_GROUPS pid 100: payload"},
		{"groups dup", gr_dup, "REC_GROUPS pid 100: appears twice"},
		{"auxv odd", mm_odd, "REC_MM pid 100: auxv_words 3"},
		{"auxv big", mm_big, "auxv_words 130"},
		{"auxv len", mm_len, "REC_MM pid 100: payload"},
		{"code", mm_code, "code 0x400000-0x1000"},
		{"exe", mm_exe, "exe_path not absolute"},
		{"exe nul", mm_exe_nul, "exe_path not NUL-terminated"},
		{"mm dup", mm_dup, "REC_MM pid 100: appears twice"},
		{"siginfo count", si_count, "REC_SIGINFO pid 100 tid 0: count 1025"},
		{"siginfo signo", si_signo, "si_signo 0"},
		{"siginfo pad", si_pad, "REC_SIGINFO pid 100 tid 0: pad"},
		{"siginfo tid", si_tid, "tid 103: no such thread"},
		{"siginfo dup", si_dup, "process-wide set appears twice"},
		{"sigacts pad", sa_pad, "REC_SIGACTS pid 100: pad"},
		{"sigacts dup", sa_dup, "REC_SIGACTS pid 100: appears twice"},
	};
	run_cases(c, ARRAY_SIZE(c));
}

CASE(x_first, {
	struct rec tmp = s->r[0];
	s->r[0] = s->r[1];
	s->r[1] = tmp;
})
CASE(x_info2, {
	struct img_info *i = add(s, REC_INFO, sizeof(*i), 0);
	*i = *INFO;
})
CASE(x_more, INFO->nprocs = 3)
CASE(x_fewer, INFO->nprocs = 1)
CASE(x_root, INFO->root_pid = 101)
CASE(x_parent, PROC(1)->ppid = 999)
CASE(x_dup_pid, PROC(1)->pid = 100)
CASE(x_zombie_tid, PROC(1)->pid = 102)

static void test_reject_tree(void **state)
{
	static const struct bad_case c[] = {
		{"first", x_first, "first record is REC_PROC"},
		{"info twice", x_info2, "REC_INFO appears twice"},
		{"more", x_more, "nprocs 3 but 2"},
		{"fewer", x_fewer, "more processes than info.nprocs 1"},
		{"root", x_root, "first process is not root_pid 101"},
		{"parent", x_parent, "REC_PROC pid 101: parent 999"},
		{"dup pid", x_dup_pid, "REC_PROC pid 100: pid appears twice"},
		{"zombie pid = tid", x_zombie_tid, "tid 102: pid/tid used twice"},
	};
	run_cases(c, ARRAY_SIZE(c));
}

/* ---- REC_FILE_DATA belongs to the REC_FILE right before it ---- */

static void add_file_data(struct spec *s, uint32_t file_id, uint32_t tag, const char *bytes)
{
	struct img_file_data *d = add(s, REC_FILE_DATA, sizeof(*d), 0);
	d->file_id = file_id;
	d->tag = tag;
	set_data(&s->r[s->n - 1], bytes, strlen(bytes));
}

CASE(fd_late, add_file_data(s, 2, 1, "x")) /* file 1 came in between */
CASE(fd_before, {
	add_file_data(s, 1, 1, "x");
	struct rec tmp = s->r[s->n - 1];
	s->r[s->n - 1] = s->r[s->n - 2];
	s->r[s->n - 2] = tmp;
})
CASE(fd_other, {
	add_file(s, 3, FILE_REG, "/x");
	add_file_data(s, 1, 1, "x");
})
CASE(fd_tag0, add_file_data(s, 1, 0, "x"))
CASE(fd_id0, add_file_data(s, 0, 1, "x"))
CASE(fd_after_fd, {
	add_fd(s, 7, 1);
	add_file_data(s, 1, 1, "x");
})

static void test_reject_file_data(void **state)
{
	static const struct bad_case c[] = {
		{"after another file", fd_late,
		 "REC_FILE_DATA file 2 does not follow its REC_FILE"},
		{"before its file", fd_before, "REC_FILE_DATA file 1 does not follow its REC_FILE"},
		{"a file in between", fd_other,
		 "REC_FILE_DATA file 1 does not follow its REC_FILE"},
		{"another record between", fd_after_fd,
		 "REC_FILE_DATA file 1 does not follow its REC_FILE"},
		{"tag 0", fd_tag0, "file_id or tag is 0"},
		{"id 0", fd_id0, "file_id or tag is 0"},
	};
	run_cases(c, ARRAY_SIZE(c));
}

/* Several REC_FILE_DATA right after their REC_FILE load, in order, with their bytes. */
static void test_file_data_loads(void **state)
{
	struct spec s = {0};
	struct ferry_err e = {{0}};
	struct img_model *m = NULL;
	size_t len;
	build_full(&s);
	add_file_data(&s, 1, 1, "first");
	add_file_data(&s, 1, 7, "second!");
	uint8_t *buf = to_buf(&s, &len);
	assert_int_equal(img_load_buf(buf, len, &m, &e), 0);
	struct img_file_model *f = img_model_file(m, 1);
	assert_non_null(f);
	assert_int_equal(f->ndata, 2);
	assert_true(f->data[0].tag == 1 && f->data[0].len == 5 &&
		    !memcmp(f->data[0].data, "first", 5));
	assert_true(f->data[1].tag == 7 && f->data[1].len == 7 &&
		    !memcmp(f->data[1].data, "second!", 7));
	assert_int_equal(img_model_file(m, 2)->ndata, 0);
	img_model_free(m);
	free(buf);
	spec_free(&s);
}

/* ---- raw byte corruption ---- */

static uint8_t *valid_buf(size_t *len, int small)
{
	struct spec s = {0};
	if (small)
		build_small(&s);
	else
		build_full(&s);
	uint8_t *buf = to_buf(&s, len);
	spec_free(&s);
	return buf;
}

/* Offset of record idx's header (idx -1: the last record). */
static size_t rec_off(const uint8_t *buf, size_t len, int idx)
{
	size_t off = sizeof(struct img_header), last = off;
	for (int i = 0; off < len && (idx < 0 || i < idx); i++) {
		struct img_rec_hdr h;
		memcpy(&h, buf + off, sizeof(h));
		last = off;
		off += sizeof(h) + h.len;
	}
	return idx < 0 ? last : off;
}

static void reseal(uint8_t *buf, size_t off)
{
	struct img_rec_hdr h;
	memcpy(&h, buf + off, sizeof(h));
	h.csum = img_csum(buf + off + sizeof(h), h.len);
	memcpy(buf + off, &h, sizeof(h));
}

static void expect_load(const uint8_t *buf, size_t len, int want, const char *detail)
{
	struct ferry_err e = {{0}};
	struct img_model *m = NULL;
	int r = img_load_buf(buf, len, &m, &e);
	if (r != want || (detail && !strstr(e.msg, detail)))
		fail_msg("r=%d detail \"%s\", wanted %d \"%s\"", r, e.msg, want, detail);
	if (r == 0)
		img_model_free(m);
}

/* The record checksum (AVX2 when the CPU has it) gives libxxhash's own XXH3-64 values, for
 * every length class of XXH3 and for a split at every position of a short record. */
static void test_csum_is_xxh3(void **state)
{
	static const size_t lens[] = {0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 4096, 65537};
	uint8_t *b = malloc(65537);
	assert_non_null(b);
	for (size_t i = 0; i < 65537; i++)
		b[i] = (uint8_t)(i * 2654435761u >> 13);
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		assert_int_equal(img_csum(b, lens[i]), XXH3_64bits(b, lens[i]));
		assert_int_equal(img_csum_avx2(b, lens[i]), XXH3_64bits(b, lens[i]));
	}
	for (size_t cut = 0; cut <= 300; cut++)
		assert_int_equal(img_csum2(b, cut, b + cut, 300 - cut), XXH3_64bits(b, 300));
	assert_int_equal(img_csum2(b, 40, b + 40, 65497), XXH3_64bits(b, 65537));
	free(b);
}

/* A mapped file's content hash is XXH3-64 of its first MiB, or of all of it when smaller. */
static void test_file_hash(void **state)
{
	static const size_t sizes[] = {
		0, 1, 4096, 100000, IMG_FILE_HASH_MAX, IMG_FILE_HASH_MAX + 4097};
	size_t max = IMG_FILE_HASH_MAX + 4097;
	uint8_t *b = malloc(max);
	char path[128];
	assert_non_null(b);
	for (size_t i = 0; i < max; i++)
		b[i] = (uint8_t)(i * 2246822519u >> 11);
	tmp_path(path, sizeof(path), "hashed");
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, b, sizes[i]), (ssize_t)sizes[i]);
		uint64_t h = 0;
		assert_int_equal(img_file_hash(fd, sizes[i], &h), 0);
		size_t n = sizes[i] < IMG_FILE_HASH_MAX ? sizes[i] : IMG_FILE_HASH_MAX;
		assert_int_equal(h, XXH3_64bits(b, n));
		close(fd);
	}
	assert_int_equal(unlink(path), 0);
	free(b);
}

static void test_corrupt_header(void **state)
{
	size_t len;
	uint8_t *buf = valid_buf(&len, 1);
	struct img_header h;

	expect_load(buf, len, 0, NULL);
	memcpy(&h, buf, sizeof(h));
	buf[0] = 'X';
	expect_load(buf, len, -EBADMSG, "bad magic");
	buf[0] = 'F';
	((struct img_header *)buf)->version = IMG_VERSION + 1;
	char want[64];
	snprintf(want, sizeof(want), "version %u unsupported", IMG_VERSION + 1);
	expect_load(buf, len, -EBADMSG, want);
	memcpy(buf, &h, sizeof(h));
	((struct img_header *)buf)->hdr_size = 32;
	expect_load(buf, len, -EBADMSG, "header size 32");
	memcpy(buf, &h, sizeof(h));
	((struct img_header *)buf)->flags = 1;
	expect_load(buf, len, -EBADMSG, "flags 0x1");
	memcpy(buf, &h, sizeof(h));
	expect_load(buf, len, 0, NULL);
	expect_load(NULL, 0, -EBADMSG, NULL);
	free(buf);
}

static void test_corrupt_checksum(void **state)
{
	size_t len;
	uint8_t *buf = valid_buf(&len, 0);
	size_t off = rec_off(buf, len, 5) + sizeof(struct img_rec_hdr) + 3;

	buf[off] ^= 0x40;
	expect_load(buf, len, -EBADMSG, "checksum mismatch");
	buf[off] ^= 0x40;
	off = rec_off(buf, len, 2);
	struct img_rec_hdr h;
	memcpy(&h, buf + off, sizeof(h));
	h.csum ^= 1;
	memcpy(buf + off, &h, sizeof(h));
	expect_load(buf, len, -EBADMSG, "REC_THREAD at offset");
	free(buf);
}

/* Records sit at unaligned offsets: headers are edited through copies. */
static void set_hdr(uint8_t *buf, size_t off, const struct img_rec_hdr *base, uint32_t type,
		    uint32_t pad, uint64_t len)
{
	struct img_rec_hdr h = *base;
	h.type = type;
	h.pad = pad;
	h.len = len;
	memcpy(buf + off, &h, sizeof(h));
}

static void test_corrupt_rec_hdr(void **state)
{
	size_t len;
	uint8_t *buf = valid_buf(&len, 0);
	size_t off = rec_off(buf, len, 3);
	struct img_rec_hdr h;

	memcpy(&h, buf + off, sizeof(h));
	set_hdr(buf, off, &h, 99, 0, h.len);
	expect_load(buf, len, -EBADMSG, "type 99 unknown");
	set_hdr(buf, off, &h, 0, 0, h.len);
	expect_load(buf, len, -EBADMSG, "type 0 unknown");
	set_hdr(buf, off, &h, h.type, 1, h.len);
	expect_load(buf, len, -EBADMSG, "pad not zero");
	set_hdr(buf, off, &h, h.type, 0, IMG_MAX_META_REC + 1);
	expect_load(buf, len, -E2BIG, "above");
	set_hdr(buf, off, &h, h.type, 0, UINT64_MAX);
	expect_load(buf, len, -E2BIG, NULL);
	set_hdr(buf, off, &h, h.type, 0, len); /* within the limit but past the end */
	expect_load(buf, len, -EBADMSG, "truncated");
	set_hdr(buf, off, &h, h.type, 0, h.len);
	expect_load(buf, len, 0, NULL);
	free(buf);
}

static void set_end(uint8_t *buf, size_t off, uint64_t nrecords, uint64_t page_bytes)
{
	struct img_end e = {nrecords, page_bytes};
	memcpy(buf + off + sizeof(struct img_rec_hdr), &e, sizeof(e));
	reseal(buf, off);
}

static void test_corrupt_end(void **state)
{
	size_t len;
	uint8_t *buf = valid_buf(&len, 0);
	size_t end = rec_off(buf, len, -1);
	struct img_rec_hdr h;
	struct img_end saved;

	memcpy(&h, buf + end, sizeof(h));
	memcpy(&saved, buf + end + sizeof(h), sizeof(saved));
	assert_int_equal(h.type, REC_END);
	expect_load(buf, end, -EBADMSG, "no REC_END");
	set_end(buf, end, saved.nrecords + 1, saved.page_bytes);
	expect_load(buf, len, -EBADMSG, "REC_END: nrecords");
	set_end(buf, end, saved.nrecords, saved.page_bytes + 4096);
	expect_load(buf, len, -EBADMSG, "REC_END: page_bytes");
	set_end(buf, end, saved.nrecords, saved.page_bytes);
	expect_load(buf, len, 0, NULL);

	uint8_t *more = malloc(len + 100);
	memcpy(more, buf, len);
	memset(more + len, 0, 100);
	expect_load(more, len + 1, -EBADMSG, "1 bytes of trailing data");
	/* a second, otherwise valid REC_END after the first */
	memcpy(more + len, buf + end, len - end);
	expect_load(more, len + (len - end), -EBADMSG, "trailing data after REC_END");
	free(more);
	free(buf);
}

/* Map [writable pages][PROT_NONE page] and copy len bytes flush against the guard. */
struct guard {
	uint8_t *map;
	size_t size;
	uint8_t *limit;
};

static void guard_init(struct guard *g, size_t len)
{
	size_t data = (len + 4095) & ~4095UL;
	g->size = data + 4096;
	g->map = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + data, 4096, PROT_NONE), 0);
	g->limit = g->map + data;
}

static const uint8_t *guard_put(struct guard *g, const uint8_t *buf, size_t len)
{
	memcpy(g->limit - len, buf, len);
	return g->limit - len;
}

static void test_guard_page(void **state)
{
	struct spec s = {0};
	struct ferry_err e = {{0}};
	struct img_model *m = NULL;
	struct guard g;
	size_t len;

	build_full(&s);
	uint8_t *buf = to_buf(&s, &len);
	guard_init(&g, len);
	assert_int_equal(img_load_buf(guard_put(&g, buf, len), len, &m, &e), 0);
	check_full(m, &s, len);
	img_model_free(m);
	munmap(g.map, g.size);
	free(buf);
	spec_free(&s);
}

static void test_truncation(void **state)
{
	struct guard g;
	size_t len;
	uint8_t *buf = valid_buf(&len, 1);

	guard_init(&g, len);
	for (size_t k = 0; k < len; k++) {
		struct ferry_err e = {{0}};
		struct img_model *m = NULL;
		int r = img_load_buf(guard_put(&g, buf, k), k, &m, &e);
		if (r != -EBADMSG || !e.msg[0] || m)
			fail_msg("prefix %zu: r=%d detail \"%s\"", k, r, e.msg);
	}
	expect_load(guard_put(&g, buf, len), len, 0, NULL);
	munmap(g.map, g.size);
	free(buf);
}

/* ---- writer behaviour ---- */

static void test_dir_stale_partial(void **state)
{
	struct spec s = {0};
	struct ferry_err e = {{0}};
	struct img_writer *w = NULL;
	struct img_model *m = NULL;
	char dir[128];

	tmp_path(dir, sizeof(dir), "stale");
	assert_int_equal(mkdir(dir, 0700), 0);
	write_file(dir, IMG_PARTIAL_NAME, "half an image from a crashed dump");
	assert_int_equal(img_load_dir(dir, &m, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "no image"));
	build_small(&s);
	assert_int_equal(img_writer_open_dir(dir, &w, &e), 0);
	assert_int_equal(write_spec(w, &s, &e), 0);
	img_writer_free(w);
	assert_int_equal(img_load_dir(dir, &m, &e), 0);
	assert_int_equal(m->nprocs, 1);
	assert_int_equal(m->procs[0].threads[0].t.tid, 100);
	img_model_free(m);
	spec_free(&s);
}

static void test_dir_not_empty(void **state)
{
	struct ferry_err e = {{0}};
	struct img_writer *w = NULL;
	char dir[128];

	tmp_path(dir, sizeof(dir), "full");
	assert_int_equal(mkdir(dir, 0700), 0);
	write_file(dir, "notes.txt", "x");
	assert_int_equal(img_writer_open_dir(dir, &w, &e), -EEXIST);
	assert_null(w);
	assert_non_null(strstr(e.msg, dir));
	assert_non_null(strstr(e.msg, "notes.txt"));
	assert_true(exists_at(dir, "notes.txt"));

	/* an existing image is refused too */
	struct spec s = {0};
	tmp_path(dir, sizeof(dir), "done");
	build_small(&s);
	assert_int_equal(img_writer_open_dir(dir, &w, &e), 0);
	assert_int_equal(write_spec(w, &s, &e), 0);
	img_writer_free(w);
	w = NULL;
	memset(&e, 0, sizeof(e));
	assert_int_equal(img_writer_open_dir(dir, &w, &e), -EEXIST);
	assert_non_null(strstr(e.msg, IMG_FILE_NAME));
	spec_free(&s);
}

static void test_dir_abandon(void **state)
{
	struct ferry_err e = {{0}};
	struct img_writer *w = NULL;
	char dir[128];
	struct spec s = {0};

	build_small(&s);
	tmp_path(dir, sizeof(dir), "abandon-new");
	assert_int_equal(img_writer_open_dir(dir, &w, &e), 0);
	assert_int_equal(img_writer_add(w, REC_INFO, s.r[0].head, s.r[0].hlen, NULL, 0), 0);
	img_writer_free(w);
	assert_int_equal(access(dir, F_OK), -1); /* the writer made it, the writer removed it */

	tmp_path(dir, sizeof(dir), "abandon-old");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(img_writer_open_dir(dir, &w, &e), 0);
	img_writer_free(w);
	assert_int_equal(access(dir, F_OK), 0);
	assert_false(exists_at(dir, IMG_PARTIAL_NAME));
	spec_free(&s);
}

static void test_writer_errors(void **state)
{
	struct ferry_err e = {{0}};
	struct img_writer *w = NULL;
	static uint8_t big[512 << 10];
	struct img_pages pg = {.pid = 100, .npages = sizeof(big) / 4096};

	assert_int_equal(img_writer_open_fd(-1, &w, &e), -EBADF);
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(img_writer_open_fd(fd, &w, &e), 0);
	assert_int_equal(img_writer_add(w, REC_PAGES, &pg, sizeof(pg), big, sizeof(big)), -ENOSPC);
	assert_int_equal(img_writer_add(w, REC_FD, &pg, 16, NULL, 0), -ENOSPC); /* sticky */
	memset(&e, 0, sizeof(e));
	assert_int_equal(img_writer_commit(w, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "writing the image"));
	img_writer_free(w);
	close(fd);

	fd = memfd_create("img", MFD_CLOEXEC);
	assert_int_equal(img_writer_open_fd(fd, &w, &e), 0);
	assert_int_equal(img_writer_add(w, REC_END, &pg, 16, NULL, 0), -EINVAL);
	img_writer_free(w);
	assert_int_equal(img_writer_open_fd(fd, &w, &e), 0);
	assert_int_equal(img_writer_add(w, REC_FD, big, IMG_MAX_META_REC, big, 1), -E2BIG);
	img_writer_free(w);
	assert_int_equal(img_writer_open_fd(fd, &w, &e), 0);
	assert_int_equal(img_writer_add(w, 0, big, 4, NULL, 0), -EINVAL);
	img_writer_free(w);
	close(fd);
}

struct drain {
	int fd;
	uint8_t *buf;
	size_t len;
};

/* Reader thread: empties the pipe slowly so the writer meets EAGAIN and short writes. */
static void *drain_pipe(void *arg)
{
	struct drain *d = arg;
	size_t cap = 1 << 20;

	d->buf = malloc(cap);
	for (;;) {
		if (d->len == cap)
			d->buf = realloc(d->buf, cap *= 2);
		ssize_t k = read(d->fd, d->buf + d->len, cap - d->len);
		if (k < 0 && errno == EAGAIN) {
			usleep(500);
			continue;
		}
		if (k <= 0)
			break;
		d->len += k;
	}
	return NULL;
}

static void test_writer_pipe(void **state)
{
	struct spec s = {0};
	struct ferry_err e = {{0}};
	struct img_writer *w = NULL;
	struct img_model *m = NULL;
	int p[2];
	pthread_t th;

	build_full(&s);
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	struct drain d = {.fd = p[0]};
	assert_int_equal(pthread_create(&th, NULL, drain_pipe, &d), 0);
	assert_int_equal(img_writer_open_fd(p[1], &w, &e), 0);
	assert_int_equal(write_spec(w, &s, &e), 0);
	img_writer_free(w);
	close(p[1]);
	assert_int_equal(pthread_join(th, NULL), 0);
	close(p[0]);
	assert_int_equal(img_load_buf(d.buf, d.len, &m, &e), 0);
	check_full(m, &s, d.len);
	img_model_free(m);
	free(d.buf);
	spec_free(&s);
}

/* ---- page records through the writer thread, big records checksummed after the walk ---- */

#define BIG_RECS  20
#define BIG_PAGES 512 /* 2 MiB each: 40 MiB in all, enough for the loader's second thread */

static void build_big(struct spec *s)
{
	build_small(s);
	add_vma(s, VMA_ANON_PRIVATE, 0x10000000, 0x10000000 + BIG_RECS * BIG_PAGES * 4096ULL, NULL);
	for (int i = 0; i < BIG_RECS; i++)
		add_pages(s, 100, 0, 0x10000000 + i * BIG_PAGES * 4096ULL, BIG_PAGES);
}

/* Like write_spec, but page records go through img_writer_page_buf/img_writer_add_pages. */
static int write_spec_paged(struct img_writer *w, struct spec *s, struct ferry_err *e)
{
	for (size_t i = 0; i < s->n; i++) {
		struct rec *r = &s->r[i];
		uint8_t *buf;
		int k;
		if (r->type != REC_PAGES) {
			k = img_writer_add(w, r->type, r->head, r->hlen, r->data, r->dlen);
		} else if ((k = img_writer_page_buf(w, &buf)) == 0) {
			memcpy(buf, r->data, r->dlen);
			k = img_writer_add_pages(w, r->head, buf, r->dlen);
		}
		if (k < 0)
			return k;
	}
	return img_writer_commit(w, e);
}

/* A sink collecting the stream in memory; fail_after > 0 makes it fail once that many bytes
 * have gone through. Calls must never overlap (the writer's contract). */
struct mem_sink {
	uint8_t *buf;
	size_t len, cap, fail_after;
	int busy, calls;
};

static int mem_sink(void *ud, const void *p, size_t n)
{
	struct mem_sink *m = ud;
	assert_int_equal(__atomic_exchange_n(&m->busy, 1, __ATOMIC_ACQ_REL), 0);
	assert_true(n > 0);
	m->calls++;
	if (m->fail_after && m->len + n > m->fail_after) {
		__atomic_store_n(&m->busy, 0, __ATOMIC_RELEASE);
		return -EPIPE;
	}
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		m->buf = realloc(m->buf, m->cap);
		assert_non_null(m->buf);
	}
	memcpy(m->buf + m->len, p, n);
	m->len += n;
	__atomic_store_n(&m->busy, 0, __ATOMIC_RELEASE);
	return 0;
}

/* The stream through a callback: the same image as in a file, page records included; a sink
 * failing in the middle of the pages fails the commit with its error and the detail. */
static void test_writer_sink(void **state)
{
	struct spec s = {0};
	struct ferry_err e = {{0}};
	struct img_writer *w = NULL;
	struct img_model *m = NULL;
	struct mem_sink ms = {0};

	build_big(&s);
	assert_int_equal(img_writer_open_sink(mem_sink, &ms, &w, &e), 0);
	assert_int_equal(write_spec_paged(w, &s, &e), 0);
	assert_int_equal(img_writer_bytes(w), ms.len);
	img_writer_free(w);
	assert_true(ms.calls > BIG_RECS);
	assert_int_equal(img_load_buf(ms.buf, ms.len, &m, &e), 0);
	struct img_proc_model *p = img_model_proc(m, 100);
	assert_non_null(p);
	assert_int_equal(p->nruns, BIG_RECS);
	for (int i = 0; i < BIG_RECS; i++)
		assert_memory_equal(p->runs[i].data, nth_rec(&s, REC_PAGES, i)->data,
				    BIG_PAGES * 4096);
	img_model_free(m);

	size_t full = ms.len;
	ms.len = 0;
	ms.fail_after = full / 2;
	assert_int_equal(img_writer_open_sink(mem_sink, &ms, &w, &e), 0);
	assert_int_equal(write_spec_paged(w, &s, &e), -EPIPE);
	assert_int_equal(img_writer_commit(w, &e), -EPIPE); /* sticky, with its detail */
	assert_non_null(strstr(e.msg, "Broken pipe"));
	img_writer_free(w);
	assert_true(ms.len <= full / 2);
	free(ms.buf);
	spec_free(&s);
}

static void test_pages_threaded(void **state)
{
	struct spec s = {0};
	struct ferry_err e = {{0}};
	struct img_writer *w = NULL;
	struct img_model *m = NULL;
	char dir[128], path[160];

	tmp_path(dir, sizeof(dir), "big");
	build_big(&s);
	assert_int_equal(img_writer_open_dir(dir, &w, &e), 0);
	assert_int_equal(write_spec_paged(w, &s, &e), 0);
	img_writer_free(w);
	assert_int_equal(img_load_dir(dir, &m, &e), 0);
	struct img_proc_model *p = img_model_proc(m, 100);
	assert_non_null(p);
	assert_int_equal(p->nruns, BIG_RECS);
	for (int i = 0; i < BIG_RECS; i++)
		assert_memory_equal(p->runs[i].data, nth_rec(&s, REC_PAGES, i)->data,
				    BIG_PAGES * 4096);
	img_model_free(m);

	/* one flipped bit in the data of a late page record: the deferred check names it */
	snprintf(path, sizeof(path), "%s/%s", dir, IMG_FILE_NAME);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *buf = malloc(st.st_size);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, st.st_size, 0), st.st_size);
	close(fd);
	int idx = 4 + 17; /* REC_INFO, REC_PROC, REC_THREAD, REC_VMA, then the pages */
	size_t off = rec_off(buf, st.st_size, idx);
	char want[64];
	snprintf(want, sizeof(want), "REC_PAGES at offset %zu: checksum mismatch", off);
	buf[off + sizeof(struct img_rec_hdr) + sizeof(struct img_pages) + 100000] ^= 0x08;
	expect_load(buf, st.st_size, -EBADMSG, want);
	free(buf);
	spec_free(&s);
}

static void test_record_names(void **state)
{
	assert_string_equal(img_record_name(REC_VMA), "REC_VMA");
	assert_string_equal(img_record_name(REC_END), "REC_END");
	assert_string_equal(img_record_name(0), "REC_UNKNOWN");
	assert_string_equal(img_record_name(REC_TYPE_MAX), "REC_UNKNOWN");
	struct ferry_err e = {{0}};
	assert_int_equal(img_record_validate(REC_TYPE_MAX, "", 0, &e), -EBADMSG);
	assert_int_equal(img_record_validate(REC_END, NULL, 16, &e), -EBADMSG);
}

/* ---- seeds for the fuzzer ---- */

static int emit_seeds(const char *dir)
{
	static const char *const names[] = {"full.img", "small.img"};
	for (int small = 0; small < 2; small++) {
		size_t len;
		uint8_t *buf = valid_buf(&len, small);
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, names[small]);
		FILE *f = fopen(p, "w");
		if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
			perror(p);
			return 1;
		}
		free(buf);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--seed"))
		return emit_seeds(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_dir),	 cmocka_unit_test(test_roundtrip_buf),
		cmocka_unit_test(test_reject_info),	 cmocka_unit_test(test_reject_proc),
		cmocka_unit_test(test_reject_thread),	 cmocka_unit_test(test_reject_vma),
		cmocka_unit_test(test_reject_pages),	 cmocka_unit_test(test_reject_shm),
		cmocka_unit_test(test_reject_file_fd),	 cmocka_unit_test(test_reject_misc),
		cmocka_unit_test(test_reject_tree),	 cmocka_unit_test(test_corrupt_header),
		cmocka_unit_test(test_corrupt_checksum), cmocka_unit_test(test_corrupt_rec_hdr),
		cmocka_unit_test(test_corrupt_end),	 cmocka_unit_test(test_guard_page),
		cmocka_unit_test(test_truncation),	 cmocka_unit_test(test_dir_stale_partial),
		cmocka_unit_test(test_dir_not_empty),	 cmocka_unit_test(test_dir_abandon),
		cmocka_unit_test(test_writer_errors),	 cmocka_unit_test(test_writer_pipe),
		cmocka_unit_test(test_record_names),	 cmocka_unit_test(test_pages_threaded),
		cmocka_unit_test(test_reject_file_data), cmocka_unit_test(test_file_data_loads),
		cmocka_unit_test(test_stream_load),	 cmocka_unit_test(test_stream_cut_or_long),
		cmocka_unit_test(test_csum_is_xxh3),	 cmocka_unit_test(test_writer_sink),
		cmocka_unit_test(test_file_hash),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}

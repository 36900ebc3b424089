/* SPDX-License-Identifier: MIT */
/* Unit tests for the validate() of every file kind of src/res/ this tree adds (pipe, FIFO,
 * eventfd, signalfd, timerfd, epoll, inotify, pidfd, memfd, deleted files): the image is untrusted,
 * so a valid baseline must pass and each single corruption of a record must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>

#include "res/content.h"
#include "res/locks.h"
#include "res/pipe.h"
#include "res/res.h"

extern const struct res_file_ops res_reg, res_dir, res_pipe, res_fifo, res_eventfd, res_signalfd,
	res_timerfd, res_epoll, res_inotify, res_pidfd, res_memfd, res_unlinked;

/* A model: process 100 with fds 3 -> file 1 and 4 -> file 2, a VMA_SHM at 0x90000 of memfd shm 1
 * named "x"; files[0] (id 1) is the file under test, files[1] (id 2) a second one. */
static struct img_model m;
static struct img_proc_model proc;
static struct img_fd fds[2] = {{100, 3, 1, 0}, {100, 4, 2, 0}};
static struct img_vma_model vma;
static struct img_shm_model shm;
static struct img_file_model files[2];
static struct img_data data[2][8];
static uint8_t bytes[2][8][512];

static void reset(uint32_t kind, uint32_t flags, const char *path)
{
	memset(&m, 0, sizeof(m));
	memset(files, 0, sizeof(files));
	memset(bytes, 0, sizeof(bytes));
	proc = (struct img_proc_model){
		.p.pid = 100, .nfds = 2, .fds = fds, .nvmas = 1, .vmas = &vma};
	vma = (struct img_vma_model){
		.v = {.pid = 100, .kind = VMA_SHM, .start = 0x90000, .end = 0x92000, .shm_id = 1}};
	shm = (struct img_shm_model){.s = {.id = 1, .kind = SHM_MEMFD, .size = 8192}};
	strcpy(shm.s.name, "x");
	for (int i = 0; i < 2; i++)
		files[i] = (struct img_file_model){
			.f = {.id = i + 1, .kind = kind, .flags = flags, .dev = 7, .ino = 99},
			.path = (char *)path,
			.data = data[i]};
	m.nprocs = 1;
	m.procs = &proc;
	m.nfiles = 2;
	m.files = files;
	m.nshms = 1;
	m.shms = &shm;
}

/* Append a record (tag, len bytes copied from p) to files[i]; returns its bytes for editing. */
static uint8_t *rec(int i, uint32_t tag, const void *p, size_t len)
{
	struct img_file_model *f = &files[i];
	assert_true(f->ndata < 8 && len <= sizeof(bytes[0][0]));
	uint8_t *b = bytes[i][f->ndata];
	memcpy(b, p, len);
	data[i][f->ndata] = (struct img_data){tag, 0, b, len};
	f->ndata++;
	return b;
}

static int check(const struct res_file_ops *o)
{
	struct ferry_err e = {{0}};
	int r = o->validate(&m, &files[0], &e);
	if (r < 0 && !e.msg[0])
		fail_msg("%s: refused without a detail", o->name);
	return r;
}

#define OK(o)  assert_int_equal(check(&(o)), 0)
#define BAD(o) assert_int_equal(check(&(o)), -EBADMSG)

/* ---- pipe / FIFO ---- */

static struct res_pipe_info pinfo(void)
{
	return (struct res_pipe_info){.pipe_size = 65536, .noutside = 1, .outside = {{55, 3}}};
}

static void pipe_base(uint32_t kind)
{
	struct res_pipe_info pi = pinfo();
	reset(kind, O_RDONLY, "pipe:[99]");
	rec(0, PIPE_TAG_INFO, &pi, sizeof(pi));
	rec(0, PIPE_TAG_DATA, "hello", 5);
}

static void test_pipe(void **state)
{
	const struct res_file_ops *kinds[] = {&res_pipe, &res_fifo};
	for (int k = 0; k < 2; k++) {
		const struct res_file_ops *o = kinds[k];
		uint32_t kind = o->kind;
		struct res_pipe_info *pi;
		pipe_base(kind), assert_int_equal(check(o), 0);
		pipe_base(kind), files[0].f.flags = O_RDONLY | O_APPEND,
				 assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), files[0].f.flags = 3, assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), pi = (void *)bytes[0][0], pi->pipe_size = 1000,
				 assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), pi = (void *)bytes[0][0], pi->pipe_size = 3 << 12,
				 assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), pi = (void *)bytes[0][0], pi->pipe_size = 128 << 20,
				 assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), pi = (void *)bytes[0][0], pi->noutside = 5,
				 assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), pi = (void *)bytes[0][0], pi->outside[0].pid = 0,
				 assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), pi = (void *)bytes[0][0], pi->outside[0].fd = -1,
				 assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), pi = (void *)bytes[0][0], pi->outside[2].fd = 1,
				 assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), data[0][0].len = 7, assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), data[0][1].len = 65537, assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), data[0][1].len = 0, assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), data[0][1].tag = PIPE_TAG_INFO,
				 assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), rec(0, 9, "x", 1), assert_int_equal(check(o), -EBADMSG);
		pipe_base(kind), files[0].ndata = 0, assert_int_equal(check(o), -EBADMSG);
		/* two files of one pipe must not both carry its bytes */
		struct res_pipe_info p2 = pinfo();
		pipe_base(kind), rec(1, PIPE_TAG_INFO, &p2, sizeof(p2)),
			assert_int_equal(check(o), 0);
		rec(1, PIPE_TAG_DATA, "x", 1), assert_int_equal(check(o), -EBADMSG);
	}
}

/* ---- eventfd / signalfd ---- */

struct evstate {
	uint64_t count;
	uint32_t sem, pad;
};

static struct evstate *ev_base(void)
{
	struct evstate s = {5, 1, 0};
	reset(FILE_EVENTFD, O_RDWR | O_NONBLOCK, "anon_inode:[eventfd]");
	return (struct evstate *)rec(0, 1, &s, sizeof(s));
}

static void test_eventfd(void **state)
{
	ev_base(), OK(res_eventfd);
	ev_base()->count = ~0ULL, BAD(res_eventfd);
	ev_base()->sem = 2, BAD(res_eventfd);
	ev_base()->pad = 1, BAD(res_eventfd);
	ev_base(), files[0].f.flags = O_RDONLY, BAD(res_eventfd);
	ev_base(), files[0].f.flags = O_RDWR | O_APPEND, BAD(res_eventfd);
	ev_base(), rec(0, 1, bytes[0][0], sizeof(struct evstate)), BAD(res_eventfd); /* two */
	ev_base(), data[0][0].len = 12, BAD(res_eventfd);
	ev_base(), data[0][0].tag = 2, BAD(res_eventfd);
	reset(FILE_EVENTFD, O_RDWR, ""), BAD(res_eventfd);
}

static void test_signalfd(void **state)
{
	uint64_t mask = 1ULL << 9, kill = 1ULL << 8, stop = 1ULL << 18;
	reset(FILE_SIGNALFD, O_RDWR, ""), rec(0, 1, &mask, 8), OK(res_signalfd);
	reset(FILE_SIGNALFD, O_RDWR, ""), rec(0, 1, &kill, 8), BAD(res_signalfd);
	reset(FILE_SIGNALFD, O_RDWR, ""), rec(0, 1, &stop, 8), BAD(res_signalfd);
	reset(FILE_SIGNALFD, O_RDWR, ""), rec(0, 1, &mask, 4), BAD(res_signalfd);
	reset(FILE_SIGNALFD, O_WRONLY, ""), rec(0, 1, &mask, 8), BAD(res_signalfd);
	reset(FILE_SIGNALFD, O_RDWR, ""), rec(0, 2, &mask, 8), BAD(res_signalfd);
}

/* ---- timerfd ---- */

struct tstate {
	int32_t clockid;
	uint32_t flags;
	uint64_t ticks;
	int64_t value, interval, deadline;
};

static void timer_with(struct tstate t)
{
	reset(FILE_TIMERFD, O_RDWR, "anon_inode:[timerfd]");
	rec(0, 1, &t, sizeof(t));
}

static void test_timerfd(void **state)
{
	const int ABS = TFD_TIMER_ABSTIME, CANCEL = TFD_TIMER_CANCEL_ON_SET;
	timer_with((struct tstate){1, 0, 3, 100, 50, 0}), OK(res_timerfd);
	timer_with((struct tstate){0, ABS | CANCEL, 0, 100, 0, 12345}), OK(res_timerfd);
	timer_with((struct tstate){3, 0, 0, 100, 0, 0}), BAD(res_timerfd); /* CPU clock */
	timer_with((struct tstate){1, CANCEL, 0, 100, 0, 0}), BAD(res_timerfd);
	timer_with((struct tstate){1, ABS | CANCEL, 0, 100, 0, 5}), BAD(res_timerfd);
	timer_with((struct tstate){1, 4, 0, 100, 0, 0}), BAD(res_timerfd);
	timer_with((struct tstate){1, 0, 0, -1, 0, 0}), BAD(res_timerfd);
	timer_with((struct tstate){1, 0, 0, 1, -1, 0}), BAD(res_timerfd);
	timer_with((struct tstate){1, 0, 0, 1, 0, 9}), BAD(res_timerfd);   /* deadline, relative */
	timer_with((struct tstate){0, ABS, 0, 0, 0, 9}), BAD(res_timerfd); /* deadline, disarmed */
	timer_with((struct tstate){1, 0, 0, 1, 0, 0}), data[0][0].len--, BAD(res_timerfd);
	timer_with((struct tstate){1, 0, 0, 1, 0, 0}), files[0].f.flags = O_RDWR | O_APPEND,
						       BAD(res_timerfd);
}

/* ---- epoll ---- */

struct ereg {
	uint32_t pid;
	int32_t tfd;
	uint32_t events, pad;
	uint64_t data;
};

static void epoll_with(struct ereg g)
{
	reset(FILE_EPOLL, O_RDWR, "anon_inode:[eventpoll]");
	rec(0, 1, &g, sizeof(g));
}

static void test_epoll(void **state)
{
	epoll_with((struct ereg){100, 4, EPOLLIN | EPOLLET, 0, 7}), OK(res_epoll);
	reset(FILE_EPOLL, O_RDWR, ""), OK(res_epoll); /* an empty set has no record */
	epoll_with((struct ereg){101, 4, EPOLLIN, 0, 7}), BAD(res_epoll); /* no such process */
	epoll_with((struct ereg){100, 9, EPOLLIN, 0, 7}), BAD(res_epoll); /* no such fd */
	epoll_with((struct ereg){100, -1, EPOLLIN, 0, 7}), BAD(res_epoll);
	epoll_with((struct ereg){100, 4, EPOLLIN, 1, 7}), BAD(res_epoll);  /* pad */
	epoll_with((struct ereg){100, 4, 1u << 20, 0, 7}), BAD(res_epoll); /* unknown event */
	epoll_with((struct ereg){100, 4, EPOLLIN, 0, 7}), data[0][0].len = 23, BAD(res_epoll);
	epoll_with((struct ereg){100, 4, EPOLLIN, 0, 7}), data[0][0].len = 0, BAD(res_epoll);
	epoll_with((struct ereg){100, 4, EPOLLIN, 0, 7}), files[0].f.flags = O_RDONLY,
							  BAD(res_epoll);
	epoll_with((struct ereg){100, 4, EPOLLIN, 0, 7}), rec(0, 2, "x", 1), BAD(res_epoll);
	/* the registering process must hold the epoll itself */
	epoll_with((struct ereg){100, 4, EPOLLIN, 0, 7}), files[0].f.id = 5, BAD(res_epoll);
}

/* ---- inotify ---- */

struct irec {
	uint32_t wd, mask;
	uint64_t dev, ino;
	uint32_t path_len, pad;
	char path[16];
};

static uint8_t *watch_n(int wd, uint32_t mask, const char *path, size_t len)
{
	struct irec r = {wd, mask, 7, 9, (uint32_t)len, 0, ""};
	memcpy(r.path, path, len);
	return rec(0, 1, &r, offsetof(struct irec, path) + len);
}

static uint8_t *watch(int wd, uint32_t mask, const char *path)
{
	return watch_n(wd, mask, path, strlen(path));
}

static void ino_base(void)
{
	reset(FILE_INOTIFY, O_RDONLY | O_NONBLOCK, "anon_inode:inotify");
	watch(1, IN_CREATE, "/tmp");
	watch(3, IN_MODIFY | IN_ONESHOT, "/tmp/f");
}

static void test_inotify(void **state)
{
	ino_base(), OK(res_inotify);
	reset(FILE_INOTIFY, O_RDONLY, ""), OK(res_inotify);
	ino_base(), files[0].f.flags = O_RDWR, BAD(res_inotify);
	reset(FILE_INOTIFY, O_RDONLY, ""), watch(0, IN_CREATE, "/tmp"), BAD(res_inotify);
	reset(FILE_INOTIFY, O_RDONLY, ""), watch(2, 1, "/a"), watch(2, 1, "/b"), BAD(res_inotify);
	reset(FILE_INOTIFY, O_RDONLY, ""), watch(2, 1, "/a"), watch(1, 1, "/b"), BAD(res_inotify);
	reset(FILE_INOTIFY, O_RDONLY, ""), watch(1, 0, "/tmp"), BAD(res_inotify);
	reset(FILE_INOTIFY, O_RDONLY, ""), watch(1, IN_ONLYDIR, "/tmp"), BAD(res_inotify);
	reset(FILE_INOTIFY, O_RDONLY, ""), watch(1, 1, "tmp"), BAD(res_inotify);
	reset(FILE_INOTIFY, O_RDONLY, ""), watch_n(1, 1, "/t\0p", 4), BAD(res_inotify);
	reset(FILE_INOTIFY, O_RDONLY, ""), watch(1 << 21, 1, "/tmp"), BAD(res_inotify);
	ino_base(), data[0][1].len--, BAD(res_inotify);
	ino_base(), data[0][1].tag = 2, BAD(res_inotify);
	ino_base(), ((struct irec *)bytes[0][0])->pad = 1, BAD(res_inotify);
	ino_base(), ((struct irec *)bytes[0][0])->path_len = 0, BAD(res_inotify);
}

/* ---- pidfd ---- */

static void test_pidfd(void **state)
{
	uint32_t in = 100, out = 555;
	reset(FILE_PIDFD, O_RDWR, ""), rec(0, 1, &in, 4), OK(res_pidfd);
	reset(FILE_PIDFD, O_RDWR | O_NONBLOCK | O_EXCL, ""), rec(0, 1, &in, 4), OK(res_pidfd);
	reset(FILE_PIDFD, O_RDWR, ""), rec(0, 1, &out, 4), BAD(res_pidfd);
	reset(FILE_PIDFD, O_RDWR, ""), rec(0, 1, &in, 2), BAD(res_pidfd);
	reset(FILE_PIDFD, O_RDONLY, ""), rec(0, 1, &in, 4), BAD(res_pidfd);
	reset(FILE_PIDFD, O_RDWR | O_APPEND, ""), rec(0, 1, &in, 4), BAD(res_pidfd);
	reset(FILE_PIDFD, O_RDWR, ""), BAD(res_pidfd);
}

/* ---- memfd and deleted files: info + content chunks ---- */

struct minfo {
	uint64_t size;
	uint32_t seals, map_pid;
	uint64_t map_addr;
	char name[256];
};

static struct minfo *memfd_base(uint32_t map_pid, int content)
{
	struct minfo mi = {.size = 100, .seals = 3, .map_pid = map_pid};
	strcpy(mi.name, "x");
	mi.map_addr = map_pid ? 0x90000 : 0;
	reset(FILE_MEMFD, O_RDWR, "/memfd:x (deleted)");
	struct minfo *p = (struct minfo *)rec(0, 1, &mi, sizeof(mi));
	if (content) {
		uint8_t chunk[8 + 3] = {10, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c'};
		rec(0, 2, chunk, sizeof(chunk));
	}
	return p;
}

static void test_memfd(void **state)
{
	memfd_base(0, 1), OK(res_memfd);
	memfd_base(100, 0), OK(res_memfd);
	memfd_base(100, 1), BAD(res_memfd); /* mapped: content is in REC_SHM */
	memfd_base(100, 0)->map_addr = 0x91000, BAD(res_memfd);
	memfd_base(101, 0), BAD(res_memfd);
	memfd_base(0, 0)->map_addr = 0x90000, BAD(res_memfd);
	strcpy(memfd_base(100, 0)->name, "y"), BAD(res_memfd); /* not the mapped memfd's name */
	memset(memfd_base(0, 1)->name, 'a', 256), BAD(res_memfd);
	memfd_base(0, 1)->name[200] = 'z', BAD(res_memfd);
	memfd_base(0, 1)->seals = 0x40, BAD(res_memfd);
	memfd_base(0, 1)->size = RES_CONTENT_MAX + 1, BAD(res_memfd);
	memfd_base(0, 1)->size = 12, BAD(res_memfd); /* the chunk ends at 13 */
	memfd_base(0, 1), data[0][1].len = 8, BAD(res_memfd);
	memfd_base(0, 1), rec(0, 2, (uint8_t[9]){0}, 9), BAD(res_memfd); /* out of order */
	memfd_base(0, 1), rec(0, 3, "x", 1), BAD(res_memfd);
	memfd_base(0, 1), files[0].f.flags = O_RDWR | O_DIRECT, BAD(res_memfd);
	memfd_base(0, 1), data[0][0].len--, BAD(res_memfd);
}

struct uinfo {
	uint64_t size;
	uint32_t mode, uid, gid, pad;
};

static struct uinfo *unl_base(const char *path)
{
	struct uinfo ui = {10, 0644, 0, 0, 0};
	reset(FILE_UNLINKED, O_WRONLY | O_APPEND, path);
	struct uinfo *p = (struct uinfo *)rec(0, 1, &ui, sizeof(ui));
	rec(0, 2, (uint8_t[10]){0, 0, 0, 0, 0, 0, 0, 0, 'h', 'i'}, 10);
	return p;
}

static void test_unlinked(void **state)
{
	unl_base("/tmp/a (deleted)"), OK(res_unlinked);
	unl_base("/tmp/a"), BAD(res_unlinked);
	unl_base("tmp/a (deleted)"), BAD(res_unlinked);
	unl_base("/tmp/a (deleted)")->mode = 010644, BAD(res_unlinked);
	unl_base("/tmp/a (deleted)")->pad = 1, BAD(res_unlinked);
	unl_base("/tmp/a (deleted)")->size = 1, BAD(res_unlinked);
	unl_base("/tmp/a (deleted)")->size = (256ULL << 20) + 1, BAD(res_unlinked);
	unl_base("/tmp/a (deleted)"), files[0].f.flags = 3, BAD(res_unlinked);
	unl_base("/tmp/a (deleted)"), files[0].f.flags = O_RDWR | O_ASYNC, BAD(res_unlinked);
	unl_base("/tmp/a (deleted)"), rec(0, 1, bytes[0][0], sizeof(struct uinfo)),
		BAD(res_unlinked);
	unl_base("/tmp/a (deleted)"), rec(0, 7, "x", 1), BAD(res_unlinked);
}

/* ---- file locks on regular files, directories and deleted files ---- */

static struct res_lock_rec *locks_base(uint32_t kind, struct res_lock_rec l)
{
	reset(kind, O_RDWR, kind == FILE_UNLINKED ? "/tmp/a (deleted)" : "/tmp/a");
	if (kind == FILE_UNLINKED) {
		struct uinfo {
			uint64_t size;
			uint32_t mode, uid, gid, pad;
		} ui = {0, 0600, 0, 0, 0};
		rec(0, 1, &ui, sizeof(ui));
	}
	return (struct res_lock_rec *)rec(0, RES_TAG_LOCK, &l, sizeof(l));
}

static void test_locks(void **state)
{
	const struct res_file_ops *kinds[] = {&res_reg, &res_dir, &res_unlinked};
	const struct res_lock_rec flk = {RES_LOCK_FLOCK, 1, 0, 0, 0, -1};
	const struct res_lock_rec posix = {RES_LOCK_POSIX, 0, 100, 0, 10, 29};
	const struct res_lock_rec ofd = {RES_LOCK_OFD, 0, 0, 0, 0, -1};
	for (int k = 0; k < 3; k++) {
		const struct res_file_ops *o = kinds[k];
		uint32_t kind = o->kind;
		locks_base(kind, flk), assert_int_equal(check(o), 0);
		locks_base(kind, posix), assert_int_equal(check(o), 0);
		locks_base(kind, ofd), assert_int_equal(check(o), 0);
		locks_base(kind, flk)->kind = 4, assert_int_equal(check(o), -EBADMSG);
		locks_base(kind, flk)->write = 2, assert_int_equal(check(o), -EBADMSG);
		locks_base(kind, flk)->pad = 1, assert_int_equal(check(o), -EBADMSG);
		locks_base(kind, flk)->start = 5, assert_int_equal(check(o), -EBADMSG);
		locks_base(kind, flk)->pid = 100, assert_int_equal(check(o), -EBADMSG);
		locks_base(kind, ofd)->pid = 100, assert_int_equal(check(o), -EBADMSG);
		locks_base(kind, posix)->pid = 555, assert_int_equal(check(o), -EBADMSG);
		locks_base(kind, posix)->end = 9, assert_int_equal(check(o), -EBADMSG);
		locks_base(kind, posix)->start = -1, assert_int_equal(check(o), -EBADMSG);
		locks_base(kind, posix),
			data[0][files[0].ndata - 1].len = 20, assert_int_equal(check(o), -EBADMSG);
		locks_base(kind, posix), rec(0, RES_TAG_LOCK, &flk, sizeof(flk)),
			assert_int_equal(check(o), -EBADMSG); /* two lock records */
	}
	reset(FILE_REG, O_RDWR, "/tmp/a"), rec(0, 1, "x", 1), BAD(res_reg); /* reg has no tag 1 */
	reset(FILE_REG, O_RDWR, "/tmp/a"), OK(res_reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe),	 cmocka_unit_test(test_eventfd),
		cmocka_unit_test(test_signalfd), cmocka_unit_test(test_timerfd),
		cmocka_unit_test(test_epoll),	 cmocka_unit_test(test_inotify),
		cmocka_unit_test(test_pidfd),	 cmocka_unit_test(test_memfd),
		cmocka_unit_test(test_unlinked), cmocka_unit_test(test_locks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

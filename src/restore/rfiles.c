/* SPDX-License-Identifier: MIT */
/* Files for the restored tree. The restorer opens every open file description of the image
 * once (with its kind's open(), src/res/), at fds table_base + i, before the seeds fork: every seed
 * inherits the table and dup2()s its own fds from it, so a description shared in the image is
 * shared again (same offset). Shared memory objects are created here too and opened by the targets
 * through /proc. */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "res/res.h"
#include "restore/internal.h"

/* Open file f with its kind's open() and put it at fd `at` of the table. */
static int open_one(struct restore_ctx *c, const struct img_file_model *f, int at)
{
	const struct res_file_ops *o = res_file_kind(f->f.kind); /* validated: present */
	int fd = -1;
	int r = o->open(c, f, &fd);
	if (r < 0)
		return r;
	if (fd != at && dup2(fd, at) < 0) {
		r = err_set(c->e, neg_errno(), "file %u (%s): cannot place it in the table: %m",
			    f->f.id, f->path);
		close(fd);
		return r;
	}
	if (fd != at)
		close(fd);
	return 0;
}

static int highest_fd(struct restore_ctx *c)
{
	int max = 2;
	for (size_t i = 0; i < c->m->nprocs; i++)
		for (size_t k = 0; k < c->m->procs[i].nfds; k++)
			if (c->m->procs[i].fds[k].fd > max)
				max = c->m->procs[i].fds[k].fd;
	return max;
}

/* Where the table starts at the earliest (files_open_table) and how many files
 * restore_reserve_fds() makes room for above it. */
#define TABLE_BASE_MIN 1024
#define TABLE_RESERVE  1024

/* Raise our soft RLIMIT_NOFILE to want, or to the hard limit if that is lower. */
static void raise_fd_limit(uint64_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int restore_reserve_fds(void)
{
	int top = TABLE_BASE_MIN + TABLE_RESERVE - 1;
	raise_fd_limit(top + 1);
	int fd = fcntl(0, F_DUPFD_CLOEXEC, top);
	if (fd < 0)
		return neg_errno();
	close(fd);
	return 0;
}

int files_open_table(struct restore_ctx *c)
{
	int need = highest_fd(c) + 1;
	c->table_base = need > TABLE_BASE_MIN ? need : TABLE_BASE_MIN;
	/* Above our own fds too, so dup2 never replaces one of them. */
	int mine = fcntl(0, F_DUPFD_CLOEXEC, c->table_base);
	if (mine >= 0) {
		close(mine);
		c->table_base = mine;
	}
	raise_fd_limit(c->table_base + c->m->nfiles + 4);
	for (size_t i = 0; i < c->m->nfiles; i++) {
		int r = open_one(c, &c->m->files[i], c->table_base + i);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Shared anonymous memory stays "/dev/zero (deleted)": the restorer maps a fresh object, fills
 * it, and the targets open it through /proc/self-of-restorer/map_files. */
static int create_shm_anon(struct restore_ctx *c, const struct img_shm_model *s, size_t idx)
{
	uint8_t *m =
		mmap(NULL, s->s.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return err_set(c->e, neg_errno(), "shared memory object %u (%llu bytes): %m",
			       s->s.id, (unsigned long long)s->s.size);
	for (size_t r = 0; r < s->nruns; r++)
		memcpy(m + s->runs[r].vaddr, s->runs[r].data, s->runs[r].npages * IMG_PAGE);
	c->shm_addr[idx] = (uint64_t)m;
	return 0;
}

static int create_shm(struct restore_ctx *c, const struct img_shm_model *s, size_t idx)
{
	int fd;
	if (s->s.kind == SHM_ANON)
		return create_shm_anon(c, s, idx);
	fd = memfd_create(s->s.name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, s->s.size) < 0)
		return err_set(c->e, neg_errno(), "shared memory object %u (%llu bytes): %m",
			       s->s.id, (unsigned long long)s->s.size);
	for (size_t r = 0; r < s->nruns; r++) {
		const struct img_page_run *run = &s->runs[r];
		if (pwrite(fd, run->data, run->npages * IMG_PAGE, run->vaddr) < 0) {
			int err = neg_errno();
			close(fd);
			return err_set(c->e, err, "filling shared memory object %u: %m", s->s.id);
		}
	}
	c->shm_fds[idx] = fd;
	return 0;
}

int shm_create_all(struct restore_ctx *c)
{
	c->shm_fds = calloc(c->m->nshms + 1, sizeof(int));
	c->shm_addr = calloc(c->m->nshms + 1, sizeof(uint64_t));
	if (!c->shm_fds || !c->shm_addr)
		return -ENOMEM;
	for (size_t i = 0; i < c->m->nshms; i++)
		c->shm_fds[i] = -1;
	for (size_t i = 0; i < c->m->nshms; i++) {
		int r = create_shm(c, &c->m->shms[i], i);
		if (r < 0)
			return r;
	}
	return 0;
}

void files_close_all(struct restore_ctx *c)
{
	if (c->table_base > 0)
		syscall(SYS_close_range, c->table_base, c->table_base + c->m->nfiles, 0);
	for (size_t i = 0; c->shm_fds && i < c->m->nshms; i++) {
		/* Seals go on last: F_SEAL_WRITE is refused while writable mappings exist in us,
		 * and the targets have mapped the object by now. */
		if (c->m->shms[i].s.kind == SHM_MEMFD && c->m->shms[i].s.seals)
			fcntl(c->shm_fds[i], F_ADD_SEALS, c->m->shms[i].s.seals);
		if (c->shm_fds[i] >= 0)
			close(c->shm_fds[i]);
		if (c->shm_addr[i])
			munmap((void *)c->shm_addr[i], c->m->shms[i].s.size);
	}
	free(c->shm_fds);
	free(c->shm_addr);
	c->shm_fds = NULL;
	c->shm_addr = NULL;
}

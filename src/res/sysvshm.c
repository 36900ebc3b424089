/* SPDX-License-Identifier: MIT */
/* SysV shared memory segments used by the tree: every segment a tree process has attached
 * (a "/SYSVkkkkkkkk" mapping, whose inode number is the shmid), and every unattached segment
 * that a tree process created or attached/detached last (shm_cpid / shm_lpid). The dump reads
 * the contents once per segment through its own read-only shmat, and records each attachment
 * (process, address, protection). An attachment must map the whole segment (shmat maps it
 * whole; a partly unmapped or split one is refused, see mem.c).
 *
 * On restore, like sysv.c: an id that still exists with the same key and size is the same
 * segment (it outlived the tree on this host) and is used as it is; a free id is recreated
 * through /proc/sys/kernel/shm_next_id (root only) with the same key, mode, owner and size,
 * filled through ferry's own attachment and SHM_LOCKed if it was; an id held by another
 * segment is refused. Each attachment is re-made by a shmat injected in its process as one of
 * the last syscalls (after the scratch area is gone, so the address is free), making a real
 * SysV attachment (shm_nattch counts it); an unattached segment is attached and detached once
 * by the process that used it, so it is its last user again (shm_lpid) for the next dump. A
 * segment marked for removal (IPC_RMID while attached) is marked again once every process is
 * rebuilt. Not kept: shm_cuid/cgid of a
 * recreated segment (ferry becomes the creator), times, shm_cpid/lpid.
 *
 * Record (REC_TREE_DATA TREE_SYSV_SHM, pid = the first attaching process, else the creator or last
 * user in the tree): struct sysv_shm_seg + nattach times struct sysv_shm_att + size bytes of
 * contents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/remote.h"
#include "dump/internal.h"
#include "res/ipc.h"
#include "res/res.h"
#include "restore/internal.h"

#define SHM_MAX_SEGS 1024

static uint64_t page_round(uint64_t n)
{
	return (n + IMG_PAGE - 1) & ~(IMG_PAGE - 1);
}

static int is_shm_vma(const struct proc_vma *v)
{
	return v->shared && !strncmp(v->path, "/SYSV", 5);
}

/* Called by mem.c for each "/SYSV" mapping: 0 (its pages are not dumped as memory, the
 * segment is), or a refusal naming the pid, range and reason. */
int sysv_shm_check_vma(struct dump_ctx *c, struct dproc *p, const struct proc_vma *v)
{
	struct shmid_ds ds;
	int id = (int)v->ino;
	if (shmctl(id, IPC_STAT, &ds) < 0)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d mapping %#lx-%#lx: SysV shared memory segment %d: cannot "
			       "inspect it: %m",
			       p->pid, (unsigned long)v->start, (unsigned long)v->end, id);
	if (v->pgoff != 0 || v->end - v->start != page_round(ds.shm_segsz))
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d mapping %#lx-%#lx: SysV shared memory segment %d is only "
			       "partly mapped there (split or partly unmapped attachments are not "
			       "supported)",
			       p->pid, (unsigned long)v->start, (unsigned long)v->end, id);
	if (ds.shm_segsz > SYSV_SHM_MAX_SIZE)
		return err_set(c->e, -E2BIG,
			       "pid %d: SysV shared memory segment %d is %lu bytes, above the %lu "
			       "bytes ferry can save",
			       p->pid, id, (unsigned long)ds.shm_segsz, SYSV_SHM_MAX_SIZE);
	return 0;
}

/* ---- dump ---- */

/* Append every attachment of segment id by the tree to *att. */
static int collect_atts(const struct dump_ctx *c, int id, struct sysv_shm_att **att, size_t *n)
{
	size_t cap = 0;
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct dproc *p = &c->procs[i];
		for (size_t j = 0; !p->zombie && j < p->nvmas; j++) {
			const struct proc_vma *v = &p->vmas[j];
			if (!is_shm_vma(v) || (int)v->ino != id)
				continue;
			if (*n == SYSV_SHM_MAX_ATT)
				return -E2BIG;
			struct sysv_shm_att *nb = array_reserve(*att, &cap, *n + 1, sizeof(**att));
			if (!nb)
				return -ENOMEM;
			*att = nb;
			nb[(*n)++] = (struct sysv_shm_att){(uint32_t)p->pid, v->prot, v->start};
		}
	}
	return 0;
}

static int read_contents(struct dump_ctx *c, int id, size_t size, uint8_t **buf)
{
	void *m = shmat(id, NULL, SHM_RDONLY);
	if (m == (void *)-1)
		return err_set(c->e, neg_errno(),
			       "SysV shared memory segment %d: cannot attach it to read it: %m",
			       id);
	*buf = malloc(size ? size : 1);
	if (*buf)
		memcpy(*buf, m, size);
	shmdt(m);
	return *buf ? 0 : -ENOMEM;
}

static int dump_seg(struct dump_ctx *c, int id)
{
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) < 0)
		return err_set(c->e, neg_errno(), "SysV shared memory segment %d: IPC_STAT: %m",
			       id);
	_cleanup_free_ struct sysv_shm_att *att = NULL;
	size_t natt = 0;
	int r = collect_atts(c, id, &att, &natt);
	if (r == -E2BIG)
		return err_set(c->e, r, "SysV shared memory segment %d: more than %d attachments",
			       id, SYSV_SHM_MAX_ATT);
	if (r < 0)
		return r;
	if (!natt && (!dump_in_tree(c, ds.shm_cpid) && !dump_in_tree(c, ds.shm_lpid)))
		return 0;
	if (ds.shm_segsz > SYSV_SHM_MAX_SIZE)
		return err_set(c->e, -E2BIG,
			       "SysV shared memory segment %d is %lu bytes, above the %lu bytes "
			       "ferry can save",
			       id, (unsigned long)ds.shm_segsz, SYSV_SHM_MAX_SIZE);
	struct sysv_shm_seg s = {
		.id = id,
		.key = ds.shm_perm.__key,
		.mode = ds.shm_perm.mode & 0777,
		.uid = ds.shm_perm.uid,
		.gid = ds.shm_perm.gid,
		.cuid = ds.shm_perm.cuid,
		.cgid = ds.shm_perm.cgid,
		.flags = ((ds.shm_perm.mode & SHM_LOCKED) ? SYSV_SHM_LOCKED : 0) |
			 ((ds.shm_perm.mode & SHM_DEST) ? SYSV_SHM_DEST : 0),
		.size = ds.shm_segsz,
		.nattach = (uint32_t)natt,
	};
	_cleanup_free_ uint8_t *body = NULL;
	if ((r = read_contents(c, id, s.size, &body)) < 0)
		return r;
	size_t alen = natt * sizeof(*att);
	pid_t user = dump_in_tree(c, ds.shm_lpid) ? ds.shm_lpid : ds.shm_cpid;
	struct img_tree_data d = {.tag = TREE_SYSV_SHM, .pid = natt ? att[0].pid : (uint32_t)user};
	_cleanup_free_ uint8_t *head = malloc(sizeof(d) + sizeof(s) + alen);
	if (!head)
		return -ENOMEM;
	memcpy(head, &d, sizeof(d));
	memcpy(head + sizeof(d), &s, sizeof(s));
	if (alen)
		memcpy(head + sizeof(d) + sizeof(s), att, alen);
	return img_writer_add(c->w, REC_TREE_DATA, head, sizeof(d) + sizeof(s) + alen, body,
			      s.size);
}

static int shm_dump(struct dump_ctx *c)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sysvipc/shm", "re");
	char line[512];
	if (!f)
		return err_set(c->e, neg_errno(), "cannot read /proc/sysvipc/shm: %m");
	if (!fgets(line, sizeof(line), f)) /* header */
		return 0;
	while (fgets(line, sizeof(line), f)) {
		int key, id, r;
		if (sscanf(line, "%d %d", &key, &id) == 2 && (r = dump_seg(c, id)) < 0)
			return r;
	}
	return 0;
}

/* ---- validation ---- */

static int bad(struct ferry_err *e, const struct sysv_shm_seg *s, const char *why)
{
	return err_set(e, -EBADMSG, "image: SysV shared memory segment %d: %s", s ? s->id : -1,
		       why);
}

/* The attachment must name a live process of the image and not overlap its dumped VMAs. */
static int check_att(const struct img_model *m, const struct sysv_shm_seg *s,
		     const struct sysv_shm_att *a, struct ferry_err *e)
{
	uint64_t end = a->addr + page_round(s->size);
	if (a->addr % IMG_PAGE || !a->addr || end > IMG_USER_ADDR_LIMIT || end <= a->addr ||
	    (a->prot & ~(uint32_t)(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return bad(e, s, "an attachment has a bad address or protection");
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct img_proc_model *p = &m->procs[i];
		if (p->p.pid != a->pid)
			continue;
		if (p->p.state != PROC_ALIVE)
			return bad(e, s, "attached by a zombie");
		for (size_t j = 0; j < p->nvmas; j++)
			if (p->vmas[j].v.start < end && a->addr < p->vmas[j].v.end)
				return bad(e, s, "an attachment overlaps a mapping of its process");
		return 0;
	}
	return bad(e, s, "attached by a process that is not in the image");
}

static int shm_validate(const struct img_model *m, const struct img_data *d, struct ferry_err *e)
{
	struct sysv_shm_seg s;
	if (d->len < sizeof(s))
		return bad(e, NULL, "record too short");
	memcpy(&s, d->data, sizeof(s));
	if (s.id < 0 || s.mode > 0777 || (s.flags & ~(SYSV_SHM_LOCKED | SYSV_SHM_DEST)) || s.pad ||
	    !s.size || s.size > SYSV_SHM_MAX_SIZE || s.nattach > SYSV_SHM_MAX_ATT)
		return bad(e, &s, "id, mode, flags, size or attachment count invalid");
	if ((s.flags & SYSV_SHM_DEST) && !s.nattach)
		return bad(e, &s, "marked for removal but not attached");
	if (d->len != sizeof(s) + (uint64_t)s.nattach * sizeof(struct sysv_shm_att) + s.size)
		return bad(e, &s, "record size does not match its attachments and size");
	if (d->pid == 0)
		return bad(e, &s, "the record names no process");
	for (uint32_t i = 0; i < s.nattach; i++) {
		struct sysv_shm_att a;
		memcpy(&a, d->data + sizeof(s) + i * sizeof(a), sizeof(a));
		int r = check_att(m, &s, &a, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- restore ---- */

/* Segments created by this restore (removed again if it fails). */
struct shm_created {
	size_t n;
	int ids[SHM_MAX_SEGS];
};

/* 1 if the id holds the same segment (key and size), 0 if free, -EEXIST if taken. */
static int existing(struct restore_ctx *c, const struct sysv_shm_seg *s)
{
	struct shmid_ds ds;
	if (shmctl(s->id, IPC_STAT, &ds) < 0)
		return errno == EINVAL || errno == EIDRM
			       ? 0
			       : err_set(c->e, neg_errno(),
					 "SysV shared memory segment %d: IPC_STAT: %m", s->id);
	if (ds.shm_perm.__key == s->key && ds.shm_segsz == s->size)
		return 1;
	return err_set(c->e, -EEXIST,
		       "SysV shm id %d is taken by another segment (key 0x%x, %lu bytes; the "
		       "image's has key 0x%x, %lu bytes)",
		       s->id, ds.shm_perm.__key, (unsigned long)ds.shm_segsz, s->key,
		       (unsigned long)s->size);
}

static int remember(struct restore_ctx *c, int id)
{
	struct shm_created *t = c->tree_state[TREE_SYSV_SHM];
	if (!t && !(t = c->tree_state[TREE_SYSV_SHM] = calloc(1, sizeof(*t))))
		return -ENOMEM;
	if (t->n == SHM_MAX_SEGS)
		return err_set(c->e, -E2BIG, "more than %d SysV shared memory segments",
			       SHM_MAX_SEGS);
	t->ids[t->n++] = id;
	return 0;
}

/* Owner, mode, contents and lock of a freshly created segment. */
static int fill(struct restore_ctx *c, const struct sysv_shm_seg *s, const uint8_t *body)
{
	struct shmid_ds ds;
	if (shmctl(s->id, IPC_STAT, &ds) < 0)
		return err_set(c->e, neg_errno(), "SysV shared memory segment %d: IPC_STAT: %m",
			       s->id);
	void *m = shmat(s->id, NULL, 0);
	if (m == (void *)-1)
		return err_set(c->e, neg_errno(),
			       "SysV shared memory segment %d: cannot attach it to fill it: %m",
			       s->id);
	memcpy(m, body, s->size);
	shmdt(m);
	ds.shm_perm.uid = s->uid;
	ds.shm_perm.gid = s->gid;
	ds.shm_perm.mode = s->mode;
	if (shmctl(s->id, IPC_SET, &ds) < 0)
		return err_set(c->e, neg_errno(),
			       "SysV shared memory segment %d: cannot set its owner: %m", s->id);
	if ((s->flags & SYSV_SHM_LOCKED) && shmctl(s->id, SHM_LOCK, NULL) < 0)
		return err_set(c->e, neg_errno(), "SysV shared memory segment %d: SHM_LOCK: %m",
			       s->id);
	return 0;
}

static int create_seg(struct restore_ctx *c, const struct sysv_shm_seg *s, const uint8_t *body)
{
	int r = sysv_set_next_id(c, "shm", s->id);
	if (r < 0)
		return r;
	key_t key = s->key ? s->key : IPC_PRIVATE;
	int id = shmget(key, s->size, IPC_CREAT | IPC_EXCL | 0600);
	if (id < 0)
		return err_set(c->e, neg_errno(),
			       "SysV shared memory segment %d (key 0x%x): cannot recreate it: %m",
			       s->id, s->key);
	if (id != s->id) {
		shmctl(id, IPC_RMID, NULL);
		return err_set(c->e, -EEXIST,
			       "SysV shared memory segment %d (key 0x%x): recreated with id %d",
			       s->id, s->key, id);
	}
	if ((r = remember(c, id)) < 0)
		return r;
	return fill(c, s, body);
}

/* 1 with the segment's header in *s if d is a segment's record (validated), else 0. */
static int seg_of(const struct img_data *d, struct sysv_shm_seg *s)
{
	if (d->tag != TREE_SYSV_SHM)
		return 0;
	memcpy(s, d->data, sizeof(*s));
	return 1;
}

static int shm_prepare(struct restore_ctx *c)
{
	for (size_t i = 0; i < c->m->ntree; i++) {
		const struct img_data *d = &c->m->tree[i];
		struct sysv_shm_seg s;
		if (!seg_of(d, &s))
			continue;
		const uint8_t *body = d->data + sizeof(s) + s.nattach * sizeof(struct sysv_shm_att);
		int r = existing(c, &s);
		if (r == 0)
			r = create_seg(c, &s, body);
		if (r < 0)
			return r;
	}
	return 0;
}

static int attach(struct restore_ctx *c, struct rproc *p, uint64_t ip, const struct sysv_shm_seg *s,
		  const struct sysv_shm_att *a)
{
	pid_t pid = p->m->p.pid;
	int flags = (a->prot & PROT_WRITE ? 0 : SHM_RDONLY) | (a->prot & PROT_EXEC ? SHM_EXEC : 0);
	uint64_t args[6] = {(uint64_t)s->id, a->addr, (uint64_t)flags, 0, 0, 0};
	int64_t v = 0;
	int r = remote_syscall(pid, ip, SYS_shmat, args, &v);
	if (r == 0 && (uint64_t)v != a->addr)
		r = v < 0 && v > -4096 ? (int)v : -EADDRINUSE;
	if (r == 0 && !(a->prot & PROT_READ)) {
		uint64_t m[6] = {a->addr, page_round(s->size), a->prot, 0, 0, 0};
		r = remote_syscall(pid, ip, SYS_mprotect, m, &v);
		if (r == 0 && v < 0)
			r = (int)v;
	}
	if (r < 0)
		return err_set(c->e, r,
			       "pid %d: cannot attach SysV shared memory segment %d at %#lx: %s",
			       pid, s->id, (unsigned long)a->addr, strerror(-r));
	return 0;
}

/* An unattached segment: attach and detach it once from p, so that the kernel names p as its
 * last user again (shm_lpid) and the next dump finds it. */
static int touch(struct restore_ctx *c, struct rproc *p, uint64_t ip, const struct sysv_shm_seg *s)
{
	pid_t pid = p->m->p.pid;
	uint64_t a[6] = {(uint64_t)s->id, 0, SHM_RDONLY, 0, 0, 0};
	int64_t v = 0;
	int r = remote_syscall(pid, ip, SYS_shmat, a, &v);
	if (r == 0 && v < 0 && v > -4096)
		r = (int)v;
	if (r == 0) {
		uint64_t d[6] = {(uint64_t)v, 0, 0, 0, 0, 0};
		r = remote_syscall(pid, ip, SYS_shmdt, d, &v);
		if (r == 0 && v < 0)
			r = (int)v;
	}
	if (r < 0)
		return err_set(c->e, r, "pid %d: cannot attach SysV shared memory segment %d: %s",
			       pid, s->id, strerror(-r));
	return 0;
}

/* Every attachment of p, and a touch of each unattached segment p used last. */
static int shm_last(struct restore_ctx *c, struct rproc *p)
{
	uint64_t ip = 0;
	for (size_t i = 0; i < c->m->ntree; i++) {
		const struct img_data *d = &c->m->tree[i];
		struct sysv_shm_seg s;
		int r = 0;
		if (!seg_of(d, &s))
			continue;
		if (!s.nattach && d->pid == p->m->p.pid &&
		    ((r = layout_vdso_syscall_ip(c, p, "attach SysV shared memory", &ip)) < 0 ||
		     (r = touch(c, p, ip, &s)) < 0))
			return r;
		for (uint32_t k = 0; k < s.nattach; k++) {
			struct sysv_shm_att a;
			memcpy(&a, d->data + sizeof(s) + k * sizeof(a), sizeof(a));
			if (a.pid == p->m->p.pid &&
			    ((r = layout_vdso_syscall_ip(c, p, "attach SysV shared memory", &ip)) <
				     0 ||
			     (r = attach(c, p, ip, &s, &a)) < 0))
				return r;
		}
	}
	return 0;
}

/* Segments that were marked for removal are marked again, now that they are attached. */
static int shm_finish(struct restore_ctx *c)
{
	for (size_t i = 0; i < c->m->ntree; i++) {
		const struct img_data *d = &c->m->tree[i];
		struct sysv_shm_seg s;
		if (!seg_of(d, &s))
			continue;
		if ((s.flags & SYSV_SHM_DEST) && shmctl(s.id, IPC_RMID, NULL) < 0)
			return err_set(c->e, neg_errno(),
				       "SysV shared memory segment %d: cannot mark it for removal "
				       "again: %m",
				       s.id);
	}
	return 0;
}

static void shm_cleanup(struct restore_ctx *c, int failed)
{
	struct shm_created *t = c->tree_state[TREE_SYSV_SHM];
	for (size_t i = 0; t && failed && i < t->n; i++)
		shmctl(t->ids[i], IPC_RMID, NULL);
	free(t);
	c->tree_state[TREE_SYSV_SHM] = NULL;
}

const struct res_tree_ops res_sysv_shm = {
	.name = "SysV shared memory",
	.tag = TREE_SYSV_SHM,
	.dump = shm_dump,
	.validate = shm_validate,
	.prepare = shm_prepare,
	.last = shm_last,
	.finish = shm_finish,
	.cleanup = shm_cleanup,
};

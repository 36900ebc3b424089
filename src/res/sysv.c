/* SPDX-License-Identifier: MIT */
/* SysV message queues and semaphore sets used by the tree. "Used" means the tree touched the
 * object last: a queue whose last sender or receiver (lspid/lrpid) is in the tree, or a set in
 * which some semaphore's last operation (GETPID) came from the tree. Queue contents are copied
 * without consuming them (msgrcv MSG_COPY); semaphore values with GETALL.
 *
 * On restore an object whose id still exists with the same key is the same object (it outlived
 * the tree on this host) and is used as it is. A free id is recreated before the seeds fork
 * with the same id (through /proc/sys/kernel/{msg,sem}_next_id, root only), key, owner and
 * mode, and refilled from inside the process that had touched it (injected msgsnd / semctl
 * SETALL), so the kernel again names a tree process as its last user and the next dump finds
 * it. An id held by another object is refused. Objects created by a failed restore are removed.
 * Not restored: SEM_UNDO adjustments (the kernel does not expose them).
 *
 * Records (REC_TREE_DATA, pid = the tree process that touched it last): TREE_SYSV_MSG = struct
 * sysv_obj + nmsgs times (struct sysv_msg + len bytes); TREE_SYSV_SEM = struct sysv_obj + nsems u16
 * values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/ipc.h"
#include "res/res.h"
#include "restore/internal.h"

#define SYSV_MAX_OBJS 1024

/* Created objects, removed again by cleanup() if the restore fails. */
struct sysv_created {
	size_t n;
	struct {
		int id;
		int is_sem;
		const struct img_data *rec; /* to refill from inside its process */
	} objs[SYSV_MAX_OBJS];
};

union sysv_semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static int write_obj(struct dump_ctx *c, uint32_t tag, pid_t user, const struct sysv_obj *o,
		     const void *tail, size_t len)
{
	struct img_tree_data d = {.tag = tag, .pid = user};
	uint8_t head[sizeof(d) + sizeof(*o)];
	memcpy(head, &d, sizeof(d));
	memcpy(head + sizeof(d), o, sizeof(*o));
	return img_writer_add(c->w, REC_TREE_DATA, head, sizeof(head), tail, len);
}

/* Every id listed in /proc/sysvipc/<what> (second column). */
static int list_ids(struct dump_ctx *c, const char *what, int **ids, size_t *n)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/sysvipc/%s", what);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	size_t cap = 0;
	*n = 0;
	if (!f)
		return err_set(c->e, neg_errno(), "cannot read %s: %m", path);
	if (!fgets(line, sizeof(line), f)) /* header */
		return 0;
	while (fgets(line, sizeof(line), f)) {
		int key, id;
		if (sscanf(line, "%d %d", &key, &id) != 2)
			continue;
		int *nb = array_reserve(*ids, &cap, *n + 1, sizeof(int));
		if (!nb)
			return -ENOMEM;
		*ids = nb;
		(*ids)[(*n)++] = id;
	}
	return 0;
}

/* Dump every object of /proc/sysvipc/<what> the tree uses (dump_one skips the others). */
static int dump_each(struct dump_ctx *c, const char *what, int (*dump_one)(struct dump_ctx *, int))
{
	_cleanup_free_ int *ids = NULL;
	size_t n;
	int r = list_ids(c, what, &ids, &n);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = dump_one(c, ids[i]);
	return r;
}

/* ---- message queues ---- */

static int copy_messages(struct dump_ctx *c, int id, uint32_t n, uint8_t **buf, size_t *len)
{
	struct {
		long mtype;
		char text[SYSV_MAX_MSG];
	} *m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	int r = 0;
	for (uint32_t i = 0; r == 0 && i < n; i++) {
		ssize_t got = msgrcv(id, m, SYSV_MAX_MSG, i, IPC_NOWAIT | MSG_COPY);
		if (got < 0) {
			r = err_set(c->e, neg_errno(),
				    "SysV message queue %d: cannot copy message %u: %m", id, i);
			break;
		}
		struct sysv_msg h = {m->mtype, (uint32_t)got, 0};
		uint8_t *nb = realloc(*buf, *len + sizeof(h) + got);
		if (!nb) {
			r = -ENOMEM;
			break;
		}
		*buf = nb;
		memcpy(nb + *len, &h, sizeof(h));
		memcpy(nb + *len + sizeof(h), m->text, got);
		*len += sizeof(h) + got;
	}
	free(m);
	return r;
}

static int dump_queue(struct dump_ctx *c, int id)
{
	struct msqid_ds ds;
	if (msgctl(id, IPC_STAT, &ds) < 0)
		return err_set(c->e, neg_errno(), "SysV message queue %d: IPC_STAT: %m", id);
	if (!dump_in_tree(c, ds.msg_lspid) && !dump_in_tree(c, ds.msg_lrpid))
		return 0;
	if (ds.msg_qnum > SYSV_MAX_COUNT)
		return err_set(c->e, -E2BIG, "SysV message queue %d holds %lu messages, above %d",
			       id, (unsigned long)ds.msg_qnum, SYSV_MAX_COUNT);
	struct sysv_obj o = {id,
			     ds.msg_perm.__key,
			     ds.msg_perm.mode & 0777,
			     ds.msg_perm.uid,
			     ds.msg_perm.gid,
			     (uint32_t)ds.msg_qnum,
			     ds.msg_qbytes};
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = 0;
	int r = copy_messages(c, id, o.count, &buf, &len);
	pid_t user = dump_in_tree(c, ds.msg_lspid) ? ds.msg_lspid : ds.msg_lrpid;
	return r < 0 ? r : write_obj(c, TREE_SYSV_MSG, user, &o, buf, len);
}

static int msg_dump(struct dump_ctx *c)
{
	return dump_each(c, "msg", dump_queue);
}

/* ---- semaphore sets ---- */

static int dump_set(struct dump_ctx *c, int id)
{
	struct semid_ds ds;
	union sysv_semun arg = {.buf = &ds};
	if (semctl(id, 0, IPC_STAT, arg) < 0)
		return err_set(c->e, neg_errno(), "SysV semaphore set %d: IPC_STAT: %m", id);
	pid_t user = 0;
	for (unsigned long i = 0; i < ds.sem_nsems && !user; i++) {
		pid_t last = semctl(id, i, GETPID);
		user = dump_in_tree(c, last) ? last : 0;
	}
	if (!user)
		return 0;
	if (ds.sem_nsems > SYSV_MAX_COUNT)
		return err_set(c->e, -E2BIG, "SysV semaphore set %d has %lu semaphores", id,
			       (unsigned long)ds.sem_nsems);
	_cleanup_free_ unsigned short *vals = calloc(ds.sem_nsems, sizeof(*vals));
	arg.array = vals;
	if (!vals)
		return -ENOMEM;
	if (semctl(id, 0, GETALL, arg) < 0)
		return err_set(c->e, neg_errno(), "SysV semaphore set %d: GETALL: %m", id);
	struct sysv_obj o = {id,
			     ds.sem_perm.__key,
			     ds.sem_perm.mode & 0777,
			     ds.sem_perm.uid,
			     ds.sem_perm.gid,
			     (uint32_t)ds.sem_nsems,
			     0};
	return write_obj(c, TREE_SYSV_SEM, user, &o, vals, ds.sem_nsems * sizeof(uint16_t));
}

static int sem_dump(struct dump_ctx *c)
{
	return dump_each(c, "sem", dump_set);
}

/* ---- validation ---- */

static int bad(struct ferry_err *e, const char *what, const struct sysv_obj *o, const char *why)
{
	return err_set(e, -EBADMSG, "image: SysV %s %d: %s", what, o ? o->id : -1, why);
}

static int msg_validate(const struct img_model *m, const struct img_data *d, struct ferry_err *e)
{
	struct sysv_obj o;
	if (d->len < sizeof(o))
		return bad(e, "message queue", NULL, "record too short");
	memcpy(&o, d->data, sizeof(o));
	if (o.id < 0 || o.mode > 0777 || o.count > SYSV_MAX_COUNT || !d->pid)
		return bad(e, "message queue", &o, "id, mode, count or pid invalid");
	uint64_t off = sizeof(o);
	for (uint32_t i = 0; i < o.count; i++) {
		struct sysv_msg h;
		if (d->len - off < sizeof(h))
			return bad(e, "message queue", &o, "messages truncated");
		memcpy(&h, d->data + off, sizeof(h));
		off += sizeof(h);
		if (h.mtype <= 0 || h.len > SYSV_MAX_MSG || h.pad || d->len - off < h.len)
			return bad(e, "message queue", &o, "a message is invalid");
		off += h.len;
	}
	return off == d->len ? 0 : bad(e, "message queue", &o, "trailing bytes");
}

static int sem_validate(const struct img_model *m, const struct img_data *d, struct ferry_err *e)
{
	struct sysv_obj o;
	if (d->len < sizeof(o))
		return bad(e, "semaphore set", NULL, "record too short");
	memcpy(&o, d->data, sizeof(o));
	if (o.id < 0 || o.mode > 0777 || o.count == 0 || o.count > SYSV_MAX_COUNT || !d->pid ||
	    o.qbytes)
		return bad(e, "semaphore set", &o, "id, mode, count or pid invalid");
	if (d->len != sizeof(o) + (uint64_t)o.count * sizeof(uint16_t))
		return bad(e, "semaphore set", &o, "size does not match its count");
	return 0;
}

/* ---- restore ---- */

/* See ipc.h. */
int sysv_set_next_id(struct restore_ctx *c, const char *what, int id)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/sys/kernel/%s_next_id", what);
	FILE *f = fopen(path, "we");
	if (!f || fprintf(f, "%d\n", id) < 0 || fclose(f) != 0) {
		int err = f ? -EIO : neg_errno();
		return err_set(c->e, err,
			       "SysV %s id %d: cannot choose the id through %s (needs root)", what,
			       id, path);
	}
	return 0;
}

static int remember(struct restore_ctx *c, int id, int is_sem, const struct img_data *rec)
{
	uint32_t tag = is_sem ? TREE_SYSV_SEM : TREE_SYSV_MSG;
	struct sysv_created *s = c->tree_state[tag];
	if (!s && !(s = c->tree_state[tag] = calloc(1, sizeof(*s))))
		return -ENOMEM;
	if (s->n == SYSV_MAX_OBJS)
		return -E2BIG;
	s->objs[s->n].id = id;
	s->objs[s->n].is_sem = is_sem;
	s->objs[s->n++].rec = rec;
	return 0;
}

/* 1 if id exists with this key (the same object), 0 if the id is free, -errno if taken. */
static int existing(struct restore_ctx *c, const char *what, const struct sysv_obj *o, int key_now,
		    int stat_r, int stat_errno)
{
	if (stat_r < 0 && stat_errno == EINVAL)
		return 0;
	if (stat_r == 0 && key_now == o->key)
		return 1;
	return err_set(c->e, -EEXIST,
		       "SysV %s id %d is taken by another object (key 0x%x, the image's is 0x%x)",
		       what, o->id, stat_r == 0 ? key_now : -1, o->key);
}

/* Create an empty object with the image's id (msg: is_sem 0, sem: 1). */
static int create_obj(struct restore_ctx *c, const struct sysv_obj *o, int is_sem)
{
	const char *what = is_sem ? "semaphore set" : "message queue";
	int r = sysv_set_next_id(c, is_sem ? "sem" : "msg", o->id);
	if (r < 0)
		return r;
	key_t key = o->key ? o->key : IPC_PRIVATE;
	int flags = IPC_CREAT | IPC_EXCL | o->mode;
	int id = is_sem ? semget(key, o->count, flags) : msgget(key, flags);
	if (id >= 0 && id != o->id) {
		is_sem ? semctl(id, 0, IPC_RMID) : msgctl(id, IPC_RMID, NULL);
		return err_set(c->e, -EEXIST, "SysV %s %d (key 0x%x): recreated with id %d", what,
			       o->id, o->key, id);
	}
	if (id < 0)
		return err_set(c->e, neg_errno(), "SysV %s %d (key 0x%x): cannot recreate it: %m",
			       what, o->id, o->key);
	return 0;
}

static int set_owner_msg(int id, const struct sysv_obj *o)
{
	struct msqid_ds ds;
	if (msgctl(id, IPC_STAT, &ds) < 0)
		return neg_errno();
	ds.msg_perm.uid = o->uid;
	ds.msg_perm.gid = o->gid;
	ds.msg_qbytes = o->qbytes;
	return msgctl(id, IPC_SET, &ds) < 0 ? neg_errno() : 0;
}

static int set_owner_sem(int id, const struct sysv_obj *o)
{
	struct semid_ds ds;
	union sysv_semun arg = {.buf = &ds};
	if (semctl(id, 0, IPC_STAT, arg) < 0)
		return neg_errno();
	ds.sem_perm.uid = o->uid;
	ds.sem_perm.gid = o->gid;
	return semctl(id, 0, IPC_SET, arg) < 0 ? neg_errno() : 0;
}

static int prepare_kind(struct restore_ctx *c, uint32_t tag)
{
	int is_sem = tag == TREE_SYSV_SEM;
	const char *what = is_sem ? "semaphore set" : "message queue";
	for (size_t i = 0; i < c->m->ntree; i++) {
		const struct img_data *d = &c->m->tree[i];
		struct sysv_obj o;
		struct msqid_ds mds = {0};
		struct semid_ds sds = {0};
		union sysv_semun arg = {.buf = &sds};
		if (d->tag != tag)
			continue;
		memcpy(&o, d->data, sizeof(o));
		int st = is_sem ? semctl(o.id, 0, IPC_STAT, arg) : msgctl(o.id, IPC_STAT, &mds);
		int key = is_sem ? sds.sem_perm.__key : mds.msg_perm.__key;
		int r = existing(c, what, &o, key, st, errno);
		if (r == 0 && (r = create_obj(c, &o, is_sem)) == 0 &&
		    (r = remember(c, o.id, is_sem, d)) == 0) {
			r = is_sem ? set_owner_sem(o.id, &o) : set_owner_msg(o.id, &o);
			if (r < 0)
				r = err_set(c->e, r, "SysV %s %d: cannot set its owner: %s", what,
					    o.id, strerror(-r));
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int msg_prepare(struct restore_ctx *c)
{
	return prepare_kind(c, TREE_SYSV_MSG);
}

static int sem_prepare(struct restore_ctx *c)
{
	return prepare_kind(c, TREE_SYSV_SEM);
}

/* Refill a recreated queue from inside p: each message goes through p's scratch area. */
static int refill_queue(struct restore_ctx *c, struct rproc *p, int id, const struct img_data *d)
{
	struct sysv_obj o;
	memcpy(&o, d->data, sizeof(o));
	size_t off = sizeof(o);
	for (uint32_t i = 0; i < o.count; i++) {
		struct sysv_msg h;
		memcpy(&h, d->data + off, sizeof(h));
		int64_t type = h.mtype;
		int r = scratch_put(c, p, 0, &type, sizeof(type));
		if (r == 0)
			r = scratch_put(c, p, sizeof(type), d->data + off + sizeof(h), h.len);
		if (r == 0)
			r = rinject(c, p, p->m->p.pid, SYS_msgsnd, id, SCR(p, 0), h.len, IPC_NOWAIT,
				    0, 0, NULL);
		if (r < 0)
			return r;
		off += sizeof(h) + h.len;
	}
	return 0;
}

static int refill_set(struct restore_ctx *c, struct rproc *p, int id, const struct img_data *d)
{
	struct sysv_obj o;
	memcpy(&o, d->data, sizeof(o));
	int r = scratch_put(c, p, 0, d->data + sizeof(o), o.count * sizeof(uint16_t));
	if (r == 0)
		r = rinject(c, p, p->m->p.pid, SYS_semctl, id, 0, SETALL, SCR(p, 0), 0, 0, NULL);
	return r;
}

static int refill(struct restore_ctx *c, struct rproc *p, uint32_t tag)
{
	struct sysv_created *s = c->tree_state[tag];
	for (size_t i = 0; s && i < s->n; i++) {
		if (s->objs[i].rec->pid != p->m->p.pid)
			continue;
		int r = s->objs[i].is_sem ? refill_set(c, p, s->objs[i].id, s->objs[i].rec)
					  : refill_queue(c, p, s->objs[i].id, s->objs[i].rec);
		if (r < 0)
			return r;
	}
	return 0;
}

static int msg_proc(struct restore_ctx *c, struct rproc *p)
{
	return refill(c, p, TREE_SYSV_MSG);
}

static int sem_proc(struct restore_ctx *c, struct rproc *p)
{
	return refill(c, p, TREE_SYSV_SEM);
}

static void sysv_cleanup(struct restore_ctx *c, int failed, uint32_t tag)
{
	struct sysv_created *s = c->tree_state[tag];
	for (size_t i = 0; s && failed && i < s->n; i++) {
		if (s->objs[i].is_sem)
			semctl(s->objs[i].id, 0, IPC_RMID);
		else
			msgctl(s->objs[i].id, IPC_RMID, NULL);
	}
	free(s);
	c->tree_state[tag] = NULL;
}

static void msg_cleanup(struct restore_ctx *c, int failed)
{
	sysv_cleanup(c, failed, TREE_SYSV_MSG);
}

static void sem_cleanup(struct restore_ctx *c, int failed)
{
	sysv_cleanup(c, failed, TREE_SYSV_SEM);
}

const struct res_tree_ops res_sysv_msg = {
	.name = "SysV message queues",
	.tag = TREE_SYSV_MSG,
	.dump = msg_dump,
	.validate = msg_validate,
	.prepare = msg_prepare,
	.proc = msg_proc,
	.cleanup = msg_cleanup,
};

const struct res_tree_ops res_sysv_sem = {
	.name = "SysV semaphore sets",
	.tag = TREE_SYSV_SEM,
	.dump = sem_dump,
	.validate = sem_validate,
	.prepare = sem_prepare,
	.proc = sem_proc,
	.cleanup = sem_cleanup,
};

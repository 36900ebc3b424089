/* SPDX-License-Identifier: MIT */
/* Where the dump and restore cores call the resource kinds: each function walks the registry
 * and calls the matching hook of every kind present, stopping at the first error. */
#include <string.h>

#include "dump/internal.h"
#include "res/res.h"
#include "restore/internal.h"

#define EACH_TREE(o) for (const struct res_tree_ops *const *o = res_tree_all(); *o; o++)

int res_dump_tree_check(struct dump_ctx *c)
{
	int r = 0;
	EACH_TREE(o) if ((*o)->check && (r = (*o)->check(c)) < 0) return r;
	return 0;
}

int res_dump_tree(struct dump_ctx *c)
{
	int r = 0;
	EACH_TREE(o) if ((*o)->dump && (r = (*o)->dump(c)) < 0) return r;
	return 0;
}

void res_dump_done(struct dump_ctx *c, int resumed)
{
	EACH_TREE(o) if ((*o)->dump_done)(*o)->dump_done(c, resumed);
}

static int validate_file(const struct img_model *m, const struct img_file_model *f,
			 struct ferry_err *e)
{
	const struct res_file_ops *o = res_file_kind(f->f.kind);
	if (!o || !o->open)
		return err_set(e, -EOPNOTSUPP,
			       "image: file %u (%s) is of kind %u, which this ferry cannot restore",
			       f->f.id, f->path, f->f.kind);
	if (f->ndata && !o->validate)
		return err_set(e, -EBADMSG,
			       "image: file %u (%s, %s) carries data its kind never writes",
			       f->f.id, f->path, o->name);
	return o->validate ? o->validate(m, f, e) : 0;
}

int res_validate_all(const struct img_model *m, struct ferry_err *e)
{
	int r;
	for (size_t i = 0; i < m->nfiles; i++)
		if ((r = validate_file(m, &m->files[i], e)) < 0)
			return r;
	for (size_t i = 0; i < m->ntree; i++) {
		const struct res_tree_ops *o = res_tree_tag(m->tree[i].tag);
		if (!o || !o->validate)
			return err_set(e, -EOPNOTSUPP,
				       "image: holds a tree resource (tag %u) this ferry cannot "
				       "restore",
				       m->tree[i].tag);
		if ((r = o->validate(m, &m->tree[i], e)) < 0)
			return r;
	}
	return 0;
}

int res_restore_prepare(struct restore_ctx *c)
{
	int r = 0;
	EACH_TREE(o) if ((*o)->prepare && (r = (*o)->prepare(c)) < 0) return r;
	return 0;
}

int res_restore_proc(struct restore_ctx *c, struct rproc *p)
{
	int r = 0;
	EACH_TREE(o) if ((*o)->proc && (r = (*o)->proc(c, p)) < 0) return r;
	return 0;
}

int res_restore_last(struct restore_ctx *c, struct rproc *p)
{
	int r = 0;
	EACH_TREE(o) if ((*o)->last && (r = (*o)->last(c, p)) < 0) return r;
	return 0;
}

int res_restore_finish(struct restore_ctx *c)
{
	int r;
	for (size_t i = 0; i < c->m->nfiles; i++) {
		const struct img_file_model *f = &c->m->files[i];
		const struct res_file_ops *o = res_file_kind(f->f.kind);
		if (o && o->finish && (r = o->finish(c, f, c->table_base + (int)i)) < 0)
			return r;
	}
	EACH_TREE(o) if ((*o)->finish && (r = (*o)->finish(c)) < 0) return r;
	return 0;
}

void res_restore_cleanup(struct restore_ctx *c, int failed)
{
	for (int k = FILE_REG; k < FILE_KIND_MAX; k++) {
		const struct res_file_ops *o = res_file_kind(k);
		if (o && o->cleanup)
			o->cleanup(c, failed);
	}
	EACH_TREE(o) if ((*o)->cleanup)(*o)->cleanup(c, failed);
}

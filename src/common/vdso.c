/* SPDX-License-Identifier: MIT */
/* vDSO layout of the calling process and its fingerprint (see vdso.h). */
#include "common/vdso.h"

#include <string.h>
#include <xxhash.h>

#include "common/proc.h"

int vdso_self(struct vdso_layout *l, uint64_t *ret_fp)
{
	_cleanup_free_ struct proc_vma *v = NULL;
	size_t n;
	int r = proc_vmas_read(getpid(), &v, &n);
	if (r < 0)
		return r;
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i].path, "[vvar]"))
			l->vvar_start = v[i].start, l->vvar_end = v[i].end;
		else if (!strcmp(v[i].path, "[vvar_vclock]"))
			l->vclock_start = v[i].start, l->vclock_end = v[i].end;
		else if (!strcmp(v[i].path, "[vdso]"))
			l->vdso_start = v[i].start, l->vdso_end = v[i].end;
	}
	if (!l->vdso_start)
		return -ENOENT;
	uint64_t base = vdso_block_start(l);
	uint64_t desc[6] = {
		l->vvar_start ? l->vvar_start - base : ~0ULL,	  l->vvar_end - l->vvar_start,
		l->vclock_start ? l->vclock_start - base : ~0ULL, l->vclock_end - l->vclock_start,
		l->vdso_start - base,				  l->vdso_end - l->vdso_start,
	};
	XXH64_state_t *st = XXH64_createState();
	if (!st)
		return -ENOMEM;
	XXH64_reset(st, 0);
	XXH64_update(st, desc, sizeof(desc));
	XXH64_update(st, (const void *)l->vdso_start, l->vdso_end - l->vdso_start);
	*ret_fp = XXH64_digest(st);
	XXH64_freeState(st);
	return 0;
}

uint64_t vdso_block_start(const struct vdso_layout *l)
{
	uint64_t s = l->vdso_start;
	if (l->vvar_start && l->vvar_start < s)
		s = l->vvar_start;
	if (l->vclock_start && l->vclock_start < s)
		s = l->vclock_start;
	return s;
}

uint64_t vdso_block_end(const struct vdso_layout *l)
{
	uint64_t e = l->vdso_end;
	if (l->vvar_end > e)
		e = l->vvar_end;
	if (l->vclock_end > e)
		e = l->vclock_end;
	return e;
}

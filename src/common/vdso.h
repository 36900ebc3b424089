/* SPDX-License-Identifier: MIT */
/* The vDSO layout fingerprint: sizes and order of [vvar], [vvar_vclock], [vdso] and a hash of
 * the vdso text. Two hosts with the same fingerprint can exchange processes without vDSO
 * proxying (KERNEL-FACTS.md §10: the three areas must return to their dumped addresses). */
#ifndef FERRY_COMMON_VDSO_H
#define FERRY_COMMON_VDSO_H

#include <stdint.h>

#include "common/util.h"

struct vdso_layout {
	uint64_t vvar_start, vvar_end;	   /* 0 if absent */
	uint64_t vclock_start, vclock_end; /* 0 if absent */
	uint64_t vdso_start, vdso_end;
};

/* The layout of the calling process and its fingerprint. */
int vdso_self(struct vdso_layout *ret, uint64_t *ret_fingerprint) MUST_CHECK;
/* Start and total length of the contiguous vvar..vdso block. */
uint64_t vdso_block_start(const struct vdso_layout *l);
uint64_t vdso_block_end(const struct vdso_layout *l);

#endif

/* SPDX-License-Identifier: MIT */
/* The table of resource kinds. A kind's ops are declared weak here so that a kind whose file is
 * not (yet) in the build is simply absent: the library is linked whole (--whole-archive), so
 * every kind present in src/res/ is found. Order matters for match(): first match wins. */
#include <stddef.h>

#include "res/res.h"

#define KIND(n) extern const struct res_file_ops n __attribute__((weak))
KIND(res_reg);
KIND(res_dir);
KIND(res_chr);
KIND(res_pipe);
KIND(res_fifo);
KIND(res_eventfd);
KIND(res_timerfd);
KIND(res_signalfd);
KIND(res_epoll);
KIND(res_inotify);
KIND(res_pidfd);
KIND(res_memfd);
KIND(res_unix);
KIND(res_tcp);
KIND(res_udp);
KIND(res_mqueue);
KIND(res_pty);
KIND(res_unlinked);
#undef KIND

#define TREE(n) extern const struct res_tree_ops n __attribute__((weak))
TREE(res_sysv_shm);
TREE(res_sysv_sem);
TREE(res_sysv_msg);
TREE(res_seccomp);
TREE(res_ns);
TREE(res_netlock);
#undef TREE

/* clang-format off */
static const struct res_file_ops *const file_kinds[] = {
	&res_mqueue,	/* before res_reg: a queue looks like a regular file */
	&res_memfd,
	&res_reg,
	&res_unlinked,	/* deleted-but-open regular files */
	&res_dir,
	&res_pty,	/* before res_chr: pty pairs that are not the shell-job tty */
	&res_chr,
	&res_pipe,
	&res_fifo,
	&res_eventfd,
	&res_timerfd,
	&res_signalfd,
	&res_epoll,
	&res_inotify,
	&res_pidfd,
	&res_unix,
	&res_tcp,
	&res_udp,
};
/* clang-format on */

static const struct res_tree_ops *const tree_kinds[] = {
	&res_sysv_shm, &res_sysv_sem, &res_sysv_msg, &res_seccomp, &res_ns, &res_netlock,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct res_file_ops *res_file_match(const struct fd_desc *d)
{
	for (size_t i = 0; i < N(file_kinds); i++)
		if (file_kinds[i] && file_kinds[i]->match && file_kinds[i]->match(d))
			return file_kinds[i];
	return NULL;
}

const struct res_file_ops *res_file_kind(int kind)
{
	for (size_t i = 0; i < N(file_kinds); i++)
		if (file_kinds[i] && file_kinds[i]->kind == kind)
			return file_kinds[i];
	return NULL;
}

const struct res_tree_ops *const *res_tree_all(void)
{
	static const struct res_tree_ops *present[N(tree_kinds) + 1];
	size_t n = 0;
	for (size_t i = 0; i < N(tree_kinds); i++)
		if (tree_kinds[i])
			present[n++] = tree_kinds[i];
	present[n] = NULL;
	return present;
}

const struct res_tree_ops *res_tree_tag(uint32_t tag)
{
	for (size_t i = 0; tag && i < N(tree_kinds); i++)
		if (tree_kinds[i] && tree_kinds[i]->tag == tag)
			return tree_kinds[i];
	return NULL;
}

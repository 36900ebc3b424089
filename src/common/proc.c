/* SPDX-License-Identifier: MIT */
/* Parsers for /proc/PID files. The kernel is trusted to format these, but a process can put
 * anything in its comm (spaces, parentheses, newlines), so stat is parsed from the last ')'. */
#include "common/proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/fdio.h"

ssize_t proc_read_text(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return neg_errno();
	ssize_t len = fd_read_full(fd, buf, size - 1);
	if (len < 0)
		return len;
	if ((size_t)len + 1 >= size)
		return -E2BIG;
	buf[len] = 0;
	return len;
}

int proc_stat_parse(const char *text, struct proc_stat *ret)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	unsigned long long f[64] = {0};
	char state;
	int n = 0;

	if (!open || !close || close < open || close[1] != ' ')
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	size_t clen = close - open - 1;
	if (clen > sizeof(ret->comm) - 1)
		clen = sizeof(ret->comm) - 1;
	memcpy(ret->comm, open + 1, clen);
	const char *p = close + 2;
	if (sscanf(p, "%c", &state) != 1)
		return -EBADMSG;
	p += 1;
	/* f[i] = field (i + 4) of proc(5), i.e. f[0] = ppid. */
	while (*p && n < 64) {
		char *end;
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		/* Negative fields (nice, priority) wrap; read back through a signed cast. */
		unsigned long long v = *p == '-' ? (unsigned long long)strtoll(p, &end, 10)
						 : strtoull(p, &end, 10);
		if (end == p)
			return -EBADMSG;
		f[n++] = v;
		p = end;
	}
	if (n < 49)
		return -EBADMSG;
	ret->state = state;
	ret->ppid = f[0];
	ret->pgrp = f[1];
	ret->session = f[2];
	ret->flags = (uint32_t)f[5];
	ret->utime = f[10];
	ret->stime = f[11];
	ret->nice = (long)(long long)f[15];
	ret->start_time = f[18];
	ret->start_code = f[22];
	ret->end_code = f[23];
	ret->start_stack = f[24];
	ret->exit_signal = f[34];
	ret->rt_priority = f[36];
	ret->policy = f[37];
	ret->start_data = f[41];
	ret->end_data = f[42];
	ret->start_brk = f[43];
	ret->arg_start = f[44];
	ret->arg_end = f[45];
	ret->env_start = f[46];
	ret->env_end = f[47];
	ret->exit_code = f[48];
	return 0;
}

int proc_stat_read(pid_t pid, struct proc_stat *ret)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	ssize_t r = proc_read_text(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	return proc_stat_parse(buf, ret);
}

static int parse_ids(const char *v, uint32_t out[4])
{
	return sscanf(v, "%u %u %u %u", &out[0], &out[1], &out[2], &out[3]) == 4 ? 0 : -EBADMSG;
}

static int parse_groups(const char *v, struct proc_status *s)
{
	char *end;
	s->ngroups = 0;
	for (;;) {
		while (*v == ' ' || *v == '\t')
			v++;
		if (!*v || *v == '\n')
			return 0;
		unsigned long g = strtoul(v, &end, 10);
		if (end == v)
			return -EBADMSG;
		if (s->ngroups >= ARRAY_SIZE(s->groups))
			return -E2BIG;
		s->groups[s->ngroups++] = g;
		v = end;
	}
}

int proc_status_parse(const char *text, struct proc_status *s)
{
	const char *line = text;
	int seen = 0, r = 0;

	memset(s, 0, sizeof(*s));
	while (line && *line) {
		const char *v = strchr(line, ':');
		const char *nl = strchr(line, '\n');
		if (!v || (nl && v > nl))
			goto next;
		size_t klen = v - line;
		v++;
#define KEY(k) (klen == strlen(k) && !strncmp(line, k, klen))
		if (KEY("Uid"))
			r = parse_ids(v, s->uid), seen |= 1;
		else if (KEY("Gid"))
			r = parse_ids(v, s->gid), seen |= 2;
		else if (KEY("CapInh"))
			s->cap_inh = strtoull(v, NULL, 16);
		else if (KEY("CapPrm"))
			s->cap_prm = strtoull(v, NULL, 16);
		else if (KEY("CapEff"))
			s->cap_eff = strtoull(v, NULL, 16);
		else if (KEY("CapBnd"))
			s->cap_bnd = strtoull(v, NULL, 16), seen |= 4;
		else if (KEY("CapAmb"))
			s->cap_amb = strtoull(v, NULL, 16);
		else if (KEY("Umask"))
			s->umask = strtoul(v, NULL, 8);
		else if (KEY("TracerPid"))
			s->tracer_pid = strtol(v, NULL, 10);
		else if (KEY("SigPnd"))
			s->sig_pnd = strtoull(v, NULL, 16);
		else if (KEY("ShdPnd"))
			s->shd_pnd = strtoull(v, NULL, 16);
		else if (KEY("NoNewPrivs"))
			s->no_new_privs = strtol(v, NULL, 10);
		else if (KEY("Threads"))
			s->nthreads = strtol(v, NULL, 10);
		else if (KEY("Groups"))
			r = parse_groups(v, s);
#undef KEY
		if (r < 0)
			return r;
	next:
		line = nl ? nl + 1 : NULL;
	}
	return seen == 7 ? 0 : -EBADMSG;
}

int proc_status_read(pid_t pid, struct proc_status *ret)
{
	char path[64], buf[8192];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	ssize_t r = proc_read_text(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	return proc_status_parse(buf, ret);
}

int proc_maps_line_parse(const char *line, struct proc_vma *v)
{
	char perms[5];
	int off = 0;
	unsigned long long start, end, pgoff, ino;

	memset(v, 0, sizeof(*v));
	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu%n", &start, &end, perms, &pgoff,
		   &v->dev_major, &v->dev_minor, &ino, &off) != 7)
		return -EBADMSG;
	if (strlen(perms) != 4 || start >= end)
		return -EBADMSG;
	v->start = start;
	v->end = end;
	v->pgoff = pgoff;
	v->ino = ino;
	v->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	v->shared = perms[3] == 's';
	const char *p = line + off;
	while (*p == ' ')
		p++;
	size_t len = strcspn(p, "\n");
	if (len >= sizeof(v->path))
		return -E2BIG;
	memcpy(v->path, p, len);
	v->path[len] = 0;
	return 0;
}

uint32_t proc_vmflags_parse(const char *line)
{
	static const struct {
		char name[3];
		uint32_t bit;
	} map[] = {
		{"gd", PROC_VMF_GROWSDOWN},  {"dc", PROC_VMF_DONTFORK},	  {"dd", PROC_VMF_DONTDUMP},
		{"hg", PROC_VMF_HUGEPAGE},   {"nh", PROC_VMF_NOHUGEPAGE}, {"lo", PROC_VMF_LOCKED},
		{"wf", PROC_VMF_WIPEONFORK}, {"io", PROC_VMF_IO},	  {"pf", PROC_VMF_IO},
		{"sh", PROC_VMF_SHARED},
	};
	uint32_t flags = 0;
	const char *p = strchr(line, ':');

	if (!p)
		return 0;
	for (p++; *p && *p != '\n';) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " \n");
		for (size_t i = 0; len == 2 && i < ARRAY_SIZE(map); i++)
			if (!strncmp(p, map[i].name, 2))
				flags |= map[i].bit;
		p += len;
	}
	return flags;
}

int proc_vmas_read(pid_t pid, struct proc_vma **ret, size_t *ret_n)
{
	char path[64];
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ struct proc_vma *vmas = NULL;
	_cleanup_free_ char *line = NULL;
	size_t n = 0, cap = 0, lcap = 0;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "re");
	if (!f)
		return neg_errno();
	while (getline(&line, &lcap, f) > 0) {
		if (!strncmp(line, "VmFlags:", 8)) {
			if (n)
				vmas[n - 1].vmflags = proc_vmflags_parse(line);
			continue;
		}
		/* Header lines start with a hex address; field lines with a capitalised key. */
		if (!((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f')))
			continue;
		struct proc_vma *nv = array_reserve(vmas, &cap, n + 1, sizeof(*vmas));
		if (!nv)
			return -ENOMEM;
		vmas = nv;
		int r = proc_maps_line_parse(line, &vmas[n]);
		if (r < 0)
			return r;
		n++;
	}
	*ret = TAKE_PTR(vmas);
	*ret_n = n;
	return 0;
}

static int int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int proc_list_dir_ints(const char *path, int **ret, size_t *ret_n)
{
	DIR *d = opendir(path);
	_cleanup_free_ int *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d)
		return neg_errno();
	while ((de = readdir(d))) {
		char *end;
		long x = strtol(de->d_name, &end, 10);
		if (end == de->d_name || *end)
			continue;
		int *nv = array_reserve(v, &cap, n + 1, sizeof(*v));
		if (!nv) {
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = x;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), int_cmp);
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

int proc_children_read(pid_t pid, int **ret, size_t *ret_n)
{
	char path[96], buf[65536];
	_cleanup_free_ int *tids = NULL, *v = NULL;
	size_t ntids, n = 0, cap = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	int r = proc_list_dir_ints(path, &tids, &ntids);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ntids; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tids[i]);
		ssize_t len = proc_read_text(path, buf, sizeof(buf));
		if (len == -ENOENT || len == -ESRCH)
			continue;
		if (len < 0)
			return len;
		for (char *p = buf, *end; *p;) {
			long c = strtol(p, &end, 10);
			if (end == p)
				break;
			int *nv = array_reserve(v, &cap, n + 1, sizeof(*v));
			if (!nv)
				return -ENOMEM;
			v = nv;
			v[n++] = c;
			p = end;
		}
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

int proc_fdinfo_parse(const char *text, uint64_t *ret_pos, uint32_t *ret_flags)
{
	const char *p = strstr(text, "pos:"), *f = strstr(text, "flags:");
	if (!p || !f)
		return -EBADMSG;
	*ret_pos = strtoull(p + 4, NULL, 10);
	*ret_flags = strtoul(f + 6, NULL, 8);
	return 0;
}

/* Space-separated field n (from 0) of line, up to its end, into out: 0, or -EBADMSG if it is
 * missing or does not fit. */
static int nth_field(const char *line, int n, char *out, size_t size)
{
	const char *p = line;
	for (int i = 0; i < n && *p; i++) {
		p += strcspn(p, " \n");
		p += strspn(p, " ");
	}
	size_t len = strcspn(p, " \n");
	if (!len || len >= size)
		return -EBADMSG;
	memcpy(out, p, len);
	out[len] = 0;
	return 0;
}

int proc_mountinfo_line_parse(const char *line, struct proc_mount *m)
{
	char devs[32];
	const char *dash = strstr(line, " - ");
	if (!dash || nth_field(line, 2, devs, sizeof(devs)) < 0 ||
	    sscanf(devs, "%u:%u", &m->dev_major, &m->dev_minor) != 2 ||
	    nth_field(line, 3, m->root, sizeof(m->root)) < 0 ||
	    nth_field(line, 4, m->mnt, sizeof(m->mnt)) < 0 ||
	    nth_field(dash + 3, 0, m->fstype, sizeof(m->fstype)) < 0 ||
	    nth_field(dash + 3, 2, m->super_opts, sizeof(m->super_opts)) < 0)
		return -EBADMSG;
	return 0;
}

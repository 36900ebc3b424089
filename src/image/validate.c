/* SPDX-License-Identifier: MIT */
/* Per-record validation of the image stream: sizes, enums, pads, strings, addresses and counts
 * of one record payload, checked before any other code reads a field. Pure: no I/O, no state.
 * Payloads may be unaligned (they sit at arbitrary offsets of a mapped file), so every fixed
 * part is copied out with memcpy before it is read. */
#include "image/image.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define SIGINFO_SIZE 128
#define MAX_AUXV     128
#define MAX_SIG	     64
#define SEALS_ALL    0x3f /* F_SEAL_SEAL .. F_SEAL_EXEC */

static const char *const rec_names[REC_TYPE_MAX] = {
	[REC_INFO] = "REC_INFO",
	[REC_PROC] = "REC_PROC",
	[REC_THREAD] = "REC_THREAD",
	[REC_SIGACTS] = "REC_SIGACTS",
	[REC_SIGINFO] = "REC_SIGINFO",
	[REC_VMA] = "REC_VMA",
	[REC_SHM] = "REC_SHM",
	[REC_PAGES] = "REC_PAGES",
	[REC_FILE] = "REC_FILE",
	[REC_FD] = "REC_FD",
	[REC_TIMER] = "REC_TIMER",
	[REC_GROUPS] = "REC_GROUPS",
	[REC_MM] = "REC_MM",
	[REC_END] = "REC_END",
	[REC_FILE_DATA] = "REC_FILE_DATA",
	[REC_TREE_DATA] = "REC_TREE_DATA",
};

const char *img_record_name(uint32_t type)
{
	if (type == 0 || type >= REC_TYPE_MAX)
		return "REC_UNKNOWN";
	return rec_names[type];
}

/* Format "<REC_X> <who>: <what>" into the detail and return -EBADMSG. */
static int __attribute__((format(printf, 4, 5)))
bad(struct ferry_err *e, uint32_t type, const char *who, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_set(e, -EBADMSG, "%s%s%s: %s", img_record_name(type), who[0] ? " " : "", who,
		       what);
}

static int str_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* A path stored as path_len bytes without NUL: non-empty, bounded, NUL-free, absolute. */
static int check_path(uint32_t type, const char *who, const uint8_t *p, uint32_t len,
		      struct ferry_err *e)
{
	if (len == 0 || len > IMG_MAX_PATH)
		return bad(e, type, who, "path_len %u out of range 1..%u", len, IMG_MAX_PATH);
	if (memchr(p, '\0', len))
		return bad(e, type, who, "path contains a NUL byte");
	if (p[0] != '/')
		return bad(e, type, who, "path is not absolute");
	return 0;
}

/* Size rule: len must equal fixed + trailing, trailing = count * unit (no overflow: callers
 * bound count first). */
static int check_len(uint32_t type, const char *who, uint64_t len, uint64_t want,
		     struct ferry_err *e)
{
	if (len != want)
		return bad(e, type, who, "payload %llu bytes, expected %llu",
			   (unsigned long long)len, (unsigned long long)want);
	return 0;
}

static int check_range(uint32_t type, const char *who, const char *field, uint64_t start,
		       uint64_t end, struct ferry_err *e)
{
	if (start % IMG_PAGE || end % IMG_PAGE)
		return bad(e, type, who, "%s 0x%llx-0x%llx not page-aligned", field,
			   (unsigned long long)start, (unsigned long long)end);
	if (start >= end || end > IMG_USER_ADDR_LIMIT)
		return bad(e, type, who, "%s 0x%llx-0x%llx empty or above the user limit", field,
			   (unsigned long long)start, (unsigned long long)end);
	return 0;
}

static int v_info(const uint8_t *p, uint64_t len, struct ferry_err *e)
{
	struct img_info i;

	if (len != sizeof(i))
		return check_len(REC_INFO, "", len, sizeof(i), e);
	memcpy(&i, p, sizeof(i));
	if (i.xstate_size < 512 || i.xstate_size > IMG_MAX_XSTATE)
		return bad(e, REC_INFO, "", "xstate_size %u out of range 512..%u", i.xstate_size,
			   IMG_MAX_XSTATE);
	if (i.nprocs == 0 || i.nprocs > IMG_MAX_PROCS)
		return bad(e, REC_INFO, "", "nprocs %u out of range 1..%u", i.nprocs,
			   IMG_MAX_PROCS);
	if (i.root_pid == 0)
		return bad(e, REC_INFO, "", "root_pid is 0");
	if (i.flags & ~(uint32_t)IMG_INFO_SHELL_JOB)
		return bad(e, REC_INFO, "", "unknown flags 0x%x", i.flags);
	if (!str_terminated(i.kernel_release, sizeof(i.kernel_release)))
		return bad(e, REC_INFO, "", "kernel_release not NUL-terminated");
	for (size_t k = 0; k < sizeof(i.pad); k++)
		if (i.pad[k])
			return bad(e, REC_INFO, "", "pad not zero");
	return 0;
}

static int proc_strings(const struct img_proc *p, const char *who, struct ferry_err *e)
{
	if (!str_terminated(p->comm, sizeof(p->comm)))
		return bad(e, REC_PROC, who, "comm not NUL-terminated");
	if (!str_terminated(p->cwd, sizeof(p->cwd)) || p->cwd[0] != '/')
		return bad(e, REC_PROC, who, "cwd not an absolute NUL-terminated path");
	if (!str_terminated(p->root, sizeof(p->root)) || p->root[0] != '/')
		return bad(e, REC_PROC, who, "root not an absolute NUL-terminated path");
	return 0;
}

static int proc_sched(const struct img_proc *p, const char *who, struct ferry_err *e)
{
	if (p->nice < -20 || p->nice > 19)
		return bad(e, REC_PROC, who, "nice %d out of range -20..19", p->nice);
	if (p->sched_policy > 6)
		return bad(e, REC_PROC, who, "sched_policy %u unknown", p->sched_policy);
	if (p->sched_priority > 99)
		return bad(e, REC_PROC, who, "sched_priority %u out of range", p->sched_priority);
	if (p->umask & ~0777u)
		return bad(e, REC_PROC, who, "umask 0%o has bits outside 0777", p->umask);
	if (p->no_new_privs > 1 || p->child_subreaper > 1 || p->dumpable > 2)
		return bad(e, REC_PROC, who, "no_new_privs/child_subreaper/dumpable out of range");
	if (p->pdeathsig < 0 || p->pdeathsig > MAX_SIG)
		return bad(e, REC_PROC, who, "pdeathsig %d out of range 0..64", p->pdeathsig);
	if (p->exit_signal > MAX_SIG)
		return bad(e, REC_PROC, who, "exit_signal %u out of range 0..64", p->exit_signal);
	for (int k = 0; k < 3; k++)
		if (p->itimer_value_us[k] < 0 || p->itimer_interval_us[k] < 0)
			return bad(e, REC_PROC, who, "itimer %d negative", k);
	return 0;
}

static int v_proc(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_proc p;
	char who[32];

	if (len != sizeof(p))
		return check_len(REC_PROC, "", len, sizeof(p), e);
	memcpy(&p, b, sizeof(p));
	snprintf(who, sizeof(who), "pid %u", p.pid);
	if (p.pid == 0)
		return bad(e, REC_PROC, who, "pid is 0");
	if (p.pad || p.pad0)
		return bad(e, REC_PROC, who, "pad not zero");
	if (p.state == PROC_ZOMBIE && p.nthreads != 0)
		return bad(e, REC_PROC, who, "zombie with nthreads %u", p.nthreads);
	if (p.state == PROC_ALIVE && (p.nthreads == 0 || p.nthreads > IMG_MAX_THREADS))
		return bad(e, REC_PROC, who, "nthreads %u out of range 1..%u", p.nthreads,
			   IMG_MAX_THREADS);
	if (p.state > PROC_ZOMBIE)
		return bad(e, REC_PROC, who, "state %u unknown", p.state);
	int r = proc_strings(&p, who, e);
	if (r < 0)
		return r;
	return proc_sched(&p, who, e);
}

static int v_thread(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_thread t;
	char who[48];

	if (len < sizeof(t))
		return bad(e, REC_THREAD, "", "payload %llu bytes, below %zu",
			   (unsigned long long)len, sizeof(t));
	memcpy(&t, b, sizeof(t));
	snprintf(who, sizeof(who), "pid %u tid %u", t.pid, t.tid);
	if (t.pid == 0 || t.tid == 0)
		return bad(e, REC_THREAD, who, "pid or tid is 0");
	if (t.xstate_size < 512 || t.xstate_size > IMG_MAX_XSTATE)
		return bad(e, REC_THREAD, who, "xstate_size %u out of range 512..%u", t.xstate_size,
			   IMG_MAX_XSTATE);
	if (!str_terminated(t.comm, sizeof(t.comm)))
		return bad(e, REC_THREAD, who, "comm not NUL-terminated");
	if (t.nice < -20 || t.nice > 19)
		return bad(e, REC_THREAD, who, "nice %d out of range -20..19", t.nice);
	if (t.sched_policy > 6 || t.sched_priority > 99 || t.sched_reset_on_fork > 1)
		return bad(e, REC_THREAD, who, "sched_policy %u / priority %u / reset_on_fork %u "
			   "out of range", t.sched_policy, t.sched_priority, t.sched_reset_on_fork);
	return check_len(REC_THREAD, who, len, sizeof(t) + (uint64_t)t.xstate_size, e);
}

static int v_sigacts(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_sigacts s;
	char who[32];

	if (len != sizeof(s))
		return check_len(REC_SIGACTS, "", len, sizeof(s), e);
	memcpy(&s, b, sizeof(s));
	snprintf(who, sizeof(who), "pid %u", s.pid);
	if (s.pid == 0)
		return bad(e, REC_SIGACTS, who, "pid is 0");
	if (s.pad)
		return bad(e, REC_SIGACTS, who, "pad not zero");
	return 0;
}

static int v_siginfo(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_siginfo_hdr h;
	char who[48];

	if (len < sizeof(h))
		return bad(e, REC_SIGINFO, "", "payload %llu bytes, below %zu",
			   (unsigned long long)len, sizeof(h));
	memcpy(&h, b, sizeof(h));
	snprintf(who, sizeof(who), "pid %u tid %u", h.pid, h.tid);
	if (h.pid == 0)
		return bad(e, REC_SIGINFO, who, "pid is 0");
	if (h.pad)
		return bad(e, REC_SIGINFO, who, "pad not zero");
	if (h.count > IMG_MAX_SIGINFO)
		return bad(e, REC_SIGINFO, who, "count %u above %u", h.count, IMG_MAX_SIGINFO);
	int r = check_len(REC_SIGINFO, who, len, sizeof(h) + (uint64_t)h.count * SIGINFO_SIZE, e);
	if (r < 0)
		return r;
	for (uint32_t k = 0; k < h.count; k++) {
		int32_t signo;
		memcpy(&signo, b + sizeof(h) + (size_t)k * SIGINFO_SIZE, sizeof(signo));
		if (signo < 1 || signo > MAX_SIG)
			return bad(e, REC_SIGINFO, who, "entry %u si_signo %d out of range 1..64",
				   k, signo);
	}
	return 0;
}

static int vma_kind_fields(const struct img_vma *v, const uint8_t *path, const char *who,
			   struct ferry_err *e)
{
	int file = v->kind == VMA_FILE_PRIVATE || v->kind == VMA_FILE_SHARED;

	if (file) {
		int r = check_path(REC_VMA, who, path, v->path_len, e);
		if (r < 0)
			return r;
	} else if (v->path_len) {
		return bad(e, REC_VMA, who, "path_len %u for a kind without a path", v->path_len);
	}
	if ((v->kind == VMA_SHM) != (v->shm_id != 0))
		return bad(e, REC_VMA, who, "shm_id %u does not match kind %u", v->shm_id, v->kind);
	if ((file || v->kind == VMA_SHM) && v->pgoff % IMG_PAGE)
		return bad(e, REC_VMA, who, "pgoff 0x%llx not page-aligned",
			   (unsigned long long)v->pgoff);
	if ((file || v->kind == VMA_SHM) && v->pgoff > UINT64_MAX - (v->end - v->start))
		return bad(e, REC_VMA, who, "pgoff 0x%llx overflows", (unsigned long long)v->pgoff);
	return 0;
}

static int v_vma(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_vma v;
	char who[32];

	if (len < sizeof(v))
		return bad(e, REC_VMA, "", "payload %llu bytes, below %zu", (unsigned long long)len,
			   sizeof(v));
	memcpy(&v, b, sizeof(v));
	snprintf(who, sizeof(who), "pid %u", v.pid);
	if (v.pid == 0)
		return bad(e, REC_VMA, who, "pid is 0");
	int r = check_len(REC_VMA, who, len, sizeof(v) + (uint64_t)v.path_len, e);
	if (r < 0)
		return r;
	if (v.kind < VMA_ANON_PRIVATE || v.kind >= VMA_KIND_MAX)
		return bad(e, REC_VMA, who, "kind %u unknown", v.kind);
	if (v.start % IMG_PAGE)
		return bad(e, REC_VMA, who, "start 0x%llx not page-aligned",
			   (unsigned long long)v.start);
	r = check_range(REC_VMA, who, "range", v.start, v.end, e);
	if (r < 0)
		return r;
	if (v.prot & ~(uint32_t)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return bad(e, REC_VMA, who, "prot 0x%x has unknown bits", v.prot);
	if (v.flags & ~(uint32_t)VMA_F_ALL)
		return bad(e, REC_VMA, who, "flags 0x%x has unknown bits", v.flags);
	return vma_kind_fields(&v, b + sizeof(v), who, e);
}

static int v_shm(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_shm s;
	char who[32];

	if (len != sizeof(s))
		return check_len(REC_SHM, "", len, sizeof(s), e);
	memcpy(&s, b, sizeof(s));
	snprintf(who, sizeof(who), "id %u", s.id);
	if (s.id == 0)
		return bad(e, REC_SHM, who, "id is 0");
	if (s.kind != SHM_ANON && s.kind != SHM_MEMFD)
		return bad(e, REC_SHM, who, "kind %u unknown", s.kind);
	if (s.pad)
		return bad(e, REC_SHM, who, "pad not zero");
	if (s.size == 0 || s.size > IMG_USER_ADDR_LIMIT)
		return bad(e, REC_SHM, who, "size %llu out of range", (unsigned long long)s.size);
	if (s.seals & ~(uint32_t)SEALS_ALL)
		return bad(e, REC_SHM, who, "seals 0x%x has unknown bits", s.seals);
	if (!str_terminated(s.name, sizeof(s.name)))
		return bad(e, REC_SHM, who, "name not NUL-terminated");
	return 0;
}

static int v_pages(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_pages p;
	char who[48];

	if (len < sizeof(p))
		return bad(e, REC_PAGES, "", "payload %llu bytes, below %zu",
			   (unsigned long long)len, sizeof(p));
	memcpy(&p, b, sizeof(p));
	snprintf(who, sizeof(who), "pid %u shm %u", p.pid, p.shm_id);
	if ((p.pid == 0) == (p.shm_id == 0))
		return bad(e, REC_PAGES, who, "exactly one of pid and shm_id must be set");
	if (p.npages == 0 || p.npages > IMG_MAX_PAGES_REC / IMG_PAGE)
		return bad(e, REC_PAGES, who, "npages %llu out of range 1..%llu",
			   (unsigned long long)p.npages, IMG_MAX_PAGES_REC / IMG_PAGE);
	int r = check_len(REC_PAGES, who, len, sizeof(p) + p.npages * IMG_PAGE, e);
	if (r < 0)
		return r;
	if (p.vaddr % IMG_PAGE)
		return bad(e, REC_PAGES, who, "vaddr 0x%llx not page-aligned",
			   (unsigned long long)p.vaddr);
	/* Both process addresses and shm offsets stay below the user limit (v_shm bounds size). */
	if (p.vaddr > IMG_USER_ADDR_LIMIT - p.npages * IMG_PAGE)
		return bad(e, REC_PAGES, who, "vaddr 0x%llx + %llu pages above the user limit",
			   (unsigned long long)p.vaddr, (unsigned long long)p.npages);
	return 0;
}

static int v_file(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_file f;
	char who[32];

	if (len < sizeof(f))
		return bad(e, REC_FILE, "", "payload %llu bytes, below %zu",
			   (unsigned long long)len, sizeof(f));
	memcpy(&f, b, sizeof(f));
	snprintf(who, sizeof(who), "id %u", f.id);
	if (f.id == 0)
		return bad(e, REC_FILE, who, "id is 0");
	if (f.kind < FILE_REG || f.kind >= FILE_KIND_MAX)
		return bad(e, REC_FILE, who, "kind %u unknown", f.kind);
	if (f.is_tty > 1 || (f.is_tty && f.kind != FILE_CHR))
		return bad(e, REC_FILE, who, "is_tty %u invalid for kind %u", f.is_tty, f.kind);
	if ((f.flags & 3) == 3)
		return bad(e, REC_FILE, who, "flags 0x%x: invalid access mode", f.flags);
	int r = check_len(REC_FILE, who, len, sizeof(f) + (uint64_t)f.path_len, e);
	if (r < 0)
		return r;
	if (f.kind <= FILE_CHR || f.kind == FILE_FIFO)
		return check_path(REC_FILE, who, b + sizeof(f), f.path_len, e);
	if (f.path_len > IMG_MAX_PATH || memchr(b + sizeof(f), '\0', f.path_len))
		return bad(e, REC_FILE, who, "path_len %u too long or name contains a NUL byte",
			   f.path_len);
	return 0;
}

static int v_file_data(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_file_data d;
	char who[32];

	if (len < sizeof(d))
		return bad(e, REC_FILE_DATA, "", "payload %llu bytes, below %zu",
			   (unsigned long long)len, sizeof(d));
	memcpy(&d, b, sizeof(d));
	snprintf(who, sizeof(who), "file %u", d.file_id);
	if (d.file_id == 0 || d.tag == 0)
		return bad(e, REC_FILE_DATA, who, "file_id or tag is 0");
	if (len - sizeof(d) > IMG_MAX_DATA_REC)
		return bad(e, REC_FILE_DATA, who, "%llu bytes, above %lu",
			   (unsigned long long)(len - sizeof(d)), IMG_MAX_DATA_REC);
	return 0;
}

static int v_tree_data(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_tree_data d;
	char who[32];

	if (len < sizeof(d))
		return bad(e, REC_TREE_DATA, "", "payload %llu bytes, below %zu",
			   (unsigned long long)len, sizeof(d));
	memcpy(&d, b, sizeof(d));
	snprintf(who, sizeof(who), "tag %u", d.tag);
	if (d.tag == 0 || d.tag >= TREE_TAG_MAX)
		return bad(e, REC_TREE_DATA, who, "unknown tag");
	if (len - sizeof(d) > IMG_MAX_DATA_REC)
		return bad(e, REC_TREE_DATA, who, "%llu bytes, above %lu",
			   (unsigned long long)(len - sizeof(d)), IMG_MAX_DATA_REC);
	return 0;
}

static int v_fd(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_fd f;
	char who[48];

	if (len != sizeof(f))
		return check_len(REC_FD, "", len, sizeof(f), e);
	memcpy(&f, b, sizeof(f));
	snprintf(who, sizeof(who), "pid %u fd %d", f.pid, f.fd);
	if (f.pid == 0)
		return bad(e, REC_FD, who, "pid is 0");
	if (f.fd < 0)
		return bad(e, REC_FD, who, "fd is negative");
	if (f.file_id == 0)
		return bad(e, REC_FD, who, "file_id is 0");
	if (f.cloexec > 1)
		return bad(e, REC_FD, who, "cloexec %u not 0/1", f.cloexec);
	return 0;
}

static int v_timer(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_timer t;
	char who[48];

	if (len != sizeof(t))
		return check_len(REC_TIMER, "", len, sizeof(t), e);
	memcpy(&t, b, sizeof(t));
	snprintf(who, sizeof(who), "pid %u timer %d", t.pid, t.timer_id);
	if (t.pid == 0)
		return bad(e, REC_TIMER, who, "pid is 0");
	if (t.timer_id < 0 || t.pad)
		return bad(e, REC_TIMER, who, "timer_id negative or pad not zero");
	/* SIGEV_SIGNAL 0, SIGEV_NONE 1, SIGEV_THREAD_ID 4 (SIGEV_THREAD is a libc construct). */
	if (t.sigev_notify != 0 && t.sigev_notify != 1 && t.sigev_notify != 4)
		return bad(e, REC_TIMER, who, "sigev_notify %d unknown", t.sigev_notify);
	if (t.sigev_notify != 1 && (t.sigev_signo < 1 || t.sigev_signo > MAX_SIG))
		return bad(e, REC_TIMER, who, "sigev_signo %d out of range 1..64", t.sigev_signo);
	if ((t.sigev_notify == 4) != (t.notify_tid != 0))
		return bad(e, REC_TIMER, who, "notify_tid %u does not match sigev_notify",
			   t.notify_tid);
	if (t.value_ns < 0 || t.interval_ns < 0 || t.overrun < 0)
		return bad(e, REC_TIMER, who, "negative value, interval or overrun");
	return 0;
}

static int v_groups(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_groups g;
	char who[32];

	if (len < sizeof(g))
		return bad(e, REC_GROUPS, "", "payload %llu bytes, below %zu",
			   (unsigned long long)len, sizeof(g));
	memcpy(&g, b, sizeof(g));
	snprintf(who, sizeof(who), "pid %u", g.pid);
	if (g.pid == 0)
		return bad(e, REC_GROUPS, who, "pid is 0");
	if (g.count > IMG_MAX_GROUPS)
		return bad(e, REC_GROUPS, who, "count %u above %u", g.count, IMG_MAX_GROUPS);
	return check_len(REC_GROUPS, who, len, sizeof(g) + (uint64_t)g.count * 4, e);
}

static int mm_pair(const char *who, const char *name, uint64_t lo, uint64_t hi, struct ferry_err *e)
{
	if (lo > hi || hi > IMG_USER_ADDR_LIMIT)
		return bad(e, REC_MM, who, "%s 0x%llx-0x%llx inverted or above the user limit",
			   name, (unsigned long long)lo, (unsigned long long)hi);
	return 0;
}

static int v_mm(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	struct img_mm m;
	char who[32];

	if (len < sizeof(m))
		return bad(e, REC_MM, "", "payload %llu bytes, below %zu", (unsigned long long)len,
			   sizeof(m));
	memcpy(&m, b, sizeof(m));
	snprintf(who, sizeof(who), "pid %u", m.pid);
	if (m.pid == 0)
		return bad(e, REC_MM, who, "pid is 0");
	if (m.auxv_words > MAX_AUXV || m.auxv_words % 2)
		return bad(e, REC_MM, who, "auxv_words %u not even or above %d", m.auxv_words,
			   MAX_AUXV);
	int r = check_len(REC_MM, who, len, sizeof(m) + (uint64_t)m.auxv_words * 8, e);
	if (r == 0)
		r = mm_pair(who, "code", m.start_code, m.end_code, e);
	if (r == 0)
		r = mm_pair(who, "data", m.start_data, m.end_data, e);
	if (r == 0)
		r = mm_pair(who, "brk", m.start_brk, m.brk, e);
	if (r == 0)
		r = mm_pair(who, "arg", m.arg_start, m.arg_end, e);
	if (r == 0)
		r = mm_pair(who, "env", m.env_start, m.env_end, e);
	if (r == 0)
		r = mm_pair(who, "stack", m.start_stack, m.start_stack, e);
	if (r < 0)
		return r;
	if (!str_terminated(m.exe_path, sizeof(m.exe_path)))
		return bad(e, REC_MM, who, "exe_path not NUL-terminated");
	if (m.exe_path[0] && m.exe_path[0] != '/')
		return bad(e, REC_MM, who, "exe_path not absolute");
	return 0;
}

static int v_end(const uint8_t *b, uint64_t len, struct ferry_err *e)
{
	return check_len(REC_END, "", len, sizeof(struct img_end), e);
}

typedef int (*validate_fn)(const uint8_t *p, uint64_t len, struct ferry_err *e);

static const validate_fn validators[REC_TYPE_MAX] = {
	[REC_INFO] = v_info,
	[REC_PROC] = v_proc,
	[REC_THREAD] = v_thread,
	[REC_SIGACTS] = v_sigacts,
	[REC_SIGINFO] = v_siginfo,
	[REC_VMA] = v_vma,
	[REC_SHM] = v_shm,
	[REC_PAGES] = v_pages,
	[REC_FILE] = v_file,
	[REC_FD] = v_fd,
	[REC_TIMER] = v_timer,
	[REC_GROUPS] = v_groups,
	[REC_MM] = v_mm,
	[REC_END] = v_end,
	[REC_FILE_DATA] = v_file_data,
	[REC_TREE_DATA] = v_tree_data,
};

uint64_t img_record_max(uint32_t type)
{
	if (type == REC_PAGES)
		return IMG_MAX_PAGES_REC + sizeof(struct img_pages);
	if (type == REC_FILE_DATA || type == REC_TREE_DATA)
		return IMG_MAX_DATA_REC + sizeof(struct img_file_data);
	return IMG_MAX_META_REC;
}

int img_record_validate(uint32_t type, const void *payload, uint64_t len, struct ferry_err *e)
{
	if (type == 0 || type >= REC_TYPE_MAX)
		return err_set(e, -EBADMSG, "record type %u unknown", type);
	if (len && !payload)
		return err_set(e, -EBADMSG, "%s: no payload", img_record_name(type));
	return validators[type](payload, len, e);
}

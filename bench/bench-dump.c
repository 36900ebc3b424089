/* bench-dump: measures `ferry dump` and `ferry restore` of a process holding N MiB of
 * incompressible anonymous memory (default 64, 1024, 4096 MiB, plus a small ≤ 4 MiB process),
 * side by side with the raw limits measured in the same run, before each dump: process_vm_readv
 * of the same memory from the parent (1 MiB iovecs, better of two passes), memcpy in the parent
 * (up to 1 GiB, scaled to N), and writing N MiB to a new file on the same tmpfs (4 MiB writes,
 * as ferry does). Images go to tmpfs (/dev/shm); with --tmpfs-huge to a private tmpfs mounted
 * with huge=always over /dev/shm in a mount namespace of the bench's own (it disappears with the
 * bench however it ends). Writing 1 GiB to a normal tmpfs took about twice the process_vm_readv
 * time here (page allocation per 4 KiB); huge pages avoid that only when the kernel has them at
 * hand, which after the settle wait below it often had not (2026-11-26: 1155 ms per GiB on the
 * huge tmpfs vs 394 ms on /dev/shm). Prints medians over --reps repetitions of
 * dump, restore and frozen time and of each raw figure, the ratios, and the target verdicts:
 * dump rate ≥ 50% of the raw process_vm_readv rate, restore of 1 GiB ≤ 0.5 s,
 * small-process dump and restore ≤ 15 ms each. Hand-run, not part of `make check`.
 *
 * On this VM a page the guest freed a moment ago is much cheaper to allocate again than one the
 * balloon already handed back to the host (free page reporting, about 2 s later). So that the
 * raw tmpfs write, the dump (tmpfs pages) and the restore (anonymous pages) all start from the
 * same state rather than reusing what the step before freed, the bench waits --settle seconds
 * before each of them (0 turns that off).
 *
 *   build/bench/bench-dump [--sizes 64,1024,4096] [--reps 5] [--ferry build/ferry]
 *                          [--no-small] [--settle 3] [--tmpfs-huge]
 *
 * The bench is the parent (and a subreaper) of every process it creates and reaps them all;
 * images, ready files and processes are removed even on failure or SIGINT/SIGTERM. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

#define MIB	  (1024UL * 1024UL)
#define RING_MIB  64UL
#define MAX_SIZES 16
#define MAX_BINS  2 /* --ferry and --compare */

static const char *ferry = "build/ferry";
static unsigned settle = 3; /* seconds before each allocating step, see above */
static char *ring;	    /* parent's destination ring for pvr/memcpy (RING_MIB) */
static char *msrc;	    /* parent's memcpy source */
static size_t msrc_len;
static pid_t workload = -1;  /* live workload child */
static pid_t ferry_pid = -1; /* live ferry dump/restore */
static pid_t restored = -1;  /* restored root (child of ferry restore, or orphan of ours) */
static char imgdir[256], readyf[256], errf[256];
static int huge_used; /* --tmpfs-huge: a private huge=always tmpfs covers /dev/shm */

static double now_ms(void)
{
	return mono_ns() / 1e6;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(p);
}

static void rm_image(void)
{
	if (imgdir[0])
		nftw(imgdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (readyf[0])
		unlink(readyf);
}

static void kill_reap(pid_t *p)
{
	if (*p > 0) {
		kill(*p, SIGKILL);
		waitpid(*p, NULL, 0);
		*p = -1;
	}
}

static void cleanup(void)
{
	if (restored > 0) {
		kill(restored, SIGKILL);
		restored = -1;
	}
	kill_reap(&ferry_pid);
	kill_reap(&workload);
	while (waitpid(-1, NULL, WNOHANG) > 0) /* orphans adopted as subreaper */
		;
	rm_image();
	if (errf[0])
		unlink(errf);
}

/* --tmpfs-huge: a new mount namespace of our own in which a tmpfs with huge=always covers
 * /dev/shm, so the images go there; nothing of it can outlive the bench (no directory is
 * created, and the namespace dies with its last process even on SIGKILL). 0 on success. */
static int mount_huge_tmpfs(void)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "--tmpfs-huge: private mount namespace: %s\n", strerror(errno));
		return -1;
	}
	if (mount("ferry-bench", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
		  "huge=always,mode=1777") < 0) {
		fprintf(stderr, "--tmpfs-huge: mount tmpfs huge=always on /dev/shm: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	cleanup();
	_exit(128 + sig);
}

/* ---- workload ---- */

static void fill_random(uint64_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
}

/* Fork a child that fills [region, region+len) with random data, reports readiness on a pipe,
 * closes every fd > 2, points stdio at /dev/null and sleeps. Returns its pid or -1. */
static pid_t start_workload(char **regionp, size_t len, uint64_t seed)
{
	char *region = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		return -1;
	int pfd[2];
	if (pipe(pfd) < 0) {
		munmap(region, len);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (ring)
			munmap(ring, RING_MIB * MIB);
		if (msrc)
			munmap(msrc, msrc_len);
		close(pfd[0]);
		fill_random((uint64_t *)region, len / 8, seed);
		if (write(pfd[1], "r", 1) != 1)
			_exit(1);
		int nul = open("/dev/null", O_RDWR);
		if (nul < 0)
			_exit(1);
		dup2(nul, 0), dup2(nul, 1), dup2(nul, 2);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		for (;;) {
			struct timespec t = {1, 0};
			nanosleep(&t, NULL);
		}
	}
	close(pfd[1]);
	munmap(region, len); /* the child keeps its own copy; ours was never touched */
	if (pid < 0) {
		close(pfd[0]);
		return -1;
	}
	workload = pid;
	/* "r" once memory is filled, then EOF once the child closed its fds (stdio on /dev/null):
	 * dumping earlier would find the pipe in its fd table */
	char c[2];
	ssize_t r, got = 0;
	do {
		r = read(pfd[0], c + (got ? 1 : 0), 1);
		if (r > 0)
			got += r;
	} while ((r < 0 && errno == EINTR) || r > 0);
	close(pfd[0]);
	if (got != 1 || c[0] != 'r') {
		fprintf(stderr, "workload %d died while filling memory\n", pid);
		kill_reap(&workload);
		return -1;
	}
	*regionp = region;
	return pid;
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long v = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* ---- raw rates ---- */

static double pvr_gbs(pid_t pid, char *remote, size_t len)
{
	enum { NIOV = RING_MIB };
	struct iovec l[NIOV], r[NIOV];
	double t0 = now_ms();
	size_t done = 0;
	while (done < len) {
		int n = 0;
		size_t chunk = 0;
		while (n < NIOV && done + chunk < len) {
			size_t sz = len - done - chunk < MIB ? len - done - chunk : MIB;
			l[n].iov_base = ring + n * MIB;
			l[n].iov_len = sz;
			r[n].iov_base = remote + done + chunk;
			r[n].iov_len = sz;
			chunk += sz;
			n++;
		}
		ssize_t got = process_vm_readv(pid, l, n, r, n, 0);
		if (got != (ssize_t)chunk) {
			fprintf(stderr, "process_vm_readv: %zd of %zu: %s\n", got, chunk,
				strerror(errno));
			return -1;
		}
		done += chunk;
	}
	return len / ((now_ms() - t0) * 1e6);
}

static double memcpy_gbs(void)
{
	double t0 = now_ms();
	for (size_t off = 0; off < msrc_len; off += RING_MIB * MIB) {
		size_t sz = msrc_len - off < RING_MIB * MIB ? msrc_len - off : RING_MIB * MIB;
		memcpy(ring, msrc + off, sz);
	}
	double ms = now_ms() - t0;
	__asm__ volatile("" ::"r"(ring) : "memory");
	return msrc_len / (ms * 1e6);
}

/* Write len bytes (from the ring, 4 MiB at a time) to a new file on the image tmpfs, then
 * remove it; the raw rate the image writes compete with. */
static double tmpfs_write_ms(size_t len)
{
	char path[300];
	snprintf(path, sizeof(path), "%s.raw", imgdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	double t0 = now_ms(), ms = -1;
	size_t done = 0;
	while (done < len) {
		size_t sz = len - done < 4 * MIB ? len - done : 4 * MIB;
		ssize_t w = write(fd, ring + done % (RING_MIB * MIB), sz);
		if (w <= 0) {
			fprintf(stderr, "writing %s: %s\n", path,
				w < 0 ? strerror(errno) : "short write");
			break;
		}
		done += w;
	}
	if (done == len)
		ms = now_ms() - t0;
	close(fd);
	unlink(path);
	return ms;
}

/* ---- running ferry ---- */

static double json_num(const char *s, const char *key)
{
	char k[64];
	snprintf(k, sizeof(k), "\"%s\":", key);
	const char *p = strstr(s, k);
	return p ? strtod(p + strlen(k), NULL) : -1;
}

static void print_err(const char *what, int status)
{
	char buf[4096];
	ssize_t n = 0;
	int fd = open(errf, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = 0;
	if (WIFEXITED(status))
		fprintf(stderr, "  %s: exit %d: %s", what, WEXITSTATUS(status), buf);
	else
		fprintf(stderr, "  %s: %s: %s", what, strsignal(WTERMSIG(status)), buf);
	if (n <= 0 || buf[n - 1] != '\n')
		fputc('\n', stderr);
}

/* Start ferry with argv; stdout to a pipe (returned in *outfd), stderr to errf. */
static pid_t spawn_ferry(char *const argv[], int *outfd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int nul = open("/dev/null", O_RDONLY);
		if (e < 0 || nul < 0)
			_exit(127);
		dup2(nul, 0), dup2(p[1], 1), dup2(e, 2);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execv(argv[0], argv);
		perror("exec ferry");
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	*outfd = p[0];
	return pid;
}

static ssize_t read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	buf[n] = 0;
	return n;
}

/* Dump the workload; it is killed by ferry and reaped here. */
static int do_dump(double *total, double *frozen, double *pbytes)
{
	char pidstr[16], out[4096];
	snprintf(pidstr, sizeof(pidstr), "%d", workload);
	char *argv[] = {(char *)ferry, "dump", "--pid", pidstr, "--dir", imgdir, "--json", NULL};
	int fd, st;
	ferry_pid = spawn_ferry(argv, &fd);
	if (ferry_pid < 0)
		return -1;
	read_all(fd, out, sizeof(out));
	close(fd);
	waitpid(ferry_pid, &st, 0);
	ferry_pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		print_err("ferry dump failed", st);
		return -1;
	}
	*total = json_num(out, "total_ms");
	*frozen = json_num(out, "frozen_ms");
	*pbytes = json_num(out, "page_bytes");
	if (*total < 0) {
		fprintf(stderr, "  ferry dump: no total_ms in: %s\n", out);
		return -1;
	}
	/* ferry kills the dumped tree; reap it so that its pid is free for the restore */
	int wst;
	if (waitpid(workload, &wst, 0) == workload)
		workload = -1;
	return 0;
}

/* Restore in a child `ferry restore`; time until the ready file exists; then kill the
 * restored root and reap ferry. */
static int do_restore(double *total, double *ready_ms)
{
	char out[4096];
	char *argv[] = {(char *)ferry, "restore",      "--dir", imgdir,
			"--json",      "--ready-file", readyf,	NULL};
	int fd, st;
	unlink(readyf);
	double t0 = now_ms();
	ferry_pid = spawn_ferry(argv, &fd);
	if (ferry_pid < 0)
		return -1;
	for (;;) {
		if (access(readyf, F_OK) == 0)
			break;
		if (waitpid(ferry_pid, &st, WNOHANG) == ferry_pid) {
			ferry_pid = -1;
			close(fd);
			print_err("ferry restore failed", st);
			return -1;
		}
		if (now_ms() - t0 > 120000) {
			close(fd);
			fprintf(stderr, "  ferry restore: no ready file after 120 s\n");
			return -1;
		}
		struct timespec t = {0, 50000};
		nanosleep(&t, NULL);
	}
	*ready_ms = now_ms() - t0;
	/* JSON is printed and flushed before the ready file is created */
	ssize_t n = 0;
	for (;;) {
		ssize_t r = read(fd, out + n, sizeof(out) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
		out[n] = 0;
		if (memchr(out, '\n', n))
			break;
	}
	out[n > 0 ? n : 0] = 0;
	close(fd);
	*total = json_num(out, "total_ms");
	restored = (pid_t)json_num(out, "root_pid");
	if (restored <= 0) {
		FILE *f = fopen(readyf, "r");
		if (!f || fscanf(f, "%d", &restored) != 1)
			restored = -1;
		if (f)
			fclose(f);
	}
	int ok = *total >= 0 && restored > 0;
	if (restored > 0)
		kill(restored, SIGKILL);
	restored = -1;
	waitpid(ferry_pid, &st, 0); /* ferry restore exits once its root died */
	ferry_pid = -1;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (!ok) {
		fprintf(stderr, "  ferry restore: bad JSON: %s\n", out);
		return -1;
	}
	return 0;
}

/* ---- driver ---- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	if (n <= 0)
		return -1;
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long avail_mib(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb / 1024;
}

/* Medians of one size: times in ms, ratios as fractions (rate of ferry / raw rate). */
struct row {
	const char *label;
	int ok, n;
	double dump, frozen, rest, ready, pvr, tmpfs, mcp;
	double dump_vs_pvr, dump_vs_tmpfs, rest_gbs, dump_gbs;
	long rss;
};

/* The per-repetition figures, one array each, medians taken at the end. */
enum { F_DUMP, F_FROZEN, F_REST, F_READY, F_PVR, F_TMPFS, F_MCP, F_DVP, F_DVT, F_RGBS, F_DGBS, NF };

/* The raw figures for one workload; 0 on success. */
static int measure_raw(double *v, char *region, size_t len)
{
	/* the better of two passes (the first may pay cold-TLB costs) */
	double a = pvr_gbs(workload, region, len), b = pvr_gbs(workload, region, len);
	double m = memcpy_gbs();
	if (a < 0 || b < 0 || m <= 0)
		return -1;
	v[F_PVR] = len / ((a > b ? a : b) * 1e6);
	v[F_MCP] = len / (m * 1e6);
	sleep(settle);
	v[F_TMPFS] = tmpfs_write_ms(len);
	return v[F_TMPFS] < 0 ? -1 : 0;
}

/* One repetition with ferry binary bin: a fresh workload, the raw figures on its memory (not
 * for the small case), dump, restore. Fills v; 0 on success. */
static int one_rep(const char *bin, struct row *row, int i, size_t len, int small, double *v)
{
	char *region;
	double pb;
	ferry = bin;
	snprintf(imgdir, sizeof(imgdir), "/dev/shm/ferry-bench-%d-%s-%d", getpid(), row->label, i);
	snprintf(readyf, sizeof(readyf), "/dev/shm/ferry-bench-%d.ready", getpid());
	if (start_workload(&region, len, 0x9e3779b97f4a7c15ULL * (i + 1) + len) < 0) {
		fprintf(stderr, "  %s rep %d: cannot start workload\n", row->label, i);
		return -1;
	}
	if (small)
		row->rss = rss_kib(workload);
	else if (measure_raw(v, region, len) < 0)
		return -1;
	sleep(settle);
	if (do_dump(&v[F_DUMP], &v[F_FROZEN], &pb) < 0) {
		fprintf(stderr, "  %s rep %d: dump failed (ferry %s, image %s)\n", row->label, i,
			ferry, imgdir);
		return -1;
	}
	sleep(settle);
	if (do_restore(&v[F_REST], &v[F_READY]) < 0) {
		fprintf(stderr, "  %s rep %d: restore failed (ferry %s)\n", row->label, i, ferry);
		return -1;
	}
	rm_image();
	v[F_DGBS] = pb / (v[F_DUMP] * 1e6);
	v[F_RGBS] = pb / (v[F_REST] * 1e6);
	v[F_DVP] = v[F_PVR] / v[F_DUMP];
	v[F_DVT] = v[F_TMPFS] / v[F_DUMP];
	return 0;
}

static void row_medians(struct row *row, double f[NF][64], int n, int reps)
{
	row->n = n;
	if (n == 0)
		return;
	row->ok = n == reps;
	row->dump = median(f[F_DUMP], n), row->frozen = median(f[F_FROZEN], n);
	row->rest = median(f[F_REST], n), row->ready = median(f[F_READY], n);
	row->pvr = median(f[F_PVR], n), row->tmpfs = median(f[F_TMPFS], n);
	row->mcp = median(f[F_MCP], n);
	row->dump_vs_pvr = median(f[F_DVP], n), row->dump_vs_tmpfs = median(f[F_DVT], n);
	row->rest_gbs = median(f[F_RGBS], n), row->dump_gbs = median(f[F_DGBS], n);
}

/* One size (small != 0: the small-process case, len bytes of random data), for each of the
 * nbins binaries in turn within every repetition, so that they share the machine's state. */
static void run_size(struct row **rows, const char **bins, int nbins, size_t len, int reps,
		     int small)
{
	static double f[MAX_BINS][NF][64];
	int n[MAX_BINS] = {0}, stop = 0;
	msrc_len = len < 1024 * MIB ? len : 1024 * MIB;
	msrc = small ? NULL
		     : mmap(NULL, msrc_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			    0);
	if (msrc == MAP_FAILED) {
		msrc = NULL;
		fprintf(stderr, "  mmap memcpy source: %s\n", strerror(errno));
		return;
	}
	if (msrc)
		fill_random((uint64_t *)msrc, msrc_len / 8, 12345);
	for (int i = 0; i < reps && i < 64 && !stop; i++)
		for (int b = 0; b < nbins && !stop; b++) {
			double v[NF] = {0};
			if (one_rep(bins[b], rows[b], i, len, small, v) < 0) {
				cleanup();
				stop = 1;
				break;
			}
			for (int k = 0; k < NF; k++)
				f[b][k][n[b]] = v[k];
			n[b]++;
		}
	imgdir[0] = 0;
	if (msrc)
		munmap(msrc, msrc_len);
	msrc = NULL;
	for (int b = 0; b < nbins; b++)
		row_medians(rows[b], f[b], n[b], reps);
}

static void print_table(struct row *rows, int nrows, const char *bin, int reps)
{
	printf("ferry %s: images on /dev/shm%s; medians of %d reps; times in ms; raw figures "
	       "measured on the "
	       "same memory just before each dump; %u s settle before tmpfs_w, dump, restore (GB = "
	       "1e9 bytes)\n",
	       bin, huge_used ? " (private tmpfs, huge=always)" : " (tmpfs)", reps, settle);
	printf("%-6s %4s %8s %8s %8s %8s | %7s %7s %7s | %8s %8s %9s %9s\n", "size", "reps", "dump",
	       "frozen", "restore", "ready", "pvr", "tmpfs_w", "memcpy", "dump/pvr", "dump/tmpfs",
	       "dump_GB/s", "rest_GB/s");
	for (int i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		if (r->n == 0) {
			printf("%-6s FAILED (see the error above)\n", r->label);
			continue;
		}
		if (!strcmp(r->label, "small"))
			printf("%-6s %4d %8.1f %8.1f %8.1f %8.1f | %7s %7s %7s | %8s %8s %9s %9s\n",
			       r->label, r->n, r->dump, r->frozen, r->rest, r->ready, "-", "-", "-",
			       "-", "-", "-", "-");
		else
			printf("%-6s %4d %8.1f %8.1f %8.1f %8.1f | %7.1f %7.1f %7.1f | %7.0f%% "
			       "%9.0f%% %9.2f %9.2f\n",
			       r->label, r->n, r->dump, r->frozen, r->rest, r->ready, r->pvr,
			       r->tmpfs, r->mcp, r->dump_vs_pvr * 100, r->dump_vs_tmpfs * 100,
			       r->dump_gbs, r->rest_gbs);
	}
}

int main(int argc, char **argv)
{
	long sizes[MAX_SIZES] = {64, 1024, 4096};
	int nsizes = 3, reps = 5, small = 1, nbins = 1;
	const char *bins[MAX_BINS] = {ferry};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
			nsizes = 0;
			for (char *s = strtok(argv[++i], ","); s && nsizes < MAX_SIZES;
			     s = strtok(NULL, ","))
				sizes[nsizes++] = atol(s);
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = atoi(argv[++i]);
			if (reps < 1 || reps > 64)
				reps = 5;
		} else if (!strcmp(argv[i], "--ferry") && i + 1 < argc) {
			bins[0] = argv[++i];
		} else if (!strcmp(argv[i], "--compare") && i + 1 < argc) {
			bins[1] = argv[++i];
			nbins = 2;
		} else if (!strcmp(argv[i], "--settle") && i + 1 < argc) {
			settle = (unsigned)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--no-small")) {
			small = 0;
		} else if (!strcmp(argv[i], "--tmpfs-huge")) {
			huge_used = 1;
		} else {
			fprintf(stderr,
				"usage: %s [--sizes 64,1024,4096] [--reps 5] [--ferry build/ferry] "
				"[--compare FERRY] "
				"[--no-small] [--settle 3] [--tmpfs-huge]\n",
				argv[0]);
			return 2;
		}
	}
	for (int b = 0; b < nbins; b++)
		if (access(bins[b], X_OK) < 0) {
			fprintf(stderr, "%s: %s (run from the repo root, or pass --ferry)\n",
				bins[b], strerror(errno));
			return 1;
		}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (huge_used && mount_huge_tmpfs() < 0)
		return 1;
	snprintf(errf, sizeof(errf), "/dev/shm/ferry-bench-%d.err", getpid());
	ring = mmap(NULL, RING_MIB * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	if (ring == MAP_FAILED)
		return 1;
	memset(ring, 1, RING_MIB * MIB);

	static struct row rowsets[MAX_BINS][MAX_SIZES + 1];
	char labels[MAX_SIZES][32];
	int nrows = 0;
	for (int s = 0; s < nsizes; s++) {
		struct row *rs[MAX_BINS];
		snprintf(labels[s], sizeof(labels[s]), "%ldM", sizes[s]);
		for (int b = 0; b < nbins; b++) {
			rs[b] = &rowsets[b][nrows];
			memset(rs[b], 0, sizeof(*rs[b]));
			rs[b]->label = labels[s];
			rs[b]->rss = -1;
		}
		/* peak: workload + its image on tmpfs + our memcpy source (+ restored copy later,
		 * after the workload died) and a safety margin */
		long need = 2 * sizes[s] + (sizes[s] < 1024 ? sizes[s] : 1024) + 512;
		long avail = avail_mib();
		struct statvfs vfs;
		long shm = statvfs("/dev/shm", &vfs) == 0
				   ? (long)(vfs.f_bavail * vfs.f_frsize / MIB)
				   : -1;
		if (sizes[s] <= 0 || avail < need || shm < sizes[s] + 64) {
			printf("skipping %ld MiB: needs %ld MiB available memory and %ld MiB in "
			       "/dev/shm, have %ld and %ld\n",
			       sizes[s], need, sizes[s] + 64, avail, shm);
			continue;
		}
		fprintf(stderr, "size %ld MiB: %d reps...\n", sizes[s], reps);
		run_size(rs, bins, nbins, (size_t)sizes[s] * MIB, reps, 0);
		nrows++;
	}
	if (small) {
		struct row *rs[MAX_BINS];
		for (int b = 0; b < nbins; b++) {
			rs[b] = &rowsets[b][nrows];
			memset(rs[b], 0, sizeof(*rs[b]));
			rs[b]->label = "small";
			rs[b]->rss = -1;
		}
		fprintf(stderr, "small process: %d reps...\n", reps);
		run_size(rs, bins, nbins, 1 * MIB, reps, 1);
		nrows++;
	}
	cleanup();

	for (int b = nbins - 1; b >= 0; b--)
		print_table(rowsets[b], nrows, bins[b], reps);
	struct row *rows = rowsets[0];
	printf("dump/pvr: dump rate as a share of the raw process_vm_readv rate (median of per-rep "
	       "ratios); "
	       "dump/tmpfs: the same against writing the bytes to tmpfs\n");
	printf("targets (ferry %s):\n", bins[0]);
	for (int i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		if (r->n == 0) {
			printf("  %-6s FAIL (ferry failed)\n", r->label);
			continue;
		}
		if (!strcmp(r->label, "small")) {
			printf("  small (VmRSS %ld KiB): dump %.1f ms <= 15: %s; restore %.1f ms "
			       "<= 15: %s\n",
			       r->rss, r->dump, r->dump <= 15 ? "PASS" : "FAIL", r->rest,
			       r->rest <= 15 ? "PASS" : "FAIL");
			continue;
		}
		/* A dump to tmpfs writes every byte to one file; it cannot beat the raw write. */
		printf("  %-6s dump >= 50%% of raw pvr: %s (%.0f%%; the raw tmpfs write alone is "
		       "%.0f%% of the pvr rate)",
		       r->label, r->dump_vs_pvr >= 0.5 ? "PASS" : "FAIL", r->dump_vs_pvr * 100,
		       r->tmpfs > 0 ? 100 * r->pvr / r->tmpfs : 0);
		if (!strcmp(r->label, "1024M"))
			printf("; restore 1 GiB <= 500 ms: %s (%.1f ms)",
			       r->rest <= 500 ? "PASS" : "FAIL", r->rest);
		printf("%s\n", r->ok ? "" : " [incomplete reps]");
	}
	return 0;
}

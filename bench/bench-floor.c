/* SPDX-License-Identifier: MIT */
/* bench-floor: the floor of any copy-based user-level eager migration on this machine, against
 * raw loopback TCP measured in the same run. A "hog" child holds N MiB of incompressible data; a
 * sender process reads it with process_vm_readv in 4 MiB chunks and sends them over loopback
 * TCP; a receiver process receives each chunk into a 4 MiB buffer and writes it into a fresh,
 * never-touched anonymous mapping of a third ("restored") child with process_vm_writev (or
 * UFFDIO_COPY through the restored child's userfaultfd, taken with pidfd_getfd). Optionally
 * AES-256-GCM (OpenSSL EVP, in place, 16-byte tag after each chunk) on both ends. Each side runs
 * either one loop ("ser") or a two-stage pipeline of one thread per stage over a 4-slot ring
 * ("thr": sender pvr[+seal] | send, receiver recv | [open+]write). Variants:
 *   raw          hot buffer -> TCP -> hot buffer (bench-chan's raw mode; the reference)
 *   off-ser/thr  pvr -> TCP -> pvw into fresh pages, no encryption
 *   on-ser/thr   the same with AES-256-GCM
 *   off/on-uffd  pipelined, UFFDIO_COPY instead of pvw
 *   off/on-thp   pipelined pvw, restored mapping madvise(MADV_HUGEPAGE) (THP is "madvise" here)
 *   off/on-self  pipelined sender; the receiver recv()s straight into a fresh mapping of its own
 *                (one copy: the lower bound of a receive-into-place design), then opens in place
 *   off/on-para  as -self, but the sender sends from its own memory (the hog's data, resident
 *                in the bench and inherited by the sender alone): a parasite in the frozen
 *                process writing its memory to the socket, no pvr (with encryption it seals out
 *                of place into the ring, since the source must survive a failed migration).
 *                Same copies as raw plus fresh pages: the floor of any copy-based design
 *   cold-raw     raw, but sending N bytes of the sender's own memory (from DRAM, not a 4 MiB
 *                buffer in cache), received into a hot buffer: what the source side alone costs
 *   splice-uffd/self  not copy-based on the sending side: like -para, but the sender vmsplice()s
 *                its own pages into a pipe and splice()s the pipe to the socket (no copy on
 *                send; loopback hands the pages to the receiver, whose recv() is the one copy),
 *                received as off-uffd / off-self. Encryption off only (on would need kTLS)
 * The wall time of a migration variant runs from the sender's first chunk to the receiver's
 * acknowledgement after its last write (both ends connected and set up before). Variants are
 * interleaved within each repetition so machine noise hits them alike; medians are printed with
 * the ratio to raw, and each end's CPU seconds per GiB; on 2 shared cores the sum of both
 * ends' CPU bounds the rate, printed as the "2-core cpu bound": raw's wall time over half that
 * sum, the ratio a perfectly balanced pipeline of the same work would reach. Before the
 * variants, the pieces alone on one core, same data: pvr into a hot buffer, pvw / UFFDIO_COPY /
 * THP pvw into fresh pages of another process, memcpy into fresh pages of our own, AES-256-GCM
 * and ChaCha20-Poly1305 seal and open of hot 4 MiB chunks. Restored data is checked against the
 * hog (first, middle, last chunk) after each run.
 *
 *   build/bench/bench-floor [--reps 5] [--big] [--sizes 64,1024] [--only NAME,...]
 *                           [--settle S] [--no-pieces]
 *
 * --big adds 4096 MiB; --only keeps raw plus the named variants; --settle sleeps S seconds before
 * each run that allocates fresh pages (free page reporting of this VM, see bench-dump.c).
 * Every process started is a child with PR_SET_PDEATHSIG and is killed and reaped on exit or
 * SIGINT/SIGTERM; only loopback traffic. Hand-run, not part of `make check`.
 *
 * Measured 2026-11-26 (shared 2-core VM, 6 runs of 7 reps, medians of the run medians, 1 GiB):
 * raw 3.2-4.3 GiB/s; off-uffd 48% of raw (2-core CPU bound ~64%), off-thr 43%, on-uffd 35%
 * (bound ~40%), on-thr 29%; splice-uffd 52-60%. Pieces per GiB on one core: pvr 0.19 s, pvw into
 * fresh pages 0.35-0.48 s, UFFDIO_COPY 0.28 s, AES-256-GCM 0.24 s each way. Fresh pages the
 * guest must take back from the host cost 1.5-2.8 s/GiB instead (off-thp, and 4 GiB). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fdio.h"

#define MIB	 (1024UL * 1024UL)
#define CHUNK	 (4 * MIB)
#define NSLOTS	 4
#define TAG	 16
#define MAX_REPS 64

enum src { SRC_HOT, SRC_PVR, SRC_OWN, SRC_SPLICE };
enum dst { DST_HOT, DST_PVW, DST_UFFD, DST_THP, DST_SELF };

struct variant {
	const char *name;
	enum src src;
	enum dst dst;
	int enc, thr;
};

static const struct variant variants[] = {
	{"raw", SRC_HOT, DST_HOT, 0, 0},
	{"off-ser", SRC_PVR, DST_PVW, 0, 0},
	{"off-thr", SRC_PVR, DST_PVW, 0, 1},
	{"on-ser", SRC_PVR, DST_PVW, 1, 0},
	{"on-thr", SRC_PVR, DST_PVW, 1, 1},
	{"off-uffd", SRC_PVR, DST_UFFD, 0, 1},
	{"on-uffd", SRC_PVR, DST_UFFD, 1, 1},
	{"off-thp", SRC_PVR, DST_THP, 0, 1},
	{"on-thp", SRC_PVR, DST_THP, 1, 1},
	{"off-self", SRC_PVR, DST_SELF, 0, 1},
	{"on-self", SRC_PVR, DST_SELF, 1, 1},
	{"off-para", SRC_OWN, DST_SELF, 0, 1},
	{"on-para", SRC_OWN, DST_SELF, 1, 1},
	{"cold-raw", SRC_OWN, DST_HOT, 0, 0},
	{"splice-uffd", SRC_SPLICE, DST_UFFD, 0, 1},
	{"splice-self", SRC_SPLICE, DST_SELF, 0, 1},
};
#define NVAR (sizeof(variants) / sizeof(variants[0]))

static const uint8_t key[32] = {42};
static pid_t hog = -1, restored = -1, rx = -1, tx = -1;
static uint64_t hog_addr, total;
static unsigned settle;
static int is_parent = 1; /* only the bench itself kills and reaps */
/* The data of SRC_OWN/SRC_SPLICE senders: filled once per size in the bench and inherited by the
 * sender alone (MADV_DONTFORK otherwise), so that, like a frozen process's memory, it is resident
 * long before a run and a run does not take the free pages its receiver would get. */
static uint8_t *own_data;

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
	if (!is_parent)
		return;
	kill_reap(&tx);
	kill_reap(&rx);
	kill_reap(&restored);
	kill_reap(&hog);
}

static void on_signal(int sig)
{
	cleanup();
	_exit(128 + sig);
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench-floor: %s: %s\n", what, detail);
	cleanup();
	_exit(1);
}

static double now_s(void)
{
	return mono_ns() / 1e9;
}

static double cpu_self(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void full_io(int fd, void *buf, size_t n, int out, const char *what)
{
	ssize_t r = out ? fd_write_all(fd, buf, n) : fd_read_full(fd, buf, n);
	if (r < 0)
		die(what, strerror((int)-r));
	if (!out && (size_t)r < n)
		die(what, "peer closed");
}

/* ---- helper children: the hog and the restored process ---- */

/* In a new child: die with the parent, and stay away from its signal handlers. */
static pid_t fork_child(const char *name)
{
	pid_t parent = getpid(), pid = fork();
	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		prctl(PR_SET_NAME, name);
		is_parent = 0;
	}
	return pid;
}

static void fill_random(uint64_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x * 0x2545f4914f6cdd1dULL;
	}
}

/* The hog: N bytes of incompressible data at an address it reports, then sleeps. */
static void start_hog(void)
{
	int p[2];
	if (pipe(p) < 0)
		die("hog pipe", strerror(errno));
	hog = fork_child("floor-hog");
	if (hog == 0) {
		uint64_t *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				   -1, 0);
		if (m == MAP_FAILED)
			_exit(1);
		fill_random(m, total / 8, 0x9e3779b97f4a7c15ULL);
		uint64_t a = (uintptr_t)m;
		full_io(p[1], &a, sizeof(a), 1, "hog report");
		for (;;)
			pause();
	}
	close(p[1]);
	full_io(p[0], &hog_addr, sizeof(hog_addr), 0, "hog start");
	close(p[0]);
}

struct fresh {
	uint64_t addr;
	int uffd; /* fd number in the restored child, -1 without userfaultfd */
};

/* The restored process: a fresh, untouched anonymous mapping of N bytes; with uffd registered for
 * missing faults, with thp madvised for huge pages. */
static struct fresh start_restored(int uffd, int thp)
{
	struct fresh f = {0, -1};
	int p[2];
	if (pipe(p) < 0)
		die("restored pipe", strerror(errno));
	restored = fork_child("floor-restored");
	if (restored == 0) {
		void *m = mmap(NULL, total, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			die("restored mmap", strerror(errno));
		if (thp && madvise(m, total, MADV_HUGEPAGE) < 0)
			die("restored MADV_HUGEPAGE", strerror(errno));
		f.addr = (uintptr_t)m;
		if (uffd) {
			struct uffdio_api api = {.api = UFFD_API};
			struct uffdio_register reg = {.range = {f.addr, total},
						      .mode = UFFDIO_REGISTER_MODE_MISSING};
			f.uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
			if (f.uffd < 0 || ioctl(f.uffd, UFFDIO_API, &api) < 0 ||
			    ioctl(f.uffd, UFFDIO_REGISTER, &reg) < 0)
				die("restored userfaultfd", strerror(errno));
		}
		full_io(p[1], &f, sizeof(f), 1, "restored report");
		for (;;)
			pause();
	}
	close(p[1]);
	full_io(p[0], &f, sizeof(f), 0, "restored start");
	close(p[0]);
	return f;
}

/* The restored child's userfaultfd, in the calling process. */
static int grab_uffd(const struct fresh *f)
{
	int pfd = syscall(SYS_pidfd_open, restored, 0);
	if (pfd < 0)
		die("pidfd_open restored", strerror(errno));
	int fd = syscall(SYS_pidfd_getfd, pfd, f->uffd, 0);
	if (fd < 0)
		die("pidfd_getfd restored uffd", strerror(errno));
	close(pfd);
	return fd;
}

/* ---- moving one chunk ---- */

static void pvr(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		struct iovec l = {(char *)buf + done, len - done};
		struct iovec r = {(void *)(uintptr_t)(addr + done), len - done};
		ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);
		if (n <= 0)
			die("process_vm_readv hog", n < 0 ? strerror(errno) : "short");
		done += n;
	}
}

static void pvw(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		struct iovec l = {(char *)buf + done, len - done};
		struct iovec r = {(void *)(uintptr_t)(addr + done), len - done};
		ssize_t n = process_vm_writev(pid, &l, 1, &r, 1, 0);
		if (n <= 0)
			die("process_vm_writev restored", n < 0 ? strerror(errno) : "short");
		done += n;
	}
}

static void uffd_copy(int uffd, uint64_t addr, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		struct uffdio_copy c = {
			.dst = addr + done, .src = (uintptr_t)buf + done, .len = len - done};
		if (ioctl(uffd, UFFDIO_COPY, &c) < 0 && errno != EAGAIN)
			die("UFFDIO_COPY restored", strerror(errno));
		if (c.copy <= 0 && c.copy != -EAGAIN)
			die("UFFDIO_COPY restored", "no progress");
		if (c.copy > 0)
			done += c.copy;
	}
}

static EVP_CIPHER_CTX *cipher(const EVP_CIPHER *c, int seal)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	if (!x || EVP_CipherInit_ex(x, c, NULL, key, NULL, seal) != 1)
		die("cipher", "EVP_CipherInit_ex failed");
	return x;
}

/* Seal (tag out) or open (tag in, verified) len bytes of in to out (may be the same) under
 * nonce i. */
static int aead_io(EVP_CIPHER_CTX *x, int seal, uint64_t i, uint8_t *out, const uint8_t *in,
		   size_t len, uint8_t *tag)
{
	uint8_t n[12] = {0}, end[32];
	int outl;
	memcpy(n, &i, sizeof(i));
	if (EVP_CipherInit_ex(x, NULL, NULL, NULL, n, -1) != 1 ||
	    EVP_CipherUpdate(x, out, &outl, in, (int)len) != 1)
		return -1;
	if (seal)
		return EVP_CipherFinal_ex(x, end, &outl) == 1 &&
				       EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, TAG, tag) == 1
			       ? 0
			       : -1;
	if (EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, TAG, tag) != 1)
		return -1;
	return EVP_CipherFinal_ex(x, end, &outl) == 1 ? 0 : -1;
}

static int aead(EVP_CIPHER_CTX *x, int seal, uint64_t i, uint8_t *buf, size_t len, uint8_t *tag)
{
	return aead_io(x, seal, i, buf, buf, len, tag);
}

/* ---- the two-stage pipeline of one end ---- */

struct end {
	const struct variant *v;
	int fd; /* the TCP connection */
	uint8_t *ring[NSLOTS];
	uint8_t tag[NSLOTS][TAG];
	uint8_t *self;	    /* DST_SELF: the receiver's fresh mapping */
	uint8_t *own;	    /* SRC_OWN, SRC_SPLICE: the sender's own data */
	int pipe[2];	    /* SRC_SPLICE: vmsplice -> pipe -> splice to the socket */
	struct fresh dst;   /* DST_PVW/THP/UFFD: the restored child's mapping */
	int uffd;	    /* DST_UFFD: its userfaultfd here */
	EVP_CIPHER_CTX *cx; /* used by one stage only */
	uint64_t nchunks;
	void (*stage[2])(struct end *, uint64_t);
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t produced, consumed;
};

static size_t len_of(uint64_t i)
{
	return total - i * CHUNK < CHUNK ? total - i * CHUNK : CHUNK;
}

static uint8_t *buf_of(struct end *e, uint64_t i)
{
	if (e->self)
		return e->self + i * CHUNK;
	if (e->own && !e->v->enc)
		return e->own + i * CHUNK;
	return e->ring[i % NSLOTS];
}

static void tx_fill(struct end *e, uint64_t i) /* pvr [+ seal] */
{
	if (e->v->src == SRC_PVR)
		pvr(hog, hog_addr + i * CHUNK, buf_of(e, i), len_of(i));
	uint8_t *in = e->own ? e->own + i * CHUNK : buf_of(e, i);
	if (e->v->enc && aead_io(e->cx, 1, i, buf_of(e, i), in, len_of(i), e->tag[i % NSLOTS]) < 0)
		die("seal", "AES-256-GCM failed");
}

/* The chunk's pages go into the pipe by reference, then from the pipe to the socket. */
static void tx_splice(struct end *e, uint64_t i)
{
	for (size_t done = 0; done < len_of(i);) {
		struct iovec v = {e->own + i * CHUNK + done, len_of(i) - done};
		ssize_t n = vmsplice(e->pipe[1], &v, 1, 0);
		if (n <= 0)
			die("vmsplice", n < 0 ? strerror(errno) : "no progress");
		done += n;
		while (n > 0) {
			ssize_t m = splice(e->pipe[0], NULL, e->fd, NULL, n, SPLICE_F_MORE);
			if (m <= 0)
				die("splice to socket", m < 0 ? strerror(errno) : "no progress");
			n -= m;
		}
	}
}

static void tx_send(struct end *e, uint64_t i)
{
	if (e->v->src == SRC_SPLICE) {
		tx_splice(e, i);
		return;
	}
	full_io(e->fd, buf_of(e, i), len_of(i), 1, "send");
	if (e->v->enc)
		full_io(e->fd, e->tag[i % NSLOTS], TAG, 1, "send tag");
}

static void rx_recv(struct end *e, uint64_t i)
{
	full_io(e->fd, buf_of(e, i), len_of(i), 0, "recv");
	if (e->v->enc)
		full_io(e->fd, e->tag[i % NSLOTS], TAG, 0, "recv tag");
}

static void rx_store(struct end *e, uint64_t i) /* [open +] write */
{
	uint8_t *b = buf_of(e, i);
	if (e->v->enc && aead(e->cx, 0, i, b, len_of(i), e->tag[i % NSLOTS]) < 0)
		die("open", "AES-256-GCM tag mismatch");
	if (e->v->dst == DST_PVW || e->v->dst == DST_THP)
		pvw(restored, e->dst.addr + i * CHUNK, b, len_of(i));
	else if (e->v->dst == DST_UFFD)
		uffd_copy(e->uffd, e->dst.addr + i * CHUNK, b, len_of(i));
}

static void *producer(void *arg)
{
	struct end *e = arg;
	for (uint64_t i = 0; i < e->nchunks; i++) {
		pthread_mutex_lock(&e->mu);
		while (e->produced - e->consumed >= NSLOTS) /* ring (tags too with self) */
			pthread_cond_wait(&e->cv, &e->mu);
		pthread_mutex_unlock(&e->mu);
		e->stage[0](e, i);
		pthread_mutex_lock(&e->mu);
		e->produced++;
		pthread_cond_broadcast(&e->cv);
		pthread_mutex_unlock(&e->mu);
	}
	return NULL;
}

static void run_end(struct end *e)
{
	pthread_t t;
	if (!e->v->thr) {
		for (uint64_t i = 0; i < e->nchunks; i++) {
			e->stage[0](e, i);
			e->stage[1](e, i);
		}
		return;
	}
	if (pthread_create(&t, NULL, producer, e) != 0)
		die("pthread_create", "failed");
	for (uint64_t i = 0; i < e->nchunks; i++) {
		pthread_mutex_lock(&e->mu);
		while (e->produced <= i)
			pthread_cond_wait(&e->cv, &e->mu);
		pthread_mutex_unlock(&e->mu);
		e->stage[1](e, i);
		pthread_mutex_lock(&e->mu);
		e->consumed++;
		pthread_cond_broadcast(&e->cv);
		pthread_mutex_unlock(&e->mu);
	}
	pthread_join(t, NULL);
}

static void end_init(struct end *e, const struct variant *v, int fd)
{
	memset(e, 0, sizeof(*e));
	e->v = v;
	e->fd = fd;
	e->nchunks = (total + CHUNK - 1) / CHUNK;
	for (int k = 0; k < NSLOTS; k++) {
		e->ring[k] = malloc(CHUNK);
		if (!e->ring[k])
			die("ring", "out of memory");
		memset(e->ring[k], 0x5a, CHUNK); /* hot */
	}
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
}

/* Result of one run as reported by the ends to the parent. */
struct result {
	double dt, cpu;
};

static void sender(const struct variant *v, const struct sockaddr_in *sa, int out)
{
	struct end e;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	char c;
	if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		die("connect", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	end_init(&e, v, fd);
	e.stage[0] = tx_fill;
	e.stage[1] = tx_send;
	if (v->src == SRC_SPLICE &&
	    (pipe(e.pipe) < 0 || fcntl(e.pipe[1], F_SETPIPE_SZ, 1 << 20) < 0))
		die("sender pipe", strerror(errno));
	if (v->src == SRC_OWN || v->src == SRC_SPLICE)
		e.own = own_data;
	if (v->enc)
		e.cx = cipher(EVP_aes_256_gcm(), 1);
	full_io(fd, &c, 1, 0, "receiver ready");
	struct result r = {now_s(), cpu_self()};
	run_end(&e);
	full_io(fd, &c, 1, 0, "receiver ack");
	r.dt = now_s() - r.dt;
	r.cpu = cpu_self() - r.cpu;
	full_io(out, &r, sizeof(r), 1, "sender report");
}

static void receiver(const struct variant *v, int lfd, struct fresh dst, int out)
{
	struct end e;
	char c = 1;
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept", strerror(errno));
	end_init(&e, v, fd);
	e.stage[0] = rx_recv;
	e.stage[1] = rx_store;
	e.dst = dst;
	if (v->dst == DST_UFFD)
		e.uffd = grab_uffd(&dst);
	if (v->dst == DST_SELF) {
		e.self = mmap(NULL, total, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (e.self == MAP_FAILED)
			die("receiver mmap", strerror(errno));
	}
	if (v->enc)
		e.cx = cipher(EVP_aes_256_gcm(), 0);
	struct result r = {0, cpu_self()};
	full_io(fd, &c, 1, 1, "ready");
	run_end(&e);
	full_io(fd, &c, 1, 1, "ack");
	r.cpu = cpu_self() - r.cpu;
	full_io(out, &r, sizeof(r), 1, "receiver report");
}

/* The restored mapping holds the hog's data (first, middle and last chunk). */
static void verify(const struct fresh *f)
{
	uint8_t *a = malloc(CHUNK), *b = malloc(CHUNK);
	uint64_t n = (total + CHUNK - 1) / CHUNK, at[3] = {0, n / 2, n - 1};
	for (int k = 0; k < 3; k++) {
		pvr(hog, hog_addr + at[k] * CHUNK, a, len_of(at[k]));
		pvr(restored, f->addr + at[k] * CHUNK, b, len_of(at[k]));
		if (memcmp(a, b, len_of(at[k])))
			die("verify", "restored memory differs from the hog's");
	}
	free(a);
	free(b);
}

static void read_result(int fd, struct result *r, const char *who)
{
	if (read(fd, r, sizeof(*r)) != sizeof(*r))
		die(who, "failed (no report)");
}

static void reap(pid_t *p, const char *who)
{
	int st;
	if (waitpid(*p, &st, 0) != *p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die(who, "failed");
	*p = -1;
}

/* One migration of the variant: wall seconds, CPU seconds of each end. */
static void run_once(const struct variant *v, double *dt, double *ctx, double *crx)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	struct fresh f = {0, -1};
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rp[2], tp[2];
	struct result rr, tr;

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		die("listen on loopback", strerror(errno));
	if (v->dst != DST_HOT && settle)
		sleep(settle);
	if (v->dst == DST_PVW || v->dst == DST_THP || v->dst == DST_UFFD)
		f = start_restored(v->dst == DST_UFFD, v->dst == DST_THP);
	if (pipe(rp) < 0 || pipe(tp) < 0)
		die("pipe", strerror(errno));
	rx = fork_child("floor-rx");
	if (rx == 0) {
		close(rp[0]);
		close(tp[0]);
		close(tp[1]);
		receiver(v, lfd, f, rp[1]);
		_exit(0);
	}
	if (own_data && madvise(own_data, total, MADV_DOFORK) < 0)
		die("MADV_DOFORK", strerror(errno));
	tx = fork_child("floor-tx");
	if (tx > 0 && own_data && madvise(own_data, total, MADV_DONTFORK) < 0)
		die("MADV_DONTFORK", strerror(errno));
	if (tx == 0) {
		close(tp[0]);
		close(rp[0]);
		close(rp[1]);
		close(lfd);
		sender(v, &sa, tp[1]);
		_exit(0);
	}
	close(lfd);
	close(rp[1]);
	close(tp[1]);
	read_result(tp[0], &tr, "sender");
	read_result(rp[0], &rr, "receiver");
	close(tp[0]);
	close(rp[0]);
	reap(&tx, "sender");
	reap(&rx, "receiver");
	if (restored > 0) {
		verify(&f);
		kill_reap(&restored);
	}
	*dt = tr.dt;
	*ctx = tr.cpu;
	*crx = rr.cpu;
}

/* ---- the pieces alone, in this process ---- */

enum piece { P_PVR, P_PVW, P_PVW_THP, P_UFFD, P_MEMCPY, P_GCM_S, P_GCM_O, P_CHA_S, P_CHA_O, NP };
static const char *const piece_name[] = {
	"pvr hog->hot",	       "pvw hot->fresh",	 "pvw hot->fresh THP",
	"UFFDIO_COPY ->fresh", "memcpy ->own fresh",	 "AES-256-GCM seal",
	"AES-256-GCM open",    "ChaCha20-Poly1305 seal", "ChaCha20-Poly1305 open"};

/* Seal (in place) or open (hot ciphertext into a hot buffer, one nonce so the tag verifies)
 * total bytes as 4 MiB chunks. */
static void crypt_all(const EVP_CIPHER *c, int seal, uint8_t *buf)
{
	EVP_CIPHER_CTX *x = cipher(c, 1), *o = cipher(c, 0);
	uint8_t tag[TAG], *out = malloc(CHUNK);
	if (!out || aead(x, 1, 0, buf, CHUNK, tag) < 0) /* buf: ciphertext under nonce 0 */
		die("seal", "failed");
	memset(out, 0, CHUNK);
	for (uint64_t off = 0; off < total; off += CHUNK) {
		uint8_t t[TAG];
		memcpy(t, tag, TAG);
		if (seal ? aead(x, 1, off / CHUNK + 1, buf, CHUNK, t)
			 : aead_io(o, 0, 0, out, buf, CHUNK, t))
			die(seal ? "seal" : "open", "failed");
	}
	free(out);
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_CTX_free(o);
}

static double piece_once(enum piece p, uint8_t *hot)
{
	struct fresh f = {0, -1};
	uint8_t *own = NULL;
	int uffd = -1;
	double t0;

	if ((p == P_PVW || p == P_PVW_THP || p == P_UFFD || p == P_MEMCPY) && settle)
		sleep(settle);
	if (p == P_PVW || p == P_PVW_THP || p == P_UFFD)
		f = start_restored(p == P_UFFD, p == P_PVW_THP);
	if (p == P_UFFD)
		uffd = grab_uffd(&f);
	if (p == P_MEMCPY) {
		own = mmap(NULL, total, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (own == MAP_FAILED)
			die("mmap", strerror(errno));
	}
	t0 = now_s();
	if (p >= P_GCM_S) {
		crypt_all(p <= P_GCM_O ? EVP_aes_256_gcm() : EVP_chacha20_poly1305(),
			  p == P_GCM_S || p == P_CHA_S, hot);
		return now_s() - t0;
	}
	for (uint64_t off = 0; off < total; off += CHUNK) {
		size_t len = total - off < CHUNK ? total - off : CHUNK;
		if (p == P_PVR)
			pvr(hog, hog_addr + off, hot, len);
		else if (p == P_UFFD)
			uffd_copy(uffd, f.addr + off, hot, len);
		else if (p == P_MEMCPY)
			memcpy(own + off, hot, len);
		else
			pvw(restored, f.addr + off, hot, len);
	}
	double dt = now_s() - t0;
	if (uffd >= 0)
		close(uffd);
	if (own)
		munmap(own, total);
	kill_reap(&restored);
	return dt;
}

/* ---- driver ---- */

/* own_data for the variants that send their own memory, if any is in use. */
static void start_own(const int *use)
{
	size_t k = 0;
	while (k < NVAR && !(use[k] && variants[k].src >= SRC_OWN))
		k++;
	if (k == NVAR)
		return;
	own_data = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (own_data == MAP_FAILED || madvise(own_data, total, MADV_DONTFORK) < 0)
		die("sender data", strerror(errno));
	fill_random((uint64_t *)own_data, total / 8, 0x9e3779b97f4a7c15ULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return v[n / 2];
}

static double mibs(double s)
{
	return total / (double)MIB / s;
}

static void bench_pieces(int reps, uint8_t *hot)
{
	double t[MAX_REPS];
	for (int p = 0; p < NP; p++) {
		for (int r = 0; r < reps; r++)
			t[r] = piece_once(p, hot);
		double m = median(t, reps);
		printf("%6lu MiB  piece %-24s %8.1f MiB/s  (%.3f s; min %.3f max %.3f)  %.2f "
		       "s/GiB\n",
		       (unsigned long)(total / MIB), piece_name[p], mibs(m), m, t[0], t[reps - 1],
		       m * (1UL << 30) / total);
		fflush(stdout);
	}
}

static void bench_variants(int reps, const int *use)
{
	static double t[NVAR][MAX_REPS], ctx[NVAR][MAX_REPS], crx[NVAR][MAX_REPS],
		sum[NVAR][MAX_REPS];
	double gib = (double)total / (1UL << 30);
	for (int r = 0; r < reps; r++)
		for (size_t k = 0; k < NVAR; k++)
			if (use[k]) {
				run_once(&variants[k], &t[k][r], &ctx[k][r], &crx[k][r]);
				sum[k][r] = ctx[k][r] + crx[k][r];
			}
	double raw = 0;
	for (size_t k = 0; k < NVAR; k++) {
		if (!use[k])
			continue;
		double m = median(t[k], reps);
		if (k == 0)
			raw = m;
		printf("%6lu MiB  %-9s %8.1f MiB/s  (%.3f s; min %.3f max %.3f)  cpu/GiB tx %.2f "
		       "rx %.2f",
		       (unsigned long)(total / MIB), variants[k].name, mibs(m), m, t[k][0],
		       t[k][reps - 1], median(ctx[k], reps) / gib, median(crx[k], reps) / gib);
		if (k) /* and if both ends' CPU were spread evenly over the 2 cores */
			printf("  %5.1f%% of raw (2-core cpu bound %5.1f%%)", 100.0 * raw / m,
			       100.0 * raw / (median(sum[k], reps) / 2));
		putchar('\n');
		fflush(stdout);
	}
}

static int parse_sizes(const char *s, uint64_t *sizes, int max)
{
	int n = 0;
	for (char *end; *s && n < max; s = *end ? end + 1 : end) {
		sizes[n++] = strtoull(s, &end, 10) * MIB;
		if (sizes[n - 1] == 0 || (*end && *end != ','))
			die("--sizes", "expects MiB counts separated by commas");
	}
	return n;
}

static void parse_only(const char *s, int *use)
{
	for (size_t k = 1; k < NVAR; k++)
		use[k] = 0;
	char *dup = strdup(s), *save = NULL;
	for (char *w = strtok_r(dup, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t k = 0;
		while (k < NVAR && strcmp(variants[k].name, w))
			k++;
		if (k == NVAR)
			die("--only: no such variant", w);
		use[k] = 1;
	}
	free(dup);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-floor [--reps 5] [--big] [--sizes 64,1024] "
			"[--only NAME,...] [--settle S] [--no-pieces]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t sizes[16] = {64 * MIB, 1024 * MIB};
	int nsizes = 2, reps = 5, pieces = 1, use[NVAR];

	for (size_t k = 0; k < NVAR; k++)
		use[k] = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--big") && nsizes < 16)
			sizes[nsizes++] = 4096 * MIB;
		else if (!strcmp(argv[i], "--sizes") && i + 1 < argc)
			nsizes = parse_sizes(argv[++i], sizes, 16);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			parse_only(argv[++i], use);
		else if (!strcmp(argv[i], "--settle") && i + 1 < argc)
			settle = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--no-pieces"))
			pieces = 0;
		else
			usage();
	}
	if (reps < 1 || reps > MAX_REPS)
		die("--reps", "1..64");
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	uint8_t *hot = malloc(CHUNK);
	if (!hot)
		die("hot buffer", "out of memory");
	memset(hot, 0x5a, CHUNK);
	printf("bench-floor: loopback TCP, %lu MiB chunks, %d reps (medians), ring of %d, "
	       "settle %u s\n",
	       CHUNK / MIB, reps, NSLOTS, settle);
	for (int s = 0; s < nsizes; s++) {
		total = sizes[s];
		start_hog();
		start_own(use);
		if (pieces)
			bench_pieces(reps, hot);
		bench_variants(reps, use);
		kill_reap(&hog);
		if (own_data)
			munmap(own_data, total);
		own_data = NULL;
	}
	free(hot);
	cleanup();
	return 0;
}

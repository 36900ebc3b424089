/* SPDX-License-Identifier: MIT */
/* Destination side of a migration, run in a worker: check the request (protocol, CPU xstate,
 * vDSO layout, free memory, willingness, PID free here), accept or refuse with a reason,
 * collect the stream in memory, rebuild the tree stopped, report "rebuilt", and resume
 * it only on the source's commit; anything else kills what was rebuilt. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <zstd.h>

#include "daemon/daemon.h"
#include "restore/restore.h"

extern volatile sig_atomic_t worker_stop;

/* The image arriving while the restore loads it: a receiver thread fills the room and
 * publishes how many bytes are in; the loader waits (img_wait_fn) before reading past that. */
struct stream {
	pthread_t th;
	int running;
	uint8_t *img;
	uint64_t limit;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t avail;
	int ended;
	ssize_t result; /* the image size, or -errno */
	struct ferry_err e;
	uint64_t recv_ns, cpu_ns;
};

struct in_ctx {
	struct ferryd *d;
	struct chan *c;
	const struct mig_req *req;
	int ev_fd;
	int hook_called;
	struct stream s;
};

static void send_reason(struct chan *c, uint32_t type, int code, const char *msg)
{
	struct ferry_err e = {{0}};
	json_object *o = proto_new();
	json_object_object_add(o, "reason", json_object_new_string(msg));
	json_object_object_add(o, "code", json_object_new_int(code));
	if (peer_send_json(c, type, o, &e) < 0)
		log_debug("reply not delivered: %s", e.msg);
	json_object_put(o);
}

static void send_simple(struct chan *c, uint32_t type, pid_t pid)
{
	struct ferry_err e = {{0}};
	json_object *o = proto_new();
	if (pid)
		json_object_object_add(o, "pid", json_object_new_int(pid));
	if (peer_send_json(c, type, o, &e) < 0)
		log_debug("message %#x not delivered: %s", type, e.msg);
	json_object_put(o);
}

static void outcome(struct in_ctx *x, const char *state)
{
	json_object *ev = proto_new();
	json_object_object_add(ev, "ev", json_object_new_string("outcome"));
	json_object_object_add(ev, "mig", json_object_new_string(x->req->mig));
	json_object_object_add(ev, "state", json_object_new_string(state));
	worker_event(x->ev_fd, ev);
}

/* The reason to refuse, or NULL to accept. */
static const char *check_request(struct ferryd *d, const struct mig_req *m, char *buf, size_t n)
{
	if (!d->cfg.accept)
		return "this node does not accept migrations (accept = no)";
	if (m->xcr0 != d->xcr0 || m->xstate_size != d->xstate_size) {
		snprintf(buf, n, "CPU state differs: xcr0 %#llx/%u bytes here, %#llx/%u there",
			 (unsigned long long)d->xcr0, d->xstate_size, (unsigned long long)m->xcr0,
			 m->xstate_size);
		return buf;
	}
	if (m->vdso_fp != d->vdso_fp)
		return "the kernel's vDSO layout differs (vDSO proxying is not supported yet)";
	uint64_t need = m->mem_bytes + m->mem_bytes / 8 + (16 << 20), avail = host_mem_available();
	if (need > avail || (d->cfg.max_image_bytes && m->mem_bytes > d->cfg.max_image_bytes)) {
		snprintf(buf, n, "not enough memory: %llu MiB needed, %llu MiB available",
			 (unsigned long long)(need >> 20), (unsigned long long)(avail >> 20));
		return buf;
	}
	if (kill(m->pid, 0) == 0 || errno != ESRCH) {
		snprintf(buf, n, "pid %d is in use on %s", m->pid, d->cfg.name);
		return buf;
	}
	if (fault_at("dst-refuse"))
		return "refused by fault injection (dst-refuse)";
	return NULL;
}

/* Messages land straight in the image's room (image_room); a little slack past the limit lets
 * a control message (PM_DATA_END, PM_ABORT) that arrives when the image is full be read. */
#define RECV_SLACK (64u << 10)

static uint64_t image_limit(struct in_ctx *x)
{
	uint64_t limit = host_mem_available();
	if (x->d->cfg.max_image_bytes && x->d->cfg.max_image_bytes < limit)
		limit = x->d->cfg.max_image_bytes;
	if (fault_at("dst-oom"))
		limit = 1 << 20; /* as if the node's memory ran out during the transfer */
	return limit;
}

static void publish(struct stream *s, size_t avail, int ended, ssize_t result)
{
	pthread_mutex_lock(&s->mu);
	s->avail = avail;
	s->ended = ended;
	s->result = result;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* img_wait_fn for the loader. */
static ssize_t stream_wait(void *ud, size_t need, int *ended)
{
	struct stream *s = ud;
	pthread_mutex_lock(&s->mu);
	while (!s->ended && s->avail < need)
		pthread_cond_wait(&s->cv, &s->mu);
	ssize_t r = s->ended && s->result < 0 ? s->result : (ssize_t)s->avail;
	*ended = s->ended;
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* One PM_DATA payload (in place at img + total, or compressed in zbuf): 0, or -errno. */
static int take_chunk(struct in_ctx *x, uint8_t *img, uint64_t *total, uint64_t limit,
		      const void *zbuf, size_t len, struct ferry_err *e)
{
	if (zbuf) {
		size_t room = *total < limit ? limit - *total : 0;
		size_t n = ZSTD_decompress(img + *total, room, zbuf, len);
		if (ZSTD_isError(n)) {
			if (room < PROTO_DATA_CHUNK) /* the chunk may not fit: out of room */
				len = room + 1;
			else
				return err_set(e, -EBADMSG, "bad zstd chunk: %s",
					       ZSTD_getErrorName(n));
		} else {
			len = n;
		}
	}
	*total += len;
	if (*total > limit)
		return err_set(e, -ENOMEM, "image over %llu MiB: not enough memory on %s",
			       (unsigned long long)(limit >> 20), x->d->cfg.name);
	return 0;
}

/* Receive PM_DATA until PM_DATA_END into img (limit + RECV_SLACK bytes mapped); returns the
 * image size or -errno. */
static ssize_t receive_image(struct in_ctx *x, uint8_t *img, uint64_t limit, struct ferry_err *e)
{
	uint64_t total = 0, nchunks = 0;
	size_t zcap = x->req->compress == COMPRESS_ZSTD ? ZSTD_compressBound(PROTO_DATA_CHUNK) : 0;
	uint8_t *zbuf = zcap ? malloc(zcap) : NULL;
	if (zcap && !zbuf)
		return -ENOMEM;
	for (;;) {
		uint32_t type;
		size_t len;
		int r = zbuf ? chan_recv_into(x->c, &type, zbuf, zcap, &len, e)
			     : chan_recv_into(x->c, &type, img + total, limit + RECV_SLACK - total,
					      &len, e);
		if (r == -EMSGSIZE && !zbuf) { /* the channel's detail gives way to the cause */
			e->msg[0] = 0;
			r = err_set(e, -ENOMEM, "image over %llu MiB: not enough memory on %s",
				    (unsigned long long)(limit >> 20), x->d->cfg.name);
		}
		if (r == 0 && worker_stop)
			r = err_set(e, -ECANCELED, "ferryd on %s is stopping", x->d->cfg.name);
		if (r == 0 && type != PM_DATA)
			r = type == PM_DATA_END ? 1
			    : type == PM_ABORT
				    ? err_set(e, -ECANCELED, "the source aborted")
				    : err_set(e, -EPROTO, "unexpected message %#x", type);
		if (r == 0)
			r = take_chunk(x, img, &total, limit, zbuf, len, e);
		if (r == 0)
			publish(&x->s, total, 0, 0);
		if (r != 0) {
			free(zbuf);
			return r < 0 ? r : (ssize_t)total;
		}
		if (++nchunks == 1 && fault_at("dst-stream"))
			_exit(3); /* the destination dies mid-transfer */
		if (nchunks == 1 && fault_at("dst-stall"))
			sleep(5); /* a test kills the destination meanwhile */
	}
}

/* Room for the image: limit bytes of private anonymous memory, reserved but not committed;
 * huge pages where the kernel has them, so filling it takes one fault per 2 MiB instead of one
 * per page (a shmem memfd costs a fault, a clear and a charge per 4 KiB). MAP_FAILED on
 * failure. */
static uint8_t *image_room(uint64_t limit, size_t *maplen)
{
	*maplen = limit + RECV_SLACK;
	void *p = mmap(NULL, *maplen, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p != MAP_FAILED)
		madvise(p, *maplen, MADV_HUGEPAGE); /* a hint: without THP, 4 KiB pages */
	return p;
}

static void *receiver(void *arg)
{
	struct in_ctx *x = arg;
	uint64_t t0 = mono_ns(), c0 = thread_cpu_ns();
	ssize_t r = receive_image(x, x->s.img, x->s.limit, &x->s.e);
	x->s.recv_ns = mono_ns() - t0;
	x->s.cpu_ns = thread_cpu_ns() - c0;
	publish(&x->s, r < 0 ? x->s.avail : (size_t)r, 1, r);
	return NULL;
}

/* Wait for the receiver; its result (image size or -errno). */
static ssize_t stream_join(struct in_ctx *x)
{
	if (x->s.running)
		pthread_join(x->s.th, NULL);
	x->s.running = 0;
	return x->s.result;
}

/* Discard the rest of a stream we gave up on, until its end or the source's abort. */
static void drain(struct in_ctx *x)
{
	struct ferry_err e = {{0}};
	for (;;) {
		uint32_t type;
		void *buf = NULL;
		size_t len;
		if (chan_recv(x->c, &type, &buf, &len, &e) < 0)
			return;
		free(buf);
		if (type != PM_DATA)
			return;
	}
}

static int before_resume(void *userdata)
{
	struct in_ctx *x = userdata;
	struct ferry_err e = {{0}};
	json_object *o = NULL;
	uint32_t type;
	x->hook_called = 1;
	stream_join(x);		    /* done: the loader had the whole image */
	if (fault_at("dst-hang")) { /* silent past the source's timeout, until it gives up */
		struct pollfd p = {chan_fd(x->c), POLLIN, 0};
		for (int i = 0; i < x->d->cfg.timeout_ms / 100 + 10 && !worker_stop; i++)
			if (poll(&p, 1, 100) > 0)
				break;
	}
	send_simple(x->c, PM_REBUILT, x->req->pid);
	if (fault_at("dst-die-holding"))
		raise(SIGKILL); /* the tree dies with us (EXITKILL); the daemon says "aborted" */
	if (fault_at("dst-rebuilt")) {
		chan_close(x->c); /* the connection is cut after "rebuilt" */
		x->c = NULL;
		outcome(x, "aborted");
		return 1;
	}
	int r = peer_recv_json(x->c, &type, &o, &e);
	json_object_put(o);
	if (r < 0 || type != PM_COMMIT || worker_stop) {
		log_warn("migration %s: no commit from %s (%s): discarding the copy", x->req->mig,
			 x->req->from, r < 0 ? e.msg : "unexpected message");
		outcome(x, "aborted");
		return 1;
	}
	return 0; /* "resumed" is reported once the tree is released, see migrate_in */
}

/* "arrived" once the tree runs here; "incoming" (with the migration's id) as soon as it is
 * accepted, so that if this worker dies before an outcome the daemon can settle it from the
 * tree's state and register the tree if it runs (worker_lost). */
static void announce(struct in_ctx *x, const char *ev_name, pid_t pid)
{
	json_object *ev = proto_new();
	json_object_object_add(ev, "ev", json_object_new_string(ev_name));
	json_object_object_add(ev, "pid", json_object_new_int(pid));
	json_object_object_add(ev, "cmd", json_object_new_string(x->req->cmd));
	if (!x->req->clone) { /* a clone is a new process whose home is here */
		json_object_object_add(ev, "id", json_object_new_string(x->req->id));
		json_object_object_add(ev, "since", json_object_new_int64(x->req->since));
	}
	if (!strcmp(ev_name, "incoming"))
		json_object_object_add(ev, "mig", json_object_new_string(x->req->mig));
	worker_event(x->ev_fd, ev);
}

static int start_stream(struct in_ctx *x, struct ferry_err *e)
{
	size_t maplen;
	int r = restore_reserve_fds(); /* while we have no other thread */
	if (r < 0)
		log_debug("cannot grow the fd table ahead: %s", strerror(-r));
	x->s.limit = image_limit(x);
	x->s.img = image_room(x->s.limit, &maplen);
	if (x->s.img == MAP_FAILED)
		return err_set(e, -ENOMEM, "cannot map room for the image: %m");
	pthread_mutex_init(&x->s.mu, NULL);
	pthread_cond_init(&x->s.cv, NULL);
	r = pthread_create(&x->s.th, NULL, receiver, x);
	if (r)
		return err_set(e, -r, "cannot start the image receiver: %s", strerror(r));
	x->s.running = 1;
	return 0;
}

/* Before "rebuilt": tell the source why (the receiver's own error first: the loader only saw
 * the stream break), and leave nothing behind. */
static void __attribute__((noreturn)) fail(struct in_ctx *x, int r, struct ferry_err *e)
{
	int hook = x->hook_called, stream_broke = stream_join(x) < 0;
	if (stream_broke) {
		r = (int)x->s.result;
		e = &x->s.e;
	}
	log_warn("migration %s of pid %d from %s: %s", x->req->mig, x->req->pid, x->req->from,
		 e->msg[0] ? e->msg : strerror(-r));
	if (!hook) {
		send_reason(x->c, PM_FAILED, -r, e->msg[0] ? e->msg : strerror(-r));
		outcome(x, "aborted");
		if (stream_broke)
			drain(x); /* so the source reads PM_FAILED instead of a broken stream */
	}
	_exit(1);
}

void migrate_in(struct ferryd *d, struct chan *c, const struct mig_req *req, int ev_fd)
{
	struct in_ctx x = {.d = d, .c = c, .req = req, .ev_fd = ev_fd};
	struct ferry_err e = {{0}};
	char why[256];
	const char *refuse = check_request(d, req, why, sizeof(why));
	if (refuse) {
		log_info("refusing %s of pid %d from %s: %s", req->mig, req->pid, req->from,
			 refuse);
		send_reason(c, PM_REFUSE, EXDEV, refuse);
		_exit(0);
	}
	send_simple(c, PM_ACCEPT, 0);
	if (req->dry_run)
		_exit(0);
	announce(&x, "incoming", req->pid);
	uint64_t c0 = thread_cpu_ns();
	struct restore_stats st;
	int r = start_stream(&x, &e);
	if (r == 0) {
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		struct restore_opts o = {.image_buf = x.s.img,
					 .image_len = x.s.limit,
					 .image_wait = stream_wait,
					 .image_wait_ud = &x.s,
					 .before_resume = before_resume,
					 .userdata = &x,
					 .vdso = &d->vdso,
					 .vdso_fp = d->vdso_fp};
		r = fault_at("dst-restore") ? err_set(&e, -EIO, "restore failed by fault injection")
					    : restore_tree(&o, &st, &e);
	}
	if (r < 0)
		fail(&x, r, &e); /* does not return */
	if (fault_at("dst-die-released"))
		raise(SIGKILL); /* the tree runs; the daemon finds it and says "resumed" */
	outcome(&x, "resumed");
	announce(&x, "arrived", st.root_pid);
	if (!fault_at("dst-resumed"))
		send_simple(c, PM_RESUMED, st.root_pid);
	log_debug("%s: validated with the stream %.1f, prepare %.1f, layout %.1f (page fill "
		  "%.1f), state %.1f, until the commit %.1f ms",
		  req->mig, st.load_ns / 1e6, st.prep_ns / 1e6, st.layout_ns / 1e6,
		  st.fill_ns / 1e6, st.state_ns / 1e6, st.hook_ns / 1e6);
	log_info("migration %s: pid %d from %s runs here (%.1f MiB, received in %.1f ms, cpu "
		 "%.1f ms; restore %.1f ms from the first byte, cpu %.1f ms)",
		 req->mig, st.root_pid, req->from, st.image_bytes / 1048576.0, x.s.recv_ns / 1e6,
		 x.s.cpu_ns / 1e6, st.total_ns / 1e6, (thread_cpu_ns() - c0) / 1e6);
	_exit(0);
}

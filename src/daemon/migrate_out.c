/* SPDX-License-Identifier: MIT */
/* Source side of a migration (or clone), run in a worker: negotiate with the destination,
 * freeze and dump the tree, its image stream sent over the channel as it is written,
 * then — still frozen — wait for the destination's "rebuilt", commit, and only once the
 * destination runs its copy let the engine kill ours. Any failure before that thaws the tree. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "common/fdio.h"
#include "common/vdso.h"
#include "daemon/daemon.h"
#include "dump/dump.h"

extern volatile sig_atomic_t worker_stop;

struct out_ctx {
	struct ferryd *d;
	const struct ctl_req *q;
	struct chan *c;
	int ev_fd;
	int fwd_err; /* the stream's failure, detailed in fwd_e */
	struct ferry_err fwd_e;
	void *zbuf; /* compression output, zcap bytes, when compressing */
	size_t zcap;
	uint64_t raw_bytes, wire_bytes, send_cpu_ns;
	struct mig_req req;
	int dest_failed; /* the destination already said why it failed */
	pid_t dest_pid;
	uint64_t frozen_at, commit_ns;
	struct ferry_err e;
};

/* The dump's image stream, as it is written: PM_DATA messages of at most PROTO_DATA_CHUNK
 * image bytes, each compressed on its own when asked, sent straight from the writer's buffers
 * (from the dump's thread for metadata, from the page-writer thread for pages; never both at
 * once). A failure stops the dump, which thaws the tree. */
static int send_stream(void *ud, const void *p, size_t n)
{
	struct out_ctx *x = ud;
	uint64_t c0 = thread_cpu_ns();
	int r = 0;
	while (n && r == 0) {
		size_t k = n < PROTO_DATA_CHUNK ? n : PROTO_DATA_CHUNK;
		const void *out = p;
		size_t len = k;
		if (x->zbuf) {
			len = ZSTD_compress(x->zbuf, x->zcap, p, k, 1);
			if (ZSTD_isError(len)) {
				r = err_set(&x->fwd_e, -EIO, "zstd: %s", ZSTD_getErrorName(len));
				break;
			}
			out = x->zbuf;
		}
		r = chan_send(x->c, PM_DATA, out, len, &x->fwd_e);
		x->raw_bytes += k;
		x->wire_bytes += len;
		p = (const uint8_t *)p + k;
		n -= k;
	}
	x->send_cpu_ns += thread_cpu_ns() - c0;
	if (r < 0 && !x->fwd_err)
		x->fwd_err = r;
	return r;
}

/* The whole image went out (the writer committed): say how many bytes it had. */
static int end_stream(struct out_ctx *x)
{
	log_debug("migration %s: sending the stream took %.1f ms of cpu", x->req.mig,
		  x->send_cpu_ns / 1e6);
	json_object *o = proto_new();
	json_object_object_add(o, "bytes", json_object_new_int64(x->raw_bytes));
	int r = peer_send_json(x->c, PM_DATA_END, o, &x->fwd_e);
	json_object_put(o);
	if (r < 0) {
		x->fwd_err = r;
		return err_set(&x->e, r, "sending the image: %s", x->fwd_e.msg);
	}
	return 0;
}

/* After PM_COMMIT the destination decides; if its answer is lost, ask it again. */
static int ask_outcome(struct out_ctx *x)
{
	uint64_t deadline = mono_ns() + (uint64_t)x->d->cfg.timeout_ms * 1000000ULL;
	while (mono_ns() < deadline) {
		json_object *q = proto_new(), *r = NULL;
		struct ferry_err e = {{0}};
		char state[16] = "";
		json_object_object_add(q, "mig", json_object_new_string(x->req.mig));
		int k = peer_call(x->d, x->q->to, PM_STATUS_REQ, q, &r, &e);
		if (k == 0 && proto_str(r, "state", state, sizeof(state), 1, &e) < 0)
			state[0] = 0;
		json_object_put(q);
		json_object_put(r);
		if (!strcmp(state, "resumed"))
			return 0;
		if (!strcmp(state, "aborted"))
			return -ECANCELED;
		log_info("migration %s: outcome not known yet (%s)", x->req.mig,
			 k < 0 ? e.msg : state);
		struct timespec t = {0, 100000000};
		nanosleep(&t, NULL);
	}
	return -ETIMEDOUT;
}

/* Called by the engine with the tree frozen and the image complete: 0 = commit, else thaw. */
static int before_release(void *userdata, struct dump_ctx *hold)
{
	struct out_ctx *x = userdata;
	json_object *o = NULL;
	uint32_t type;
	int r = end_stream(x);
	uint64_t t_stream = mono_ns();
	if (r < 0)
		return 1;
	if (fault_at("src-before-commit") || worker_stop)
		return err_set(&x->e, -ECANCELED, "cancelled before commit"), 1;
	r = peer_recv_json(x->c, &type, &o, &x->e);
	if (r < 0 || type != PM_REBUILT) {
		x->dest_failed = r < 0 && type == PM_FAILED;
		if (r == -ECONNRESET || r == -ESHUTDOWN || r == -EPIPE) {
			/* The whole image fitted in the socket buffers, so the sender saw no error:
			 * the destination went away before it had the image. */
			char why[512];
			snprintf(why, sizeof(why), "%s", x->e.msg);
			x->e.msg[0] = 0;
			err_set(&x->e, r,
				"sending the image to %s: the connection broke before "
				"'rebuilt' (%s)",
				x->q->to, why);
		}
		json_object_put(o);
		err_set(&x->e, r < 0 ? r : -EPROTO, "no 'rebuilt' from %s", x->q->to);
		return 1;
	}
	json_object_put(o);
	o = proto_new();
	x->commit_ns = mono_ns();
	log_debug("migration %s: frozen->streamed %.1f ms, ->rebuilt %.1f ms", x->req.mig,
		  (t_stream - x->frozen_at) / 1e6, (x->commit_ns - t_stream) / 1e6);
	/* Past this point the destination may run its copy: ours must not outlive this worker. */
	r = x->q->cmd == CTL_MIGRATE ? dump_bind_tree(hold) : 0;
	if (r == 0)
		r = peer_send_json(x->c, PM_COMMIT, o, &x->e);
	json_object_put(o);
	o = NULL;
	if (r == 0 && fault_at("src-die-after-commit"))
		raise(SIGKILL); /* our frozen copy dies with us (dump_bind_tree) */
	if (r == 0)
		r = peer_recv_json(x->c, &type, &o, &x->e);
	if (r == 0 && type == PM_RESUMED) {
		int64_t pid;
		if (proto_int(o, "pid", 1, INT32_MAX, &pid, 1, &x->e) == 0)
			x->dest_pid = (pid_t)pid;
	} else {
		log_warn("migration %s: commit not confirmed (%s), asking %s", x->req.mig, x->e.msg,
			 x->q->to);
		r = ask_outcome(x);
		if (r < 0) {
			json_object_put(o);
			return err_set(&x->e, r, "%s did not confirm the commit", x->q->to), 1;
		}
		x->e.msg[0] = 0;
	}
	json_object_put(o);
	if (!x->q->dry_run && x->q->cmd == CTL_MIGRATE) {
		json_object *ev = proto_new();
		json_object_object_add(ev, "ev", json_object_new_string("leaving"));
		json_object_object_add(ev, "pid", json_object_new_int(x->req.pid));
		worker_event(x->ev_fd, ev);
	}
	return 0;
}

static int negotiate(struct out_ctx *x, const struct local_proc *lp)
{
	struct ferryd *d = x->d;
	struct mig_req *m = &x->req;
	json_object *o;
	uint32_t type;
	random_hex(m->mig, 16);
	snprintf(m->id, sizeof(m->id), "%s", lp->id);
	snprintf(m->from, sizeof(m->from), "%s", d->cfg.name);
	snprintf(m->cmd, sizeof(m->cmd), "%s", lp->cmd);
	m->pid = x->q->pid;
	if (proc_owner_uid(m->pid, &m->uid) < 0)
		return err_set(&x->e, -ESRCH, "no process %d on this node", m->pid);
	m->xcr0 = d->xcr0;
	m->xstate_size = d->xstate_size;
	m->vdso_fp = d->vdso_fp;
	m->mem_bytes = proc_rss_bytes(m->pid);
	m->since = lp->since;
	m->dry_run = x->q->dry_run;
	m->clone = x->q->cmd == CTL_CLONE;
	m->compress = x->q->compress;
	int r = peer_connect(d, x->q->to, &x->c, &x->e);
	if (r < 0)
		return r;
	o = mig_req_json(m);
	r = peer_send_json(x->c, PM_MIGRATE_REQ, o, &x->e);
	json_object_put(o);
	if (r < 0)
		return r;
	o = NULL;
	r = peer_recv_json(x->c, &type, &o, &x->e);
	json_object_put(o);
	if (r < 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", x->e.msg);
		x->e.msg[0] = 0;
		return err_set(&x->e, r == -ETIMEDOUT || r == -ECONNRESET ? r : -EXDEV,
			       "%s refused: %s", x->q->to, why);
	}
	if (type != PM_ACCEPT)
		return err_set(&x->e, -EPROTO, "%s answered %#x instead of accept/refuse", x->q->to,
			       type);
	return 0;
}

static void send_abort(struct out_ctx *x, const char *why)
{
	struct ferry_err e = {{0}};
	json_object *o = proto_new();
	json_object_object_add(o, "reason", json_object_new_string(why));
	if (peer_send_json(x->c, PM_ABORT, o, &e) < 0)
		log_debug("abort not delivered: %s", e.msg);
	json_object_put(o);
}

static int start_stream(struct out_ctx *x)
{
	if (!x->req.compress)
		return 0;
	x->zcap = ZSTD_compressBound(PROTO_DATA_CHUNK);
	x->zbuf = malloc(x->zcap);
	return x->zbuf ? 0 : -ENOMEM;
}

/* The home learns the new location before the user does (the destination tells it too). A
 * destination that is the home needs no call: its worker queued the arrival for its daemon (the
 * home record) before it sent "resumed", as a PM_UPDATE's worker would before its reply, so the
 * call would only cost a connection and a handshake. */
static void tell_home(struct out_ctx *x)
{
	char home[NODE_NAME_MAX];
	int32_t pid;
	uint64_t start;
	struct ferry_err e = {{0}};
	if (proto_id_parse(x->req.id, home, &pid, &start) < 0 || !strcmp(home, x->q->to))
		return;
	json_object *o = proto_new(), *r = NULL;
	json_object_object_add(o, "id", json_object_new_string(x->req.id));
	json_object_object_add(o, "node", json_object_new_string(x->q->to));
	json_object_object_add(o, "cmd", json_object_new_string(x->req.cmd));
	json_object_object_add(o, "state", json_object_new_string("running"));
	if (!strcmp(home, x->d->cfg.name)) {
		json_object_object_add(o, "ev", json_object_new_string("update"));
		worker_event(x->ev_fd, o);
		return;
	}
	if (peer_call(x->d, home, PM_UPDATE, o, &r, &e) < 0)
		log_warn("cannot tell home node %s where %s is: %s", home, x->req.id, e.msg);
	json_object_put(o);
	json_object_put(r);
}

static void report(struct out_ctx *x, int client_fd, const struct dump_stats *st, uint64_t t0)
{
	json_object *o = proto_new();
	json_object_object_add(o, "node", json_object_new_string(x->q->to));
	json_object_object_add(o, "id", json_object_new_string(x->req.id));
	json_object_object_add(o, "pid",
			       json_object_new_int(x->dest_pid ? x->dest_pid : x->req.pid));
	json_object_object_add(o, "dry_run", json_object_new_boolean(x->q->dry_run));
	if (st) {
		json_object_object_add(o, "image_bytes", json_object_new_int64(st->image_bytes));
		json_object_object_add(o, "wire_bytes", json_object_new_int64(x->wire_bytes));
		json_object_object_add(o, "frozen_ms", json_object_new_double(st->frozen_ns / 1e6));
		json_object_object_add(o, "commit_ms",
				       json_object_new_double((mono_ns() - x->commit_ns) / 1e6));
	}
	json_object_object_add(o, "total_ms", json_object_new_double((mono_ns() - t0) / 1e6));
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	if (frame_write(client_fd, o) < 0)
		log_warn("control client went away before the reply");
	json_object_put(o);
}

void migrate_out(struct ferryd *d, const struct ctl_req *q, const struct local_proc *lp,
		 int client_fd, int ev_fd)
{
	struct out_ctx x = {.d = d, .q = q, .ev_fd = ev_fd};
	struct dump_stats st;
	uint64_t t0 = mono_ns();
	const char *verb = q->cmd == CTL_CLONE ? "clone" : "migration";
	signal(SIGPIPE, SIG_IGN);
	int r = negotiate(&x, lp);
	if (r == 0 && q->dry_run) {
		send_abort(&x, "dry run");
		report(&x, client_fd, NULL, t0);
		chan_close(x.c);
		_exit(0);
	}
	if (r == 0)
		r = start_stream(&x);
	if (r == 0) {
		log_info("%s of pid %d (%s) to %s: %s (negotiated in %.1f ms)", verb, q->pid,
			 lp->id, q->to, x.req.mig, (mono_ns() - t0) / 1e6);
		x.frozen_at = mono_ns();
		struct dump_opts o = {.pid = q->pid,
				      .out_fd = -1,
				      .sink = send_stream,
				      .sink_ud = &x,
				      .leave_running = q->cmd == CTL_CLONE,
				      .before_release = before_release,
				      .userdata = &x};
		r = dump_tree(&o, &st, &x.e);
		if (x.fwd_err < 0) { /* the stream broke: say where, with its cause */
			r = x.fwd_err;
			snprintf(x.e.msg, sizeof(x.e.msg), "sending the image to %s: %.400s", q->to,
				 x.fwd_e.msg);
		}
	}
	if (r < 0) {
		if (x.c && !x.dest_failed)
			send_abort(&x, x.e.msg[0] ? x.e.msg : strerror(-r));
		char msg[700];
		const char *why = x.e.msg[0] ? x.e.msg : strerror(-r);
		snprintf(msg, sizeof(msg), "not %s, it continues on %s: %s",
			 q->cmd == CTL_CLONE ? "cloned" : "migrated", d->cfg.name, why);
		log_warn("%s of pid %d to %s failed: %s", verb, q->pid, q->to, why);
		reply_error(client_fd, -r, msg);
		chan_close(x.c);
		free(x.zbuf);
		_exit(1);
	}
	if (q->cmd == CTL_MIGRATE)
		tell_home(&x);
	log_info("%s of pid %d to %s done: %.1f MiB, frozen %.1f ms", verb, q->pid, q->to,
		 st.image_bytes / 1048576.0, st.frozen_ns / 1e6);
	log_debug("%s: freeze %.1f, prepare %.1f, task %.1f, memory %.1f, files %.1f, end %.1f, "
		  "until the commit was confirmed %.1f ms",
		  x.req.mig, st.freeze_ns / 1e6, st.prep_ns / 1e6, st.task_ns / 1e6,
		  st.mem_ns / 1e6, st.files_ns / 1e6, st.commit_ns / 1e6, st.hook_ns / 1e6);
	report(&x, client_fd, &st, t0);
	chan_close(x.c);
	free(x.zbuf);
	_exit(0);
}

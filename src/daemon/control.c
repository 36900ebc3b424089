/* SPDX-License-Identifier: MIT */
/* The local control socket, served in a worker: one JSON request, one JSON reply (a migration
 * may send progress replies first). The client's uid (SO_PEERCRED) decides what it may do: a
 * non-root user acts only on processes it owns and starts processes as itself. */
#include <string.h>
#include <sys/socket.h>

#include "daemon/daemon.h"

int reply_error(int fd, int code, const char *msg)
{
	json_object *o = proto_new();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "error", json_object_new_string(msg));
	int r = frame_write(fd, o);
	json_object_put(o);
	return r;
}

static void reply(int fd, json_object *o)
{
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	if (frame_write(fd, o) < 0)
		log_warn("control client went away before the reply");
	json_object_put(o);
}

static int check_owner(int fd, const struct ucred *cr, pid_t pid)
{
	uint32_t owner;
	char msg[160];
	if (proc_owner_uid(pid, &owner) < 0) {
		snprintf(msg, sizeof(msg), "no process %d on this node", pid);
		reply_error(fd, ESRCH, msg);
		return -1;
	}
	if (cr->uid != 0 && cr->uid != owner) {
		snprintf(msg, sizeof(msg),
			 "permission denied: pid %d belongs to uid %u, you are uid %u", pid, owner,
			 cr->uid);
		reply_error(fd, EPERM, msg);
		return -1;
	}
	return 0;
}

static void do_status(struct ferryd *d, int fd)
{
	json_object *o = proto_new(), *peers = json_object_new_array();
	json_object_object_add(o, "node", json_object_new_string(d->cfg.name));
	json_object_object_add(o, "listen", json_object_new_string(d->cfg.listen));
	json_object_object_add(o, "pid", json_object_new_int(getppid()));
	json_object_object_add(o, "processes", json_object_new_int((int)d->nlocal));
	for (size_t i = 0; i < d->cfg.npeers; i++)
		json_object_array_add(peers, json_object_new_string(d->cfg.peers[i].name));
	json_object_object_add(o, "peers", peers);
	reply(fd, o);
}

static void do_ps(struct ferryd *d, int fd)
{
	json_object *o = proto_new(), *all = local_ps_json(d), *down = json_object_new_array();
	for (size_t i = 0; i < d->cfg.npeers; i++) {
		json_object *q = proto_new(), *r = NULL, *procs;
		struct ferry_err e = {{0}};
		if (!strcmp(d->cfg.peers[i].name, d->cfg.name)) {
			json_object_put(q);
			continue;
		}
		if (peer_call(d, d->cfg.peers[i].name, PM_PS_REQ, q, &r, &e) == 0 &&
		    json_object_object_get_ex(r, "procs", &procs) &&
		    json_object_is_type(procs, json_type_array)) {
			for (size_t k = 0; k < json_object_array_length(procs); k++)
				json_object_array_add(
					all, json_object_get(json_object_array_get_idx(procs, k)));
		} else {
			log_warn("ps: node %s: %s", d->cfg.peers[i].name, e.msg);
			json_object_array_add(down, json_object_new_string(d->cfg.peers[i].name));
		}
		json_object_put(q);
		json_object_put(r);
	}
	json_object_object_add(o, "procs", all);
	json_object_object_add(o, "unreachable", down);
	reply(fd, o);
}

static void do_where(struct ferryd *d, int fd, const char *id)
{
	char home[NODE_NAME_MAX], msg[256];
	int32_t pid;
	uint64_t start;
	struct ferry_err e = {{0}};
	if (proto_id_parse(id, home, &pid, &start) < 0) {
		snprintf(msg, sizeof(msg),
			 "'%s' is not a process id (home:pid:start, see ferry ps)", id);
		reply_error(fd, EINVAL, msg);
		return;
	}
	json_object *o;
	if (!strcmp(home, d->cfg.name)) {
		struct home_rec *h = home_find(d, id);
		if (!h) {
			snprintf(msg, sizeof(msg), "no process %s is known at its home node %s", id,
				 home);
			reply_error(fd, ENOENT, msg);
			return;
		}
		o = proto_new();
		json_object_object_add(o, "node", json_object_new_string(h->node));
		json_object_object_add(o, "cmd", json_object_new_string(h->cmd));
		json_object_object_add(o, "state", json_object_new_string(h->state));
		json_object_object_add(o, "exit_status", json_object_new_int(h->exit_status));
	} else {
		json_object *q = proto_new();
		json_object_object_add(q, "id", json_object_new_string(id));
		int r = peer_call(d, home, PM_LOCATE, q, &o, &e);
		json_object_put(q);
		if (r < 0) {
			reply_error(fd, -r, e.msg);
			return;
		}
	}
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "home", json_object_new_string(home));
	reply(fd, o);
}

static void do_run(struct ferryd *d, int fd, struct ctl_req *q, const struct ucred *cr, int ev_fd)
{
	struct ferry_err e = {{0}};
	q->run.uid = cr->uid;
	q->run.gid = cr->gid;
	snprintf(q->run.home, sizeof(q->run.home), "%s", d->cfg.name);
	if (q->to[0] && strcmp(q->to, d->cfg.name)) {
		json_object *req = run_req_json(&q->run), *r = NULL;
		int x = peer_call(d, q->to, PM_RUN_REQ, req, &r, &e);
		char id[PROC_ID_MAX];
		json_object_put(req);
		if (x == 0 && proto_str(r, "id", id, sizeof(id), 1, &e) < 0)
			x = -EBADMSG;
		if (x < 0) {
			json_object_put(r);
			reply_error(fd, -x, e.msg);
			return;
		}
		/* We are its home: record it before the user can ask where it is. */
		json_object *ev = proto_new();
		json_object_object_add(ev, "ev", json_object_new_string("update"));
		json_object_object_add(ev, "id", json_object_new_string(id));
		json_object_object_add(ev, "node", json_object_new_string(q->to));
		json_object_object_add(ev, "cmd", json_object_new_string(q->run.argv[0]));
		json_object_object_add(ev, "state", json_object_new_string("running"));
		worker_event(ev_fd, ev);
		reply(fd, r);
		return;
	}
	pid_t pid = spawn_run(d, &q->run, &e);
	char id[PROC_ID_MAX];
	if (pid < 0 || proc_make_id(d->cfg.name, pid, id) < 0) {
		reply_error(fd, pid < 0 ? -pid : ESRCH,
			    pid < 0 ? e.msg : "the process ended at once");
		return;
	}
	json_object *o = proto_new();
	spawned_event(ev_fd, id, pid, q->run.argv[0], o);
	json_object_object_add(o, "node", json_object_new_string(d->cfg.name));
	reply(fd, o);
}

static void do_migrate(struct ferryd *d, int fd, struct ctl_req *q, const struct ucred *cr,
		       int ev_fd)
{
	char msg[160];
	if (check_owner(fd, cr, q->pid) < 0)
		return;
	if (!strcmp(q->to, d->cfg.name)) {
		snprintf(msg, sizeof(msg), "pid %d already runs on %s", q->pid, q->to);
		reply_error(fd, EINVAL, msg);
		return;
	}
	if (!config_peer(&d->cfg, q->to)) {
		snprintf(msg, sizeof(msg), "unknown node '%s' (not in [peers] of %s)", q->to,
			 d->cfg.name);
		reply_error(fd, ENOENT, msg);
		return;
	}
	if (!q->compress_set)
		q->compress = d->cfg.compress;
	struct local_proc *lp = local_adopt(d, q->pid); /* our snapshot; the daemon does the same */
	if (!lp) {
		snprintf(msg, sizeof(msg), "no process %d on this node", q->pid);
		reply_error(fd, ESRCH, msg);
		return;
	}
	json_object *ev = proto_new();
	json_object_object_add(ev, "ev", json_object_new_string("adopt"));
	json_object_object_add(ev, "pid", json_object_new_int(q->pid));
	worker_event(ev_fd, ev);
	migrate_out(d, q, lp, fd, ev_fd);
}

void control_serve(struct ferryd *d, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct ferry_err e = {{0}};
	struct ctl_req q;
	json_object *o;
	int ev_fd;
	if (!worker_fork(d, fd, "a control request", &ev_fd))
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		_exit(1);
	if (frame_read(fd, d->cfg.timeout_ms, &o, &e) < 0) {
		reply_error(fd, EBADMSG, e.msg);
		_exit(1);
	}
	int r = ctl_req_from_json(o, &q, &e);
	json_object_put(o);
	if (r < 0) {
		reply_error(fd, -r, e.msg);
		_exit(1);
	}
	log_debug("control request %d from uid %u pid %d", q.cmd, cr.uid, cr.pid);
	switch (q.cmd) {
	case CTL_STATUS:
		do_status(d, fd);
		break;
	case CTL_PS:
		do_ps(d, fd);
		break;
	case CTL_WHERE:
		do_where(d, fd, q.id);
		break;
	case CTL_RUN:
		do_run(d, fd, &q, &cr, ev_fd);
		break;
	case CTL_MIGRATE:
	case CTL_CLONE:
		do_migrate(d, fd, &q, &cr, ev_fd);
		break;
	}
	ctl_req_free(&q);
	_exit(0);
}

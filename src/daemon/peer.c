/* SPDX-License-Identifier: MIT */
/* Peer side of ferryd: one request/reply call to another node, and the server for one accepted
 * connection (run in a worker): migration requests, home-registry lookups and updates, process
 * listings, remote starts. Every message is parsed strictly before use. */
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "daemon/daemon.h"

int peer_send_json(struct chan *c, uint32_t type, json_object *o, struct ferry_err *e)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	return chan_send(c, type, s, len, e);
}

static int send_error(struct chan *c, int code, const char *msg)
{
	struct ferry_err e = {{0}};
	json_object *o = proto_new();
	json_object_object_add(o, "reason", json_object_new_string(msg));
	json_object_object_add(o, "code", json_object_new_int(code));
	int r = peer_send_json(c, PM_ERROR, o, &e);
	json_object_put(o);
	return r;
}

/* Decode a PM_OK reply, or turn PM_ERROR / PM_REFUSE / PM_FAILED into an error with reason. */
static int decode_reply(uint32_t type, void *buf, size_t len, json_object **ret,
			struct ferry_err *e)
{
	json_object *o;
	char reason[512];
	int64_t code;
	int r = proto_decode(buf, len, &o, e);
	if (r < 0)
		return r;
	if (type != PM_ERROR && type != PM_REFUSE && type != PM_FAILED && type != PM_ABORT) {
		*ret = o;
		return 0;
	}
	if (proto_str(o, "reason", reason, sizeof(reason), 1, e) < 0 ||
	    proto_int(o, "code", 1, 4095, &code, 0, e) < 0) {
		json_object_put(o);
		return err_set(e, -EBADMSG, "malformed reply of type %#x", type);
	}
	json_object_put(o);
	return err_set(e, code ? -(int)code : -EPERM, "%s", reason);
}

int peer_recv_json(struct chan *c, uint32_t *type, json_object **ret, struct ferry_err *e)
{
	void *buf = NULL;
	size_t len;
	int r = chan_recv(c, type, &buf, &len, e);
	if (r < 0)
		return r;
	r = decode_reply(*type, buf, len, ret, e);
	free(buf);
	return r;
}

int peer_connect(struct ferryd *d, const char *node, struct chan **ret, struct ferry_err *e)
{
	const struct peer_conf *p = config_peer(&d->cfg, node);
	if (!p)
		return err_set(e, -ENOENT, "unknown node '%s' (not in [peers] of this node)", node);
	int r = chan_connect(p->addr, d->key, &d->copts, ret, e);
	if (r < 0)
		return err_set(e, r, "cannot reach node %s at %s: %s", node, p->addr, strerror(-r));
	return 0;
}

int peer_call(struct ferryd *d, const char *node, uint32_t type, json_object *req,
	      json_object **ret, struct ferry_err *e)
{
	struct chan *c;
	uint32_t rtype;
	*ret = NULL;
	int r = peer_connect(d, node, &c, e);
	if (r < 0)
		return r;
	r = peer_send_json(c, type, req, e);
	if (r == 0)
		r = peer_recv_json(c, &rtype, ret, e);
	chan_close(c);
	return r;
}

static void reply_ok(struct chan *c, json_object *o)
{
	struct ferry_err e = {{0}};
	if (peer_send_json(c, PM_OK, o, &e) < 0)
		log_warn("peer %s: cannot reply: %s", chan_peer(c), e.msg);
	json_object_put(o);
}

static void serve_locate(struct ferryd *d, struct chan *c, json_object *q)
{
	char id[PROC_ID_MAX];
	struct ferry_err e = {{0}};
	if (proto_str(q, "id", id, sizeof(id), 1, &e) < 0) {
		send_error(c, EBADMSG, e.msg);
		return;
	}
	struct home_rec *h = home_find(d, id);
	if (!h) {
		char msg[256];
		snprintf(msg, sizeof(msg), "no process %s is known at its home node %s", id,
			 d->cfg.name);
		send_error(c, ENOENT, msg);
		return;
	}
	json_object *o = proto_new();
	json_object_object_add(o, "id", json_object_new_string(h->id));
	json_object_object_add(o, "node", json_object_new_string(h->node));
	json_object_object_add(o, "cmd", json_object_new_string(h->cmd));
	json_object_object_add(o, "state", json_object_new_string(h->state));
	json_object_object_add(o, "exit_status", json_object_new_int(h->exit_status));
	reply_ok(c, o);
}

static void serve_run(struct ferryd *d, struct chan *c, const void *buf, size_t len, int ev_fd)
{
	struct run_req r;
	struct ferry_err e = {{0}};
	int x = run_req_parse(buf, len, &r, &e);
	if (x < 0) {
		send_error(c, -x, e.msg);
		return;
	}
	pid_t pid = spawn_run(d, &r, &e);
	char id[PROC_ID_MAX];
	if (pid < 0 ||
	    proc_make_id(proto_node_name_ok(r.home) ? r.home : d->cfg.name, pid, id) < 0) {
		send_error(c, pid < 0 ? -pid : ESRCH,
			   pid < 0 ? e.msg : "the process ended at once");
	} else {
		json_object *o = proto_new();
		spawned_event(ev_fd, id, pid, r.argv[0], o);
		json_object_object_add(o, "node", json_object_new_string(d->cfg.name));
		reply_ok(c, o);
	}
	run_req_free(&r);
}

static void serve_status(struct ferryd *d, struct chan *c, json_object *q)
{
	char mig[40];
	struct ferry_err e = {{0}};
	if (proto_str(q, "mig", mig, sizeof(mig), 1, &e) < 0) {
		send_error(c, EBADMSG, e.msg);
		return;
	}
	json_object *o = proto_new();
	json_object_object_add(o, "mig", json_object_new_string(mig));
	json_object_object_add(o, "state", json_object_new_string(outcome_get(d, mig)));
	reply_ok(c, o);
}

static void serve_message(struct ferryd *d, struct chan *c, uint32_t type, void *buf, size_t len,
			  int ev_fd)
{
	struct ferry_err e = {{0}};
	json_object *q = NULL;
	if (type == PM_MIGRATE_REQ) {
		struct mig_req req;
		if (mig_req_parse(buf, len, &req, &e) < 0) {
			log_warn("peer %s: bad migration request: %s", chan_peer(c), e.msg);
			send_error(c, EBADMSG, e.msg);
			return;
		}
		free(buf);
		migrate_in(d, c, &req, ev_fd); /* does not return */
	}
	if (type == PM_RUN_REQ) {
		serve_run(d, c, buf, len, ev_fd);
		return;
	}
	if (proto_decode(buf, len, &q, &e) < 0) {
		log_warn("peer %s: %s", chan_peer(c), e.msg);
		send_error(c, EBADMSG, e.msg);
		return;
	}
	switch (type) {
	case PM_LOCATE:
		serve_locate(d, c, q);
		break;
	case PM_UPDATE: {
		json_object *ev = json_object_get(q);
		json_object_object_add(ev, "ev", json_object_new_string("update"));
		worker_event(ev_fd, ev);
		reply_ok(c, proto_new());
		break;
	}
	case PM_PS_REQ: {
		json_object *o = proto_new();
		json_object_object_add(o, "procs", local_ps_json(d));
		reply_ok(c, o);
		break;
	}
	case PM_STATUS_REQ:
		serve_status(d, c, q);
		break;
	default:
		log_warn("peer %s: unexpected message type %#x", chan_peer(c), type);
		send_error(c, EPROTO, "unexpected message type");
	}
	json_object_put(q);
}

void peer_serve(struct ferryd *d, int fd)
{
	struct chan *c;
	struct ferry_err e = {{0}};
	uint32_t type;
	void *buf;
	size_t len;
	int ev_fd;
	if (!worker_fork(d, fd, "a peer connection", &ev_fd))
		return;
	if (chan_accept(fd, d->key, &d->copts, &c, &e) < 0) {
		log_warn("dropped a peer connection: %s", e.msg);
		_exit(1);
	}
	if (chan_recv(c, &type, &buf, &len, &e) < 0) {
		log_warn("peer %s: %s", chan_peer(c), e.msg);
		chan_close(c);
		_exit(1);
	}
	serve_message(d, c, type, buf, len, ev_fd);
	free(buf);
	chan_close(c);
	_exit(0);
}

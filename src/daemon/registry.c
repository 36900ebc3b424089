/* SPDX-License-Identifier: MIT */
/* The registries: managed processes running on this node, home records (where each process
 * born here is now, updated by the node it arrives on, so a lookup is one question to the home
 * node), and the outcome of recent incoming migrations. */
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "daemon/daemon.h"

struct local_proc *local_find(struct ferryd *d, pid_t pid)
{
	for (size_t i = 0; i < d->nlocal; i++)
		if (d->local[i].pid == pid)
			return &d->local[i];
	return NULL;
}

struct local_proc *local_add(struct ferryd *d, const char *id, const char *cmd, pid_t pid,
			     int64_t since)
{
	struct local_proc *p = local_find(d, pid);
	if (!p) {
		if (d->nlocal >= MAX_LOCAL)
			return NULL;
		p = &d->local[d->nlocal++];
	}
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->cmd, sizeof(p->cmd), "%s", cmd);
	p->pid = pid;
	p->since = since;
	return p;
}

void local_remove(struct ferryd *d, pid_t pid)
{
	struct local_proc *p = local_find(d, pid);
	if (p)
		*p = d->local[--d->nlocal];
}

struct home_rec *home_find(struct ferryd *d, const char *id)
{
	for (size_t i = 0; i < d->nhome; i++)
		if (!strcmp(d->home[i].id, id))
			return &d->home[i];
	return NULL;
}

void home_set(struct ferryd *d, const char *id, const char *node, const char *cmd,
	      const char *state, int exit_status)
{
	struct home_rec *h = home_find(d, id);
	if (h && !strcmp(state, "exited") && !strcmp(h->state, "running") &&
	    strcmp(h->node, node)) {
		/* A copy that lost its tracer after the commit died on the node it left. */
		log_info("home: ignoring the exit of %s on %s: it runs on %s", id, node, h->node);
		return;
	}
	if (!h) {
		if (d->nhome >= MAX_HOME) /* forget the oldest */
			memmove(d->home, d->home + 1, (--d->nhome) * sizeof(*h));
		h = &d->home[d->nhome++];
		snprintf(h->id, sizeof(h->id), "%s", id);
	}
	snprintf(h->node, sizeof(h->node), "%s", node);
	if (cmd && cmd[0])
		snprintf(h->cmd, sizeof(h->cmd), "%s", cmd);
	snprintf(h->state, sizeof(h->state), "%s", state);
	h->exit_status = exit_status;
	log_info("home: %s is %s on %s", id, state, node);
}

void outcome_set(struct ferryd *d, const char *mig, const char *state)
{
	struct outcome *o = &d->outcomes[d->outcome_next++ % MAX_OUTCOMES];
	snprintf(o->mig, sizeof(o->mig), "%s", mig);
	snprintf(o->state, sizeof(o->state), "%s", state);
}

const char *outcome_get(struct ferryd *d, const char *mig)
{
	for (size_t i = 0; i < MAX_OUTCOMES; i++)
		if (d->outcomes[i].mig[0] && !strcmp(d->outcomes[i].mig, mig))
			return d->outcomes[i].state;
	return "unknown";
}

struct local_proc *local_adopt(struct ferryd *d, pid_t pid)
{
	struct local_proc *p = local_find(d, pid);
	uint64_t ticks;
	char id[PROC_ID_MAX], cmd[PROC_CMD_MAX];
	if (p)
		return p;
	if (proc_start_ticks(pid, &ticks) < 0)
		return NULL;
	snprintf(id, sizeof(id), "%s:%d:%llu", d->cfg.name, pid, (unsigned long long)ticks);
	proc_cmdline(pid, cmd, sizeof(cmd));
	struct timespec now;
	clock_gettime(CLOCK_BOOTTIME, &now);
	int64_t since = time(NULL) - now.tv_sec + (int64_t)(ticks / sysconf(_SC_CLK_TCK));
	p = local_add(d, id, cmd, pid, since);
	if (p)
		home_set(d, id, d->cfg.name, cmd, "running", 0);
	return p;
}

json_object *local_ps_json(struct ferryd *d)
{
	json_object *a = json_object_new_array();
	int64_t now = time(NULL);
	for (size_t i = 0; i < d->nlocal; i++) {
		struct local_proc *p = &d->local[i];
		char home[NODE_NAME_MAX];
		int32_t hp;
		uint64_t st;
		if (proto_id_parse(p->id, home, &hp, &st) < 0)
			snprintf(home, sizeof(home), "?");
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(p->id));
		json_object_object_add(o, "cmd", json_object_new_string(p->cmd));
		json_object_object_add(o, "node", json_object_new_string(d->cfg.name));
		json_object_object_add(o, "home", json_object_new_string(home));
		json_object_object_add(o, "pid", json_object_new_int(p->pid));
		json_object_object_add(o, "age", json_object_new_int64(now - p->since));
		json_object_object_add(o, "cpu", json_object_new_double(proc_cpu_seconds(p->pid)));
		json_object_object_add(o, "rss", json_object_new_int64(proc_rss_bytes(p->pid)));
		json_object_array_add(a, o);
	}
	return a;
}

void home_notify(struct ferryd *d, const char *id, const char *cmd, const char *state,
		 int exit_status)
{
	char home[NODE_NAME_MAX];
	int32_t pid;
	uint64_t start;
	struct ferry_err e = {{0}};
	if (proto_id_parse(id, home, &pid, &start) < 0)
		return;
	if (!strcmp(home, d->cfg.name)) {
		home_set(d, id, d->cfg.name, cmd, state, exit_status);
		return;
	}
	json_object *o = proto_new(), *reply = NULL;
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "node", json_object_new_string(d->cfg.name));
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "exit_status", json_object_new_int(exit_status));
	if (peer_call(d, home, PM_UPDATE, o, &reply, &e) < 0)
		log_warn("cannot tell home node %s where %s is: %s", home, id, e.msg);
	json_object_put(o);
	json_object_put(reply);
}

void home_update(struct ferryd *d, json_object *o)
{
	char id[PROC_ID_MAX], node[NODE_NAME_MAX], cmd[PROC_CMD_MAX], state[16];
	int64_t st;
	struct ferry_err e = {{0}};
	if (proto_str(o, "id", id, sizeof(id), 1, &e) < 0 ||
	    proto_str(o, "node", node, sizeof(node), 1, &e) < 0 ||
	    proto_str(o, "cmd", cmd, sizeof(cmd), 0, &e) < 0 ||
	    proto_str(o, "state", state, sizeof(state), 1, &e) < 0 ||
	    proto_int(o, "exit_status", INT32_MIN, INT32_MAX, &st, 0, &e) < 0) {
		log_warn("ignoring a bad location update: %s", e.msg);
		return;
	}
	home_set(d, id, node, cmd, state, (int)st);
}

void local_exited(struct ferryd *d, pid_t pid, int status)
{
	struct local_proc *p = local_find(d, pid);
	if (!p)
		return;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	log_info("%s (pid %d, %s) ended with status %d", p->id, pid, p->cmd, code);
	char id[PROC_ID_MAX], cmd[PROC_CMD_MAX];
	snprintf(id, sizeof(id), "%s", p->id);
	snprintf(cmd, sizeof(cmd), "%s", p->cmd);
	local_remove(d, pid);
	home_notify(d, id, cmd, "exited", code);
}

int proc_make_id(const char *home, pid_t pid, char id[PROC_ID_MAX])
{
	uint64_t ticks;
	int r = proc_start_ticks(pid, &ticks);
	if (r < 0)
		return r;
	snprintf(id, PROC_ID_MAX, "%s:%d:%llu", home, pid, (unsigned long long)ticks);
	return 0;
}

void spawned_event(int ev_fd, const char *id, pid_t pid, const char *cmd, json_object *reply)
{
	json_object *ev = proto_new();
	json_object_object_add(ev, "ev", json_object_new_string("spawned"));
	json_object_object_add(ev, "pid", json_object_new_int(pid));
	json_object_object_add(ev, "id", json_object_new_string(id));
	json_object_object_add(ev, "cmd", json_object_new_string(cmd));
	json_object_object_add(ev, "since", json_object_new_int64(time(NULL)));
	worker_event(ev_fd, ev);
	json_object_object_add(reply, "id", json_object_new_string(id));
	json_object_object_add(reply, "pid", json_object_new_int(pid));
}

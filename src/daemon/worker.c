/* SPDX-License-Identifier: MIT */
/* Workers: every job that can block (a peer connection, a control request, a migration) runs
 * in a forked copy of ferryd, so the daemon's loop never waits on the network. A worker reports
 * state changes to the daemon as JSON events on a SOCK_SEQPACKET pair. Processes a worker
 * starts or restores become the daemon's children when the worker exits (child subreaper). */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "common/proc.h"
#include "daemon/daemon.h"

volatile sig_atomic_t worker_stop;

static void on_term(int sig)
{
	worker_stop = 1;
}

static pid_t fork_worker(struct ferryd *d, int *ev_fd)
{
	int sv[2];
	if (d->nworkers >= MAX_WORKERS)
		return -EAGAIN;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return neg_errno();
	pid_t daemon_pid = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return neg_errno();
	}
	if (pid == 0) {
		sigset_t none;
		struct sigaction sa = {.sa_handler = on_term};
		close(sv[0]);
		close(d->lock_fd);
		close(d->ctl_fd);
		close(d->listen_fd);
		close(d->sig_fd);
		for (size_t i = 0; i < d->nworkers; i++)
			close(d->workers[i].ev_fd);
		/* The daemon gone means no one would record the outcome: give up (before commit).
		 */
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGINT, SIG_IGN);
		signal(SIGCHLD, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != daemon_pid)
			_exit(1);
		*ev_fd = sv[1];
		return 0;
	}
	close(sv[1]);
	d->workers[d->nworkers] = (struct worker){.pid = pid, .ev_fd = sv[0]};
	d->nworkers++;
	return pid;
}

int worker_fork(struct ferryd *d, int conn_fd, const char *what, int *ev_fd)
{
	pid_t w = fork_worker(d, ev_fd);
	if (w == 0)
		return 1;
	close(conn_fd);
	if (w < 0)
		log_err("cannot start a worker for %s: %s", what, strerror((int)-w));
	return 0;
}

void worker_event(int ev_fd, json_object *ev)
{
	size_t len;
	const char *s = json_object_to_json_string_length(ev, JSON_C_TO_STRING_PLAIN, &len);
	if (send(ev_fd, s, len, MSG_NOSIGNAL) < 0)
		log_warn("cannot report an event to the daemon: %m");
	json_object_put(ev);
}

static void event_spawned(struct ferryd *d, json_object *o, int arrived)
{
	char id[PROC_ID_MAX], cmd[PROC_CMD_MAX], home[NODE_NAME_MAX];
	int64_t pid, since;
	uint64_t ticks;
	struct ferry_err e = {{0}};
	if (proto_int(o, "pid", 1, INT32_MAX, &pid, 1, &e) < 0 ||
	    proto_str(o, "cmd", cmd, sizeof(cmd), 0, &e) < 0 ||
	    proto_str(o, "id", id, sizeof(id), 0, &e) < 0 ||
	    proto_str(o, "home", home, sizeof(home), 0, &e) < 0 ||
	    proto_int(o, "since", 0, INT64_MAX, &since, 0, &e) < 0) {
		log_err("bad worker event: %s", e.msg);
		return;
	}
	if (kill((pid_t)pid, 0) < 0) {
		log_warn("pid %d ended before it was registered", (int)pid);
		return;
	}
	if (!id[0]) { /* a new process: its home is the node that asked for it */
		if (proc_start_ticks((pid_t)pid, &ticks) < 0)
			return;
		snprintf(id, sizeof(id), "%s:%d:%llu", home[0] ? home : d->cfg.name, (int)pid,
			 (unsigned long long)ticks);
		since = time(NULL);
	}
	if (!local_add(d, id, cmd, (pid_t)pid, since)) {
		log_err("registry full: %s is not managed", id);
		return;
	}
	log_info("%s (pid %d, %s) %s", id, (int)pid, cmd, arrived ? "arrived" : "started");
	home_notify(d, id, cmd, "running", 0);
}

static void handle_event(struct ferryd *d, struct worker *w, json_object *o)
{
	char ev[16], mig[40], state[16];
	int64_t pid;
	struct ferry_err e = {{0}};
	if (proto_str(o, "ev", ev, sizeof(ev), 1, &e) < 0)
		return;
	if (!strcmp(ev, "spawned"))
		event_spawned(d, o, 0);
	else if (!strcmp(ev, "arrived"))
		event_spawned(d, o, 1);
	else if (!strcmp(ev, "update"))
		home_update(d, o);
	else if (!strcmp(ev, "incoming") && proto_str(o, "mig", mig, sizeof(mig), 1, &e) == 0 &&
		 proto_int(o, "pid", 1, INT32_MAX, &pid, 1, &e) == 0) {
		json_object_put(w->incoming);
		w->incoming = json_object_get(o);
	} else if (!strcmp(ev, "outcome") && proto_str(o, "mig", mig, sizeof(mig), 1, &e) == 0 &&
		   proto_str(o, "state", state, sizeof(state), 1, &e) == 0)
		outcome_set(d, mig, state);
	else if (!strcmp(ev, "leaving") && proto_int(o, "pid", 1, INT32_MAX, &pid, 1, &e) == 0) {
		struct local_proc *p = local_find(d, (pid_t)pid);
		if (p)
			p->leaving = 1;
	} else if (!strcmp(ev, "adopt") && proto_int(o, "pid", 1, INT32_MAX, &pid, 1, &e) == 0)
		local_adopt(d, (pid_t)pid);
}

void worker_read_events(struct ferryd *d, struct worker *w)
{
	char buf[8192];
	for (;;) {
		ssize_t n = recv(w->ev_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			return;
		json_object *o;
		struct ferry_err e = {{0}};
		if (proto_decode(buf, n, &o, &e) < 0) {
			log_err("bad event from worker %d: %s", w->pid, e.msg);
			continue;
		}
		handle_event(d, w, o);
		json_object_put(o);
	}
}

#define PF_EXITING 0x4 /* the kernel's task flag: in its exit */

/* Whether pid runs on its own: not gone, not a zombie, not dying (SIGKILL pending, or already
 * exiting, where it may still look runnable for a while), and not left stopped by a dead
 * tracer. A tree traced by a worker that died was sent SIGKILL (PTRACE_O_EXITKILL). */
static int runs_untraced(pid_t pid)
{
	const uint64_t kill_bit = 1ULL << (SIGKILL - 1);
	for (int i = 0; i < 50; i++) {
		struct proc_stat st;
		struct proc_status ss;
		if (proc_stat_read(pid, &st) < 0 || st.state == 'Z' || st.state == 'X' ||
		    (st.flags & PF_EXITING) || proc_status_read(pid, &ss) < 0 ||
		    ((ss.sig_pnd | ss.shd_pnd) & kill_bit))
			return 0;
		if (st.state != 't' && st.state != 'T')
			return 1;
		struct timespec t = {0, 10000000};
		nanosleep(&t, NULL);
	}
	return 1; /* stopped by a signal of its own (migrated while stopped) */
}

/* The worker held an incoming migration and died before saying how it ended (SIGKILL, crash).
 * Its tree was either released (it runs: the commit came) or still traced (it was killed with
 * the worker), so the tree itself says which outcome the source must be told. */
void worker_lost(struct ferryd *d, struct worker *w)
{
	char mig[40];
	int64_t pid;
	struct ferry_err e = {{0}};
	json_object *o = w->incoming;
	w->incoming = NULL;
	if (!o || proto_str(o, "mig", mig, sizeof(mig), 1, &e) < 0 ||
	    proto_int(o, "pid", 1, INT32_MAX, &pid, 1, &e) < 0 ||
	    strcmp(outcome_get(d, mig), "unknown")) {
		json_object_put(o);
		return;
	}
	int alive = runs_untraced((pid_t)pid);
	log_warn("migration %s: worker %d ended before reporting; pid %d %s", mig, w->pid, (int)pid,
		 alive ? "runs here: resumed" : "is gone: aborted");
	outcome_set(d, mig, alive ? "resumed" : "aborted");
	if (alive)
		event_spawned(d, o, 1);
	json_object_put(o);
}

static int open_out(const char *path, int soft, int target)
{
	int fd =
		open(path[0] ? path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 && soft) /* the caller's own output file, not visible on this node */
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, target) < 0)
		return -1;
	if (fd != target)
		close(fd);
	return 0;
}

pid_t spawn_run(struct ferryd *d, const struct run_req *r, struct ferry_err *e)
{
	int pipefd[2], err = 0;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return neg_errno();
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err_set(e, neg_errno(), "cannot fork for %s: %m", r->argv[0]);
	}
	if (pid == 0) {
		const char *what = "chdir";
		signal(SIGTERM, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, 0);
		setsid();
		int in = open("/dev/null", O_RDONLY);
		if (chdir(r->cwd) < 0 || (what = "stdin", dup2(in, 0) < 0) ||
		    (what = "stdout", open_out(r->out, r->soft_out, 1) < 0) ||
		    (what = "stderr", open_out(r->err, r->soft_err, 2) < 0))
			goto fail;
		what = "credentials";
		if (r->uid && (setgroups(0, NULL) < 0 || setgid(r->gid) < 0 || setuid(r->uid) < 0))
			goto fail;
		syscall(SYS_close_range, 3, ~0U, 0x4 /* CLOSE_RANGE_CLOEXEC */);
		what = "exec";
		execvpe(r->argv[0], r->argv, r->env ? r->env : (char *[]){NULL});
	fail:
		err = errno;
		dprintf(pipefd[1], "%d %s", err, what);
		_exit(127);
	}
	close(pipefd[1]);
	char buf[64] = "";
	ssize_t n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	if (n > 0) {
		buf[n] = 0;
		err = atoi(buf);
		waitpid(pid, NULL, 0);
		return err_set(e, -(err ? err : EIO), "cannot start %s: %s failed: %s", r->argv[0],
			       strchr(buf, ' ') ? strchr(buf, ' ') + 1 : "?", strerror(err));
	}
	return pid;
}

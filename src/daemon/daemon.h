/* SPDX-License-Identifier: MIT */
/* ferryd's state shared by its parts: configuration, key, sockets, the registries (processes
 * running here, home records of processes born here, recent migration outcomes) and workers. */
#ifndef FERRY_DAEMON_DAEMON_H
#define FERRY_DAEMON_DAEMON_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/vdso.h"
#include "daemon/config.h"
#include "daemon/proto.h"
#include "net/channel.h"

#define MAX_LOCAL    1024
#define MAX_HOME     4096
#define MAX_OUTCOMES 64
#define MAX_WORKERS  32

/* A managed process currently on this node. */
struct local_proc {
	char id[PROC_ID_MAX];
	char cmd[PROC_CMD_MAX];
	pid_t pid;
	int64_t since; /* unix seconds when it first started */
	int leaving;   /* committed to another node: its death here is the migration's */
};

/* Where a process whose home is this node is now. */
struct home_rec {
	char id[PROC_ID_MAX];
	char node[NODE_NAME_MAX];
	char cmd[PROC_CMD_MAX];
	char state[16]; /* running | exited | lost */
	int exit_status;
};

struct outcome {
	char mig[40];
	char state[16]; /* resumed | aborted */
};

struct worker {
	pid_t pid;
	int ev_fd;	 /* SOCK_SEQPACKET: one JSON event per message */
	json_object *incoming; /* its "incoming" event: the migration it holds, see worker_lost */
};

struct ferryd {
	struct ferryd_config cfg;
	uint8_t key[CHAN_KEY_BYTES];
	struct chan_opts copts;
	int lock_fd, ctl_fd, listen_fd, sig_fd;
	int stopping;
	size_t nlocal, nhome, nworkers, outcome_next;
	struct local_proc local[MAX_LOCAL];
	struct home_rec home[MAX_HOME];
	struct outcome outcomes[MAX_OUTCOMES];
	struct worker workers[MAX_WORKERS];
	/* this host, for negotiation; the vDSO layout also for the restores of its workers */
	uint64_t xcr0, vdso_fp;
	uint32_t xstate_size;
	struct vdso_layout vdso;
};

/* sysinfo.c: facts about this host and its processes */
uint32_t host_xstate_size(void);
uint64_t host_mem_available(void);
int proc_start_ticks(pid_t pid, uint64_t *ret);
int proc_owner_uid(pid_t pid, uint32_t *ret);
void proc_cmdline(pid_t pid, char *buf, size_t size);
uint64_t proc_rss_bytes(pid_t pid);
double proc_cpu_seconds(pid_t pid);
void random_hex(char *buf, size_t nbytes); /* 2*nbytes hex chars + NUL */

/* registry.c */
struct local_proc *local_find(struct ferryd *d, pid_t pid);
struct local_proc *local_add(struct ferryd *d, const char *id, const char *cmd, pid_t pid,
			     int64_t since);
void local_remove(struct ferryd *d, pid_t pid);
struct home_rec *home_find(struct ferryd *d, const char *id);
void home_set(struct ferryd *d, const char *id, const char *node, const char *cmd,
	      const char *state, int exit_status);
void outcome_set(struct ferryd *d, const char *mig, const char *state);
const char *outcome_get(struct ferryd *d, const char *mig);
/* A managed record for pid (created with this node as home when new). */
struct local_proc *local_adopt(struct ferryd *d, pid_t pid);
json_object *local_ps_json(struct ferryd *d);
int proc_make_id(const char *home, pid_t pid, char id[PROC_ID_MAX]) MUST_CHECK;
/* Report a started process to the daemon and add its id and pid to reply. */
void spawned_event(int ev_fd, const char *id, pid_t pid, const char *cmd, json_object *reply);
/* A process here ended: update the record and tell its home. */
void local_exited(struct ferryd *d, pid_t pid, int status);
/* Apply a location update (from a peer or a local event). */
void home_update(struct ferryd *d, json_object *o);
/* Tell the home of id where it is (locally or with PM_UPDATE). */
void home_notify(struct ferryd *d, const char *id, const char *cmd, const char *state,
		 int exit_status);

/* peer.c */
/* One request/reply exchange with a peer; *ret is the decoded reply (PM_OK) or an error. */
int peer_call(struct ferryd *d, const char *node, uint32_t type, json_object *req,
	      json_object **ret, struct ferry_err *e) MUST_CHECK;
int peer_connect(struct ferryd *d, const char *node, struct chan **ret,
		 struct ferry_err *e) MUST_CHECK;
/* Receive a JSON message; PM_ERROR/PM_REFUSE/PM_FAILED become an error carrying the reason. */
int peer_recv_json(struct chan *c, uint32_t *type, json_object **ret,
		   struct ferry_err *e) MUST_CHECK;
int peer_send_json(struct chan *c, uint32_t type, json_object *o, struct ferry_err *e) MUST_CHECK;
/* Serve one authenticated connection accepted on the listen socket. */
void peer_serve(struct ferryd *d, int fd);

/* control.c */
void control_serve(struct ferryd *d, int fd);
int reply_error(int fd, int code, const char *msg);

/* worker.c: a forked process for one long job; events flow back on ev_fd */
/* Fork a worker to serve the connection conn_fd (what: for the log). Returns 1 in the worker,
 * with *ev_fd its end; 0 in the daemon, which has closed its copy of conn_fd (and logged why
 * if no worker could start). */
int worker_fork(struct ferryd *d, int conn_fd, const char *what, int *ev_fd);
void worker_event(int ev_fd, json_object *ev);
/* A worker ended: settle the outcome of an incoming migration it left undecided, and forget
 * what was kept about it. */
void worker_lost(struct ferryd *d, struct worker *w);
void worker_read_events(struct ferryd *d, struct worker *w);
/* Run the command of r (local start); returns the pid or -errno with a detail. */
pid_t spawn_run(struct ferryd *d, const struct run_req *r, struct ferry_err *e);

/* migrate_out.c (in a worker): run a migration or clone of a local process. */
void migrate_out(struct ferryd *d, const struct ctl_req *q, const struct local_proc *lp,
		 int client_fd, int ev_fd) __attribute__((noreturn));
/* migrate_in.c (in a worker): receive and restore. */
void migrate_in(struct ferryd *d, struct chan *c, const struct mig_req *req, int ev_fd)
	__attribute__((noreturn));

/* Test hook: nonzero when $FERRY_FAULT or the file fault_path (control socket's directory +
 * "/fault") names this step. */
extern char fault_path[4096];
int fault_at(const char *step);

/* CPU time of the calling thread, for the stage logs. */
static inline uint64_t thread_cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

#endif

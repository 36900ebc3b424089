/* SPDX-License-Identifier: MIT */
/* ferryd: the per-node daemon. Loads the config, takes the node's lock file, opens the control
 * socket and the peer listener, then runs a poll() loop that hands every connection to a
 * worker, applies the workers' events to the registries and reaps children. SIGTERM/SIGINT
 * stop it cleanly (workers are told to give up through their parent-death signal). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "common/vdso.h"
#include "daemon/daemon.h"

static const char usage[] = "Usage: ferryd --config FILE [-v]\n"
			    "\n"
			    "The ferry node daemon (see docs/ferryd.md).\n"
			    "  -c, --config FILE  INI configuration\n"
			    "  -v, --verbose      log at debug level\n"
			    "  -h, --help         show this help\n";

static int mkdir_parent(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	return mkdir(dir, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int take_lock(struct ferryd *d)
{
	char buf[32];
	if (mkdir_parent(d->cfg.pidfile) < 0) {
		log_err("pid file %s: cannot create its directory: %m", d->cfg.pidfile);
		return -1;
	}
	d->lock_fd = open(d->cfg.pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (d->lock_fd < 0) {
		log_err("pid file %s: %m", d->cfg.pidfile);
		return -1;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = read(d->lock_fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		log_err("another ferryd (pid %s) runs on this node: %s is locked",
			buf[0] ? buf : "?", d->cfg.pidfile);
		return -1;
	}
	if (ftruncate(d->lock_fd, 0) == 0)
		dprintf(d->lock_fd, "%d\n", getpid());
	return 0;
}

static int open_control(struct ferryd *d)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(d->cfg.control) >= sizeof(a.sun_path) || mkdir_parent(d->cfg.control) < 0) {
		log_err("control socket %s: bad path or cannot create its directory: %m",
			d->cfg.control);
		return -1;
	}
	strcpy(a.sun_path, d->cfg.control);
	unlink(a.sun_path); /* safe: we hold the node's lock */
	d->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->ctl_fd < 0 || bind(d->ctl_fd, (void *)&a, sizeof(a)) < 0 ||
	    chmod(a.sun_path, 0666) < 0 || listen(d->ctl_fd, 64) < 0) {
		log_err("control socket %s: %m", d->cfg.control);
		return -1;
	}
	return 0;
}

static int open_listener(struct ferryd *d)
{
	char host[64];
	snprintf(host, sizeof(host), "%s", d->cfg.listen);
	char *colon = strrchr(host, ':');
	struct sockaddr_in a = {.sin_family = AF_INET};
	int one = 1;
	if (!colon || (*colon = 0, inet_pton(AF_INET, host, &a.sin_addr) != 1)) {
		log_err("listen address '%s' is not IPv4-address:port", d->cfg.listen);
		return -1;
	}
	a.sin_port = htons((uint16_t)atoi(colon + 1));
	d->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->listen_fd < 0 ||
	    setsockopt(d->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(d->listen_fd, (void *)&a, sizeof(a)) < 0 || listen(d->listen_fd, 64) < 0) {
		log_err("listen %s: %m", d->cfg.listen);
		return -1;
	}
	return 0;
}

static int open_signals(struct ferryd *d)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGCHLD);
	sigaddset(&s, SIGHUP);
	sigprocmask(SIG_BLOCK, &s, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
	return d->sig_fd < 0 ? -1 : 0;
}

static void reap(struct ferryd *d)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		size_t i;
		for (i = 0; i < d->nworkers && d->workers[i].pid != pid; i++)
			;
		if (i < d->nworkers) {
			worker_read_events(d, &d->workers[i]); /* what it said before exiting */
			worker_lost(d, &d->workers[i]);
			close(d->workers[i].ev_fd);
			d->workers[i] = d->workers[--d->nworkers];
			continue;
		}
		struct local_proc *p = local_find(d, pid);
		if (p && p->leaving)
			local_remove(d, pid); /* killed by its committed migration */
		else
			local_exited(d, pid, st);
	}
}

static void on_signal(struct ferryd *d)
{
	struct signalfd_siginfo si;
	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("signal %d: shutting down", si.ssi_signo);
			d->stopping = 1;
		}
	}
}

static void accept_on(struct ferryd *d, int lfd, void (*serve)(struct ferryd *, int))
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		serve(d, fd);
}

static void loop(struct ferryd *d)
{
	struct pollfd p[3 + MAX_WORKERS];
	while (!d->stopping) {
		size_t n = 0, nw = d->nworkers;
		p[n++] = (struct pollfd){d->sig_fd, POLLIN, 0};
		p[n++] = (struct pollfd){d->ctl_fd, nw < MAX_WORKERS ? POLLIN : 0, 0};
		p[n++] = (struct pollfd){d->listen_fd, nw < MAX_WORKERS ? POLLIN : 0, 0};
		for (size_t i = 0; i < nw; i++)
			p[n++] = (struct pollfd){d->workers[i].ev_fd, POLLIN, 0};
		if (poll(p, n, 1000) < 0 && errno != EINTR) {
			log_err("poll: %m");
			return;
		}
		for (size_t i = 0; i < nw; i++) /* events first: "leaving" precedes a death */
			if (p[3 + i].revents & POLLIN)
				worker_read_events(d, &d->workers[i]);
		if (p[0].revents)
			on_signal(d);
		reap(d);
		if (p[1].revents & POLLIN)
			accept_on(d, d->ctl_fd, control_serve);
		if (p[2].revents & POLLIN)
			accept_on(d, d->listen_fd, peer_serve);
	}
}

static void shutdown_daemon(struct ferryd *d)
{
	for (size_t i = 0; i < d->nworkers; i++)
		kill(d->workers[i].pid, SIGTERM);
	for (size_t i = 0; i < d->nworkers; i++) {
		waitpid(d->workers[i].pid, NULL, 0);
		close(d->workers[i].ev_fd);
		json_object_put(d->workers[i].incoming);
	}
	close(d->ctl_fd);
	unlink(d->cfg.control);
	close(d->listen_fd);
	close(d->sig_fd);
	unlink(d->cfg.pidfile);
	close(d->lock_fd);
	if (d->nlocal)
		log_info("%zu managed processes keep running without a daemon", d->nlocal);
	log_info("stopped");
}

static int setup(struct ferryd *d)
{
	struct ferry_err e = {{0}};
	if (chan_load_key(d->cfg.key, d->key, &e) < 0) {
		log_err("cluster key: %s", e.msg);
		return -1;
	}
	d->copts.encrypt = d->cfg.encrypt;
	d->copts.timeout_ms = d->cfg.timeout_ms;
	d->xcr0 = cpu_xcr0();
	d->xstate_size = host_xstate_size();
	if (vdso_self(&d->vdso, &d->vdso_fp) < 0) {
		log_err("cannot read this host's vDSO layout");
		return -1;
	}
	const char *slash = strrchr(d->cfg.control, '/');
	snprintf(fault_path, sizeof(fault_path), "%.*s/fault",
		 slash ? (int)(slash - d->cfg.control) : 1, slash ? d->cfg.control : ".");
	d->ctl_fd = d->listen_fd = d->sig_fd = -1;
	if (take_lock(d) < 0 || open_signals(d) < 0 || open_control(d) < 0 || open_listener(d) < 0)
		return -1;
	/* Restored and started processes become our children when their worker exits. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"verbose", no_argument, NULL, 'v'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	static struct ferryd d; /* large: the registries */
	const char *config = NULL;
	struct ferry_err e = {{0}};
	int c, verbose = 0;
	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!config || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (config_load(config, &d.cfg, &e) < 0) {
		fprintf(stderr, "ferryd: %s\n", e.msg);
		return 1;
	}
	log_max_level = verbose ? LOG_DEBUG : (enum log_level)d.cfg.log_level;
	d.lock_fd = -1;
	if (setup(&d) < 0)
		return 1;
	log_info("node %s listening on %s, control %s, %zu peers", d.cfg.name, d.cfg.listen,
		 d.cfg.control, d.cfg.npeers);
	loop(&d);
	shutdown_daemon(&d);
	return 0;
}

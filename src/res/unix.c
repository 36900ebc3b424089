/* SPDX-License-Identifier: MIT */
/* UNIX sockets (stream, dgram, seqpacket): socketpairs and connections inside the tree, named
 * sockets (absolute path or abstract name), listeners with pending (not yet accepted) clients,
 * dgram sockets connected to a named socket outside the tree, queued data, shutdown state and
 * options. Facts come from sock_diag (sockdiag.c); queues are read on a pidfd_getfd duplicate
 * with SO_PEEK_OFF stepping through them (each MSG_PEEK moves the offset; the original offset is
 * put back), so the tree is never changed.
 * Restore builds the sockets as groups in the restorer: a listener with the connections it
 * accepted (connect + accept, so names come out right) and then its pending clients in queue
 * order; a pair by socketpair(); a single socket alone. Queued data is written back from the
 * peer (or a temporary socket for a named dgram receiver), then shutdown is applied.
 * Refused: connections to processes outside the tree (naming the peer's PID), SCM_RIGHTS in
 * flight, pending connections holding data, relative paths, data that cannot be resent. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "dump/internal.h"
#include "res/res.h"
#include "res/sock.h"
#include "restore/internal.h"

#define ST_ESTABLISHED 1
#define ST_CLOSE       7
#define ST_LISTEN      10

/* ---- dump: the tree's socket inodes (the tree is frozen: built once per dump) ---- */

static struct {
	int built;
	uint64_t *inos;
	size_t n, cap;
	pid_t *pids;
	size_t npids;
} tree;

static int tree_add(uint64_t ino)
{
	uint64_t *n = array_reserve(tree.inos, &tree.cap, tree.n + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	tree.inos = n;
	tree.inos[tree.n++] = ino;
	return 0;
}

static int tree_build(struct dump_ctx *c)
{
	char path[96], link[64];
	if (tree.built)
		return 0;
	tree.pids = calloc(c->nprocs + 1, sizeof(pid_t));
	if (!tree.pids)
		return -ENOMEM;
	for (size_t i = 0; i < c->nprocs; i++) {
		_cleanup_free_ int *fds = NULL;
		size_t n = 0;
		tree.pids[tree.npids++] = c->procs[i].pid;
		snprintf(path, sizeof(path), "/proc/%d/fd", c->procs[i].pid);
		if (c->procs[i].zombie || proc_list_dir_ints(path, &fds, &n) < 0)
			continue;
		for (size_t k = 0; k < n; k++) {
			unsigned long long ino;
			snprintf(path, sizeof(path), "/proc/%d/fd/%d", c->procs[i].pid, fds[k]);
			ssize_t l = readlink(path, link, sizeof(link) - 1);
			if (l > 0 && (link[l] = 0, sscanf(link, "socket:[%llu]", &ino) == 1) &&
			    tree_add(ino) < 0)
				return -ENOMEM;
		}
	}
	tree.built = 1;
	return 0;
}

static int in_tree(uint64_t ino)
{
	for (size_t i = 0; i < tree.n; i++)
		if (tree.inos[i] == ino)
			return 1;
	return 0;
}

/* The tree's listener whose pending clients include `client`, 0 if none. */
static uint64_t pending_listener(uint64_t client)
{
	for (size_t i = 0; i < tree.n; i++) {
		struct unix_diag_info l;
		uint64_t found = 0;
		if (sockdiag_unix(tree.inos[i], &l) < 0)
			continue;
		for (size_t k = 0; l.state == ST_LISTEN && k < l.nicons; k++)
			if (l.icons[k] == client)
				found = l.ino;
		sockdiag_unix_free(&l);
		if (found)
			return found;
	}
	return 0;
}

void unix_dump_end(void)
{
	free(tree.inos);
	free(tree.pids);
	memset(&tree, 0, sizeof(tree));
}

/* ---- dump ---- */

static int unix_match(const struct fd_desc *d)
{
	/* "UNIX", or "UNIX-STREAM"/"UNIX-DGRAM"... on newer kernels */
	return !strncmp(d->sock_proto, "UNIX", 4);
}

static int refuse_outside(struct dump_ctx *c, struct dproc *p, struct fd_desc *d, uint64_t peer,
			  const char *what)
{
	pid_t owner = sockdiag_owner(peer, tree.pids, tree.npids);
	if (owner)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d: UNIX socket %s a process outside the tree (pid %d)",
			       p->pid, d->fd, what, owner);
	return err_set(
		c->e, -EOPNOTSUPP,
		"pid %d fd %d: UNIX socket %s a socket outside the tree (no process holds it)",
		p->pid, d->fd, what);
}

static int check_listener(struct dump_ctx *c, struct dproc *p, struct fd_desc *d,
			  const struct unix_diag_info *u)
{
	for (size_t i = 0; i < u->nicons; i++) {
		struct unix_diag_info cl;
		if (!in_tree(u->icons[i]))
			return refuse_outside(c, p, d, u->icons[i],
					      "is listening with a pending connection from");
		if (sockdiag_unix(u->icons[i], &cl) == 0) {
			uint32_t wq = cl.wqueue;
			sockdiag_unix_free(&cl);
			if (wq)
				return err_set(
					c->e, -EOPNOTSUPP,
					"pid %d fd %d: UNIX listener has a pending connection "
					"holding data not yet accepted (not supported)",
					p->pid, d->fd);
		}
	}
	return 0;
}

static int unix_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	struct unix_diag_info u;
	int r = tree_build(c);
	if (r < 0)
		return r;
	r = sockdiag_unix(d->st.st_ino, &u);
	if (r < 0)
		return err_set(c->e, r == -ENOENT ? -EOPNOTSUPP : r,
			       "pid %d fd %d: UNIX socket not found by sock_diag (another network "
			       "namespace than ferry's?)",
			       p->pid, d->fd);
	if (u.type != SOCK_STREAM && u.type != SOCK_DGRAM && u.type != SOCK_SEQPACKET)
		r = err_set(c->e, -EOPNOTSUPP, "pid %d fd %d: UNIX socket of type %u", p->pid,
			    d->fd, u.type);
	else if (u.state != ST_ESTABLISHED && u.state != ST_CLOSE && u.state != ST_LISTEN)
		r = err_set(c->e, -EOPNOTSUPP, "pid %d fd %d: UNIX socket in state %u", p->pid,
			    d->fd, u.state);
	else if (u.name_len && u.name[0] && u.name[0] != '/')
		r = err_set(c->e, -EOPNOTSUPP,
			    "pid %d fd %d: UNIX socket bound to the relative path '%.*s'", p->pid,
			    d->fd, (int)u.name_len, u.name);
	else if (u.state == ST_LISTEN)
		r = check_listener(c, p, d, &u);
	else if (u.peer_ino && !in_tree(u.peer_ino) && u.type != SOCK_DGRAM)
		r = refuse_outside(c, p, d, u.peer_ino, "is connected to");
	else if (!u.peer_ino && u.state == ST_ESTABLISHED && u.type != SOCK_DGRAM &&
		 !pending_listener(u.ino) && u.shutdown != 3)
		r = err_set(c->e, -EOPNOTSUPP,
			    "pid %d fd %d: UNIX socket connected to a listener outside the tree "
			    "that has not accepted it yet",
			    p->pid, d->fd);
	sockdiag_unix_free(&u);
	return r;
}

struct qbuf {
	uint8_t *d;
	size_t len, cap;
	uint32_t n; /* messages */
};

static int qbuf_put(struct qbuf *q, const void *d, size_t len)
{
	uint8_t *n = array_reserve(q->d, &q->cap, q->len + len, 1);
	if (!n)
		return -ENOMEM;
	q->d = n;
	memcpy(q->d + q->len, d, len);
	q->len += len;
	return 0;
}

/* Peek one message (dgram/seqpacket) or chunk (stream) at the current SO_PEEK_OFF. Returns its
 * length, 0 at the end of the queue, -EXDEV if it carries fds, -errno. */
static ssize_t peek_one(int fd, uint8_t *buf, size_t cap)
{
	char ctl[CMSG_SPACE(sizeof(int) * 253)];
	struct iovec iov = {buf, cap};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl};
	m.msg_controllen = sizeof(ctl);
	ssize_t n = recvmsg(fd, &m, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN ? 0 : neg_errno();
	int fds = 0;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
			int *f = (int *)CMSG_DATA(h);
			for (size_t i = 0; i < (h->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
				close(f[i]);
			fds = 1;
		}
	if (fds || (m.msg_flags & MSG_CTRUNC))
		return -EXDEV;
	return (size_t)n > cap ? -EMSGSIZE : n;
}

/* The whole receive queue, without consuming it. */
static int read_queue(int fd, int type, struct qbuf *q)
{
	int old = -1, zero = 0, r = 0;
	socklen_t len = sizeof(old);
	size_t cap = 1 << 20;
	_cleanup_free_ uint8_t *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	if (getsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &old, &len) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) < 0)
		return neg_errno();
	for (uint32_t guard = 0; r == 0 && guard < (1u << 20); guard++) {
		ssize_t n = peek_one(fd, buf, cap);
		if (n < 0) {
			r = (int)n;
			break;
		}
		if (n == 0 &&
		    (type == SOCK_STREAM || recv(fd, buf, 0, MSG_PEEK | MSG_DONTWAIT) < 0))
			break;
		uint32_t l = n;
		if (type != SOCK_STREAM)
			r = qbuf_put(q, &l, sizeof(l));
		if (r == 0)
			r = qbuf_put(q, buf, n);
		q->n += type == SOCK_STREAM ? (uint32_t)n : 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &old, sizeof(old));
	return r;
}

static void set_name(uint8_t *dst, uint32_t *dlen, uint32_t *flags, const char *name, uint32_t len,
		     uint32_t path_flag, uint32_t abs_flag)
{
	if (len && name[0]) /* a path: the kernel keeps its terminating NUL */
		len = strnlen(name, len);
	*dlen = len;
	memcpy(dst, name, len);
	if (len && flags)
		*flags |= name[0] ? path_flag : abs_flag;
}

/* The socket file of a path-bound socket: mode, owner, and whether the path still names it. */
static void file_facts(struct unix_rec *r, const struct unix_diag_info *u)
{
	char path[UNIX_REC_NAME_MAX + 1];
	struct stat st;
	memcpy(path, r->name, r->name_len);
	path[r->name_len] = 0;
	r->file_ino = u->vfs_ino;
	/* sock_diag gives the kernel's dev_t encoding; stat()'s is what restore compares with */
	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == u->vfs_ino) {
		r->file_dev = st.st_dev;
		r->file_mode = st.st_mode & 07777;
		r->file_uid = st.st_uid;
		r->file_gid = st.st_gid;
	} else {
		r->flags |= UNIX_REC_UNLINKED;
		r->file_mode = 0777;
	}
}

/* Can the data queued at this socket be written back at restore? */
static const char *resend_problem(const struct unix_rec *r)
{
	if (!r->nqueued || r->type != SOCK_DGRAM)
		return NULL;
	if (r->flags & UNIX_REC_PEER_OUTSIDE)
		return "datagrams queued from its peer outside the tree";
	if (!(r->flags & (UNIX_REC_PATH | UNIX_REC_ABSTRACT)) && !(r->flags & UNIX_REC_CONNECTED))
		return "datagrams queued at an unnamed, unconnected socket";
	return NULL;
}

/* A dgram socket connected outside the tree: fine if the peer has a name to reconnect to. */
static int outside_peer(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
			uint64_t peer_ino, struct unix_rec *r)
{
	struct unix_diag_info peer;
	if (sockdiag_unix(peer_ino, &peer) < 0 || !peer.name_len) {
		if (peer_ino && !sockdiag_owner(peer_ino, tree.pids, tree.npids)) {
			r->flags |= UNIX_REC_PEER_GONE;
			return 0;
		}
		return refuse_outside(c, p, (struct fd_desc *)d, peer_ino,
				      "(datagram) is connected to an unnamed socket of");
	}
	r->flags |= UNIX_REC_PEER_OUTSIDE;
	set_name(r->peer_name, &r->peer_name_len, NULL, peer.name, peer.name_len, 0, 0);
	sockdiag_unix_free(&peer);
	return 0;
}

static int fill_rec(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		    struct unix_rec *r)
{
	struct unix_diag_info u;
	int e = sockdiag_unix(d->st.st_ino, &u);
	if (e < 0)
		return err_set(c->e, e, "pid %d fd %d: UNIX socket vanished", p->pid, d->fd);
	r->type = u.type;
	r->shutdown = u.shutdown & 3;
	r->ino = u.ino;
	set_name(r->name, &r->name_len, &r->flags, u.name, u.name_len, UNIX_REC_PATH,
		 UNIX_REC_ABSTRACT);
	if (r->flags & UNIX_REC_PATH)
		file_facts(r, &u);
	if (u.state == ST_LISTEN) {
		r->flags |= UNIX_REC_LISTEN;
		r->backlog = u.wqueue;
	} else if (u.peer_ino && in_tree(u.peer_ino)) {
		r->flags |= UNIX_REC_CONNECTED;
		r->peer_ino = u.peer_ino;
	} else if (u.peer_ino) {
		e = outside_peer(c, p, d, u.peer_ino, r);
	} else if (u.state == ST_ESTABLISHED && u.type != SOCK_DGRAM) {
		r->listener_ino = pending_listener(u.ino);
		r->flags |= r->listener_ino ? UNIX_REC_PENDING : UNIX_REC_PEER_GONE;
	}
	sockdiag_unix_free(&u);
	return e;
}

static int write_rec(struct dump_ctx *c, struct img_file *f, const struct unix_rec *r,
		     const struct qbuf *q, int fd, const struct sock_opt *opts, int nopts)
{
	int e = res_write_data(c, f, SOCK_TAG_UNIX, r, sizeof(*r));
	if (e == 0 && nopts)
		e = res_write_data(c, f, SOCK_TAG_OPTS, opts, nopts * sizeof(opts[0]));
	if (e == 0 && q->len)
		e = res_write_data(c, f, SOCK_TAG_UNIX_QUEUE, q->d, q->len);
	if (e == 0 && (r->flags & UNIX_REC_LISTEN)) {
		struct unix_diag_info u;
		if ((e = sockdiag_unix(r->ino, &u)) < 0)
			return e;
		if (u.nicons)
			e = res_write_data(c, f, SOCK_TAG_UNIX_ICONS, u.icons,
					   u.nicons * sizeof(u.icons[0]));
		sockdiag_unix_free(&u);
	}
	return e;
}

static int unix_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		     struct img_file *f)
{
	struct unix_rec r = {0};
	struct qbuf q = {0};
	struct sock_opt opts[SOCK_MAX_OPTS];
	int fd = res_getfd(p->pid, d->fd, c->e);
	if (fd < 0)
		return fd;
	int e = fill_rec(c, p, d, &r);
	int n = e < 0 ? 0 : sock_opts_read(fd, SOF_UNIX, AF_UNIX, r.type, opts);
	if (e == 0 && n < 0)
		e = err_set(c->e, n, "pid %d fd %d: UNIX socket options: %s", p->pid, d->fd,
			    strerror(-n));
	if (e == 0 && !(r.flags & UNIX_REC_LISTEN) && (e = read_queue(fd, r.type, &q)) < 0)
		e = err_set(c->e, e == -EXDEV ? -EOPNOTSUPP : e, "pid %d fd %d: UNIX socket: %s",
			    p->pid, d->fd,
			    e == -EXDEV
				    ? "file descriptors in flight (SCM_RIGHTS) are not supported"
				    : strerror(-e));
	r.nqueued = q.n;
	const char *why = e == 0 ? resend_problem(&r) : NULL;
	if (why)
		e = err_set(c->e, -EOPNOTSUPP, "pid %d fd %d: UNIX socket: %s (not supported)",
			    p->pid, d->fd, why);
	if (e == 0)
		e = write_rec(c, f, &r, &q, fd, opts, n);
	free(q.d);
	close(fd);
	return e;
}

/* ---- validation ---- */

static int name_ok(const uint8_t *n, uint32_t len, int path)
{
	if (!len || len > UNIX_REC_NAME_MAX)
		return 0;
	if (!path)
		return n[0] == 0;
	if (n[0] != '/')
		return 0;
	for (uint32_t i = 0; i < len; i++)
		if (!n[i])
			return 0;
	return len < UNIX_REC_NAME_MAX;
}

int unix_rec_validate(const struct unix_rec *u, uint64_t len, struct ferry_err *e)
{
	uint32_t f = u->flags;
	if (len != sizeof(*u))
		return err_set(e, -EBADMSG, "UNIX record: %llu bytes, expected %zu",
			       (unsigned long long)len, sizeof(*u));
	if (u->type != SOCK_STREAM && u->type != SOCK_DGRAM && u->type != SOCK_SEQPACKET)
		return err_set(e, -EBADMSG, "UNIX record: bad type %u", u->type);
	if ((f & ~UNIX_REC_FLAGS) || u->shutdown > 3 || u->pad || !u->ino ||
	    ((f & UNIX_REC_PATH) && (f & UNIX_REC_ABSTRACT)))
		return err_set(e, -EBADMSG, "UNIX record: bad flags or shutdown");
	int peers = !!(f & UNIX_REC_LISTEN) + !!(f & UNIX_REC_CONNECTED) +
		    !!(f & UNIX_REC_PEER_OUTSIDE) + !!(f & UNIX_REC_PEER_GONE) +
		    !!(f & UNIX_REC_PENDING);
	if (peers > 1 || (u->type == SOCK_DGRAM && (f & (UNIX_REC_LISTEN | UNIX_REC_PENDING))) ||
	    (u->type != SOCK_DGRAM && (f & UNIX_REC_PEER_OUTSIDE)))
		return err_set(e, -EBADMSG, "UNIX record: contradictory connection flags");
	if (!!(f & UNIX_REC_CONNECTED) != !!u->peer_ino ||
	    !!(f & UNIX_REC_PENDING) != !!u->listener_ino || u->peer_ino == u->ino ||
	    (!(f & UNIX_REC_LISTEN) && u->backlog) || u->backlog > 65535)
		return err_set(e, -EBADMSG, "UNIX record: bad peer, listener or backlog");
	int named = (f & (UNIX_REC_PATH | UNIX_REC_ABSTRACT)) != 0;
	if (named ? !name_ok(u->name, u->name_len, f & UNIX_REC_PATH) : u->name_len != 0)
		return err_set(e, -EBADMSG, "UNIX record: bad name");
	if ((f & UNIX_REC_LISTEN) && !named)
		return err_set(e, -EBADMSG, "UNIX record: a listener without a name");
	if (!(f & UNIX_REC_PATH) && ((f & UNIX_REC_UNLINKED) || u->file_mode || u->file_uid ||
				     u->file_gid || u->file_ino || u->file_dev))
		return err_set(e, -EBADMSG, "UNIX record: socket file facts without a path");
	if (u->file_mode > 07777)
		return err_set(e, -EBADMSG, "UNIX record: bad file mode");
	if ((f & UNIX_REC_PEER_OUTSIDE)
		    ? !name_ok(u->peer_name, u->peer_name_len, u->peer_name[0] != 0)
		    : u->peer_name_len != 0)
		return err_set(e, -EBADMSG, "UNIX record: bad peer name");
	if (u->nqueued && (f & (UNIX_REC_LISTEN | UNIX_REC_PENDING)))
		return err_set(e, -EBADMSG,
			       "UNIX record: queued data on a listener/pending client");
	if (u->type == SOCK_DGRAM && u->nqueued &&
	    ((f & UNIX_REC_PEER_OUTSIDE) || (!named && !(f & UNIX_REC_CONNECTED))))
		return err_set(e, -EBADMSG, "UNIX record: queued datagrams that cannot be resent");
	return 0;
}

int unix_queue_validate(const uint8_t *d, uint64_t len, uint32_t n, struct ferry_err *e)
{
	uint64_t off = 0;
	uint32_t count = 0;
	while (off < len) {
		uint32_t l;
		if (len - off < sizeof(l))
			return err_set(e, -EBADMSG, "UNIX queue: truncated length at %llu",
				       (unsigned long long)off);
		memcpy(&l, d + off, sizeof(l));
		off += sizeof(l);
		if (l > len - off)
			return err_set(e, -EBADMSG, "UNIX queue: message of %u bytes overruns", l);
		off += l;
		count++;
	}
	if (count != n)
		return err_set(e, -EBADMSG, "UNIX queue: %u messages, the record says %u", count,
			       n);
	return 0;
}

/* The image's UNIX record of socket inode ino (validated), or NULL. */
static const struct img_file_model *find_sock(const struct img_model *m, uint64_t ino,
					      struct unix_rec *ret)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct img_data *d;
		if (m->files[i].f.kind != FILE_UNIX ||
		    !(d = res_data(&m->files[i], SOCK_TAG_UNIX)) || d->len != sizeof(*ret))
			continue;
		memcpy(ret, d->data, sizeof(*ret));
		if (ret->ino == ino)
			return &m->files[i];
	}
	return NULL;
}

static int check_links(const struct img_model *m, const struct img_file_model *f,
		       const struct unix_rec *u, const struct img_data *icons, struct ferry_err *e)
{
	struct unix_rec o;
	if (u->ino != f->f.ino)
		return err_set(e, -EBADMSG, "image: UNIX socket %u: inode mismatch", f->f.id);
	if ((u->flags & UNIX_REC_CONNECTED) &&
	    (!find_sock(m, u->peer_ino, &o) || o.type != u->type ||
	     (u->type != SOCK_DGRAM && (o.peer_ino != u->ino || !(o.flags & UNIX_REC_CONNECTED))) ||
	     (u->type == SOCK_DGRAM && o.peer_ino != u->ino &&
	      !(o.flags & (UNIX_REC_PATH | UNIX_REC_ABSTRACT)))))
		return err_set(e, -EBADMSG, "image: UNIX socket %u: its peer is missing or unfit",
			       f->f.id);
	if ((u->flags & UNIX_REC_PENDING) && (!find_sock(m, u->listener_ino, &o) ||
					      !(o.flags & UNIX_REC_LISTEN) || o.type != u->type))
		return err_set(e, -EBADMSG, "image: UNIX socket %u: its listener is missing",
			       f->f.id);
	for (uint64_t i = 0; icons && i < icons->len / 8; i++) {
		uint64_t ino;
		memcpy(&ino, icons->data + 8 * i, 8);
		if (!find_sock(m, ino, &o) || o.listener_ino != u->ino)
			return err_set(e, -EBADMSG,
				       "image: UNIX listener %u: pending client %llu is missing",
				       f->f.id, (unsigned long long)ino);
	}
	return 0;
}

static int unix_validate(const struct img_model *m, const struct img_file_model *f,
			 struct ferry_err *e)
{
	const struct img_data *rec = res_data(f, SOCK_TAG_UNIX), *icons = NULL, *q = NULL;
	struct unix_rec u;
	int nopts = 0;
	if (!rec || rec->len != sizeof(u))
		return err_set(e, -EBADMSG, "image: UNIX socket %u: missing or short record",
			       f->f.id);
	memcpy(&u, rec->data, sizeof(u));
	int r = unix_rec_validate(&u, rec->len, e);
	for (size_t i = 0; r == 0 && i < f->ndata; i++) {
		const struct img_data *d = &f->data[i];
		if (d == rec)
			continue;
		if (d->tag == SOCK_TAG_OPTS && !nopts++)
			r = sock_opts_validate(d->data, d->len, SOF_UNIX, e);
		else if (d->tag == SOCK_TAG_UNIX_QUEUE && !q && d->len && u.nqueued)
			q = d;
		else if (d->tag == SOCK_TAG_UNIX_ICONS && !icons && d->len && !(d->len % 8) &&
			 (u.flags & UNIX_REC_LISTEN))
			icons = d;
		else
			r = err_set(e, -EBADMSG, "image: UNIX socket %u: bad data record (tag %u)",
				    f->f.id, d->tag);
	}
	if (r == 0 && !!q != !!u.nqueued)
		r = err_set(e, -EBADMSG, "image: UNIX socket %u: queue missing", f->f.id);
	if (r == 0 && q)
		r = u.type == SOCK_STREAM
			    ? (q->len == u.nqueued
				       ? 0
				       : err_set(e, -EBADMSG, "image: UNIX socket %u: queue length",
						 f->f.id))
			    : unix_queue_validate(q->data, q->len, u.nqueued, e);
	return r ? r : check_links(m, f, &u, icons, e);
}

/* ---- restore: building groups of sockets ---- */

struct made {
	uint64_t ino;
	int fd;	    /* ours, or once handed over, its slot in the file table */
	int handed; /* returned by open(): rfiles.c put it at fd */
};
struct rstate {
	struct made *v;
	size_t n, cap;
};

static struct rstate *rstate(struct restore_ctx *c)
{
	if (!c->file_state[FILE_UNIX])
		c->file_state[FILE_UNIX] = calloc(1, sizeof(struct rstate));
	return c->file_state[FILE_UNIX];
}

static int made_fd(struct rstate *s, uint64_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ino == ino)
			return s->v[i].fd;
	return -1;
}

static int made_add(struct rstate *s, uint64_t ino, int fd)
{
	struct made *n = array_reserve(s->v, &s->cap, s->n + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->v = n;
	s->v[s->n++] = (struct made){ino, fd, 0};
	return 0;
}

struct sk {
	struct unix_rec r;
	const struct img_file_model *f;
};

static socklen_t addr_of(const uint8_t *name, uint32_t len, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path, name, len);
	return offsetof(struct sockaddr_un, sun_path) + len;
}

/* The stale socket file of the dumped socket is removed; any other file at the path stays. */
static int bind_name(struct restore_ctx *c, int fd, const struct unix_rec *r)
{
	struct sockaddr_un a;
	struct stat st;
	socklen_t len = addr_of(r->name, r->name_len, &a);
	int path = r->flags & UNIX_REC_PATH;
	/* The image is untrusted: the file must be the dumped socket's (same inode) and no live
	 * socket may be bound to it (its owner was killed), or it stays. */
	if (path && lstat(a.sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode) || st.st_ino != r->file_ino || st.st_dev != r->file_dev ||
		    sockdiag_unix_file_bound(st.st_ino) != 0)
			return err_set(
				c->e, -EADDRINUSE,
				"UNIX socket %s: the path is taken by another file or a live "
				"socket",
				a.sun_path);
		unlink(a.sun_path);
	}
	if (bind(fd, (struct sockaddr *)&a, len) < 0)
		return err_set(c->e, neg_errno(), "UNIX socket %s%s: cannot bind: %m",
			       path ? "" : "@", a.sun_path + !path);
	if (path && (chmod(a.sun_path, r->file_mode) < 0 ||
		     lchown(a.sun_path, r->file_uid, r->file_gid) < 0))
		return err_set(c->e, neg_errno(), "UNIX socket %s: mode/owner: %m", a.sun_path);
	if (path && (r->flags & UNIX_REC_UNLINKED))
		unlink(a.sun_path);
	return 0;
}

/* A socket with its options and its name (names of stream sockets that were accepted come from
 * their listener, not from bind). */
static int new_sock(struct restore_ctx *c, const struct sk *s, int fd, int bind_it)
{
	int e = fd < 0 ? neg_errno() : 0;
	if (e < 0)
		return err_set(c->e, e, "UNIX socket: %m");
	e = sock_opts_apply_file(fd, s->f, SOF_UNIX, "UNIX socket", c->e);
	if (e == 0 && bind_it && (s->r.flags & (UNIX_REC_PATH | UNIX_REC_ABSTRACT)))
		e = bind_name(c, fd, &s->r);
	return e;
}

/* Write s's queued data into it through `from` (its peer, or a temporary socket with `to`). */
static int refill(struct restore_ctx *c, const struct sk *s, int from, const struct sockaddr_un *to,
		  socklen_t tolen)
{
	const struct img_data *q = res_data(s->f, SOCK_TAG_UNIX_QUEUE);
	uint64_t off = 0;
	int big = 64 << 20, old = 0, e = 0;
	socklen_t olen = sizeof(old);
	if (!q)
		return 0;
	/* The sender's buffer must not be what blocks; its own size is put back after. */
	if (getsockopt(from, SOL_SOCKET, SO_SNDBUF, &old, &olen) < 0 ||
	    setsockopt(from, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		return err_set(c->e, neg_errno(), "UNIX socket %u: send buffer: %m", s->f->f.id);
	while (e == 0 && off < q->len) {
		uint32_t l = (uint32_t)(q->len - off);
		if (s->r.type != SOCK_STREAM) {
			memcpy(&l, q->data + off, sizeof(l));
			off += sizeof(l);
		}
		ssize_t n = sendto(from, q->data + off, l, MSG_DONTWAIT | MSG_NOSIGNAL,
				   (const struct sockaddr *)to, tolen);
		if (n < 0 || (s->r.type != SOCK_STREAM && (uint32_t)n != l))
			e = err_set(c->e, n < 0 ? neg_errno() : -EIO,
				    "UNIX socket %u: cannot queue its data back: %m", s->f->f.id);
		off += n;
	}
	old /= 2;
	setsockopt(from, SOL_SOCKET, SO_SNDBUFFORCE, &old, sizeof(old));
	return e;
}

static int finish_sock(struct restore_ctx *c, const struct sk *s, int fd)
{
	static const int how[] = {-1, SHUT_RD, SHUT_WR, SHUT_RDWR};
	int e = made_add(rstate(c), s->r.ino, fd);
	if (e == 0 && s->r.shutdown && shutdown(fd, how[s->r.shutdown]) < 0 && errno != ENOTCONN)
		e = err_set(c->e, neg_errno(), "UNIX socket %u: shutdown: %m", s->f->f.id);
	return e;
}

static int get_sk(struct restore_ctx *c, uint64_t ino, struct sk *s)
{
	s->f = find_sock(c->m, ino, &s->r);
	return s->f ? 0
		    : err_set(c->e, -ENOENT, "UNIX socket inode %llu not in the image",
			      (unsigned long long)ino);
}

static int ensure(struct restore_ctx *c, uint64_t ino);

static int build_pair(struct restore_ctx *c, const struct sk *a, const struct sk *b)
{
	int sv[2];
	int dgram = a->r.type == SOCK_DGRAM;
	if (socketpair(AF_UNIX, a->r.type | SOCK_CLOEXEC, 0, sv) < 0)
		return err_set(c->e, neg_errno(), "UNIX socketpair: %m");
	int e = new_sock(c, a, sv[0], dgram);
	if (e == 0)
		e = new_sock(c, b, sv[1], dgram);
	if (e == 0)
		e = refill(c, a, sv[1], NULL, 0);
	if (e == 0)
		e = refill(c, b, sv[0], NULL, 0);
	if (e == 0 && (e = finish_sock(c, a, sv[0])) == 0)
		return finish_sock(c, b, sv[1]);
	close(sv[0]);
	close(sv[1]);
	return e;
}

/* A client socket connected to the restored listener l (bound if it was). */
static int connect_client(struct restore_ctx *c, const struct sk *l, const struct sk *cl, int *ret)
{
	struct sockaddr_un a;
	socklen_t len = addr_of(l->r.name, l->r.name_len, &a);
	int fd = socket(AF_UNIX, cl->r.type | SOCK_CLOEXEC, 0);
	int e = new_sock(c, cl, fd, 1);
	if (e == 0 && connect(fd, (struct sockaddr *)&a, len) < 0)
		e = err_set(c->e, neg_errno(), "UNIX socket %u: cannot connect to its listener: %m",
			    cl->f->f.id);
	if (e < 0 && fd >= 0)
		close(fd);
	*ret = fd;
	return e;
}

/* A connection the listener had accepted: reconnect through it, accept it again. */
static int build_accepted(struct restore_ctx *c, int lfd, const struct sk *l, const struct sk *srv)
{
	struct sk cl;
	int cfd, sfd, e = get_sk(c, srv->r.peer_ino, &cl);
	if (e < 0 || (e = connect_client(c, l, &cl, &cfd)) < 0)
		return e;
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (sfd < 0) {
		close(cfd);
		return err_set(c->e, neg_errno(), "UNIX listener %u: accept: %m", l->f->f.id);
	}
	if ((e = new_sock(c, srv, sfd, 0)) == 0 && (e = refill(c, srv, cfd, NULL, 0)) == 0 &&
	    (e = refill(c, &cl, sfd, NULL, 0)) == 0 && (e = finish_sock(c, srv, sfd)) == 0)
		return finish_sock(c, &cl, cfd);
	close(sfd);
	close(cfd);
	return e;
}

static int same_name(const struct unix_rec *a, const struct unix_rec *b)
{
	return a->name_len && a->name_len == b->name_len && !memcmp(a->name, b->name, a->name_len);
}

/* The listener, the connections it accepted, then its pending clients in queue order. */
static int build_listener(struct restore_ctx *c, const struct sk *l)
{
	int fd = socket(AF_UNIX, l->r.type | SOCK_CLOEXEC, 0);
	int e = new_sock(c, l, fd, 1);
	if (e == 0 && listen(fd, l->r.backlog) < 0)
		e = err_set(c->e, neg_errno(), "UNIX listener %u: listen: %m", l->f->f.id);
	if (e == 0)
		e = finish_sock(c, l, fd);
	if (e < 0) {
		if (fd >= 0)
			close(fd);
		return e;
	}
	for (size_t i = 0; e == 0 && i < c->m->nfiles; i++) {
		struct sk s = {.f = &c->m->files[i]};
		const struct img_data *d = res_data(s.f, SOCK_TAG_UNIX);
		if (s.f->f.kind != FILE_UNIX || !d)
			continue;
		memcpy(&s.r, d->data, sizeof(s.r));
		if ((s.r.flags & UNIX_REC_CONNECTED) && !(s.r.flags & UNIX_REC_LISTEN) &&
		    s.r.type == l->r.type && same_name(&s.r, &l->r) &&
		    made_fd(rstate(c), s.r.ino) < 0)
			e = build_accepted(c, fd, l, &s);
	}
	const struct img_data *icons = res_data(l->f, SOCK_TAG_UNIX_ICONS);
	for (uint64_t i = 0; e == 0 && icons && i < icons->len / 8; i++) {
		uint64_t ino;
		struct sk cl;
		int cfd;
		memcpy(&ino, icons->data + 8 * i, 8);
		if ((e = get_sk(c, ino, &cl)) == 0 && (e = connect_client(c, l, &cl, &cfd)) == 0 &&
		    (e = finish_sock(c, &cl, cfd)) < 0)
			close(cfd);
	}
	return e;
}

/* The listener of an accepted connection, if it is in the image too. */
static int accepted_via(struct restore_ctx *c, const struct sk *s, struct sk *l)
{
	if (s->r.type == SOCK_DGRAM || !s->r.name_len)
		return 0;
	for (size_t i = 0; i < c->m->nfiles; i++) {
		const struct img_data *d = res_data(&c->m->files[i], SOCK_TAG_UNIX);
		if (c->m->files[i].f.kind != FILE_UNIX || !d)
			continue;
		memcpy(&l->r, d->data, sizeof(l->r));
		l->f = &c->m->files[i];
		if ((l->r.flags & UNIX_REC_LISTEN) && l->r.type == s->r.type &&
		    same_name(&l->r, &s->r))
			return 1;
	}
	return 0;
}

static int build_single(struct restore_ctx *c, const struct sk *s)
{
	struct sockaddr_un a;
	struct sk peer;
	int fd = socket(AF_UNIX, s->r.type | SOCK_CLOEXEC, 0), e, from = -1, tmp = -1, filled = 0;
	if ((e = new_sock(c, s, fd,
			  s->r.type == SOCK_DGRAM || !(s->r.flags & UNIX_REC_PEER_GONE))) < 0)
		goto fail;
	socklen_t self = addr_of(s->r.name, s->r.name_len, &a);
	if (s->r.flags & UNIX_REC_CONNECTED) { /* dgram, one way to a named socket */
		if ((e = ensure(c, s->r.peer_ino)) < 0 || (e = get_sk(c, s->r.peer_ino, &peer)) < 0)
			goto fail;
		struct sockaddr_un pa;
		socklen_t plen = addr_of(peer.r.name, peer.r.name_len, &pa);
		if (connect(fd, (struct sockaddr *)&pa, plen) < 0) {
			e = err_set(c->e, neg_errno(), "UNIX socket %u: cannot connect: %m",
				    s->f->f.id);
			goto fail;
		}
		from = made_fd(rstate(c), s->r.peer_ino);
	} else if (s->r.flags & UNIX_REC_PEER_OUTSIDE) {
		struct sockaddr_un pa;
		socklen_t plen = addr_of(s->r.peer_name, s->r.peer_name_len, &pa);
		if (connect(fd, (struct sockaddr *)&pa, plen) < 0) {
			e = err_set(c->e, neg_errno(),
				    "UNIX socket %u: cannot reconnect to %s outside the tree: %m",
				    s->f->f.id, pa.sun_path[0] ? pa.sun_path : "(abstract)");
			goto fail;
		}
	} else if ((s->r.flags & UNIX_REC_PEER_GONE) && s->r.type != SOCK_DGRAM) {
		/* A stream whose peer is gone: a pair whose other end closes after the data. */
		int sv[2];
		close(fd);
		if (socketpair(AF_UNIX, s->r.type | SOCK_CLOEXEC, 0, sv) < 0)
			return err_set(c->e, neg_errno(), "UNIX socketpair: %m");
		fd = sv[0];
		tmp = sv[1];
		if ((e = new_sock(c, s, fd, 0)) < 0 || (e = refill(c, s, tmp, NULL, 0)) < 0)
			goto fail;
		tmp = safe_close(tmp);
		filled = 1;
	}
	if (s->r.nqueued && !filled && from < 0) /* named dgram receiver: a temporary sender */
		from = tmp = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (from >= 0 && (e = refill(c, s, from, &a, self)) < 0)
		goto fail;
	safe_close(tmp);
	if ((e = finish_sock(c, s, fd)) == 0)
		return 0;
	tmp = -1;
fail:
	safe_close(tmp);
	if (fd >= 0)
		close(fd);
	return e;
}

static int ensure(struct restore_ctx *c, uint64_t ino)
{
	struct sk s, peer, l;
	struct rstate *st = rstate(c);
	int e;
	if (!st)
		return -ENOMEM;
	if (made_fd(st, ino) >= 0)
		return 0;
	if ((e = get_sk(c, ino, &s)) < 0)
		return e;
	if (s.r.flags & UNIX_REC_PENDING)
		return ensure(c, s.r.listener_ino);
	if (s.r.flags & UNIX_REC_LISTEN)
		return build_listener(c, &s);
	if ((s.r.flags & UNIX_REC_CONNECTED) && (e = get_sk(c, s.r.peer_ino, &peer)) == 0 &&
	    (peer.r.flags & UNIX_REC_CONNECTED) && peer.r.peer_ino == ino) {
		if (accepted_via(c, &s, &l) || accepted_via(c, &peer, &l))
			return ensure(c, l.r.ino);
		return build_pair(c, &s, &peer);
	}
	return e < 0 ? e : build_single(c, &s);
}

static int unix_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	struct unix_rec r;
	struct rstate *st = rstate(c);
	memcpy(&r, res_data(f, SOCK_TAG_UNIX)->data, sizeof(r)); /* validated */
	int e = st ? ensure(c, r.ino) : -ENOMEM;
	if (e < 0)
		return e;
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].ino == r.ino && !st->v[i].handed) {
			int fd = st->v[i].fd;
			/* rfiles.c owns it now, at this slot (later groups may still send to it) */
			st->v[i].handed = 1;
			st->v[i].fd = c->table_base + (int)(f - c->m->files);
			if ((f->f.flags & O_NONBLOCK) && fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
				return neg_errno();
			*ret_fd = fd;
			return 0;
		}
	return err_set(c->e, -EEXIST, "UNIX socket %u opened twice", f->f.id);
}

static void unix_cleanup(struct restore_ctx *c, int failed)
{
	struct rstate *st = c->file_state[FILE_UNIX];
	for (size_t i = 0; st && i < st->n; i++)
		if (!st->v[i].handed)
			close(st->v[i].fd);
	if (st)
		free(st->v);
	free(st);
	c->file_state[FILE_UNIX] = NULL;
}

const struct res_file_ops res_unix = {
	.kind = FILE_UNIX,
	.name = "UNIX socket",
	.match = unix_match,
	.check = unix_check,
	.dump = unix_dump,
	.validate = unix_validate,
	.open = unix_open,
	.cleanup = unix_cleanup,
};

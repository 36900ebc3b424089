/* SPDX-License-Identifier: MIT */
/* TCP sockets (IPv4 and IPv6): unconnected (bound or not), listening, and established
 * connections with both queues, via TCP_REPAIR (KERNEL-FACTS.md §7).
 * Dump: on a pidfd_getfd duplicate, after the network lock (netlock.c) holds the flow's packets
 * back: repair mode on, sequence numbers, queues peeked in repair queue mode (send queue:
 * sent-but-unacked + unsent), MSS/window scale/SACK/timestamps (TCP_INFO, TCP_MAXSEG,
 * TCP_TIMESTAMP: TCP_REPAIR_OPTIONS cannot be read), the window (TCP_REPAIR_WINDOW) and the
 * options that differ from a fresh socket. The socket stays in repair mode, so when the tree is
 * killed it closes silently (no FIN, no RST); if the tree resumes, repair mode goes off again.
 * Restore (in the restorer, same network namespace): bind, sequence numbers, connect (no SYN in
 * repair mode), options, timestamp, receive queue, sent part of the send queue, window. Once the
 * image's last TCP/UDP socket exists (still in the restorer, before the seeds fork), repair goes
 * off, the never-sent bytes are queued normally and the lock is released: from then on the
 * kernel runs the connection while the processes are rebuilt, as if the application were slow.
 * Refused: other states (SYN_SENT, FIN_WAIT*, CLOSE_WAIT...), a listener with connections not
 * yet accepted. A process in another network namespace is refused for the whole tree (ns.c). */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "dump/internal.h"
#include "res/res.h"
#include "res/sock.h"
#include "restore/internal.h"

/* linux/tcp.h's, which conflicts with netinet/tcp.h */
struct repair_window {
	uint32_t snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup;
};

struct tcp_priv {
	int fd;	    /* ferry's duplicate, until tcp_dump_end() */
	int repair; /* we put it in repair mode */
};

static const char *state_name(int st)
{
	static const char *const n[] = {"?",	      "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
					"FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
					"CLOSE_WAIT", "LAST_ACK",    "LISTEN",	  "CLOSING"};
	return st >= 0 && st < (int)ARRAY_SIZE(n) ? n[st] : "?";
}

static int is_tcp(const struct fd_desc *d)
{
	return !strcmp(d->sock_proto, "TCP") || !strcmp(d->sock_proto, "TCPv6");
}

static int tcp_match(const struct fd_desc *d)
{
	return S_ISSOCK(d->st.st_mode) && is_tcp(d);
}

static int addrs(int fd, struct sock_inet_addr *l, struct sock_inet_addr *r)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	memset(r, 0, sizeof(*r));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 || sock_inet_from(&ss, l) < 0)
		return neg_errno();
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		return sock_inet_from(&ss, r);
	return 0;
}

static int tcp_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	struct netlock_flow fl = {0};
	int fd = res_getfd(p->pid, d->fd, c->e);
	if (fd < 0)
		return fd;
	struct tcp_priv *tp = calloc(1, sizeof(*tp));
	if (!tp) {
		close(fd);
		return -ENOMEM;
	}
	tp->fd = fd;
	d->priv = tp;
	len = sizeof(fl.family);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &fl.family, &len) < 0 ||
	    (len = sizeof(ti), getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) ||
	    addrs(fd, &fl.laddr, &fl.raddr) < 0)
		return err_set(c->e, neg_errno(), "pid %d fd %d: cannot inspect the TCP socket: %m",
			       p->pid, d->fd);
	if (ti.tcpi_state != TCP_ESTABLISHED && ti.tcpi_state != TCP_LISTEN &&
	    ti.tcpi_state != TCP_CLOSE)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d: TCP socket in state %s: only unconnected, listening "
			       "and established sockets are supported",
			       p->pid, d->fd, state_name(ti.tcpi_state));
	if (ti.tcpi_state == TCP_CLOSE)
		return 0;
	fl.proto = IPPROTO_TCP;
	if (ti.tcpi_state == TCP_LISTEN)
		memset(&fl.raddr, 0, sizeof(fl.raddr));
	return netlock_want(&fl);
}

/* ---- dump ---- */

static int peek_queue(int fd, int queue, uint8_t *buf, uint32_t len)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof(queue)) < 0)
		return neg_errno();
	/* In repair mode one MSG_PEEK copies the whole queue, from its start (every call). */
	ssize_t n = recv(fd, buf, len, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return neg_errno();
	return (uint32_t)n == len ? 0 : -EIO;
}

static int queue_seq(int fd, int queue, uint32_t *ret)
{
	socklen_t len = sizeof(*ret);
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof(queue)) < 0 ||
	    getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, ret, &len) < 0)
		return neg_errno();
	return 0;
}

static int read_established(int fd, struct tcp_rec *t)
{
	struct tcp_info ti;
	struct repair_window w;
	int v, on = 1;
	socklen_t len;
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) < 0)
		return neg_errno();
	if (ioctl(fd, SIOCOUTQ, &v) < 0)
		return neg_errno();
	t->sendq_len = v;
	if (ioctl(fd, SIOCOUTQNSD, &v) < 0)
		return neg_errno();
	t->unsent_len = v;
	if (ioctl(fd, SIOCINQ, &v) < 0)
		return neg_errno();
	t->recvq_len = v;
	if (queue_seq(fd, TCP_SEND_QUEUE, &t->snd_seq) < 0 ||
	    queue_seq(fd, TCP_RECV_QUEUE, &t->rcv_seq) < 0)
		return neg_errno();
	len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return neg_errno();
	t->opts = (ti.tcpi_options & TCPI_OPT_SACK ? TCP_REC_OPT_SACK : 0) |
		  (ti.tcpi_options & TCPI_OPT_TIMESTAMPS ? TCP_REC_OPT_TS : 0) |
		  (ti.tcpi_options & TCPI_OPT_WSCALE ? TCP_REC_OPT_WSCALE : 0);
	t->snd_wscale = ti.tcpi_snd_wscale;
	t->rcv_wscale = ti.tcpi_rcv_wscale;
	len = sizeof(v);
	if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &v, &len) < 0)
		return neg_errno();
	t->mss = v;
	len = sizeof(t->timestamp);
	if (getsockopt(fd, IPPROTO_TCP, TCP_TIMESTAMP, &t->timestamp, &len) < 0)
		return neg_errno();
	len = sizeof(w);
	if (getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &len) < 0)
		return neg_errno();
	t->snd_wl1 = w.snd_wl1;
	t->snd_wnd = w.snd_wnd;
	t->max_window = w.max_window;
	t->rcv_wnd = w.rcv_wnd;
	t->rcv_wup = w.rcv_wup;
	return 0;
}

static int write_queue(struct dump_ctx *c, struct img_file *f, int fd, int queue, uint32_t tag,
		       uint32_t len)
{
	if (!len)
		return 0;
	if (len > IMG_MAX_DATA_REC)
		return -E2BIG;
	_cleanup_free_ uint8_t *buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	int r = peek_queue(fd, queue, buf, len);
	return r < 0 ? r : res_write_data(c, f, tag, buf, len);
}

static int tcp_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		    struct img_file *f)
{
	struct tcp_priv *tp = d->priv;
	struct tcp_rec t = {0};
	struct tcp_info ti;
	struct sock_opt opts[SOCK_MAX_OPTS];
	socklen_t len = sizeof(ti);
	char a[64];
	int fd = tp->fd, r;

	if ((r = netlock_take(c)) < 0)
		return r;
	len = sizeof(t.family);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &t.family, &len) < 0 ||
	    (len = sizeof(ti), getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) ||
	    addrs(fd, &t.laddr, &t.raddr) < 0)
		return err_set(c->e, neg_errno(), "pid %d fd %d: TCP socket: %m", p->pid, d->fd);
	int n = sock_opts_read(fd, SOF_TCP, t.family, SOCK_STREAM, opts);
	if (n < 0)
		return err_set(c->e, n, "pid %d fd %d: TCP socket options: %s", p->pid, d->fd,
			       strerror(-n));
	t.lock_id = netlock_id();
	if (ti.tcpi_state == TCP_CLOSE) {
		t.state = TCP_REC_CLOSED;
		t.bound = t.laddr.port != 0;
	} else if (ti.tcpi_state == TCP_LISTEN) {
		t.state = TCP_REC_LISTEN;
		t.backlog = ti.tcpi_sacked;
		/* checked under the lock: no new connection can arrive any more */
		if (ti.tcpi_unacked)
			return err_set(c->e, -EOPNOTSUPP,
				       "pid %d fd %d: TCP listener %s has %u connection(s) not yet "
				       "accepted, which cannot be restored; retry",
				       p->pid, d->fd,
				       sock_inet_str(t.family, &t.laddr, a, sizeof(a)),
				       ti.tcpi_unacked);
	} else if (ti.tcpi_state == TCP_ESTABLISHED) {
		t.state = TCP_REC_ESTABLISHED;
		tp->repair = 1;
		if ((r = read_established(fd, &t)) < 0)
			return err_set(c->e, r, "pid %d fd %d: TCP connection %s: repair: %s",
				       p->pid, d->fd,
				       sock_inet_str(t.family, &t.raddr, a, sizeof(a)),
				       strerror(-r));
	} else {
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d: TCP socket changed to state %s",
			       p->pid, d->fd, state_name(ti.tcpi_state));
	}
	if ((r = res_write_data(c, f, SOCK_TAG_TCP, &t, sizeof(t))) < 0 ||
	    (n && (r = res_write_data(c, f, SOCK_TAG_OPTS, opts, n * sizeof(opts[0]))) < 0))
		return r;
	if (t.state != TCP_REC_ESTABLISHED)
		return 0;
	if ((r = write_queue(c, f, fd, TCP_RECV_QUEUE, SOCK_TAG_TCP_RECVQ, t.recvq_len)) < 0 ||
	    (r = write_queue(c, f, fd, TCP_SEND_QUEUE, SOCK_TAG_TCP_SENDQ, t.sendq_len)) < 0)
		return err_set(c->e, r, "pid %d fd %d: TCP connection: reading its queues: %s",
			       p->pid, d->fd, strerror(-r));
	int none = TCP_NO_QUEUE;
	setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &none, sizeof(none));
	return 0;
}

void tcp_dump_end(struct dump_ctx *c, int resumed)
{
	for (size_t i = 0; i < c->nprocs; i++)
		for (size_t k = 0; k < c->procs[i].nfds; k++) {
			struct fd_desc *d = &c->procs[i].fds[k];
			struct tcp_priv *tp = d->priv;
			if (d->kind != FILE_TCP || !tp || tp->fd < 0)
				continue;
			/* Resumed: back to normal, no window probe (the lock still holds). */
			int off = TCP_REPAIR_OFF_NO_WP;
			if (resumed && tp->repair &&
			    setsockopt(tp->fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) < 0)
				log_warn("pid %d fd %d: cannot take the TCP socket out of repair "
					 "mode: %m",
					 c->procs[i].pid, d->fd);
			tp->fd = safe_close(tp->fd);
		}
}

/* ---- restore ---- */

int tcp_rec_validate(const struct tcp_rec *t, uint64_t len, struct ferry_err *e)
{
	if (len != sizeof(*t))
		return err_set(e, -EBADMSG, "TCP record: %llu bytes, expected %zu",
			       (unsigned long long)len, sizeof(*t));
	if (t->family != AF_INET && t->family != AF_INET6)
		return err_set(e, -EBADMSG, "TCP record: bad family %u", t->family);
	if (t->state < TCP_REC_CLOSED || t->state > TCP_REC_ESTABLISHED)
		return err_set(e, -EBADMSG, "TCP record: bad state %u", t->state);
	if (t->bound > 1 || t->backlog > 65535 || t->pad || t->pad2 || t->laddr.pad ||
	    t->raddr.pad || (t->family == AF_INET && (t->laddr.scope_id || t->raddr.scope_id)))
		return err_set(e, -EBADMSG, "TCP record: bad flags, backlog or padding");
	if (t->opts & ~(TCP_REC_OPT_SACK | TCP_REC_OPT_TS | TCP_REC_OPT_WSCALE) ||
	    t->snd_wscale > 14 || t->rcv_wscale > 14)
		return err_set(e, -EBADMSG, "TCP record: bad options");
	if (t->state != TCP_REC_ESTABLISHED) {
		if (t->sendq_len || t->unsent_len || t->recvq_len || t->raddr.port ||
		    (t->state == TCP_REC_LISTEN && !t->laddr.port))
			return err_set(e, -EBADMSG, "TCP record: queues or peer on a %s socket",
				       t->state == TCP_REC_LISTEN ? "listening" : "closed");
		return 0;
	}
	if (!t->laddr.port || !t->raddr.port || t->unsent_len > t->sendq_len ||
	    t->sendq_len > IMG_MAX_DATA_REC || t->recvq_len > IMG_MAX_DATA_REC || t->mss == 0 ||
	    t->mss > 65535)
		return err_set(e, -EBADMSG, "TCP record: bad ports, queue lengths or MSS");
	return 0;
}

static int tcp_validate(const struct img_model *m, const struct img_file_model *f,
			struct ferry_err *e)
{
	const struct img_data *rec = res_data(f, SOCK_TAG_TCP);
	struct tcp_rec t;
	int seen[SOCK_TAG_UNIX_ICONS + 1] = {0};
	if (!rec)
		return err_set(e, -EBADMSG, "image: TCP socket %u has no TCP record", f->f.id);
	if (rec->len != sizeof(t))
		return tcp_rec_validate((const void *)rec->data, rec->len, e);
	memcpy(&t, rec->data, sizeof(t));
	int r = tcp_rec_validate(&t, rec->len, e);
	for (size_t i = 0; r == 0 && i < f->ndata; i++) {
		const struct img_data *d = &f->data[i];
		uint64_t want = d->tag == SOCK_TAG_TCP_RECVQ   ? t.recvq_len
				: d->tag == SOCK_TAG_TCP_SENDQ ? t.sendq_len
							       : d->len;
		if ((d->tag != SOCK_TAG_TCP && d->tag != SOCK_TAG_OPTS &&
		     d->tag != SOCK_TAG_TCP_RECVQ && d->tag != SOCK_TAG_TCP_SENDQ) ||
		    seen[d->tag]++ || d->len != want || (d->tag != SOCK_TAG_TCP && !d->len))
			r = err_set(e, -EBADMSG, "image: TCP socket %u: bad data record (tag %u)",
				    f->f.id, d->tag);
		else if (d->tag == SOCK_TAG_OPTS)
			r = sock_opts_validate(d->data, d->len, SOF_TCP, e);
	}
	if (r == 0 && ((t.recvq_len && !seen[SOCK_TAG_TCP_RECVQ]) ||
		       (t.sendq_len && !seen[SOCK_TAG_TCP_SENDQ])))
		r = err_set(e, -EBADMSG, "image: TCP socket %u: a queue is missing", f->f.id);
	return r;
}

static int set_int(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v)) < 0 ? neg_errno() : 0;
}

/* Write len bytes in repair queue mode (or normally): chunks, never blocking forever. */
static int send_all(int fd, const uint8_t *d, uint64_t len)
{
	while (len) {
		size_t chunk = len > 65536 ? 65536 : len;
		ssize_t n = send(fd, d, chunk, MSG_NOSIGNAL);
		if (n <= 0)
			return n < 0 ? neg_errno() : -EIO;
		d += n;
		len -= n;
	}
	return 0;
}

static int restore_queues(int fd, const struct tcp_rec *t, const struct img_file_model *f)
{
	const struct img_data *rq = res_data(f, SOCK_TAG_TCP_RECVQ);
	const struct img_data *sq = res_data(f, SOCK_TAG_TCP_SENDQ);
	int r;
	/* Room for everything, so queueing in repair mode never blocks (KERNEL-FACTS.md §7);
	 * never below what the options set. */
	int need = (int)(t->sendq_len + t->recvq_len) + (1 << 20), cur;
	socklen_t len = sizeof(cur);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &len) == 0 && cur / 2 < need &&
	    (r = set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, need)) < 0)
		return r;
	len = sizeof(cur);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cur, &len) == 0 && cur / 2 < need &&
	    (r = set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, need)) < 0)
		return r;
	if (rq && ((r = set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE)) < 0 ||
		   (r = send_all(fd, rq->data, rq->len)) < 0))
		return r;
	if (sq && t->sendq_len > t->unsent_len &&
	    ((r = set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)) < 0 ||
	     (r = send_all(fd, sq->data, t->sendq_len - t->unsent_len)) < 0))
		return r;
	return set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
}

static int restore_connection(int fd, const struct tcp_rec *t, const struct img_file_model *f)
{
	struct sockaddr_storage ss;
	struct tcp_repair_opt o[4];
	struct repair_window w = {t->snd_wl1, t->snd_wnd, t->max_window, t->rcv_wnd, t->rcv_wup};
	int n = 0, r;
	if ((r = set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)) < 0 ||
	    (r = set_int(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, t->snd_seq - t->sendq_len)) < 0 ||
	    (r = set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE)) < 0 ||
	    (r = set_int(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, t->rcv_seq - t->recvq_len)) < 0)
		return r;
	socklen_t len = sock_inet_to(t->family, &t->raddr, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		return neg_errno();
	o[n++] = (struct tcp_repair_opt){TCPOPT_MAXSEG, t->mss};
	if (t->opts & TCP_REC_OPT_WSCALE)
		o[n++] = (struct tcp_repair_opt){TCPOPT_WINDOW,
						 t->snd_wscale | (uint32_t)t->rcv_wscale << 16};
	if (t->opts & TCP_REC_OPT_SACK)
		o[n++] = (struct tcp_repair_opt){TCPOPT_SACK_PERMITTED, 0};
	if (t->opts & TCP_REC_OPT_TS)
		o[n++] = (struct tcp_repair_opt){TCPOPT_TIMESTAMP, 0};
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, o, n * sizeof(o[0])) < 0)
		return neg_errno();
	if ((t->opts & TCP_REC_OPT_TS) &&
	    (r = set_int(fd, IPPROTO_TCP, TCP_TIMESTAMP, (int)t->timestamp)) < 0)
		return r;
	if ((r = restore_queues(fd, t, f)) < 0)
		return r;
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)) < 0)
		return neg_errno();
	return 0;
}

static int tcp_build(struct restore_ctx *c, const struct img_file_model *f, const struct tcp_rec *t,
		     int fd, const char *what)
{
	struct sockaddr_storage ss;
	socklen_t len = sock_inet_to(t->family, &t->laddr, &ss);
	int r;
	/* Options first: SO_REUSEADDR would undo the forced address reuse of repair mode, which
	 * lets the connection bind next to its restored listener. */
	if ((r = sock_opts_apply_file(fd, f, SOF_TCP, what, c->e)) < 0)
		return r;
	if (t->state == TCP_REC_ESTABLISHED && (r = set_int(fd, IPPROTO_TCP, TCP_REPAIR, 1)) < 0)
		return err_set(c->e, r, "%s: cannot enter repair mode: %s", what, strerror(-r));
	if ((t->state != TCP_REC_CLOSED || t->bound) && bind(fd, (struct sockaddr *)&ss, len) < 0)
		return err_set(c->e, neg_errno(), "%s: cannot bind: %m", what);
	if (t->state == TCP_REC_LISTEN && listen(fd, t->backlog) < 0)
		return err_set(c->e, neg_errno(), "%s: cannot listen: %m", what);
	if (t->state == TCP_REC_ESTABLISHED && (r = restore_connection(fd, t, f)) < 0)
		return err_set(c->e, r, "%s: cannot rebuild the connection: %s", what,
			       strerror(-r));
	return 0;
}

static void describe(const struct tcp_rec *t, char *buf, size_t len)
{
	char l[64], p[64];
	sock_inet_str(t->family, &t->laddr, l, sizeof(l));
	sock_inet_str(t->family, &t->raddr, p, sizeof(p));
	if (t->state == TCP_REC_ESTABLISHED)
		snprintf(buf, len, "TCP connection %s -> %s", l, p);
	else
		snprintf(buf, len, "TCP socket %s", l);
}

/* Repair off (sends a window probe), then the bytes that were never sent go through the normal
 * path. Called by the network lock once every socket of the image exists (netlock.c). */
int tcp_resume(struct restore_ctx *c, const struct img_file_model *f, int fd)
{
	struct tcp_rec t;
	char what[160];
	memcpy(&t, res_data(f, SOCK_TAG_TCP)->data, sizeof(t)); /* validated */
	if (t.state != TCP_REC_ESTABLISHED)
		return 0;
	describe(&t, what, sizeof(what));
	int r = set_int(fd, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF);
	const struct img_data *sq = res_data(f, SOCK_TAG_TCP_SENDQ);
	if (r == 0 && t.unsent_len)
		r = send_all(fd, sq->data + (t.sendq_len - t.unsent_len), t.unsent_len);
	return r < 0 ? err_set(c->e, r, "%s: cannot resume it: %s", what, strerror(-r)) : 0;
}

static int tcp_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	struct tcp_rec t;
	char what[160];
	memcpy(&t, res_data(f, SOCK_TAG_TCP)->data, sizeof(t)); /* validated */
	describe(&t, what, sizeof(what));
	int fd = socket(t.family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return err_set(c->e, neg_errno(), "%s: socket: %m", what);
	int r = tcp_build(c, f, &t, fd, what);
	if (r == 0)
		r = netlock_opened(c, f, fd);
	if (r == 0 && (f->f.flags & O_NONBLOCK) && fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		r = neg_errno();
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

const struct res_file_ops res_tcp = {
	.kind = FILE_TCP,
	.name = "TCP socket",
	.match = tcp_match,
	.check = tcp_check,
	.dump = tcp_dump,
	.validate = tcp_validate,
	.open = tcp_open,
};

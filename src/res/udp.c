/* SPDX-License-Identifier: MIT */
/* UDP sockets (IPv4 and IPv6): the local address if bound (explicitly or implicitly by an
 * earlier send/connect), the connected peer, and the options that differ from a fresh socket.
 * While the tree is between dump and restore the network lock (netlock.c) drops datagrams to
 * its bound ports, so senders never get ICMP port-unreachable (ECONNREFUSED).
 * Datagrams queued at the dump are dropped, as the network may drop any datagram: their sender
 * addresses cannot be recreated (a reply would go to a temporary socket), and UDP applications
 * already handle loss. The number dropped is in the record and logged at restore. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "dump/internal.h"
#include "res/res.h"
#include "res/sock.h"
#include "restore/internal.h"

static int udp_match(const struct fd_desc *d)
{
	return !strcmp(d->sock_proto, "UDP") || !strcmp(d->sock_proto, "UDPv6");
}

static int read_rec(int fd, struct udp_rec *u)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(u->family);
	memset(u, 0, sizeof(*u));
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &u->family, &len) < 0)
		return neg_errno();
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 || sock_inet_from(&ss, &u->laddr) < 0)
		return neg_errno();
	u->bound = u->laddr.port != 0;
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (sock_inet_from(&ss, &u->raddr) < 0)
			return -EAFNOSUPPORT;
		u->connected = 1;
	}
	return 0;
}

/* How many datagrams wait in the receive queue: peeked one by one with SO_PEEK_OFF, which is
 * put back as it was. */
static uint32_t count_queued(int fd)
{
	int old = -1, zero = 0, avail = 0;
	socklen_t len = sizeof(old);
	uint32_t n = 0;
	if (ioctl(fd, SIOCINQ, &avail) < 0 || !avail)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &old, &len) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) < 0)
		return 1;
	char buf[1];
	while (n < 1000000 && recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC) >= 0)
		n++;
	setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &old, sizeof(old));
	return n ? n : 1;
}

static int udp_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	struct udp_rec u;
	int fd = res_getfd(p->pid, d->fd, c->e);
	if (fd < 0)
		return fd;
	int r = read_rec(fd, &u);
	close(fd);
	if (r < 0)
		return err_set(c->e, r, "pid %d fd %d: cannot inspect the UDP socket: %s", p->pid,
			       d->fd, strerror(-r));
	if (!u.bound)
		return 0;
	struct netlock_flow fl = {.family = u.family, .proto = IPPROTO_UDP};
	fl.laddr = u.laddr;
	if (u.connected)
		fl.raddr = u.raddr;
	return netlock_want(&fl);
}

static int udp_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		    struct img_file *f)
{
	struct udp_rec u;
	struct sock_opt opts[SOCK_MAX_OPTS];
	int r = netlock_take(c);
	if (r < 0)
		return r;
	int fd = res_getfd(p->pid, d->fd, c->e);
	if (fd < 0)
		return fd;
	r = read_rec(fd, &u);
	int n = r < 0 ? r : sock_opts_read(fd, SOF_UDP, u.family, SOCK_DGRAM, opts);
	if (n >= 0)
		u.dropped = count_queued(fd);
	close(fd);
	if (n < 0)
		return err_set(c->e, n, "pid %d fd %d: UDP socket: %s", p->pid, d->fd,
			       strerror(-n));
	u.lock_id = u.bound ? netlock_id() : 0;
	r = res_write_data(c, f, SOCK_TAG_UDP, &u, sizeof(u));
	if (r == 0 && n)
		r = res_write_data(c, f, SOCK_TAG_OPTS, opts, n * sizeof(opts[0]));
	return r;
}

int udp_rec_validate(const struct udp_rec *u, uint64_t len, struct ferry_err *e)
{
	if (len != sizeof(*u))
		return err_set(e, -EBADMSG, "UDP record: %llu bytes, expected %zu",
			       (unsigned long long)len, sizeof(*u));
	if (u->family != AF_INET && u->family != AF_INET6)
		return err_set(e, -EBADMSG, "UDP record: bad family %u", u->family);
	if (u->bound > 1 || u->connected > 1 || u->laddr.pad || u->raddr.pad ||
	    (u->bound && !u->laddr.port) || (u->connected && !u->raddr.port) ||
	    (!u->connected && (u->raddr.port || !all_zero_addr(u->raddr.addr))) ||
	    (u->family == AF_INET && (u->laddr.scope_id || u->raddr.scope_id)))
		return err_set(e, -EBADMSG, "UDP record: inconsistent addresses");
	return 0;
}

static int udp_validate(const struct img_model *m, const struct img_file_model *f,
			struct ferry_err *e)
{
	const struct img_data *rec = res_data(f, SOCK_TAG_UDP);
	struct udp_rec u;
	int nopts = 0;
	if (!rec || rec->len != sizeof(u))
		return err_set(e, -EBADMSG, "image: UDP socket %u: missing or short UDP record",
			       f->f.id);
	memcpy(&u, rec->data, sizeof(u));
	int r = udp_rec_validate(&u, rec->len, e);
	for (size_t i = 0; r == 0 && i < f->ndata; i++) {
		const struct img_data *d = &f->data[i];
		if (d->tag == SOCK_TAG_OPTS && !nopts++)
			r = sock_opts_validate(d->data, d->len, SOF_UDP, e);
		else if (d != rec)
			r = err_set(e, -EBADMSG, "image: UDP socket %u: bad data record (tag %u)",
				    f->f.id, d->tag);
	}
	return r;
}

static int udp_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	struct udp_rec u;
	struct sockaddr_storage ss;
	char what[96];
	memcpy(&u, res_data(f, SOCK_TAG_UDP)->data, sizeof(u)); /* validated */
	snprintf(what, sizeof(what), "UDP socket %s",
		 sock_inet_str(u.family, &u.laddr, (char[64]){0}, 64));
	int fd = socket(u.family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return err_set(c->e, neg_errno(), "%s: socket: %m", what);
	int r = sock_opts_apply_file(fd, f, SOF_UDP, what, c->e);
	socklen_t len = sock_inet_to(u.family, &u.laddr, &ss);
	if (r == 0 && u.bound && bind(fd, (struct sockaddr *)&ss, len) < 0)
		r = err_set(c->e, neg_errno(), "%s: cannot bind: %m", what);
	len = sock_inet_to(u.family, &u.raddr, &ss);
	if (r == 0 && u.connected && connect(fd, (struct sockaddr *)&ss, len) < 0)
		r = err_set(c->e, neg_errno(), "%s: cannot connect: %m", what);
	if (r == 0 && (f->f.flags & O_NONBLOCK) && fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		r = neg_errno();
	if (r == 0)
		r = netlock_opened(c, f, fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	if (u.dropped)
		log_info("%s: %u queued datagram(s) dropped (see docs/resources-sockets.md)", what,
			 u.dropped);
	*ret_fd = fd;
	return 0;
}

const struct res_file_ops res_udp = {
	.kind = FILE_UDP,
	.name = "UDP socket",
	.match = udp_match,
	.check = udp_check,
	.dump = udp_dump,
	.validate = udp_validate,
	.open = udp_open,
};

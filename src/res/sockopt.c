/* SPDX-License-Identifier: MIT */
/* Socket options of the socket kinds (unix.c, tcp.c, udp.c): one table of the options ferry
 * knows, read on the dump side only where they differ from a fresh socket of the same domain and
 * type (so kernel defaults, and later default changes, are left alone), validated against the
 * same table and applied on restore. Buffer sizes are set with the *FORCE variants (the value
 * read is the doubled kernel value; half of it is set). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <stdlib.h>
#include <unistd.h>

#include "res/res.h"
#include "res/sock.h"

enum opt_type { T_INT, T_BOOL, T_LINGER, T_TIMEVAL, T_BUF };

struct opt_def {
	int level, name, type, fams;
	const char *label;
};

#define ALL  (SOF_UNIX | SOF_TCP | SOF_UDP)
#define INET (SOF_TCP | SOF_UDP)

static const struct opt_def defs[] = {
	{SOL_SOCKET, SO_REUSEADDR, T_BOOL, ALL, "SO_REUSEADDR"},
	{SOL_SOCKET, SO_REUSEPORT, T_BOOL, INET, "SO_REUSEPORT"},
	{SOL_SOCKET, SO_KEEPALIVE, T_BOOL, INET, "SO_KEEPALIVE"},
	{SOL_SOCKET, SO_BROADCAST, T_BOOL, SOF_UDP, "SO_BROADCAST"},
	{SOL_SOCKET, SO_OOBINLINE, T_BOOL, SOF_TCP, "SO_OOBINLINE"},
	{SOL_SOCKET, SO_PASSCRED, T_BOOL, ALL, "SO_PASSCRED"},
	{SOL_SOCKET, SO_TIMESTAMP, T_BOOL, ALL, "SO_TIMESTAMP"},
	{SOL_SOCKET, SO_PRIORITY, T_INT, ALL, "SO_PRIORITY"},
	{SOL_SOCKET, SO_PEEK_OFF, T_INT, SOF_UNIX | SOF_UDP, "SO_PEEK_OFF"},
	{SOL_SOCKET, SO_RCVLOWAT, T_INT, ALL, "SO_RCVLOWAT"},
	{SOL_SOCKET, SO_MARK, T_INT, INET, "SO_MARK"},
	{SOL_SOCKET, SO_LINGER, T_LINGER, ALL, "SO_LINGER"},
	{SOL_SOCKET, SO_RCVTIMEO, T_TIMEVAL, ALL, "SO_RCVTIMEO"},
	{SOL_SOCKET, SO_SNDTIMEO, T_TIMEVAL, ALL, "SO_SNDTIMEO"},
	{SOL_SOCKET, SO_SNDBUF, T_BUF, ALL, "SO_SNDBUF"},
	{SOL_SOCKET, SO_RCVBUF, T_BUF, ALL, "SO_RCVBUF"},
	{IPPROTO_TCP, TCP_NODELAY, T_BOOL, SOF_TCP, "TCP_NODELAY"},
	{IPPROTO_TCP, TCP_CORK, T_BOOL, SOF_TCP, "TCP_CORK"},
	{IPPROTO_TCP, TCP_KEEPIDLE, T_INT, SOF_TCP, "TCP_KEEPIDLE"},
	{IPPROTO_TCP, TCP_KEEPINTVL, T_INT, SOF_TCP, "TCP_KEEPINTVL"},
	{IPPROTO_TCP, TCP_KEEPCNT, T_INT, SOF_TCP, "TCP_KEEPCNT"},
	{IPPROTO_TCP, TCP_USER_TIMEOUT, T_INT, SOF_TCP, "TCP_USER_TIMEOUT"},
	{IPPROTO_TCP, TCP_NOTSENT_LOWAT, T_INT, SOF_TCP, "TCP_NOTSENT_LOWAT"},
	{IPPROTO_TCP, TCP_DEFER_ACCEPT, T_INT, SOF_TCP, "TCP_DEFER_ACCEPT"},
	{IPPROTO_IP, IP_TOS, T_INT, INET, "IP_TOS"},
	{IPPROTO_IP, IP_TTL, T_INT, INET, "IP_TTL"},
	{IPPROTO_IP, IP_RECVERR, T_BOOL, INET, "IP_RECVERR"},
	{IPPROTO_IP, IP_PKTINFO, T_BOOL, SOF_UDP, "IP_PKTINFO"},
	{IPPROTO_IP, IP_MULTICAST_TTL, T_INT, SOF_UDP, "IP_MULTICAST_TTL"},
	{IPPROTO_IP, IP_MULTICAST_LOOP, T_BOOL, SOF_UDP, "IP_MULTICAST_LOOP"},
	{IPPROTO_IPV6, IPV6_V6ONLY, T_BOOL, INET, "IPV6_V6ONLY"},
	{IPPROTO_IPV6, IPV6_TCLASS, T_INT, INET, "IPV6_TCLASS"},
	{IPPROTO_IPV6, IPV6_UNICAST_HOPS, T_INT, INET, "IPV6_UNICAST_HOPS"},
	{IPPROTO_IPV6, IPV6_RECVPKTINFO, T_BOOL, SOF_UDP, "IPV6_RECVPKTINFO"},
	{IPPROTO_IPV6, IPV6_RECVERR, T_BOOL, INET, "IPV6_RECVERR"},
};

static const struct opt_def *find_def(int level, int name)
{
	for (size_t i = 0; i < ARRAY_SIZE(defs); i++)
		if (defs[i].level == level && defs[i].name == name)
			return &defs[i];
	return NULL;
}

/* One option as two numbers; -errno if the socket does not have it (wrong family level). */
static int get_one(int fd, const struct opt_def *d, struct sock_opt *o)
{
	union {
		int i;
		struct linger l;
		struct timeval tv;
	} v;
	socklen_t len = sizeof(v);
	memset(&v, 0, sizeof(v));
	if (getsockopt(fd, d->level, d->name, &v, &len) < 0)
		return neg_errno();
	o->level = d->level;
	o->name = d->name;
	o->v0 = o->v1 = 0;
	if (d->type == T_LINGER) {
		o->v0 = v.l.l_onoff;
		o->v1 = v.l.l_linger;
	} else if (d->type == T_TIMEVAL) {
		o->v0 = v.tv.tv_sec;
		o->v1 = v.tv.tv_usec;
	} else {
		o->v0 = v.i;
	}
	return 0;
}

static int is_ipv6_level(int level)
{
	return level == IPPROTO_IPV6;
}

int sock_opts_read(int fd, int fam, int domain, int type, struct sock_opt *ret)
{
	int proto = fam == SOF_TCP ? IPPROTO_TCP : fam == SOF_UDP ? IPPROTO_UDP : 0;
	int fresh = socket(domain, type | SOCK_CLOEXEC, proto);
	int n = 0;
	if (fresh < 0)
		return neg_errno();
	for (size_t i = 0; i < ARRAY_SIZE(defs) && n < SOCK_MAX_OPTS; i++) {
		const struct opt_def *d = &defs[i];
		struct sock_opt now, def;
		if (!(d->fams & fam) || (is_ipv6_level(d->level) && domain != AF_INET6) ||
		    (d->level == IPPROTO_IP && domain != AF_INET && domain != AF_INET6))
			continue;
		if (get_one(fd, d, &now) < 0 || get_one(fresh, d, &def) < 0)
			continue;
		if (now.v0 != def.v0 || now.v1 != def.v1)
			ret[n++] = now;
	}
	close(fresh);
	return n;
}

int sock_opts_apply(int fd, const struct sock_opt *o, size_t n, const char *what,
		    struct ferry_err *e)
{
	for (size_t i = 0; i < n; i++) {
		const struct opt_def *d = find_def(o[i].level, o[i].name);
		union {
			int i;
			struct linger l;
			struct timeval tv;
		} v;
		socklen_t len = sizeof(int);
		int name = o[i].name;
		if (!d) /* validated: cannot happen */
			return -EINVAL;
		memset(&v, 0, sizeof(v));
		v.i = (int)o[i].v0;
		if (d->type == T_LINGER) {
			v.l.l_onoff = (int)o[i].v0;
			v.l.l_linger = (int)o[i].v1;
			len = sizeof(v.l);
		} else if (d->type == T_TIMEVAL) {
			v.tv.tv_sec = o[i].v0;
			v.tv.tv_usec = o[i].v1;
			len = sizeof(v.tv);
		} else if (d->type == T_BUF) {
			v.i = (int)(o[i].v0 / 2);
			name = name == SO_SNDBUF ? SO_SNDBUFFORCE : SO_RCVBUFFORCE;
		}
		if (setsockopt(fd, d->level, name, &v, len) < 0)
			return err_set(e, neg_errno(), "%s: cannot set %s: %m", what, d->label);
	}
	return 0;
}

static int value_ok(const struct opt_def *d, const struct sock_opt *o)
{
	switch (d->type) {
	case T_BOOL:
		return (o->v0 == 0 || o->v0 == 1) && o->v1 == 0;
	case T_INT:
		return o->v0 >= INT32_MIN && o->v0 <= INT32_MAX && o->v1 == 0;
	case T_BUF:
		return o->v0 >= 0 && o->v0 <= INT32_MAX && o->v1 == 0;
	case T_LINGER:
		return (o->v0 == 0 || o->v0 == 1) && o->v1 >= 0 && o->v1 <= INT32_MAX;
	case T_TIMEVAL:
		return o->v0 >= 0 && o->v0 <= INT32_MAX && o->v1 >= 0 && o->v1 < 1000000;
	}
	return 0;
}

int sock_opts_validate(const void *data, uint64_t len, int fam, struct ferry_err *e)
{
	if (len % sizeof(struct sock_opt) || len / sizeof(struct sock_opt) > SOCK_MAX_OPTS)
		return err_set(e, -EBADMSG, "socket options: %llu bytes is not a whole list",
			       (unsigned long long)len);
	for (uint64_t i = 0; i < len / sizeof(struct sock_opt); i++) {
		struct sock_opt o;
		memcpy(&o, (const uint8_t *)data + i * sizeof(o), sizeof(o));
		const struct opt_def *d = find_def(o.level, o.name);
		if (!d || !(d->fams & fam))
			return err_set(e, -EBADMSG, "socket options: unknown option %d/%d", o.level,
				       o.name);
		if (!value_ok(d, &o))
			return err_set(e, -EBADMSG, "socket options: %s has a bad value", d->label);
	}
	return 0;
}

int sock_opts_apply_file(int fd, const struct img_file_model *f, int fam, const char *what,
			 struct ferry_err *e)
{
	const struct img_data *o = res_data(f, SOCK_TAG_OPTS);
	(void)fam;
	if (!o)
		return 0;
	/* copied out: the image's bytes need not be aligned */
	_cleanup_free_ struct sock_opt *v = malloc(o->len ? o->len : 1);
	if (!v)
		return -ENOMEM;
	memcpy(v, o->data, o->len);
	return sock_opts_apply(fd, v, o->len / sizeof(*v), what, e);
}

/* SPDX-License-Identifier: MIT */
/* Helpers shared by the socket kinds: inet address conversions between sockaddr and the image's
 * fixed layout, the network-namespace check (sockets are recreated in ferry's own namespace),
 * and the protocol name files.c notes in a socket's fdinfo text. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "res/sock.h"

int sock_inet_from(const struct sockaddr_storage *ss, struct sock_inet_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		memcpy(ret->addr, &a->sin_addr, 4);
		ret->port = ntohs(a->sin_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		memcpy(ret->addr, &a->sin6_addr, 16);
		ret->port = ntohs(a->sin6_port);
		ret->scope_id = a->sin6_scope_id;
		return 0;
	}
	return -EAFNOSUPPORT;
}

socklen_t sock_inet_to(int family, const struct sock_inet_addr *a, struct sockaddr_storage *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ret;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, a->addr, 4);
		s->sin_port = htons(a->port);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ret;
	s->sin6_family = AF_INET6;
	memcpy(&s->sin6_addr, a->addr, 16);
	s->sin6_port = htons(a->port);
	s->sin6_scope_id = a->scope_id;
	return sizeof(*s);
}

const char *sock_inet_str(int family, const struct sock_inet_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	inet_ntop(family, a->addr, ip, sizeof(ip));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, a->port);
	return buf;
}

int all_zero_addr(const uint8_t a[16])
{
	for (int i = 0; i < 16; i++)
		if (a[i])
			return 0;
	return 1;
}

/* SPDX-License-Identifier: MIT */
/* Refusal: a TCP listener with a connection that is not accepted yet (the kernel's accept queue
 * cannot be rebuilt) must make `ferry dump` fail; afterwards the original is intact: not
 * traced, same fds, the pending connection can be accepted and carries the data that was sent
 * on it, both ways, at once (no network lock left holding packets back). */
#include "caselib.h"

#include <arpa/inet.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	char buf[64];
	int l, c, s;

	case_init();
	l = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4) ||
	    getsockname(l, (struct sockaddr *)&a, &al) ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)))
		case_fail("tcp setup");
	if (send(c, "queued", 6, 0) != 6)
		case_fail("send");
	case_ready_wait_same_fds();
	CASE_CHECK(case_untraced());
	s = accept(l, NULL, NULL);
	CASE_CHECK(s >= 0);
	memset(buf, 0, sizeof(buf));
	if (recv(s, buf, sizeof(buf), 0) != 6 || strcmp(buf, "queued"))
		case_fail("queued data lost: '%s'", buf);
	/* the reply must arrive at once: a network lock left behind would hold it back */
	struct pollfd p = {c, POLLIN, 0};
	if (send(s, "back", 4, 0) != 4 || poll(&p, 1, 2000) != 1 || recv(c, buf, 4, 0) != 4 ||
	    memcmp(buf, "back", 4))
		case_fail("connection broken or held back");
	case_pass();
}

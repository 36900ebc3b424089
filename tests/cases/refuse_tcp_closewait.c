/* SPDX-License-Identifier: MIT */
/* Refusal: a TCP connection in CLOSE_WAIT (the peer closed, the process has not): only
 * unconnected, listening and established TCP sockets are restored, and the dump must say which
 * state it met. Afterwards the original is intact: not traced, same fds, the data the peer sent
 * before closing is still there, then EOF. */
#include "caselib.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	char buf[64];
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);

	case_init();
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4) ||
	    getsockname(l, (struct sockaddr *)&a, &al) ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)))
		case_fail("tcp setup: %m");
	int s = accept(l, NULL, NULL);
	if (s < 0 || send(c, "bye", 3, 0) != 3)
		case_fail("accept/send: %m");
	close(c);
	close(l);
	usleep(20000);
	if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &tl) || ti.tcpi_state != 8 /* CLOSE_WAIT */)
		case_fail("not in CLOSE_WAIT (%d)", ti.tcpi_state);
	case_ready_wait_same_fds();
	CASE_CHECK(case_untraced());
	CASE_CHECK(recv(s, buf, sizeof(buf), 0) == 3 && !memcmp(buf, "bye", 3));
	CASE_CHECK(recv(s, buf, sizeof(buf), 0) == 0);
	case_pass();
}

/* SPDX-License-Identifier: MIT */
/* Refusal: a netlink socket (NETLINK_ROUTE, bound, subscribed to link events) and a packet
 * socket are kinds ferry does not restore; the dump must refuse naming the kind; afterwards the
 * original is intact: not traced, same fds, the netlink socket still answers a request. */
#include "caselib.h"

#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	char buf[8192];
	struct sockaddr_nl a = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req = {{sizeof(req), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0}, {AF_UNSPEC}};

	case_init();
	int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	int pk = socket(AF_PACKET, SOCK_DGRAM, 0); /* not bound: no traffic */
	if (nl < 0 || pk < 0 || bind(nl, (struct sockaddr *)&a, sizeof(a)))
		case_fail("setup: %m");
	case_ready_wait_same_fds();
	CASE_CHECK(case_untraced());
	CASE_CHECK(send(nl, &req, sizeof(req), 0) == sizeof(req));
	CASE_CHECK(recv(nl, buf, sizeof(buf), 0) > (ssize_t)sizeof(struct nlmsghdr));
	case_pass();
}

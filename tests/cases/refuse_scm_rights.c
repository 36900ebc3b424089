/* SPDX-License-Identifier: MIT */
/* Refusal: a UNIX socketpair with a file descriptor in flight (SCM_RIGHTS sent, not received
 * yet). The dump must refuse it; afterwards the original is intact: not traced, same fds, and
 * the message still arrives with its fd (the dump peeked at it and closed its own copy). */
#include "caselib.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char c = 'F', ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&c, 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl,
			   .msg_controllen = sizeof(ctl)};
	struct stat want, got;
	int sv[2];

	case_init();
	int fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || fstat(fd, &want) || socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
		case_fail("setup: %m");
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(int));
	if (sendmsg(sv[0], &m, 0) != 1)
		case_fail("sendmsg: %m");
	close(fd);
	case_ready_wait_same_fds();
	CASE_CHECK(case_untraced());
	c = 0;
	m.msg_controllen = sizeof(ctl);
	CASE_CHECK(recvmsg(sv[1], &m, 0) == 1 && c == 'F');
	h = CMSG_FIRSTHDR(&m);
	CASE_CHECK(h && h->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(h), sizeof(int));
	CASE_CHECK(fstat(fd, &got) == 0 && got.st_ino == want.st_ino &&
		   got.st_rdev == want.st_rdev);
	case_pass();
}

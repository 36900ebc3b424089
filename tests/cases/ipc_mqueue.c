/* SPDX-License-Identifier: MIT */
/* POSIX message queues: a queue opened read-write and non-blocking with five messages of three
 * priorities (order within a priority matters), and the same queue opened a second time
 * write-only. The queue is unlinked between dump and restore (see ipc_mqueue.desc), so the
 * restore must recreate it with its attributes, mode and messages; both fds must be open again
 * with their flags, and messages must come out in the original order. */
#include "caselib.h"

#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define NAME "/ferry-case-mq"

int main(int argc, char **argv)
{
	struct mq_attr a = {.mq_maxmsg = 8, .mq_msgsize = 64}, now;
	static const struct {
		const char *text;
		unsigned prio;
	} msgs[] = {{"low-1", 1}, {"high-1", 9}, {"mid", 5}, {"low-2", 1}, {"high-2", 9}};
	static const int order[] = {1, 4, 2, 0, 3};
	char buf[64];
	unsigned prio;

	if (argc > 1 && !strcmp(argv[1], "--unlink")) /* the harness's between-command */
		return mq_unlink(NAME) == 0 ? 0 : 1;
	case_init();
	mq_unlink(NAME);
	mqd_t q = mq_open(NAME, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0640, &a);
	mqd_t w = mq_open(NAME, O_WRONLY);
	if (q < 0 || w < 0)
		case_fail("mq_open");
	for (int i = 0; i < 5; i++)
		if (mq_send(w, msgs[i].text, strlen(msgs[i].text), msgs[i].prio))
			case_fail("mq_send");
	case_ready();
	case_wait();

	CASE_CHECK(mq_getattr(q, &now) == 0 && now.mq_maxmsg == 8 && now.mq_msgsize == 64);
	CASE_CHECK(now.mq_curmsgs == 5 && (now.mq_flags & O_NONBLOCK));
	CASE_CHECK(fcntl(w, F_GETFL) >= 0 && (fcntl(w, F_GETFL) & O_ACCMODE) == O_WRONLY);
	for (int i = 0; i < 5; i++) {
		ssize_t n = mq_receive(q, buf, sizeof(buf), &prio);
		const int k = order[i];
		if (n != (ssize_t)strlen(msgs[k].text) || memcmp(buf, msgs[k].text, n) ||
		    prio != msgs[k].prio)
			case_fail("message %d: got %.*s prio %u, want %s", i, (int)(n > 0 ? n : 0),
				  buf, prio, msgs[k].text);
	}
	CASE_CHECK(mq_receive(q, buf, sizeof(buf), &prio) == -1); /* empty, still non-blocking */
	CASE_CHECK(mq_send(w, "after", 5, 3) == 0);
	mq_unlink(NAME);
	case_pass();
}

/* SPDX-License-Identifier: MIT */
/* Refusal: a process holding a pipe with 10000 buffered bytes must make `ferry dump` fail;
 * afterwards the original is intact: not traced, same fds, and every buffered byte is still
 * there in order (a dumper that drained the pipe to look at it must have put it back). */
#include "caselib.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define N 10000

int main(void)
{
	static char buf[N + 16];
	char tracer[16];
	int p[2], i;
	ssize_t n, got = 0;

	case_init();
	if (pipe2(p, O_NONBLOCK))
		case_fail("pipe");
	for (i = 0; i < N; i++)
		buf[i] = (char)(i * 7);
	if (write(p[1], buf, N) != N)
		case_fail("write");
	case_ready();
	case_wait();
	CASE_CHECK(case_status_field("TracerPid", tracer, sizeof(tracer)) == 0 && !strcmp(tracer, "0"));
	memset(buf, 0, sizeof(buf));
	while ((n = read(p[0], buf + got, sizeof(buf) - (size_t)got)) > 0)
		got += n;
	if (got != N)
		case_fail("pipe holds %zd bytes, want %d", got, N);
	for (i = 0; i < N; i++)
		if (buf[i] != (char)(i * 7))
			case_fail("byte %d changed", i);
	CASE_CHECK(write(p[1], "x", 1) == 1 && read(p[0], buf, 4) == 1);
	case_pass();
}

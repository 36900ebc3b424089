/* SPDX-License-Identifier: MIT */
/* Unit tests for src/common/fdio.c: whole reads stop only at EOF, whole writes survive short
 * writes (a pipe smaller than the data, drained by a reader thread) and report a closed peer,
 * a socket's without SIGPIPE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fdio.h"

#define BIG (1 << 20) /* 16 times the default pipe buffer */

static uint8_t out[BIG], in[BIG];

static void *reader(void *arg)
{
	int fd = *(int *)arg;
	return (void *)(intptr_t)fd_read_full(fd, in, BIG + 1);
}

static void test_big_round_trip(void **state)
{
	int p[2];
	pthread_t t;
	for (size_t i = 0; i < BIG; i++)
		out[i] = (uint8_t)(i * 31 + 7);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pthread_create(&t, NULL, reader, &p[0]), 0);
	assert_int_equal(fd_write_all(p[1], out, BIG), 0);
	close(p[1]);
	void *got;
	pthread_join(t, &got);
	assert_int_equal((intptr_t)got, BIG); /* stopped at EOF, not at the buffer's end */
	assert_memory_equal(in, out, BIG);
	close(p[0]);
}

/* Runs before SIGPIPE is ignored: a closed socket peer must not kill us. */
static void test_socket_peer_gone(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(fd_write_all(sv[0], "abc", 3), -EPIPE);
	close(sv[0]);
}

static void test_errors(void **state)
{
	int p[2];
	char b[4];
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(fd_write_all(p[1], "abc", 3), -EPIPE);
	close(p[1]);
	assert_int_equal(fd_read_full(-1, b, sizeof(b)), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big_round_trip),
		cmocka_unit_test(test_socket_peer_gone),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

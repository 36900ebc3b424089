/* SPDX-License-Identifier: MIT */
/* A thread blocked in waitpid() on a child across the dump: the child exits (status 5) only after
 * restore, when main tells it through shared memory; waitpid returns that pid and status. */
#include "caselib.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int *shm, entered;
static pid_t child, got = -2;
static int status, err;

static void *waiter(void *arg)
{
	entered = 1;
	got = waitpid(child, &status, 0);
	err = errno;
	return NULL;
}

int main(void)
{
	pthread_t t;

	case_init();
	case_block_term();
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		case_fail("mmap");
	child = fork();
	if (child == 0) {
		while (!*shm)
			usleep(1000);
		_exit(5);
	}
	if (pthread_create(&t, NULL, waiter, NULL)) {
		kill(child, SIGKILL);
		case_fail("pthread_create");
	}
	while (!entered)
		usleep(1000);
	usleep(20000);
	case_ready();
	case_wait();
	if (got != -2) {
		kill(child, SIGKILL);
		case_fail("waitpid returned early: %d errno %d", got, err);
	}
	*shm = 1;
	pthread_join(t, NULL);
	if (got != child)
		case_fail("waitpid returned %d errno %d", got, err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 5)
		case_fail("status %#x", status);
	case_pass();
}

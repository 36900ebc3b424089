/* SPDX-License-Identifier: MIT */
/* rseq registration of main and a thread: after restore the area is still registered (rseq()
 * with the same area answers EBUSY) and its cpu_id field tracks the CPU the thread runs on. */
#include "caselib.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int go, started;
static int bad;

static struct rseq *my_rseq(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

static int check(void)
{
	struct rseq *rs = my_rseq();
	int i;

	/* glibc registers sizeof(struct rseq) == 32 bytes; __rseq_size (20 on Debian 12's 2.36)
	 * is the feature size, which the kernel would reject as a length */
	if (syscall(SYS_rseq, rs, sizeof(struct rseq), 0, RSEQ_SIG) != -1 || errno != EBUSY)
		return 1; /* not registered (any more), or registered elsewhere */
	for (i = 0; i < 50; i++) {
		int cpu = sched_getcpu();

		if ((int)rs->cpu_id >= 0 && (int)rs->cpu_id == cpu && (int)rs->cpu_id_start == cpu)
			return 0;
		sched_yield();
	}
	return 2;
}

static void *worker(void *arg)
{
	if (check())
		bad = 10;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	while (!go)
		usleep(2000);
	if (!bad)
		bad = check();
	return NULL;
}

int main(void)
{
	pthread_t t;
	int r;

	case_init();
	case_block_term();
	if (__rseq_size == 0)
		case_fail("glibc did not register rseq (glibc.pthread.rseq=0?)");
	if ((r = check()))
		case_fail("before dump: check %d", r);
	if (pthread_create(&t, NULL, worker, NULL))
		case_fail("pthread_create");
	while (!started)
		usleep(1000);
	case_ready();
	case_wait();
	if ((r = check()))
		case_fail("main thread rseq check %d", r);
	go = 1;
	pthread_join(t, NULL);
	if (bad)
		case_fail("thread rseq check %d", bad);
	case_pass();
}

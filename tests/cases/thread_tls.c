/* SPDX-License-Identifier: MIT */
/* Thread-local storage: __thread variables (initialised and zero-initialised) with per-thread
 * values, each thread's fs base (arch_prctl ARCH_GET_FS) and pthread_self(); one thread also sets
 * its gs base to a known value (ARCH_SET_GS), which must survive. */
#include "caselib.h"

#include <asm/prctl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NT 4

static __thread long tls_init = 12345;
static __thread char tls_buf[256];
static volatile int go, started;
static int bad[NT];

static unsigned long get_base(int code)
{
	unsigned long v = 0;

	syscall(SYS_arch_prctl, code, &v);
	return v;
}

static int check(long want, unsigned long fs, pthread_t self)
{
	int i;

	if (tls_init != 12345 + want || get_base(ARCH_GET_FS) != fs || !pthread_equal(self, pthread_self()))
		return 1;
	for (i = 0; i < 256; i++)
		if (tls_buf[i] != (char)(want + i))
			return 2;
	return 0;
}

static void *worker(void *arg)
{
	long n = (long)arg;
	unsigned long fs = get_base(ARCH_GET_FS), gs = 0x7a5a0000UL + (unsigned long)n * 0x1000;
	int i;

	tls_init += n;
	for (i = 0; i < 256; i++)
		tls_buf[i] = (char)(n + i);
	if (n == 2 && syscall(SYS_arch_prctl, ARCH_SET_GS, gs))
		bad[n] = 10;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	while (!go)
		usleep(2000);
	if (!bad[n])
		bad[n] = check(n, fs, pthread_self());
	if (!bad[n] && n == 2 && get_base(ARCH_GET_GS) != gs)
		bad[n] = 3;
	return NULL;
}

int main(void)
{
	pthread_t th[NT];
	unsigned long fs;
	long i;

	case_init();
	case_block_term();
	for (i = 0; i < 256; i++)
		tls_buf[i] = (char)(100 + i);
	tls_init += 100;
	fs = get_base(ARCH_GET_FS);
	CASE_CHECK(fs == (unsigned long)pthread_self());
	for (i = 0; i < NT; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i))
			case_fail("pthread_create");
	while (started < NT)
		usleep(1000);
	case_ready();
	case_wait();
	if (check(100, fs, (pthread_t)fs))
		case_fail("main thread TLS or fs base changed");
	go = 1;
	for (i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		if (bad[i])
			case_fail("thread %ld: TLS/fs/gs check %d failed", i, bad[i]);
	}
	case_pass();
}

/* SPDX-License-Identifier: MIT */
/* Resource limits: NOFILE, STACK, CORE and most others changed from their defaults (soft and
 * hard, capped at the current hard limit); all 16 getrlimit() values identical after restore. */
#include "caselib.h"

#include <sys/resource.h>

#define MB (1024UL * 1024)

static const struct {
	int res;
	rlim_t cur, max;
} set[] = {
	{ RLIMIT_NOFILE, 777, 2048 },
	{ RLIMIT_STACK, 6 * MB, 64 * MB },
	{ RLIMIT_CORE, 0, 10 * MB },
	{ RLIMIT_CPU, 3600, 7200 },
	{ RLIMIT_FSIZE, 512 * MB, 1024 * MB },
	{ RLIMIT_DATA, 8192 * MB, RLIM_INFINITY },
	{ RLIMIT_NPROC, 4000, 5000 },
	{ RLIMIT_MEMLOCK, 16 * MB, 32 * MB },
	{ RLIMIT_LOCKS, 1000, 2000 },
	{ RLIMIT_SIGPENDING, 3000, 3001 },
	{ RLIMIT_MSGQUEUE, 400000, 800000 },
	{ RLIMIT_NICE, 5, 10 },
	{ RLIMIT_RTPRIO, 3, 4 },
	{ RLIMIT_RTTIME, 5000000, 6000000 },
};

int main(void)
{
	struct rlimit before[RLIM_NLIMITS], now;
	unsigned i;
	int r;

	case_init();
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		struct rlimit rl, old;

		/* never above the current hard limit: the container may lack CAP_SYS_RESOURCE */
		getrlimit(set[i].res, &old);
		rl.rlim_max = set[i].max < old.rlim_max ? set[i].max : old.rlim_max;
		rl.rlim_cur = set[i].cur < rl.rlim_max ? set[i].cur : rl.rlim_max;
		if (setrlimit(set[i].res, &rl))
			case_fail("setrlimit %d", set[i].res);
	}
	for (r = 0; r < RLIM_NLIMITS; r++)
		getrlimit(r, &before[r]);
	CASE_CHECK(RLIM_NLIMITS == 16);
	case_ready();
	case_wait();
	for (r = 0; r < RLIM_NLIMITS; r++) {
		getrlimit(r, &now);
		if (now.rlim_cur != before[r].rlim_cur || now.rlim_max != before[r].rlim_max)
			case_fail("rlimit %d: %llu/%llu != %llu/%llu", r, (unsigned long long)now.rlim_cur,
				  (unsigned long long)now.rlim_max, (unsigned long long)before[r].rlim_cur,
				  (unsigned long long)before[r].rlim_max);
	}
	case_pass();
}

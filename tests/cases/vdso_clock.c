/* SPDX-License-Identifier: MIT */
/* vDSO: the [vdso], [vvar] and [vvar_vclock] lines of /proc/self/maps are at the same addresses
 * after restore, AT_SYSINFO_EHDR still points at [vdso], and clock_gettime (4 clocks),
 * gettimeofday and time work and agree with each other. */
#include "caselib.h"

#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char maps[1 << 18];

/* the maps lines naming [vdso]/[vvar]/[vvar_vclock], concatenated */
static void vdso_lines(char *out, size_t size)
{
	char *line = maps, *nl;
	size_t len = 0;

	out[0] = 0;
	case_read_file("/proc/self/maps", maps, sizeof(maps));
	for (; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if ((strstr(line, "[vdso]") || strstr(line, "[vvar")) && len + strlen(line) + 2 < size)
			len += (size_t)snprintf(out + len, size - len, "%s\n", line);
	}
}

int main(void)
{
	char before[1024], now[1024];
	static const clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME,
					 CLOCK_MONOTONIC_COARSE };
	struct timespec t0[4], t1[4];
	struct timeval tv;
	unsigned long ehdr = getauxval(AT_SYSINFO_EHDR);
	char want[32];
	int i;

	case_init();
	vdso_lines(before, sizeof(before));
	if (!strstr(before, "[vdso]") || !strstr(before, "[vvar]"))
		case_fail("no [vdso]/[vvar] in maps:\n%s", before);
	for (i = 0; i < 4; i++)
		clock_gettime(ids[i], &t0[i]);
	case_ready();
	case_wait();
	vdso_lines(now, sizeof(now));
	if (strcmp(now, before))
		case_fail("vdso/vvar moved:\n%s--- before:\n%s", now, before);
	snprintf(want, sizeof(want), "%lx-", ehdr);
	CASE_CHECK(strstr(strstr(now, want) ? strstr(now, want) : "", "[vdso]") != NULL);
	for (i = 0; i < 4; i++) {
		if (clock_gettime(ids[i], &t1[i]))
			case_fail("clock_gettime(%d)", ids[i]);
		if (t1[i].tv_sec < t0[i].tv_sec ||
		    (t1[i].tv_sec == t0[i].tv_sec && t1[i].tv_nsec < t0[i].tv_nsec))
			if (ids[i] != CLOCK_REALTIME)
				case_fail("clock %d went backwards", ids[i]);
	}
	usleep(20000);
	clock_gettime(CLOCK_MONOTONIC, &t0[1]);
	CASE_CHECK((t0[1].tv_sec - t1[1].tv_sec) * 1000000000LL + t0[1].tv_nsec - t1[1].tv_nsec >= 20000000);
	gettimeofday(&tv, NULL);
	clock_gettime(CLOCK_REALTIME, &t1[0]);
	CASE_CHECK(t1[0].tv_sec - tv.tv_sec <= 1 && t1[0].tv_sec >= tv.tv_sec);
	CASE_CHECK(time(NULL) - t1[0].tv_sec <= 1);
	case_pass();
}

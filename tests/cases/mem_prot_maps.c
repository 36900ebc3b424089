/* SPDX-License-Identifier: MIT */
/* Protections: anonymous areas with r--, rw-, r-x, rwx, -w-, --x, --- and a shared rw- area;
 * /proc/self/maps must be identical line for line after restore (nothing excluded). */
#include "caselib.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
			     PROT_READ | PROT_WRITE | PROT_EXEC, PROT_WRITE, PROT_EXEC, PROT_NONE };
static char before[1 << 18], after[1 << 18];

/* print the lines of a that are not in b, prefixed with tag; returns how many */
static int missing_lines(char *a, const char *b, const char *tag)
{
	static char copy[1 << 18];
	char *line, *save = NULL;
	int n = 0;

	snprintf(copy, sizeof(copy), "%s", a);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *p = strstr(b, line);

		if (!p || (p != b && p[-1] != '\n') || (p[strlen(line)] != '\n' && p[strlen(line)]))
			printf("%s %s\n", tag, line), n++;
	}
	return n;
}

int main(void)
{
	size_t i, n = sizeof(prots) / sizeof(prots[0]);
	unsigned char *a, *s;

	case_init();
	/* one reservation split into differently protected pieces, each with a byte written */
	a = mmap(NULL, n * 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	s = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || s == MAP_FAILED)
		case_fail("mmap");
	s[0] = 0x77;
	for (i = 0; i < n; i++) {
		a[i * 2 * 4096] = (unsigned char)(i + 1);
		/* odd gaps keep neighbouring VMAs from merging */
		if (mprotect(a + i * 2 * 4096, 4096, prots[i]) ||
		    mprotect(a + i * 2 * 4096 + 4096, 4096, i % 2 ? PROT_NONE : PROT_READ))
			case_fail("mprotect %zu", i);
	}
	if (case_read_file("/proc/self/maps", before, sizeof(before)) <= 0)
		case_fail("read maps");
	case_ready();
	case_wait();
	if (case_read_file("/proc/self/maps", after, sizeof(after)) <= 0)
		case_fail("read maps");
	if (strcmp(before, after)) {
		missing_lines(before, after, "before only:");
		missing_lines(after, before, "after only: ");
		case_fail("/proc/self/maps differs (lines above)");
	}
	for (i = 0; i < n; i++)
		if (prots[i] & PROT_READ)
			CASE_CHECK(a[i * 2 * 4096] == (unsigned char)(i + 1));
	CASE_CHECK(s[0] == 0x77);
	case_pass();
}

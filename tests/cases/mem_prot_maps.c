/* SPDX-License-Identifier: MIT */
/* Protections: anonymous areas with r--, rw-, r-x, rwx, -w-, --x, --- and a shared rw- area;
 * /proc/self/maps identical line for line after restore, except the inode number of shared
 * anonymous memory ("/dev/zero (deleted)"), which the kernel assigns anew for every shmem file. */
#include "caselib.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
			     PROT_READ | PROT_WRITE | PROT_EXEC, PROT_WRITE, PROT_EXEC, PROT_NONE };
static char before[1 << 18], after[1 << 18];

/* blank the inode column of shared anonymous mappings, in place */
static void normalize(char *maps)
{
	static char out[1 << 18];
	char *line, *save = NULL;
	size_t len = 0;

	for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char range[64], perms[8], off[32], dev[16];
		unsigned long ino;
		int n = 0;

		if (strstr(line, "/dev/zero (deleted)") &&
		    sscanf(line, "%63s %7s %31s %15s %lu %n", range, perms, off, dev, &ino, &n) == 5 && n)
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%s %s %s %s INODE %s\n", range,
						perms, off, dev, line + n);
		else
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%s\n", line);
	}
	memcpy(maps, out, len + 1);
}

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
	normalize(before);
	CASE_CHECK(strstr(before, " INODE ") != NULL);
	case_ready();
	case_wait();
	if (case_read_file("/proc/self/maps", after, sizeof(after)) <= 0)
		case_fail("read maps");
	normalize(after);
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

/* SPDX-License-Identifier: MIT */
/* umask 0027 survives: umask() returns it, /proc/self/status says Umask: 0027, and a new file
 * gets mode 0640. */
#include "caselib.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char val[16], path[64];
	struct stat st;
	int fd;

	case_init();
	umask(027);
	case_ready();
	case_wait();
	CASE_CHECK(case_status_field("Umask", val, sizeof(val)) == 0 && !strcmp(val, "0027"));
	snprintf(path, sizeof(path), "/tmp/ferry-case-umask.%d", getpid());
	fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0666);
	CASE_CHECK(fd >= 0);
	fstat(fd, &st);
	close(fd);
	unlink(path);
	if ((st.st_mode & 0777) != 0640)
		case_fail("new file mode %o", st.st_mode & 0777);
	CASE_CHECK(umask(0) == 027);
	case_pass();
}

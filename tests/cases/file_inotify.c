/* SPDX-License-Identifier: MIT */
/* inotify: a non-blocking instance watching a directory (wd 1, IN_CREATE|IN_DELETE) and a file in
 * it (wd 3, IN_MODIFY|IN_ONESHOT; wd 2 was added and removed, so the numbers have a gap). After
 * restore the fdinfo watch lines (wd, inode, device, mask) are identical, no stray event is
 * queued, creating a file reports wd 1 IN_CREATE with its name, and writing the file reports
 * wd 3 IN_MODIFY then IN_IGNORED (one-shot). */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], file[96], other[96], created[96];

static void cleanup(void)
{
	unlink(file);
	unlink(other);
	unlink(created);
	rmdir(dir);
}

static void bail(const char *m)
{
	cleanup();
	case_fail("%s", m);
}

/* The "inotify wd:" lines of fd, without the file handles (kernel-encoded, unchanged anyway). */
static void watches(int fd, char *out, size_t n)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	out[0] = 0;
	if (case_read_file(path, buf, sizeof(buf)) <= 0)
		return;
	for (char *l = strstr(buf, "inotify wd:"); l; l = strstr(l + 1, "inotify wd:")) {
		char *end = strstr(l, " fhandle");
		size_t len = end ? (size_t)(end - l) : strcspn(l, "\n");
		strncat(out, l, len < n - strlen(out) - 2 ? len : 0);
		strcat(out, ";");
	}
}

int main(void)
{
	char before[1024], after[1024], ev[4096];
	struct inotify_event *e;
	int in, fd;
	ssize_t n;

	case_init();
	snprintf(dir, sizeof(dir), "/tmp/ferry-case-ino.%d", getpid());
	snprintf(file, sizeof(file), "%s/watched", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	snprintf(created, sizeof(created), "%s/created", dir);
	if (mkdir(dir, 0700) || (fd = open(file, O_CREAT | O_WRONLY, 0600)) < 0 ||
	    close(open(other, O_CREAT | O_WRONLY, 0600)))
		bail("setup");
	in = inotify_init1(IN_NONBLOCK);
	if (in < 0 || inotify_add_watch(in, dir, IN_CREATE | IN_DELETE) != 1 ||
	    inotify_add_watch(in, other, IN_MODIFY) != 2 || inotify_rm_watch(in, 2) ||
	    inotify_add_watch(in, file, IN_MODIFY | IN_ONESHOT) != 3)
		bail("watches");
	while (read(in, ev, sizeof(ev)) > 0)
		; /* the IN_IGNORED of wd 2 */
	watches(in, before, sizeof(before));
	case_ready();
	case_wait();
	watches(in, after, sizeof(after));
	if (strcmp(before, after) || !before[0])
		bail("watches changed");
	if (!(fcntl(in, F_GETFL) & O_NONBLOCK) || read(in, ev, sizeof(ev)) != -1 || errno != EAGAIN)
		bail("not non-blocking, or a stray event is queued");
	if (close(open(created, O_CREAT | O_WRONLY, 0600)))
		bail("create");
	n = read(in, ev, sizeof(ev));
	e = (struct inotify_event *)ev;
	if (n < (ssize_t)sizeof(*e) || e->wd != 1 || e->mask != IN_CREATE ||
	    strcmp(e->name, "created"))
		bail("no IN_CREATE on wd 1");
	if (write(fd, "x", 1) != 1)
		bail("write");
	n = read(in, ev, sizeof(ev));
	if (n != 2 * (ssize_t)sizeof(*e) || e->wd != 3 || e->mask != IN_MODIFY ||
	    ((struct inotify_event *)(ev + sizeof(*e)))->mask != IN_IGNORED)
		bail("no IN_MODIFY + IN_IGNORED on wd 3");
	cleanup();
	case_pass();
}

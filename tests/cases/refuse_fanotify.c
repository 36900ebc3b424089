/* SPDX-License-Identifier: MIT */
/* Refusal: a fanotify group with a mark must make `ferry dump` refuse; afterwards the original is
 * intact: not traced, and the mark still delivers an event for a file opened in the marked
 * directory. */
#include "caselib.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char dir[64], file[96], buf[4096];
	struct fanotify_event_metadata *m = (struct fanotify_event_metadata *)buf;
	int fd, ok;

	case_init();
	snprintf(dir, sizeof(dir), "/tmp/ferry-case-fan.%d", getpid());
	snprintf(file, sizeof(file), "%s/f", dir);
	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);
	if (mkdir(dir, 0700) || fd < 0 ||
	    fanotify_mark(fd, FAN_MARK_ADD, FAN_CLOSE_WRITE | FAN_EVENT_ON_CHILD, AT_FDCWD, dir))
		case_fail("fanotify");
	case_ready();
	case_wait();
	close(open(file, O_CREAT | O_WRONLY, 0600));
	ok = case_untraced() && read(fd, buf, sizeof(buf)) >= (ssize_t)sizeof(*m) &&
	     (m->mask & FAN_CLOSE_WRITE);
	unlink(file);
	rmdir(dir);
	if (!ok)
		case_fail("traced, or the fanotify mark no longer reports");
	case_pass();
}

/* SPDX-License-Identifier: MIT */
/* Refusal: an inotify instance with an unread event cannot be saved without consuming the event,
 * so `ferry dump` must refuse; afterwards the original is intact: not traced, and the IN_CREATE
 * event is still there to read. */
#include "caselib.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char dir[64], file[96], ev[1024];
	struct inotify_event *e = (struct inotify_event *)ev;
	int in, ok;

	case_init();
	snprintf(dir, sizeof(dir), "/tmp/ferry-case-inop.%d", getpid());
	snprintf(file, sizeof(file), "%s/new", dir);
	in = inotify_init1(0);
	if (mkdir(dir, 0700) || in < 0 || inotify_add_watch(in, dir, IN_CREATE) != 1 ||
	    close(open(file, O_CREAT | O_WRONLY, 0600)))
		case_fail("setup");
	case_ready();
	case_wait();
	ok = case_untraced() && read(in, ev, sizeof(ev)) > 0 && e->wd == 1 &&
	     e->mask == IN_CREATE && !strcmp(e->name, "new");
	unlink(file);
	rmdir(dir);
	if (!ok)
		case_fail("traced, or the pending IN_CREATE event was lost");
	case_pass();
}

/* SPDX-License-Identifier: MIT */
/* File locks: an flock() write lock (a), POSIX record locks by the parent ([10,29] write on b,
 * with a second fd of b open) and by a child ([100,EOF] read on b), an OFD read lock (c), and an
 * flock() shared lock on a description shared by parent and child (d). After restore, probes from
 * new open file descriptions see every lock with its type, range and owner; the owners can still
 * release them (after which the probe gets the lock); a POSIX lock held by the child survives the
 * parent's unlock. */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static char pa[64], pb[64], pc[64], pd[64];

static void bail(const char *m)
{
	unlink(pa), unlink(pb), unlink(pc), unlink(pd);
	case_fail("%s", m);
}

/* The lock a new description would conflict with over [start, start+len). */
static struct flock probe(const char *path, short type, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	int fd = open(path, O_RDWR);
	if (fd < 0 || fcntl(fd, F_OFD_GETLK, &fl))
		bail("probe");
	close(fd);
	return fl;
}

static int flock_free(const char *path, int op)
{
	int fd = open(path, O_RDONLY), r = flock(fd, op | LOCK_NB);
	close(fd);
	return r == 0;
}

int main(void)
{
	struct flock w = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 20};
	struct flock r = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	struct flock kid_lk = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 0};
	int a, b, b2, c, d, go[2], ok[2], st;
	char ch;
	pid_t kid;

	case_init();
	snprintf(pa, sizeof(pa), "/tmp/ferry-case-lka.%d", getpid());
	snprintf(pb, sizeof(pb), "/tmp/ferry-case-lkb.%d", getpid());
	snprintf(pc, sizeof(pc), "/tmp/ferry-case-lkc.%d", getpid());
	snprintf(pd, sizeof(pd), "/tmp/ferry-case-lkd.%d", getpid());
	a = open(pa, O_RDWR | O_CREAT, 0600);
	b = open(pb, O_RDWR | O_CREAT, 0600);
	b2 = open(pb, O_RDONLY);
	c = open(pc, O_RDWR | O_CREAT, 0600);
	d = open(pd, O_RDWR | O_CREAT, 0600);
	if (a < 0 || b < 0 || b2 < 0 || c < 0 || d < 0 || pipe(go) || pipe(ok) ||
	    flock(a, LOCK_EX) || fcntl(b, F_SETLK, &w) || fcntl(c, F_OFD_SETLK, &r) ||
	    flock(d, LOCK_SH))
		bail("locks");
	if ((kid = fork()) == 0) {
		if (fcntl(b, F_SETLK, &kid_lk) || write(ok[1], "k", 1) != 1 ||
		    read(go[0], &ch, 1) != 1)
			_exit(2);
		kid_lk.l_type = F_UNLCK;
		_exit(fcntl(b, F_SETLK, &kid_lk) ? 3 : 0);
	}
	if (read(ok[0], &ch, 1) != 1)
		bail("child");
	case_ready();
	case_wait();
	if (flock_free(pa, LOCK_SH) || flock_free(pd, LOCK_EX) || !flock_free(pd, LOCK_SH))
		bail("flock locks not held as dumped");
	struct flock x = probe(pb, F_WRLCK, 0, 50);
	if (x.l_type != F_WRLCK || x.l_start != 10 || x.l_len != 20 || x.l_pid != getpid())
		bail("parent's POSIX lock lost or changed");
	x = probe(pb, F_WRLCK, 100, 1);
	if (x.l_type != F_RDLCK || x.l_start != 100 || x.l_len != 0 || x.l_pid != kid)
		bail("child's POSIX lock lost or changed");
	x = probe(pc, F_WRLCK, 0, 0);
	if (x.l_type != F_RDLCK || x.l_pid != -1)
		bail("OFD lock lost");
	if (probe(pc, F_RDLCK, 0, 0).l_type != F_UNLCK)
		bail("OFD lock is not a read lock");
	w.l_type = F_UNLCK;
	r.l_type = F_UNLCK;
	if (flock(a, LOCK_UN) || fcntl(b, F_SETLK, &w) || fcntl(c, F_OFD_SETLK, &r) ||
	    !flock_free(pa, LOCK_EX) || probe(pb, F_WRLCK, 0, 50).l_type != F_UNLCK ||
	    probe(pc, F_WRLCK, 0, 0).l_type != F_UNLCK)
		bail("the owners cannot release their locks");
	if (probe(pb, F_WRLCK, 100, 1).l_pid != kid)
		bail("child's lock went with the parent's");
	if (write(go[1], "g", 1) != 1 || waitpid(kid, &st, 0) != kid || st)
		bail("child could not release its lock");
	if (probe(pb, F_WRLCK, 0, 0).l_type != F_UNLCK)
		bail("a lock remains after every owner released it");
	close(b2);
	unlink(pa), unlink(pb), unlink(pc), unlink(pd);
	case_pass();
}

/* SPDX-License-Identifier: MIT */
/* timerfd (FILE_TIMERFD): clock, settime flags, remaining time, interval and unread expirations
 * (fdinfo). Restore: timerfd_create + timerfd_settime + TFD_IOC_SET_TICKS. Time spent between the
 * dump and the restore does not count (as for POSIX timers): a relative timer is re-armed with the
 * remaining time it had at the dump. An absolute timer on a CLOCK_REALTIME clock keeps its
 * wall-clock deadline (it fires at once if that passed); an absolute timer on another clock is
 * re-armed absolute at now + remaining. TIMERFD_TAG_STATE (struct res_timerfd_state) is the only
 * record. */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/fdinfo.h"
#include "res/res.h"
#include "restore/internal.h"

#define TIMERFD_TAG_STATE 1
#define TIMERFD_FLAGS_OK  (O_ACCMODE | O_NONBLOCK)
#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif
#define NSEC 1000000000LL

struct res_timerfd_state {
	int32_t clockid;	/* REALTIME, MONOTONIC, BOOTTIME, REALTIME_ALARM, BOOTTIME_ALARM */
	uint32_t settime_flags; /* TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET */
	uint64_t ticks;		/* expirations not read yet */
	int64_t value_ns;	/* remaining at the dump; 0 = disarmed */
	int64_t interval_ns;	/* >= 0 */
	int64_t deadline_ns;	/* ABSTIME: the clock's value at expiry (clock read at the dump
				   + remaining), else 0 */
};

static int clock_ok(int32_t clk)
{
	return clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC || clk == CLOCK_BOOTTIME ||
	       clk == CLOCK_REALTIME_ALARM || clk == CLOCK_BOOTTIME_ALARM;
}

static int is_realtime(int32_t clk)
{
	return clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_ALARM;
}

static int64_t clock_ns(int32_t clk)
{
	struct timespec ts;
	clock_gettime(clk == CLOCK_REALTIME_ALARM   ? CLOCK_REALTIME
		      : clk == CLOCK_BOOTTIME_ALARM ? CLOCK_BOOTTIME
						    : clk,
		      &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static int timerfd_match(const struct fd_desc *d)
{
	return !strcmp(d->path, "anon_inode:[timerfd]");
}

static int timerfd_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	struct res_timerfd_fdinfo t;
	if (res_parse_timerfd(d->fdinfo, &t) < 0 || !clock_ok(t.clockid))
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d (timerfd): unreadable fdinfo or unknown clock", p->pid,
			       d->fd);
	if (d->flags & ~(uint32_t)(TIMERFD_FLAGS_OK | O_CLOEXEC))
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (timerfd): flags 0%o not supported",
			       p->pid, d->fd, d->flags);
	return 0;
}

/* The fdinfo read at check time is stale by now: read the remaining time again. */
static int timerfd_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
			struct img_file *f)
{
	struct res_timerfd_fdinfo t;
	struct res_timerfd_state s = {0};
	_cleanup_free_ char *info = NULL;
	int r = res_fdinfo_read(p->pid, d->fd, &info);
	if (r < 0 || res_parse_timerfd(info, &t) < 0)
		return err_set(c->e, r < 0 ? r : -EBADMSG, "pid %d fd %d (timerfd): cannot read it",
			       p->pid, d->fd);
	s.clockid = t.clockid;
	s.settime_flags = t.settime_flags;
	s.ticks = t.ticks;
	s.value_ns = t.value_ns;
	s.interval_ns = t.interval_ns;
	if (s.value_ns && (s.settime_flags & TFD_TIMER_ABSTIME))
		s.deadline_ns = clock_ns(s.clockid) + s.value_ns;
	return res_write_data(c, f, TIMERFD_TAG_STATE, &s, sizeof(s));
}

static int timerfd_validate(const struct img_model *m, const struct img_file_model *f,
			    struct ferry_err *e)
{
	struct res_timerfd_state s;
	const struct img_data *d = res_data(f, TIMERFD_TAG_STATE);
	if (f->ndata != 1 || !d || d->len != sizeof(s))
		return err_set(e, -EBADMSG,
			       "image: timerfd file %u: needs exactly one state record", f->f.id);
	memcpy(&s, d->data, sizeof(s));
	if (!clock_ok(s.clockid))
		return err_set(e, -EBADMSG, "image: timerfd file %u: clock %d", f->f.id, s.clockid);
	if ((s.settime_flags & ~(uint32_t)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) ||
	    ((s.settime_flags & TFD_TIMER_CANCEL_ON_SET) &&
	     (!(s.settime_flags & TFD_TIMER_ABSTIME) || !is_realtime(s.clockid))))
		return err_set(e, -EBADMSG, "image: timerfd file %u: settime flags 0%o", f->f.id,
			       s.settime_flags);
	if (s.value_ns < 0 || s.interval_ns < 0 || s.deadline_ns < 0 ||
	    (s.deadline_ns && !(s.settime_flags & TFD_TIMER_ABSTIME)) ||
	    (!s.value_ns && s.deadline_ns))
		return err_set(e, -EBADMSG,
			       "image: timerfd file %u: negative or inconsistent times", f->f.id);
	if ((f->f.flags & ~(uint32_t)TIMERFD_FLAGS_OK) || (f->f.flags & O_ACCMODE) != O_RDWR)
		return err_set(e, -EBADMSG, "image: timerfd file %u: flags 0%o invalid", f->f.id,
			       f->f.flags);
	return 0;
}

static struct timespec ts_of(int64_t ns)
{
	return (struct timespec){ns / NSEC, ns % NSEC};
}

/* A periodic timer whose expiry is counted in `ticks` but not yet forwarded shows 0 remaining:
 * its next expiry is one interval away. */
static int arm(const struct res_timerfd_state *s, int fd)
{
	struct itimerspec its = {.it_interval = ts_of(s->interval_ns)};
	int64_t value = s->value_ns ? s->value_ns : s->interval_ns;
	int flags = 0;
	if (!value)
		return 0;
	if ((s->settime_flags & TFD_TIMER_ABSTIME) && is_realtime(s->clockid)) {
		its.it_value =
			ts_of(s->deadline_ns ? s->deadline_ns : clock_ns(s->clockid) + value);
		flags = s->settime_flags;
	} else if (s->settime_flags & TFD_TIMER_ABSTIME) {
		its.it_value = ts_of(clock_ns(s->clockid) + value);
		flags = TFD_TIMER_ABSTIME;
	} else {
		its.it_value = ts_of(value);
	}
	return timerfd_settime(fd, flags, &its, NULL);
}

static int timerfd_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	struct res_timerfd_state s;
	memcpy(&s, res_data(f, TIMERFD_TAG_STATE)->data, sizeof(s));
	int fd = timerfd_create(s.clockid,
				TFD_CLOEXEC | (f->f.flags & O_NONBLOCK ? TFD_NONBLOCK : 0));
	if (fd < 0)
		return err_set(c->e, neg_errno(), "timerfd file %u: timerfd_create(clock %d): %m",
			       f->f.id, s.clockid);
	if (arm(&s, fd) < 0 || (s.ticks && ioctl(fd, TFD_IOC_SET_TICKS, &s.ticks) < 0)) {
		int r = err_set(c->e, neg_errno(), "timerfd file %u: cannot arm it: %m", f->f.id);
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

const struct res_file_ops res_timerfd = {
	.kind = FILE_TIMERFD,
	.name = "timerfd",
	.match = timerfd_match,
	.check = timerfd_check,
	.dump = timerfd_dump,
	.validate = timerfd_validate,
	.open = timerfd_open,
};

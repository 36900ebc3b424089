/* SPDX-License-Identifier: MIT */
/* Unit tests for the validate() of the IPC and seccomp kinds (src/res/sysv.c, mqueue.c,
 * seccomp.c): the image is untrusted, so a valid record must pass and every single corruption
 * of it (counts, sizes, enums, truncation, trailing bytes, unknown thread) must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/seccomp.h>
#include <string.h>

#include "res/ipc.h"
#include "res/res.h"

extern const struct res_file_ops res_mqueue;
extern const struct res_tree_ops res_sysv_msg, res_sysv_sem, res_seccomp;

static uint8_t buf[4096];
static struct img_thread_model threads[2];
static struct img_proc_model proc;
static struct img_model model;
static struct ferry_err err;

static void setup_model(void)
{
	memset(&model, 0, sizeof(model));
	memset(threads, 0, sizeof(threads));
	threads[0].t.tid = 100;
	threads[1].t.tid = 101;
	proc = (struct img_proc_model){.p.pid = 100, .nthreads = 2, .threads = threads};
	model.nprocs = 1;
	model.procs = &proc;
}

static int tree_ok(const struct res_tree_ops *o, uint32_t tag, uint32_t pid, size_t len)
{
	struct img_data d = {tag, pid, buf, len};
	memset(&err, 0, sizeof(err));
	return o->validate(&model, &d, &err);
}

/* A queue with two messages: "hi" (type 3) and 5 bytes (type 1). */
static size_t queue(void)
{
	struct sysv_obj o = {.id = 7, .key = 0x1234, .mode = 0640, .count = 2, .qbytes = 16384};
	struct sysv_msg a = {3, 2, 0}, b = {1, 5, 0};
	size_t n = 0;
	memcpy(buf, &o, sizeof(o)), n += sizeof(o);
	memcpy(buf + n, &a, sizeof(a)), n += sizeof(a);
	memcpy(buf + n, "hi", 2), n += 2;
	memcpy(buf + n, &b, sizeof(b)), n += sizeof(b);
	memcpy(buf + n, "12345", 5), n += 5;
	return n;
}

static void test_sysv_msg(void **state)
{
	setup_model();
	size_t n = queue();
	struct sysv_obj *o = (struct sysv_obj *)buf;
	struct sysv_msg *first = (struct sysv_msg *)(buf + sizeof(*o));
	assert_int_equal(tree_ok(&res_sysv_msg, TREE_SYSV_MSG, 100, n), 0);
	assert_int_equal(tree_ok(&res_sysv_msg, TREE_SYSV_MSG, 0, n), -EBADMSG); /* no pid */
	assert_int_equal(tree_ok(&res_sysv_msg, TREE_SYSV_MSG, 100, n - 1),
			 -EBADMSG); /* truncated */
	assert_int_equal(tree_ok(&res_sysv_msg, TREE_SYSV_MSG, 100, n + 1),
			 -EBADMSG);						    /* trailing */
	assert_int_equal(tree_ok(&res_sysv_msg, TREE_SYSV_MSG, 100, 10), -EBADMSG); /* short */
	o->mode = 01777;
	assert_int_equal(tree_ok(&res_sysv_msg, TREE_SYSV_MSG, 100, n), -EBADMSG);
	n = queue();
	o->count = 3;
	assert_int_equal(tree_ok(&res_sysv_msg, TREE_SYSV_MSG, 100, n), -EBADMSG);
	n = queue();
	first->mtype = 0;
	assert_int_equal(tree_ok(&res_sysv_msg, TREE_SYSV_MSG, 100, n), -EBADMSG);
	n = queue();
	first->len = SYSV_MAX_MSG + 1;
	assert_int_equal(tree_ok(&res_sysv_msg, TREE_SYSV_MSG, 100, n), -EBADMSG);
	n = queue();
	o->id = -1;
	assert_int_equal(tree_ok(&res_sysv_msg, TREE_SYSV_MSG, 100, n), -EBADMSG);
}

static void test_sysv_sem(void **state)
{
	setup_model();
	struct sysv_obj o = {.id = 3, .key = 0, .mode = 0600, .count = 3};
	memcpy(buf, &o, sizeof(o));
	memset(buf + sizeof(o), 1, 6);
	size_t n = sizeof(o) + 6;
	struct sysv_obj *p = (struct sysv_obj *)buf;
	assert_int_equal(tree_ok(&res_sysv_sem, TREE_SYSV_SEM, 100, n), 0);
	assert_int_equal(tree_ok(&res_sysv_sem, TREE_SYSV_SEM, 100, n - 2), -EBADMSG);
	p->count = 0;
	assert_int_equal(tree_ok(&res_sysv_sem, TREE_SYSV_SEM, 100, sizeof(o)), -EBADMSG);
	p->count = 3;
	p->qbytes = 1;
	assert_int_equal(tree_ok(&res_sysv_sem, TREE_SYSV_SEM, 100, n), -EBADMSG);
	p->qbytes = 0;
	p->count = SYSV_MAX_COUNT + 1;
	assert_int_equal(tree_ok(&res_sysv_sem, TREE_SYSV_SEM, 100, n), -EBADMSG);
}

/* Thread 101 with two filters of 2 and 1 instructions. */
static size_t filters(void)
{
	struct seccomp_rec r = {.tid = 101, .mode = SECCOMP_MODE_FILTER, .nfilters = 2};
	struct seccomp_filter_hdr a = {2, 0}, b = {1, SECCOMP_FILTER_FLAG_LOG};
	size_t n = 0;
	memcpy(buf, &r, sizeof(r)), n += sizeof(r);
	memcpy(buf + n, &a, sizeof(a)), n += sizeof(a) + 16;
	memcpy(buf + n, &b, sizeof(b)), n += sizeof(b) + 8;
	return n;
}

static void test_seccomp(void **state)
{
	setup_model();
	size_t n = filters();
	struct seccomp_rec *r = (struct seccomp_rec *)buf;
	struct seccomp_filter_hdr *h = (struct seccomp_filter_hdr *)(buf + sizeof(*r));
	assert_int_equal(tree_ok(&res_seccomp, TREE_SECCOMP, 100, n), 0);
	assert_int_equal(tree_ok(&res_seccomp, TREE_SECCOMP, 100, n - 8), -EBADMSG);
	assert_int_equal(tree_ok(&res_seccomp, TREE_SECCOMP, 100, n + 8), -EBADMSG);
	assert_int_equal(tree_ok(&res_seccomp, TREE_SECCOMP, 999, n),
			 -EBADMSG); /* no such process */
	r->tid = 555;
	assert_int_equal(tree_ok(&res_seccomp, TREE_SECCOMP, 100, n),
			 -EBADMSG); /* no such thread */
	n = filters();
	r->mode = 3;
	assert_int_equal(tree_ok(&res_seccomp, TREE_SECCOMP, 100, n), -EBADMSG);
	n = filters();
	r->mode = SECCOMP_MODE_STRICT; /* strict mode carries no filters */
	assert_int_equal(tree_ok(&res_seccomp, TREE_SECCOMP, 100, n), -EBADMSG);
	r->nfilters = 0;
	assert_int_equal(tree_ok(&res_seccomp, TREE_SECCOMP, 100, sizeof(*r)), 0);
	n = filters();
	h->ninsns = 0;
	assert_int_equal(tree_ok(&res_seccomp, TREE_SECCOMP, 100, n), -EBADMSG);
	n = filters();
	h->flags = 0x80;
	assert_int_equal(tree_ok(&res_seccomp, TREE_SECCOMP, 100, n), -EBADMSG);
	n = filters();
	h->ninsns = SECCOMP_MAX_INSNS + 1;
	assert_int_equal(tree_ok(&res_seccomp, TREE_SECCOMP, 100, n), -EBADMSG);
}

static int mq_ok(const char *name, size_t len)
{
	struct img_data d = {MQ_TAG_STATE, 0, buf, len};
	struct img_file_model f = {
		.f = {.id = 1, .kind = FILE_MQUEUE}, .path = (char *)name, .ndata = 1, .data = &d};
	memset(&err, 0, sizeof(err));
	return res_mqueue.validate(&model, &f, &err);
}

static size_t mqueue(void)
{
	struct mq_state s = {.maxmsg = 4, .msgsize = 16, .mode = 0600, .nmsgs = 1};
	struct mq_msg m = {7, 3};
	memcpy(buf, &s, sizeof(s));
	memcpy(buf + sizeof(s), &m, sizeof(m));
	memcpy(buf + sizeof(s) + sizeof(m), "abc", 3);
	return sizeof(s) + sizeof(m) + 3;
}

static void test_mqueue(void **state)
{
	setup_model();
	size_t n = mqueue();
	struct mq_state *s = (struct mq_state *)buf;
	struct mq_msg *m = (struct mq_msg *)(buf + sizeof(*s));
	assert_int_equal(mq_ok("/q", n), 0);
	assert_int_equal(mq_ok("q", n), -EBADMSG);
	assert_int_equal(mq_ok("/a/b", n), -EBADMSG);
	assert_int_equal(mq_ok("/", n), -EBADMSG);
	assert_int_equal(mq_ok("/q", n - 1), -EBADMSG);
	assert_int_equal(mq_ok("/q", n + 1), -EBADMSG);
	m->len = 17; /* above msgsize */
	assert_int_equal(mq_ok("/q", n), -EBADMSG);
	n = mqueue();
	s->nmsgs = 5; /* above maxmsg */
	assert_int_equal(mq_ok("/q", n), -EBADMSG);
	n = mqueue();
	s->maxmsg = 0;
	assert_int_equal(mq_ok("/q", n), -EBADMSG);
	n = mqueue();
	s->mode = 010000;
	assert_int_equal(mq_ok("/q", n), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysv_msg),
		cmocka_unit_test(test_sysv_sem),
		cmocka_unit_test(test_seccomp),
		cmocka_unit_test(test_mqueue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Unit tests for the validate() of SysV shared memory (src/res/sysvshm.c): the image is
 * untrusted, so a valid segment record must pass and every single corruption of it (mode,
 * flags, size, attachment count, truncation, trailing bytes, attachments that are unaligned,
 * out of range, overlap a mapping, or name a zombie or a process not in the image) must be
 * refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>

#include "res/ipc.h"
#include "res/res.h"

extern const struct res_tree_ops res_sysv_shm;

static uint8_t buf[3 * 4096];
static struct img_vma_model vmas[1];
static struct img_proc_model procs[2];
static struct img_model model;
static struct ferry_err err;

/* pid 100 alive with one mapping at 0x10000-0x20000; pid 101 a zombie. */
static void setup_model(void)
{
	memset(&model, 0, sizeof(model));
	memset(procs, 0, sizeof(procs));
	vmas[0] = (struct img_vma_model){
		.v = {.pid = 100, .kind = VMA_ANON_PRIVATE, .start = 0x10000, .end = 0x20000}};
	procs[0] = (struct img_proc_model){.p.pid = 100, .nvmas = 1, .vmas = vmas};
	procs[1] = (struct img_proc_model){.p.pid = 101, .p.state = PROC_ZOMBIE};
	model.nprocs = 2;
	model.procs = procs;
}

/* A 5000-byte segment attached twice by pid 100 (rw at 0x40000, r at 0x50000). */
static size_t seg(void)
{
	struct sysv_shm_seg s = {.id = 9, .key = 0x1234, .mode = 0640, .size = 5000, .nattach = 2};
	struct sysv_shm_att a = {100, PROT_READ | PROT_WRITE, 0x40000},
			    b = {100, PROT_READ, 0x50000};
	size_t n = 0;
	memcpy(buf, &s, sizeof(s)), n += sizeof(s);
	memcpy(buf + n, &a, sizeof(a)), n += sizeof(a);
	memcpy(buf + n, &b, sizeof(b)), n += sizeof(b);
	memset(buf + n, 7, 5000);
	return n + 5000;
}

static int ok(uint32_t pid, size_t len)
{
	struct img_data d = {TREE_SYSV_SHM, pid, buf, len};
	memset(&err, 0, sizeof(err));
	return res_sysv_shm.validate(&model, &d, &err);
}

static struct sysv_shm_seg *S(void)
{
	return (struct sysv_shm_seg *)buf;
}

static struct sysv_shm_att *A(int i)
{
	return (struct sysv_shm_att *)(buf + sizeof(struct sysv_shm_seg)) + i;
}

static void test_segment(void **state)
{
	setup_model();
	size_t n = seg();
	assert_int_equal(ok(100, n), 0);
	assert_int_equal(ok(0, n), -EBADMSG);	    /* no pid */
	assert_int_equal(ok(100, n - 1), -EBADMSG); /* truncated contents */
	assert_int_equal(ok(100, n + 1), -EBADMSG); /* trailing */
	assert_int_equal(ok(100, 10), -EBADMSG);    /* short header */
	S()->mode = 01640;
	assert_int_equal(ok(100, n), -EBADMSG);
	n = seg();
	S()->flags = 4;
	assert_int_equal(ok(100, n), -EBADMSG);
	n = seg();
	S()->flags = SYSV_SHM_LOCKED | SYSV_SHM_DEST;
	assert_int_equal(ok(100, n), 0);
	S()->nattach = 0; /* marked for removal but not attached */
	assert_int_equal(ok(100, n - 2 * sizeof(struct sysv_shm_att)), -EBADMSG);
	n = seg();
	S()->size = 0;
	assert_int_equal(ok(100, n - 5000), -EBADMSG);
	n = seg();
	S()->size = SYSV_SHM_MAX_SIZE + 1;
	assert_int_equal(ok(100, n), -EBADMSG);
	n = seg();
	S()->nattach = SYSV_SHM_MAX_ATT + 1;
	assert_int_equal(ok(100, n), -EBADMSG);
	n = seg();
	S()->id = -1;
	assert_int_equal(ok(100, n), -EBADMSG);
	n = seg();
	S()->pad = 1;
	assert_int_equal(ok(100, n), -EBADMSG);
}

static void test_attachments(void **state)
{
	setup_model();
	size_t n = seg();
	A(1)->addr = 0x50001; /* unaligned */
	assert_int_equal(ok(100, n), -EBADMSG);
	n = seg();
	A(1)->addr = 0; /* null */
	assert_int_equal(ok(100, n), -EBADMSG);
	n = seg();
	A(1)->addr = 0x7ffffffff000ULL; /* beyond the user range */
	assert_int_equal(ok(100, n), -EBADMSG);
	n = seg();
	A(1)->addr = 0x1e000; /* overlaps 0x10000-0x20000 */
	assert_int_equal(ok(100, n), -EBADMSG);
	n = seg();
	A(0)->prot = 0x10;
	assert_int_equal(ok(100, n), -EBADMSG);
	n = seg();
	A(1)->pid = 101; /* a zombie */
	assert_int_equal(ok(100, n), -EBADMSG);
	n = seg();
	A(1)->pid = 555; /* not in the image */
	assert_int_equal(ok(100, n), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment),
		cmocka_unit_test(test_attachments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

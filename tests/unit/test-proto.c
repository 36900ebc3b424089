/* SPDX-License-Identifier: MIT */
/* Unit tests for ferryd's message parsers (src/daemon/proto.c) and config loader (config.c):
 * valid messages round-trip, every malformed or out-of-range field is refused with a detail
 * naming it, other protocol versions are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/proto.h"

static const char valid_req[] =
	"{\"v\":1,\"mig\":\"abc\",\"id\":\"n1:42:1000\",\"from\":\"n1\",\"cmd\":\"sleep\","
	"\"pid\":42,\"uid\":1000,\"xcr0\":\"2e7\",\"xstate_size\":2696,\"vdso_fp\":\"dead\","
	"\"mem_bytes\":\"100000\",\"since\":5,\"compress\":\"zstd\"}";

static void mig_req_round_trip(void **state)
{
	struct mig_req m, m2;
	struct ferry_err e = {{0}};
	assert_int_equal(mig_req_parse(valid_req, strlen(valid_req), &m, &e), 0);
	assert_int_equal(m.pid, 42);
	assert_int_equal(m.xcr0, 0x2e7);
	assert_int_equal(m.mem_bytes, 0x100000);
	assert_int_equal(m.compress, COMPRESS_ZSTD);
	json_object *o = mig_req_json(&m);
	const char *s = json_object_to_json_string(o);
	assert_int_equal(mig_req_parse(s, strlen(s), &m2, &e), 0);
	assert_memory_equal(&m, &m2, sizeof(m));
	json_object_put(o);
}

static void refuse(const char *msg, int err, const char *detail)
{
	struct mig_req m;
	struct ferry_err e = {{0}};
	assert_int_equal(mig_req_parse(msg, strlen(msg), &m, &e), err);
	if (!strstr(e.msg, detail))
		fail_msg("detail '%s' does not mention '%s'", e.msg, detail);
}

static void mig_req_refusals(void **state)
{
	refuse("{\"v\":2}", -EPROTONOSUPPORT, "version 2");
	refuse("{\"mig\":\"a\"}", -EBADMSG, "'v'");
	refuse("[1,2]", -EBADMSG, "not a JSON object");
	refuse("{\"v\":1", -EBADMSG, "malformed");
	refuse("{\"v\":1} x", -EBADMSG, "malformed");
	char buf[1024];
	snprintf(buf, sizeof(buf), "%.*s", (int)strlen(valid_req), valid_req);
	memcpy(strstr(buf, "\"pid\":42"), "\"pid\":-1", 8);
	refuse(buf, -EBADMSG, "'pid'");
	snprintf(buf, sizeof(buf), "%s", valid_req);
	memcpy(strstr(buf, "n1:42:1000"), "n1;42:1000", 10);
	refuse(buf, -EBADMSG, "'id'");
	snprintf(buf, sizeof(buf), "%s", valid_req);
	memcpy(strstr(buf, "\"zstd\""), "\"lz9\" ", 6);
	refuse(buf, -EBADMSG, "compression");
	snprintf(buf, sizeof(buf), "%s", valid_req);
	memcpy(strstr(buf, "\"2e7\""), "\"xyz\"", 5);
	refuse(buf, -EBADMSG, "'xcr0'");
}

static void ctl_requests(void **state)
{
	struct ctl_req q;
	struct ferry_err e = {{0}};
	const char *mig = "{\"v\":1,\"cmd\":\"migrate\",\"pid\":7,\"to\":\"n2\",\"dry_run\":true}";
	assert_int_equal(ctl_req_parse(mig, strlen(mig), &q, &e), 0);
	assert_int_equal(q.cmd, CTL_MIGRATE);
	assert_int_equal(q.pid, 7);
	assert_int_equal(q.dry_run, 1);
	assert_string_equal(q.to, "n2");
	ctl_req_free(&q);
	const char *run = "{\"v\":1,\"cmd\":\"run\",\"argv\":[\"sleep\",\"1\"],\"cwd\":\"/tmp\","
			  "\"env\":[\"A=b\"],\"on\":\"n3\"}";
	assert_int_equal(ctl_req_parse(run, strlen(run), &q, &e), 0);
	assert_string_equal(q.run.argv[1], "1");
	assert_null(q.run.argv[2]);
	assert_string_equal(q.run.env[0], "A=b");
	ctl_req_free(&q);
	const char *bad[] = {
		"{\"v\":1,\"cmd\":\"explode\"}",
		"{\"v\":1,\"cmd\":\"migrate\",\"pid\":7,\"to\":\"../x\"}",
		"{\"v\":1,\"cmd\":\"run\",\"argv\":[],\"cwd\":\"/\"}",
		"{\"v\":1,\"cmd\":\"run\",\"argv\":[1],\"cwd\":\"/\"}",
		"{\"v\":1,\"cmd\":\"run\",\"argv\":[\"a\"],\"cwd\":\"rel\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = 0;
		assert_int_equal(ctl_req_parse(bad[i], strlen(bad[i]), &q, &e), -EBADMSG);
		assert_true(e.msg[0] != 0);
	}
}

static void ids(void **state)
{
	char home[NODE_NAME_MAX];
	int32_t pid;
	uint64_t start;
	assert_int_equal(proto_id_parse("n1:42:99", home, &pid, &start), 0);
	assert_string_equal(home, "n1");
	assert_int_equal(pid, 42);
	assert_int_equal(start, 99);
	assert_int_equal(proto_id_parse("n1:0:99", home, &pid, &start), -EINVAL);
	assert_int_equal(proto_id_parse("n1:4x:99", home, &pid, &start), -EINVAL);
	assert_int_equal(proto_id_parse(":4:99", home, &pid, &start), -EINVAL);
	assert_int_equal(proto_id_parse("n1:4:", home, &pid, &start), 0); /* start 0 */
	assert_int_equal(proto_id_parse("n1:4:9z", home, &pid, &start), -EINVAL);
}

static int write_conf(char *path, const char *text)
{
	strcpy(path, "/tmp/test-proto-conf.XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void config(void **state)
{
	struct ferryd_config c;
	struct ferry_err e = {{0}};
	char path[64];
	assert_int_equal(write_conf(path, "[node]\nname = n1\nlisten = 10.77.0.1:7070\n"
					  "control = /run/ferry/ferryd.sock\nkey = /k\n"
					  "compress = zstd\n[peers]\nn2 = 10.77.0.2:7070\n"),
			 0);
	assert_int_equal(config_load(path, &c, &e), 0);
	assert_string_equal(c.name, "n1");
	assert_string_equal(c.pidfile, "/run/ferry/ferryd.pid");
	assert_int_equal(c.npeers, 1);
	assert_string_equal(config_peer(&c, "n2")->addr, "10.77.0.2:7070");
	assert_int_equal(c.encrypt, 1);
	assert_int_equal(c.compress, COMPRESS_ZSTD);
	unlink(path);
	assert_int_equal(write_conf(path, "[node]\nname = n1\nlisten = x:1\nkey = /k\nbogus = 1\n"),
			 0);
	assert_int_equal(config_load(path, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "bogus"));
	unlink(path);
	e.msg[0] = 0;
	assert_int_equal(write_conf(path, "[node]\nname = n1\n"), 0);
	assert_int_equal(config_load(path, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "needs name, listen and key"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mig_req_round_trip),
		cmocka_unit_test(mig_req_refusals),
		cmocka_unit_test(ctl_requests),
		cmocka_unit_test(ids),
		cmocka_unit_test(config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* libFuzzer target for ferryd's message parsers (src/daemon/proto.c): the first byte picks the
 * parser (migration request, remote-run request, control request, id, generic decode), the rest
 * is the message. Every input must parse or be refused with -errno and a detail, never crash,
 * over-read or leak (scripts/fuzz.sh runs it under ASan/UBSan). */
#include <stdlib.h>
#include <string.h>

#include "daemon/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void refused_ok(int r, const struct ferry_err *e)
{
	if (r < 0 && !e->msg[0] && r != -ENOMEM)
		abort(); /* every refusal says why */
}

static void parse_id(const uint8_t *data, size_t size)
{
	char id[PROC_ID_MAX], home[NODE_NAME_MAX];
	int32_t pid;
	uint64_t start;
	if (size >= sizeof(id))
		return;
	memcpy(id, data, size);
	id[size] = 0;
	if (proto_id_parse(id, home, &pid, &start) == 0 && (pid <= 0 || !proto_node_name_ok(home)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ferry_err e = {{0}};
	json_object *o = NULL;
	int r;
	if (size < 1)
		return 0;
	const void *msg = data + 1;
	size_t len = size - 1;
	switch (data[0] % 5) {
	case 0: {
		struct mig_req m;
		r = mig_req_parse(msg, len, &m, &e);
		if (r == 0) /* a valid request must survive a round trip */
			json_object_put(mig_req_json(&m));
		break;
	}
	case 1: {
		struct run_req q;
		r = run_req_parse(msg, len, &q, &e);
		if (r == 0) {
			json_object_put(run_req_json(&q));
			run_req_free(&q);
		}
		break;
	}
	case 2: {
		struct ctl_req q;
		r = ctl_req_parse(msg, len, &q, &e);
		if (r == 0)
			ctl_req_free(&q);
		break;
	}
	case 3:
		parse_id(msg, len);
		return 0;
	default:
		r = proto_decode(msg, len, &o, &e);
		json_object_put(o);
	}
	refused_ok(r, &e);
	return 0;
}

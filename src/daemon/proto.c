/* SPDX-License-Identifier: MIT */
/* Strict parsers and builders for ferryd's JSON messages, and the control-socket framing.
 * Everything coming from a peer or a client goes through here before any use. */
#include "common/fdio.h"
#include "daemon/proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>

int proto_decode(const void *buf, size_t len, json_object **ret, struct ferry_err *e)
{
	if (len > PROTO_MAX_JSON)
		return err_set(e, -EMSGSIZE, "message of %zu bytes is over the %u-byte limit", len,
			       PROTO_MAX_JSON);
	json_tokener *t = json_tokener_new();
	if (!t)
		return -ENOMEM;
	json_object *o = json_tokener_parse_ex(t, buf, (int)len);
	enum json_tokener_error je = json_tokener_get_error(t);
	size_t used = json_tokener_get_parse_end(t);
	json_tokener_free(t);
	if (!o || je != json_tokener_success || used != len) {
		json_object_put(o);
		return err_set(e, -EBADMSG, "malformed message: %s",
			       je != json_tokener_success ? json_tokener_error_desc(je)
							  : "trailing bytes");
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return err_set(e, -EBADMSG, "malformed message: not a JSON object");
	}
	int64_t v;
	int r = proto_int(o, "v", 0, INT32_MAX, &v, 1, e);
	if (r == 0 && v != PROTO_VERSION)
		r = err_set(e, -EPROTONOSUPPORT,
			    "protocol version %" PRId64 " is not supported (this is version %d)", v,
			    PROTO_VERSION);
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	*ret = o;
	return 0;
}

int proto_str(json_object *o, const char *key, char *buf, size_t size, int required,
	      struct ferry_err *e)
{
	json_object *f;
	buf[0] = 0;
	if (!json_object_object_get_ex(o, key, &f))
		return required ? err_set(e, -EBADMSG, "field '%s' is missing", key) : 0;
	if (!json_object_is_type(f, json_type_string))
		return err_set(e, -EBADMSG, "field '%s' is not a string", key);
	size_t n = json_object_get_string_len(f);
	const char *s = json_object_get_string(f);
	if (n >= size || memchr(s, 0, n))
		return err_set(e, -EBADMSG, "field '%s' is too long or holds a NUL", key);
	memcpy(buf, s, n + 1);
	return 0;
}

int proto_int(json_object *o, const char *key, int64_t min, int64_t max, int64_t *ret, int required,
	      struct ferry_err *e)
{
	json_object *f;
	if (!json_object_object_get_ex(o, key, &f)) {
		*ret = 0;
		return required ? err_set(e, -EBADMSG, "field '%s' is missing", key) : 0;
	}
	if (!json_object_is_type(f, json_type_int) && !json_object_is_type(f, json_type_boolean))
		return err_set(e, -EBADMSG, "field '%s' is not an integer", key);
	int64_t v = json_object_get_int64(f);
	if (v < min || v > max)
		return err_set(e, -EBADMSG, "field '%s' = %" PRId64 " is out of range", key, v);
	*ret = v;
	return 0;
}

/* 64-bit unsigned values travel as hex strings (JSON numbers stop at 2^63). */
int proto_u64(json_object *o, const char *key, uint64_t *ret, struct ferry_err *e)
{
	char s[24], *end;
	int r = proto_str(o, key, s, sizeof(s), 1, e);
	if (r < 0)
		return r;
	errno = 0;
	*ret = strtoull(s, &end, 16);
	if (!s[0] || *end || errno)
		return err_set(e, -EBADMSG, "field '%s' is not a hex number", key);
	return 0;
}

void proto_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int proto_strv(json_object *o, const char *key, size_t max, char ***ret, int required,
	       struct ferry_err *e)
{
	json_object *f;
	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &f))
		return required ? err_set(e, -EBADMSG, "field '%s' is missing", key) : 0;
	if (!json_object_is_type(f, json_type_array))
		return err_set(e, -EBADMSG, "field '%s' is not an array", key);
	size_t n = json_object_array_length(f);
	if (n > max)
		return err_set(e, -EBADMSG, "field '%s' has more than %zu entries", key, max);
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(f, i);
		size_t len = s ? (size_t)json_object_get_string_len(s) : 0;
		if (!s || !json_object_is_type(s, json_type_string) ||
		    memchr(json_object_get_string(s), 0, len) || len > 65536) {
			proto_strv_free(v);
			return err_set(e, -EBADMSG, "field '%s'[%zu] is not a valid string", key,
				       i);
		}
		if (!(v[i] = strdup(json_object_get_string(s)))) {
			proto_strv_free(v);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

int proto_node_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= NODE_NAME_MAX)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

int proto_id_parse(const char *id, char home[NODE_NAME_MAX], int32_t *pid, uint64_t *start)
{
	const char *c1 = strchr(id, ':');
	if (!c1 || (size_t)(c1 - id) >= NODE_NAME_MAX)
		return -EINVAL;
	memcpy(home, id, c1 - id);
	home[c1 - id] = 0;
	char *end;
	errno = 0;
	long p = strtol(c1 + 1, &end, 10);
	if (*end != ':' || p <= 0 || p > INT32_MAX || errno)
		return -EINVAL;
	unsigned long long s = strtoull(end + 1, &end, 10);
	if (*end || errno || !proto_node_name_ok(home))
		return -EINVAL;
	*pid = (int32_t)p;
	*start = s;
	return 0;
}

json_object *proto_new(void)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "v", json_object_new_int(PROTO_VERSION));
	return o;
}

const char *proto_compress_name(enum mig_compress c)
{
	return c == COMPRESS_ZSTD ? "zstd" : "none";
}

int proto_compress_parse(const char *s, enum mig_compress *ret)
{
	if (!strcmp(s, "none") || !s[0])
		*ret = COMPRESS_NONE;
	else if (!strcmp(s, "zstd"))
		*ret = COMPRESS_ZSTD;
	else
		return -EINVAL;
	return 0;
}

static void add_hex(json_object *o, const char *key, uint64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%" PRIx64, v);
	json_object_object_add(o, key, json_object_new_string(s));
}

json_object *mig_req_json(const struct mig_req *r)
{
	json_object *o = proto_new();
	json_object_object_add(o, "mig", json_object_new_string(r->mig));
	json_object_object_add(o, "id", json_object_new_string(r->id));
	json_object_object_add(o, "from", json_object_new_string(r->from));
	json_object_object_add(o, "cmd", json_object_new_string(r->cmd));
	json_object_object_add(o, "pid", json_object_new_int(r->pid));
	json_object_object_add(o, "uid", json_object_new_int64(r->uid));
	add_hex(o, "xcr0", r->xcr0);
	json_object_object_add(o, "xstate_size", json_object_new_int64(r->xstate_size));
	add_hex(o, "vdso_fp", r->vdso_fp);
	add_hex(o, "mem_bytes", r->mem_bytes);
	json_object_object_add(o, "since", json_object_new_int64(r->since));
	json_object_object_add(o, "dry_run", json_object_new_boolean(r->dry_run));
	json_object_object_add(o, "clone", json_object_new_boolean(r->clone));
	json_object_object_add(o, "compress",
			       json_object_new_string(proto_compress_name(r->compress)));
	return o;
}

static int mig_req_fields(json_object *o, struct mig_req *r, struct ferry_err *e)
{
	char comp[16];
	int64_t pid, uid, xs, dry, clone;
	char home[NODE_NAME_MAX];
	int32_t idpid;
	uint64_t start;
	int x;
	if ((x = proto_str(o, "mig", r->mig, sizeof(r->mig), 1, e)) < 0 ||
	    (x = proto_str(o, "id", r->id, sizeof(r->id), 1, e)) < 0 ||
	    (x = proto_str(o, "from", r->from, sizeof(r->from), 1, e)) < 0 ||
	    (x = proto_str(o, "cmd", r->cmd, sizeof(r->cmd), 0, e)) < 0 ||
	    (x = proto_int(o, "pid", 1, INT32_MAX, &pid, 1, e)) < 0 ||
	    (x = proto_int(o, "uid", 0, UINT32_MAX, &uid, 1, e)) < 0 ||
	    (x = proto_u64(o, "xcr0", &r->xcr0, e)) < 0 ||
	    (x = proto_int(o, "xstate_size", 0, 1 << 20, &xs, 1, e)) < 0 ||
	    (x = proto_u64(o, "vdso_fp", &r->vdso_fp, e)) < 0 ||
	    (x = proto_u64(o, "mem_bytes", &r->mem_bytes, e)) < 0 ||
	    (x = proto_int(o, "since", 0, INT64_MAX, &r->since, 0, e)) < 0 ||
	    (x = proto_int(o, "dry_run", 0, 1, &dry, 0, e)) < 0 ||
	    (x = proto_int(o, "clone", 0, 1, &clone, 0, e)) < 0 ||
	    (x = proto_str(o, "compress", comp, sizeof(comp), 0, e)) < 0)
		return x;
	if (!proto_node_name_ok(r->from))
		return err_set(e, -EBADMSG, "field 'from' is not a node name");
	if (proto_id_parse(r->id, home, &idpid, &start) < 0)
		return err_set(e, -EBADMSG, "field 'id' is not a process id (home:pid:start)");
	if (proto_compress_parse(comp, &r->compress) < 0)
		return err_set(e, -EBADMSG, "unknown compression '%s'", comp);
	r->pid = pid;
	r->uid = uid;
	r->xstate_size = xs;
	r->dry_run = dry;
	r->clone = clone;
	return 0;
}

int mig_req_parse(const void *buf, size_t len, struct mig_req *r, struct ferry_err *e)
{
	json_object *o;
	memset(r, 0, sizeof(*r));
	int x = proto_decode(buf, len, &o, e);
	if (x < 0)
		return x;
	x = mig_req_fields(o, r, e);
	json_object_put(o);
	return x;
}

static json_object *strv_json(char **v)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; v && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

json_object *run_req_json(const struct run_req *r)
{
	json_object *o = proto_new();
	json_object_object_add(o, "argv", strv_json(r->argv));
	json_object_object_add(o, "env", strv_json(r->env));
	json_object_object_add(o, "cwd", json_object_new_string(r->cwd));
	json_object_object_add(o, "stdout", json_object_new_string(r->out));
	json_object_object_add(o, "stderr", json_object_new_string(r->err));
	json_object_object_add(o, "soft_stdout", json_object_new_boolean(r->soft_out));
	json_object_object_add(o, "soft_stderr", json_object_new_boolean(r->soft_err));
	json_object_object_add(o, "uid", json_object_new_int64(r->uid));
	json_object_object_add(o, "gid", json_object_new_int64(r->gid));
	json_object_object_add(o, "home", json_object_new_string(r->home));
	return o;
}

void run_req_free(struct run_req *r)
{
	proto_strv_free(r->argv);
	proto_strv_free(r->env);
	r->argv = r->env = NULL;
}

int run_req_from_json(json_object *o, struct run_req *r, struct ferry_err *e)
{
	int64_t uid, gid, so, se;
	int x;
	if ((x = proto_strv(o, "argv", PROTO_MAX_ARGS, &r->argv, 1, e)) < 0 ||
	    (x = proto_strv(o, "env", 4096, &r->env, 0, e)) < 0 ||
	    (x = proto_str(o, "cwd", r->cwd, sizeof(r->cwd), 1, e)) < 0 ||
	    (x = proto_str(o, "stdout", r->out, sizeof(r->out), 0, e)) < 0 ||
	    (x = proto_str(o, "stderr", r->err, sizeof(r->err), 0, e)) < 0 ||
	    (x = proto_str(o, "home", r->home, sizeof(r->home), 0, e)) < 0 ||
	    (x = proto_int(o, "uid", 0, UINT32_MAX, &uid, 0, e)) < 0 ||
	    (x = proto_int(o, "gid", 0, UINT32_MAX, &gid, 0, e)) < 0 ||
	    (x = proto_int(o, "soft_stdout", 0, 1, &so, 0, e)) < 0 ||
	    (x = proto_int(o, "soft_stderr", 0, 1, &se, 0, e)) < 0)
		goto fail;
	if (!r->argv[0]) {
		x = err_set(e, -EBADMSG, "field 'argv' is empty");
		goto fail;
	}
	if (r->cwd[0] != '/') {
		x = err_set(e, -EBADMSG, "field 'cwd' is not an absolute path");
		goto fail;
	}
	r->uid = uid;
	r->gid = gid;
	r->soft_out = so;
	r->soft_err = se;
	return 0;
fail:
	run_req_free(r);
	return x;
}

int run_req_parse(const void *buf, size_t len, struct run_req *r, struct ferry_err *e)
{
	json_object *o;
	memset(r, 0, sizeof(*r));
	int x = proto_decode(buf, len, &o, e);
	if (x < 0)
		return x;
	x = run_req_from_json(o, r, e);
	json_object_put(o);
	return x;
}

static int ctl_cmd_parse(const char *s, enum ctl_cmd *ret)
{
	static const char *const names[] = {"status", "migrate", "clone", "ps", "where", "run"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			*ret = (enum ctl_cmd)i;
			return 0;
		}
	return -EINVAL;
}

static int ctl_fields(json_object *o, struct ctl_req *r, struct ferry_err *e)
{
	char cmd[16], comp[16];
	int64_t pid, dry;
	int x;
	if ((x = proto_str(o, "cmd", cmd, sizeof(cmd), 1, e)) < 0)
		return x;
	if (ctl_cmd_parse(cmd, &r->cmd) < 0)
		return err_set(e, -EBADMSG, "unknown command '%s'", cmd);
	switch (r->cmd) {
	case CTL_MIGRATE:
	case CTL_CLONE:
		if ((x = proto_int(o, "pid", 1, INT32_MAX, &pid, 1, e)) < 0 ||
		    (x = proto_str(o, "to", r->to, sizeof(r->to), 1, e)) < 0 ||
		    (x = proto_int(o, "dry_run", 0, 1, &dry, 0, e)) < 0 ||
		    (x = proto_str(o, "compress", comp, sizeof(comp), 0, e)) < 0)
			return x;
		if (!proto_node_name_ok(r->to))
			return err_set(e, -EBADMSG, "'%s' is not a node name", r->to);
		if (proto_compress_parse(comp, &r->compress) < 0)
			return err_set(e, -EBADMSG, "unknown compression '%s' (none, zstd)", comp);
		r->compress_set = comp[0] != 0;
		r->pid = pid;
		r->dry_run = dry;
		return 0;
	case CTL_WHERE:
		return proto_str(o, "id", r->id, sizeof(r->id), 1, e);
	case CTL_RUN:
		if ((x = proto_str(o, "on", r->to, sizeof(r->to), 0, e)) < 0)
			return x;
		if (r->to[0] && !proto_node_name_ok(r->to))
			return err_set(e, -EBADMSG, "'%s' is not a node name", r->to);
		return run_req_from_json(o, &r->run, e);
	default:
		return 0;
	}
}

int ctl_req_from_json(json_object *o, struct ctl_req *r, struct ferry_err *e)
{
	memset(r, 0, sizeof(*r));
	return ctl_fields(o, r, e);
}

int ctl_req_parse(const void *buf, size_t len, struct ctl_req *r, struct ferry_err *e)
{
	json_object *o;
	memset(r, 0, sizeof(*r));
	int x = proto_decode(buf, len, &o, e);
	if (x < 0)
		return x;
	x = ctl_fields(o, r, e);
	json_object_put(o);
	return x;
}

void ctl_req_free(struct ctl_req *r)
{
	run_req_free(&r->run);
}

int frame_write(int fd, json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	uint32_t be = htonl((uint32_t)len);
	int r = fd_write_all(fd, &be, 4);
	return r < 0 ? r : fd_write_all(fd, s, len);
}

static int read_all(int fd, void *buf, size_t len, int timeout_ms)
{
	char *p = buf;
	while (len) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -ETIMEDOUT;
		ssize_t n = r < 0 ? -1 : read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? neg_errno() : -ECONNRESET;
		p += n;
		len -= n;
	}
	return 0;
}

int frame_read(int fd, int timeout_ms, json_object **ret, struct ferry_err *e)
{
	uint32_t be;
	int r = read_all(fd, &be, 4, timeout_ms);
	if (r < 0)
		return err_set(e, r, "reading a control frame: %s", strerror(-r));
	uint32_t len = ntohl(be);
	if (len > PROTO_MAX_JSON)
		return err_set(e, -EMSGSIZE, "control frame of %u bytes is over the limit", len);
	_cleanup_free_ char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	if ((r = read_all(fd, buf, len, timeout_ms)) < 0)
		return err_set(e, r, "reading a control frame: %s", strerror(-r));
	return proto_decode(buf, len, ret, e);
}

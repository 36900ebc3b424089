/* SPDX-License-Identifier: MIT */
/* Control-socket client: connect to the local ferryd, send one framed JSON request, read the
 * reply, and turn a refusal into a clear message and exit code. */
#include "cli/control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "daemon/proto.h"

json_object *control_request(const char *cmd)
{
	json_object *o = proto_new();
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

static int connect_daemon(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	if (connect(fd, (void *)&a, sizeof(a)) < 0) {
		int r = neg_errno();
		close(fd);
		return r;
	}
	return fd;
}

int control_call(const char *what, json_object *req, json_object **reply)
{
	const char *path = getenv("FERRY_SOCKET");
	struct ferry_err e = {{0}};
	json_object *o, *ok;
	if (!path || !path[0])
		path = CONTROL_DEFAULT_SOCKET;
	*reply = NULL;
	int fd = connect_daemon(path);
	if (fd < 0) {
		fprintf(stderr, "ferry: %s: cannot reach ferryd at %s: %s (is ferryd running?)\n",
			what, path, strerror(-fd));
		return EXIT_FAIL;
	}
	int r = frame_write(fd, req);
	if (r == 0)
		r = frame_read(fd, -1, &o, &e);
	close(fd);
	if (r == -ECONNRESET) { /* the worker serving us ended (killed, crashed) */
		fprintf(stderr,
			"ferry: %s: ferryd's worker for this request ended before answering; "
			"its outcome is not known here (`ferry ps` and `ferry where` tell where "
			"the process runs now)\n",
			what);
		return EXIT_FAIL;
	}
	if (r < 0) {
		cli_report(what, r, e.msg);
		return EXIT_FAIL;
	}
	if (!json_object_object_get_ex(o, "ok", &ok) || !json_object_get_boolean(ok)) {
		json_object *err, *code;
		int c = json_object_object_get_ex(o, "code", &code) ? json_object_get_int(code)
								    : EIO;
		fprintf(stderr, "ferry: %s: %s\n", what,
			json_object_object_get_ex(o, "error", &err) ? json_object_get_string(err)
								    : "failed");
		json_object_put(o);
		return cli_exit_code(-(c > 0 ? c : EIO));
	}
	*reply = o;
	return EXIT_OK;
}

int control_exchange(const char *what, json_object *req, int json, json_object **reply)
{
	int x = control_call(what, req, reply);
	json_object_put(req);
	if (x == EXIT_OK && json) {
		puts(json_object_to_json_string_ext(*reply, JSON_C_TO_STRING_PLAIN));
		json_object_put(*reply);
		*reply = NULL;
	}
	return x;
}

const char *control_str(json_object *o, const char *key)
{
	json_object *f;
	return json_object_object_get_ex(o, key, &f) ? json_object_get_string(f) : "?";
}

int64_t control_int(json_object *o, const char *key)
{
	json_object *f;
	return json_object_object_get_ex(o, key, &f) ? json_object_get_int64(f) : 0;
}

double control_double(json_object *o, const char *key)
{
	json_object *f;
	return json_object_object_get_ex(o, key, &f) ? json_object_get_double(f) : 0;
}

/* SPDX-License-Identifier: MIT */
/* `ferry run [--on NODE] CMD...`: start a managed process through ferryd, here or on another
 * node, with this shell's cwd and environment. stdin is /dev/null; stdout/stderr go to files
 * (shared file system) so the process stays migratable. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/control.h"

extern char **environ;

static const char usage[] =
	"Usage: ferry run [--on NODE] [--stdout FILE] [--stderr FILE] [--json] CMD [ARG...]\n"
	"\n"
	"Start CMD as a managed process (it gets a cluster id and can migrate), on this node or\n"
	"on NODE, in the current directory and with the current environment. stdin is\n"
	"/dev/null. stdout/stderr are appended to FILE; by default to the file this command's\n"
	"own stdout/stderr points to if that is a regular file, else /dev/null.\n";

/* The regular file fd refers to, as an absolute path, or "" */
static void fd_file(int fd, char *buf, size_t size)
{
	char link[64];
	struct stat st;
	buf[0] = 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	ssize_t n = readlink(link, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	if (buf[0] != '/')
		buf[0] = 0;
}

static json_object *strv(char **v, int n)
{
	json_object *a = json_object_new_array();
	for (int i = 0; n < 0 ? v[i] != NULL : i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static void abs_path(const char *in, char *out, size_t size, const char *cwd)
{
	int n = in[0] == '/' ? snprintf(out, size, "%s", in)
			     : snprintf(out, size, "%s/%s", cwd, in);
	if (n < 0 || (size_t)n >= size)
		out[0] = 0; /* too long: /dev/null */
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"on", required_argument, NULL, 'o'},	  {"stdout", required_argument, NULL, 'O'},
		{"stderr", required_argument, NULL, 'E'}, {"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},	  {0},
	};
	char cwd[PATH_MAX], out[PATH_MAX], err[PATH_MAX];
	const char *on = NULL, *o_out = NULL, *o_err = NULL;
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			on = optarg;
			break;
		case 'O':
			o_out = optarg;
			break;
		case 'E':
			o_err = optarg;
			break;
		case 'J':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		perror("ferry run: getcwd");
		return EXIT_FAIL;
	}
	if (o_out)
		abs_path(o_out, out, sizeof(out), cwd);
	else
		fd_file(1, out, sizeof(out));
	if (o_err)
		abs_path(o_err, err, sizeof(err), cwd);
	else
		fd_file(2, err, sizeof(err));
	json_object *q = control_request("run"), *r;
	if (on)
		json_object_object_add(q, "on", json_object_new_string(on));
	json_object_object_add(q, "argv", strv(argv + optind, argc - optind));
	json_object_object_add(q, "env", strv(environ, -1));
	json_object_object_add(q, "cwd", json_object_new_string(cwd));
	json_object_object_add(q, "stdout", json_object_new_string(out));
	json_object_object_add(q, "stderr", json_object_new_string(err));
	json_object_object_add(q, "soft_stdout", json_object_new_boolean(!o_out));
	json_object_object_add(q, "soft_stderr", json_object_new_boolean(!o_err));
	int x = control_exchange("run", q, json, &r);
	if (x != EXIT_OK || !r)
		return x;
	printf("%s\n", control_str(r, "id"));
	json_object_put(r);
	return EXIT_OK;
}

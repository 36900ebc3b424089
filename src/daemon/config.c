/* SPDX-License-Identifier: MIT */
/* Parse ferryd.conf with libinih: [node] keys and one [peers] line per peer. */
#include "daemon/config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parse_state {
	struct ferryd_config *c;
	struct ferry_err *e;
	int err;
};

static int copy(char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size)
		return -ENAMETOOLONG;
	strcpy(dst, v);
	return 0;
}

static int yes_no(const char *v, int *ret)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*ret = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*ret = 0;
	else
		return -EINVAL;
	return 0;
}

static int level(const char *v, int *ret)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(v, names[i])) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

static int node_key(struct ferryd_config *c, const char *k, const char *v)
{
	char *end;
	if (!strcmp(k, "name"))
		return proto_node_name_ok(v) ? copy(c->name, sizeof(c->name), v) : -EINVAL;
	if (!strcmp(k, "listen"))
		return copy(c->listen, sizeof(c->listen), v);
	if (!strcmp(k, "control"))
		return copy(c->control, sizeof(c->control), v);
	if (!strcmp(k, "key"))
		return copy(c->key, sizeof(c->key), v);
	if (!strcmp(k, "pidfile"))
		return copy(c->pidfile, sizeof(c->pidfile), v);
	if (!strcmp(k, "encrypt"))
		return yes_no(v, &c->encrypt);
	if (!strcmp(k, "accept"))
		return yes_no(v, &c->accept);
	if (!strcmp(k, "compress"))
		return proto_compress_parse(v, &c->compress);
	if (!strcmp(k, "log_level"))
		return level(v, &c->log_level);
	if (!strcmp(k, "max_image_mb")) {
		unsigned long long n = strtoull(v, &end, 10);
		c->max_image_bytes = n << 20;
		return *end || !*v ? -EINVAL : 0;
	}
	if (!strcmp(k, "timeout_ms")) {
		long n = strtol(v, &end, 10);
		c->timeout_ms = (int)n;
		return *end || n < 100 || n > 600000 ? -EINVAL : 0;
	}
	return -ENOENT;
}

static int on_entry(void *user, const char *section, const char *k, const char *v)
{
	struct parse_state *s = user;
	struct ferryd_config *c = s->c;
	int r = -ENOENT;
	if (!strcmp(section, "node"))
		r = node_key(c, k, v);
	else if (!strcmp(section, "peers")) {
		if (c->npeers >= CONFIG_MAX_PEERS || !proto_node_name_ok(k))
			r = -EINVAL;
		else if ((r = copy(c->peers[c->npeers].addr, 64, v)) == 0) {
			strcpy(c->peers[c->npeers].name, k);
			c->npeers++;
		}
	}
	if (r < 0 && !s->err)
		s->err = err_set(s->e, -EINVAL, "[%s] %s = %s: %s", section, k, v,
				 r == -ENOENT ? "unknown key" : "invalid value");
	return r == 0;
}

int config_load(const char *path, struct ferryd_config *c, struct ferry_err *e)
{
	struct parse_state s = {c, e, 0};
	memset(c, 0, sizeof(*c));
	c->encrypt = 1;
	c->accept = 1;
	c->log_level = LOG_INFO;
	c->timeout_ms = 10000;
	strcpy(c->control, "/run/ferry/ferryd.sock");
	int r = ini_parse(path, on_entry, &s);
	if (s.err)
		return err_set(e, s.err, "%s", path);
	if (r < 0)
		return err_set(e, -ENOENT, "config %s: cannot open", path);
	if (r > 0)
		return err_set(e, -EINVAL, "config %s: syntax error on line %d", path, r);
	if (!c->name[0] || !c->listen[0] || !c->key[0])
		return err_set(e, -EINVAL, "config %s: [node] needs name, listen and key", path);
	if (!c->pidfile[0]) {
		const char *slash = strrchr(c->control, '/');
		int dirlen = slash ? (int)(slash - c->control) : 1;
		snprintf(c->pidfile, sizeof(c->pidfile), "%.*s/ferryd.pid", dirlen,
			 slash ? c->control : ".");
	}
	return 0;
}

const struct peer_conf *config_peer(const struct ferryd_config *c, const char *name)
{
	for (size_t i = 0; i < c->npeers; i++)
		if (!strcmp(c->peers[i].name, name))
			return &c->peers[i];
	return NULL;
}

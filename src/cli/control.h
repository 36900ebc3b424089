/* SPDX-License-Identifier: MIT */
/* Client side of ferryd's control socket, shared by the cluster subcommands (migrate, clone,
 * ps, where, run). */
#ifndef FERRY_CLI_CONTROL_H
#define FERRY_CLI_CONTROL_H

#include <json-c/json.h>
#include <stdint.h>

#define CONTROL_DEFAULT_SOCKET "/run/ferry/ferryd.sock"

/* Send req to the node's ferryd ($FERRY_SOCKET or the default path) and wait for the reply.
 * Returns 0 with *reply set, or an exit code (EXIT_*) after printing "ferry: what: reason". */
int control_call(const char *what, json_object *req, json_object **reply);
/* control_call, then req is released. With json the reply is printed as it is and *reply is
 * NULL; otherwise *reply is the reply for the caller to print and release. */
int control_exchange(const char *what, json_object *req, int json, json_object **reply);
/* A new request {"v":..,"cmd":cmd}. */
json_object *control_request(const char *cmd);
/* Fields of a reply: "?", 0 or 0.0 when absent. */
const char *control_str(json_object *o, const char *key);
int64_t control_int(json_object *o, const char *key);
double control_double(json_object *o, const char *key);

int cmd_migrate(int argc, char **argv);
int cmd_clone(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_where(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif

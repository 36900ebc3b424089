/* SPDX-License-Identifier: MIT */
/* ferryd message formats: the peer message types carried by the channel (src/net/channel.h),
 * the control-socket framing, and strict parsers that turn untrusted JSON into plain structs.
 * Pure (no I/O besides the frame helpers), so the fuzz target can drive every parser. */
#ifndef FERRY_DAEMON_PROTO_H
#define FERRY_DAEMON_PROTO_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/log.h"
#include "common/util.h"

#define PROTO_VERSION	 1
#define PROTO_MAX_JSON	 (1u << 20) /* control frames and JSON peer messages */
#define NODE_NAME_MAX	 32
#define PROC_ID_MAX	 64
#define PROC_CMD_MAX	 128
#define PROTO_MAX_ARGS	 256
#define PROTO_DATA_CHUNK (4u << 20) /* image bytes per PM_DATA message (before compression) */

/* Peer message types (uint32 type of a channel message). JSON bodies unless noted. */
enum peer_msg {
	PM_MIGRATE_REQ = 0x100, /* struct mig_req */
	PM_ACCEPT,		/* {} */
	PM_REFUSE,		/* {reason} */
	PM_DATA,		/* raw image bytes (zstd frame when negotiated) */
	PM_DATA_END,		/* {bytes} image bytes sent */
	PM_ABORT,		/* {reason}: source gives up, destination discards */
	PM_REBUILT,		/* {pid}: destination rebuilt the tree, still stopped */
	PM_FAILED,		/* {reason}: destination could not rebuild */
	PM_COMMIT,		/* {}: destination resumes, source will kill its copy */
	PM_RESUMED,		/* {pid}: destination's copy runs */
	PM_STATUS_REQ,		/* {mig}: outcome of a migration (after a lost PM_RESUMED) */
	PM_STATUS,		/* {mig, state: "resumed"|"aborted"|"unknown"} */
	PM_LOCATE,		/* {id}: home node lookup */
	PM_LOCATION,		/* {id, node, cmd, state} */
	PM_UPDATE,		/* {id, node, cmd, state}: tell the home node where a process is */
	PM_PS_REQ,		/* {} */
	PM_PS,			/* {procs: [...]} */
	PM_RUN_REQ,		/* struct run_req */
	PM_OK,			/* {...} generic success reply */
	PM_ERROR,		/* {reason, code} */
	PM_LAST,
};

enum mig_compress { COMPRESS_NONE, COMPRESS_ZSTD };

/* What the source proposes; the destination checks every field before accepting. */
struct mig_req {
	char mig[40];		  /* migration id (random hex), for PM_STATUS_REQ */
	char id[PROC_ID_MAX];	  /* cluster-wide process id "home:pid:starttime" */
	char from[NODE_NAME_MAX]; /* source node */
	char cmd[PROC_CMD_MAX];	  /* command (for registries) */
	int32_t pid;
	uint32_t uid;
	uint64_t xcr0;
	uint32_t xstate_size;
	uint64_t vdso_fp;
	uint64_t mem_bytes; /* resident memory of the tree (estimate) */
	int64_t since;	    /* when the process started (unix seconds) */
	int dry_run, clone;
	enum mig_compress compress;
};

/* A command to start (ferry run), local or on a peer. */
struct run_req {
	char **argv; /* NULL-terminated, malloc'd (run_req_free) */
	char **env;
	char cwd[4096];
	char out[4096], err[4096]; /* stdout/stderr paths ("" = /dev/null) */
	int soft_out, soft_err;	   /* path not chosen by the user: /dev/null if it cannot open */
	uint32_t uid, gid;
	char home[NODE_NAME_MAX];
};

/* Control requests from the CLI. */
enum ctl_cmd { CTL_STATUS, CTL_MIGRATE, CTL_CLONE, CTL_PS, CTL_WHERE, CTL_RUN };

struct ctl_req {
	enum ctl_cmd cmd;
	int32_t pid;
	char to[NODE_NAME_MAX];
	char id[PROC_ID_MAX];
	int dry_run;
	enum mig_compress compress;
	int compress_set;
	struct run_req run; /* CTL_RUN; run.home unused */
};

/* Parse a JSON object of at most PROTO_MAX_JSON bytes with "v" == PROTO_VERSION. */
int proto_decode(const void *buf, size_t len, json_object **ret, struct ferry_err *e) MUST_CHECK;
/* Typed field getters: -EBADMSG with a detail naming the field when missing or invalid. */
int proto_str(json_object *o, const char *key, char *buf, size_t size, int required,
	      struct ferry_err *e) MUST_CHECK;
int proto_int(json_object *o, const char *key, int64_t min, int64_t max, int64_t *ret, int required,
	      struct ferry_err *e) MUST_CHECK;
int proto_u64(json_object *o, const char *key, uint64_t *ret, struct ferry_err *e) MUST_CHECK;
int proto_strv(json_object *o, const char *key, size_t max, char ***ret, int required,
	       struct ferry_err *e) MUST_CHECK;
void proto_strv_free(char **v);
/* A node name: 1..31 of [A-Za-z0-9_-]. */
int proto_node_name_ok(const char *s);
/* Split "home:pid:start" into its parts. */
int proto_id_parse(const char *id, char home[NODE_NAME_MAX], int32_t *pid, uint64_t *start);

json_object *proto_new(void); /* {"v": PROTO_VERSION} */
const char *proto_compress_name(enum mig_compress c);
int proto_compress_parse(const char *s, enum mig_compress *ret);

int mig_req_parse(const void *buf, size_t len, struct mig_req *r, struct ferry_err *e) MUST_CHECK;
json_object *mig_req_json(const struct mig_req *r);
int run_req_from_json(json_object *o, struct run_req *r, struct ferry_err *e) MUST_CHECK;
int run_req_parse(const void *buf, size_t len, struct run_req *r, struct ferry_err *e) MUST_CHECK;
json_object *run_req_json(const struct run_req *r);
void run_req_free(struct run_req *r);
int ctl_req_from_json(json_object *o, struct ctl_req *r, struct ferry_err *e) MUST_CHECK;
int ctl_req_parse(const void *buf, size_t len, struct ctl_req *r, struct ferry_err *e) MUST_CHECK;
void ctl_req_free(struct ctl_req *r);

/* Control framing: 4-byte big-endian length, then that many bytes of JSON. */
int frame_write(int fd, json_object *o) MUST_CHECK;
/* Read one frame (timeout_ms < 0: wait forever) and decode it. */
int frame_read(int fd, int timeout_ms, json_object **ret, struct ferry_err *e) MUST_CHECK;

#endif

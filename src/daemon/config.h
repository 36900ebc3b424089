/* SPDX-License-Identifier: MIT */
/* ferryd configuration: the INI file (libinih) into a plain struct, with defaults and checks. */
#ifndef FERRY_DAEMON_CONFIG_H
#define FERRY_DAEMON_CONFIG_H

#include <stdint.h>

#include "common/log.h"
#include "daemon/proto.h"

#define CONFIG_MAX_PEERS 64

struct peer_conf {
	char name[NODE_NAME_MAX];
	char addr[64]; /* host:port */
};

struct ferryd_config {
	char name[NODE_NAME_MAX];
	char listen[64];
	char control[108];
	char key[4096];
	char pidfile[4096];	    /* default: control socket's directory + /ferryd.pid */
	int encrypt;		    /* default yes */
	enum mig_compress compress; /* default for migrations that do not choose */
	int log_level;		    /* LOG_* */
	int accept;		    /* accept incoming migrations (default yes) */
	uint64_t max_image_bytes;   /* refuse bigger incoming images (0: only free memory) */
	int timeout_ms;		    /* per protocol step (default 10000) */
	size_t npeers;
	struct peer_conf peers[CONFIG_MAX_PEERS];
};

int config_load(const char *path, struct ferryd_config *c, struct ferry_err *e) MUST_CHECK;
const struct peer_conf *config_peer(const struct ferryd_config *c, const char *name);

#endif

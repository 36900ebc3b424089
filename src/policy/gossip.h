/* SPDX-License-Identifier: MIT */
/* Sans-I/O dissemination of load and membership: MOSIX-style gossip of a bounded window of the
 * freshest load entries, piggybacked on SWIM-style probes (ping/ack, suspicion, death, refutation
 * by incarnation). Pure: no I/O, no clock reads; time and randomness come from the caller, and
 * the caller owns every buffer. */
#ifndef FERRY_POLICY_GOSSIP_H
#define FERRY_POLICY_GOSSIP_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/rand.h"

#define POLICY_GOSSIP_WINDOW_MAX   16 /* load entries per message */
#define POLICY_GOSSIP_RUMORS_MAX   8  /* membership rumors per message */
#define POLICY_GOSSIP_RUMOR_BUF	   64 /* rumors waiting to be retransmitted */
#define POLICY_GOSSIP_SUSPECTS_MAX 64 /* suspicion timers running at once */
#define POLICY_GOSSIP_INC_MAX	   0x3fffffffu
/* The load a node advertises while it takes no work (draining, owner active): finite, so it
 * passes message validation, and larger than any real load index. */
#define POLICY_LOAD_CLOSED 1e30f

enum policy_member_status {
	POLICY_MEMBER_ALIVE = 0,
	POLICY_MEMBER_SUSPECT = 1,
	POLICY_MEMBER_DEAD = 2, /* also "never heard of" (incarnation 0) */
	POLICY_MEMBER_LEFT = 3,
};

/* One node's exported load as known here. `stamp` is on the local clock: receipt time minus the
 * age carried on the wire, so nodes never compare clocks. */
struct policy_entry {
	uint32_t node;
	float load;	/* run-queue length per unit of capacity */
	float mem_free; /* MiB */
	double stamp;
};

struct policy_wire_entry {
	uint32_t node;
	float load;
	float mem_free;
	float age; /* seconds since the origin measured it */
};

struct policy_rumor {
	uint32_t node;
	uint32_t incarnation;
	uint8_t status;	   /* enum policy_member_status */
	uint8_t remaining; /* transmissions left (local bookkeeping; ignored on input) */
};

enum policy_msg_kind {
	POLICY_MSG_PING = 1, /* probe + push of our window; the receiver must answer with an ACK */
	POLICY_MSG_ACK = 2,  /* answer + pull: the receiver's window */
};

struct policy_gossip_msg {
	uint8_t kind;
	uint8_t nentries;
	uint8_t nrumors;
	uint32_t from;
	uint32_t from_inc;
	uint32_t to;
	uint32_t seq;
	struct policy_wire_entry e[POLICY_GOSSIP_WINDOW_MAX];
	struct policy_rumor r[POLICY_GOSSIP_RUMORS_MAX];
};

struct policy_gossip_cfg {
	double interval;	/* seconds between ticks (MOSIX: ~1 s) */
	double ack_timeout;	/* a probe unanswered this long makes its target suspect */
	double suspect_timeout; /* a suspect not refuted this long is declared dead */
	double max_age;		/* view entries older than this are dropped */
	unsigned window;	/* entries per message, 1..POLICY_GOSSIP_WINDOW_MAX */
	unsigned rumors;	/* rumors per message, 0..POLICY_GOSSIP_RUMORS_MAX */
	unsigned retransmit;	/* sends per rumor, ~ 3 log2 N */
};

struct policy_suspicion {
	uint32_t node;
	uint32_t incarnation;
	double since;
};

struct policy_gossip {
	struct policy_gossip_cfg cfg;
	uint32_t self;
	uint32_t incarnation;
	uint32_t nmembers;	   /* node ids are 0 .. nmembers-1 */
	uint32_t *members;	   /* caller-owned, nmembers words: status << 30 | incarnation */
	struct policy_entry *view; /* caller-owned, view_cap entries, other nodes only */
	uint32_t view_cap;
	uint32_t view_n;
	struct policy_entry self_entry;
	struct policy_suspicion susp[POLICY_GOSSIP_SUSPECTS_MAX];
	unsigned nsusp;
	struct policy_rumor rumor[POLICY_GOSSIP_RUMOR_BUF];
	unsigned nrumor;
	bool probing;
	uint32_t probe_target;
	uint32_t probe_seq;
	double probe_deadline;
	uint32_t seq;
};

/* Defaults for a cluster of n nodes (interval 1 s). */
void policy_gossip_cfg_default(struct policy_gossip_cfg *cfg, uint32_t n);
/* Every member starts "never heard of"; add the bootstrap set with policy_gossip_member_add.
 * Returns 0, or -EINVAL (bad sizes or cfg, self out of range): nothing is initialised. */
int policy_gossip_init(struct policy_gossip *g, const struct policy_gossip_cfg *cfg, uint32_t self,
		       uint32_t *members, uint32_t nmembers, struct policy_entry *view,
		       uint32_t view_cap);
void policy_gossip_member_add(struct policy_gossip *g, uint32_t node, uint32_t incarnation);
enum policy_member_status policy_gossip_member_status(const struct policy_gossip *g, uint32_t node);
/* Record this node's own exported load, measured at `now`. */
void policy_gossip_set_self(struct policy_gossip *g, float load, float mem_free, double now);
/* Periodic step: expire suspicions and stale entries, judge the last probe, start a new one.
 * Returns the number of messages written to `out` (0 or 1). */
int policy_gossip_tick(struct policy_gossip *g, double now, struct policy_rand *rng,
		       struct policy_gossip_msg *out);
/* Apply a received message. Returns 1 if `reply` must be sent (to msg->from), 0 if not,
 * -EPROTO for a malformed message (counts or ids out of range): the caller drops it, the state
 * is unchanged. */
int policy_gossip_input(struct policy_gossip *g, double now, const struct policy_gossip_msg *msg,
			struct policy_gossip_msg *reply);
/* Leave the cluster: queue a LEFT rumor and write one final message to a random member in `out`.
 * Returns 1 if `out` was written, 0 if no member is known. */
int policy_gossip_leave(struct policy_gossip *g, double now, struct policy_rand *rng,
			struct policy_gossip_msg *out);
/* Earliest time at which policy_gossip_tick has work besides its period (probe or suspicion). */
double policy_gossip_next_deadline(const struct policy_gossip *g, double now);
/* Age of the view entry for `node` at `now`, or -1 if none. */
double policy_gossip_entry_age(const struct policy_gossip *g, uint32_t node, double now);

#endif

/* SPDX-License-Identifier: MIT */
/* Gossip of load windows over SWIM-style probes; membership with suspicion and incarnations.
 * Pure: no I/O, no clock reads. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "policy/gossip.h"

static uint32_t m_status(uint32_t w)
{
	return w >> 30;
}

static uint32_t m_inc(uint32_t w)
{
	return w & POLICY_GOSSIP_INC_MAX;
}

static uint32_t m_pack(uint32_t status, uint32_t inc)
{
	return status << 30 | (inc & POLICY_GOSSIP_INC_MAX);
}

void policy_gossip_cfg_default(struct policy_gossip_cfg *cfg, uint32_t n)
{
	double lg = log2(n > 2 ? (double)n : 2.0);

	cfg->interval = 1.0;
	cfg->ack_timeout = 0.5;
	cfg->suspect_timeout = 3.0;
	/* Decisions happen between ticks and the least loaded of d entries tends to be an old
	 * one, so entries are dropped after 3 intervals: the entries acted on then stay within 4
	 * intervals at p99. 16 entries (of 16 bytes) per message keep the view full. */
	cfg->max_age = 3.0;
	cfg->window = 16;
	cfg->rumors = 6;
	cfg->retransmit = (unsigned)fmin(255, ceil(3 * lg));
}

int policy_gossip_init(struct policy_gossip *g, const struct policy_gossip_cfg *cfg, uint32_t self,
		       uint32_t *members, uint32_t nmembers, struct policy_entry *view,
		       uint32_t view_cap)
{
	if (!members || !nmembers || self >= nmembers || !view || !view_cap)
		return -EINVAL;
	if (!cfg->window || cfg->window > POLICY_GOSSIP_WINDOW_MAX ||
	    cfg->rumors > POLICY_GOSSIP_RUMORS_MAX || !(cfg->interval > 0))
		return -EINVAL;
	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	g->self = self;
	g->incarnation = 1;
	g->members = members;
	g->nmembers = nmembers;
	g->view = view;
	g->view_cap = view_cap;
	for (uint32_t i = 0; i < nmembers; i++)
		members[i] = m_pack(POLICY_MEMBER_DEAD, 0);
	members[self] = m_pack(POLICY_MEMBER_ALIVE, 1);
	g->self_entry.node = self;
	return 0;
}

void policy_gossip_member_add(struct policy_gossip *g, uint32_t node, uint32_t incarnation)
{
	if (node < g->nmembers && node != g->self)
		g->members[node] = m_pack(POLICY_MEMBER_ALIVE, incarnation);
}

enum policy_member_status policy_gossip_member_status(const struct policy_gossip *g, uint32_t node)
{
	if (node >= g->nmembers)
		return POLICY_MEMBER_DEAD;
	return m_status(g->members[node]);
}

void policy_gossip_set_self(struct policy_gossip *g, float load, float mem_free, double now)
{
	g->self_entry.load = load;
	g->self_entry.mem_free = mem_free;
	g->self_entry.stamp = now;
}

/* ---- rumors ---- */

static void rumor_add(struct policy_gossip *g, uint32_t node, uint32_t inc, uint32_t status)
{
	unsigned slot = g->nrumor, i;

	for (i = 0; i < g->nrumor; i++)
		if (g->rumor[i].node == node)
			break;
	if (i < g->nrumor) {
		slot = i;
	} else if (g->nrumor == POLICY_GOSSIP_RUMOR_BUF) {
		/* Full: overwrite the rumor that has already been sent the most. */
		slot = 0;
		for (i = 1; i < g->nrumor; i++)
			if (g->rumor[i].remaining < g->rumor[slot].remaining)
				slot = i;
	} else {
		g->nrumor++;
	}
	g->rumor[slot] =
		(struct policy_rumor){node, inc, (uint8_t)status, (uint8_t)g->cfg.retransmit};
}

/* Piggyback the rumors with the most transmissions left (the newest first). */
static void rumors_fill(struct policy_gossip *g, struct policy_gossip_msg *m)
{
	bool taken[POLICY_GOSSIP_RUMOR_BUF] = {false};

	m->nrumors = 0;
	while (m->nrumors < g->cfg.rumors) {
		int best = -1;

		for (unsigned i = 0; i < g->nrumor; i++)
			if (!taken[i] && g->rumor[i].remaining &&
			    (best < 0 || g->rumor[i].remaining > g->rumor[best].remaining))
				best = (int)i;
		if (best < 0)
			break;
		taken[best] = true;
		m->r[m->nrumors++] = g->rumor[best];
		g->rumor[best].remaining--;
	}
	for (unsigned i = 0; i < g->nrumor;) {
		if (g->rumor[i].remaining) {
			i++;
			continue;
		}
		g->rumor[i] = g->rumor[--g->nrumor];
	}
}

/* ---- membership ---- */

static void view_drop(struct policy_gossip *g, uint32_t node)
{
	for (uint32_t i = 0; i < g->view_n; i++)
		if (g->view[i].node == node) {
			g->view[i] = g->view[--g->view_n];
			return;
		}
}

static void susp_drop(struct policy_gossip *g, uint32_t node)
{
	for (unsigned i = 0; i < g->nsusp; i++)
		if (g->susp[i].node == node) {
			g->susp[i] = g->susp[--g->nsusp];
			return;
		}
}

static void refute(struct policy_gossip *g, uint32_t inc)
{
	if (inc >= g->incarnation && inc < POLICY_GOSSIP_INC_MAX)
		g->incarnation = inc + 1;
	g->members[g->self] = m_pack(POLICY_MEMBER_ALIVE, g->incarnation);
	rumor_add(g, g->self, g->incarnation, POLICY_MEMBER_ALIVE);
}

/* SWIM precedence: a higher incarnation wins; at equal incarnation dead/left > suspect > alive. */
static bool overrides(uint32_t cur, uint32_t status, uint32_t inc)
{
	uint32_t cs = m_status(cur), ci = m_inc(cur);

	if (status == POLICY_MEMBER_ALIVE)
		return inc > ci;
	if (cs == POLICY_MEMBER_DEAD || cs == POLICY_MEMBER_LEFT)
		return inc > ci;
	if (status == POLICY_MEMBER_SUSPECT)
		return inc > ci || (inc == ci && cs == POLICY_MEMBER_ALIVE);
	return inc >= ci;
}

/* Apply one membership fact; returns true if it changed our state (then it is worth spreading). */
static bool member_apply(struct policy_gossip *g, uint32_t node, uint32_t status, uint32_t inc,
			 double now)
{
	if (node == g->self) {
		if (status != POLICY_MEMBER_ALIVE && status != POLICY_MEMBER_LEFT)
			refute(g, inc);
		return false;
	}
	if (!overrides(g->members[node], status, inc))
		return false;
	g->members[node] = m_pack(status, inc);
	susp_drop(g, node);
	if (status == POLICY_MEMBER_SUSPECT && g->nsusp < POLICY_GOSSIP_SUSPECTS_MAX)
		g->susp[g->nsusp++] = (struct policy_suspicion){node, inc, now};
	if (status == POLICY_MEMBER_DEAD || status == POLICY_MEMBER_LEFT)
		view_drop(g, node);
	return true;
}

static void member_learn(struct policy_gossip *g, uint32_t node, uint32_t status, uint32_t inc,
			 double now)
{
	if (member_apply(g, node, status, inc, now))
		rumor_add(g, node, inc, status);
}

static void suspicions_expire(struct policy_gossip *g, double now)
{
	for (unsigned i = 0; i < g->nsusp;) {
		struct policy_suspicion s = g->susp[i];

		if (now - s.since < g->cfg.suspect_timeout) {
			i++;
			continue;
		}
		member_learn(g, s.node, POLICY_MEMBER_DEAD, s.incarnation, now);
		susp_drop(g, s.node); /* no-op if member_learn already did it */
	}
}

/* ---- load view ---- */

static void view_merge(struct policy_gossip *g, const struct policy_wire_entry *w, double now)
{
	double stamp = now - (w->age > 0 ? w->age : 0);
	uint32_t oldest = 0;

	if (w->node == g->self || m_status(g->members[w->node]) >= POLICY_MEMBER_DEAD)
		return;
	for (uint32_t i = 0; i < g->view_n; i++) {
		if (g->view[i].node == w->node) {
			if (stamp > g->view[i].stamp)
				g->view[i] =
					(struct policy_entry){w->node, w->load, w->mem_free, stamp};
			return;
		}
		if (g->view[i].stamp < g->view[oldest].stamp)
			oldest = i;
	}
	if (g->view_n < g->view_cap)
		oldest = g->view_n++;
	else if (g->view[oldest].stamp >= stamp)
		return;
	g->view[oldest] = (struct policy_entry){w->node, w->load, w->mem_free, stamp};
}

static void view_expire(struct policy_gossip *g, double now)
{
	for (uint32_t i = 0; i < g->view_n;) {
		if (now - g->view[i].stamp > g->cfg.max_age)
			g->view[i] = g->view[--g->view_n];
		else
			i++;
	}
}

static struct policy_wire_entry to_wire(const struct policy_entry *e, double now)
{
	return (struct policy_wire_entry){e->node, e->load, e->mem_free, (float)(now - e->stamp)};
}

/* Our own entry plus the freshest others, up to cfg.window. */
static void window_fill(const struct policy_gossip *g, struct policy_gossip_msg *m, double now)
{
	double last = INFINITY;
	uint32_t last_node = UINT32_MAX;

	m->nentries = 0;
	m->e[m->nentries++] = to_wire(&g->self_entry, now);
	while (m->nentries < g->cfg.window) {
		int best = -1;

		/* Next freshest strictly after the previous pick in (stamp desc, node asc) order.
		 */
		for (uint32_t i = 0; i < g->view_n; i++) {
			const struct policy_entry *e = &g->view[i];
			bool after = e->stamp < last || (e->stamp == last && e->node > last_node);

			if (!after)
				continue;
			if (best < 0 || e->stamp > g->view[best].stamp ||
			    (e->stamp == g->view[best].stamp && e->node < g->view[best].node))
				best = (int)i;
		}
		if (best < 0)
			break;
		last = g->view[best].stamp;
		last_node = g->view[best].node;
		m->e[m->nentries++] = to_wire(&g->view[best], now);
	}
}

static void msg_build(struct policy_gossip *g, struct policy_gossip_msg *m, uint8_t kind,
		      uint32_t to, uint32_t seq, double now)
{
	m->kind = kind;
	m->from = g->self;
	m->from_inc = g->incarnation;
	m->to = to;
	m->seq = seq;
	window_fill(g, m, now);
	rumors_fill(g, m);
}

/* A random member we believe alive or suspect; a few draws, so O(1) when most are alive. */
static int pick_member(struct policy_gossip *g, struct policy_rand *rng, uint32_t *ret)
{
	for (int tries = 0; tries < 32; tries++) {
		uint32_t n = policy_rand_below(rng, g->nmembers);

		if (n != g->self && m_status(g->members[n]) <= POLICY_MEMBER_SUSPECT) {
			*ret = n;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- entry points ---- */

int policy_gossip_tick(struct policy_gossip *g, double now, struct policy_rand *rng,
		       struct policy_gossip_msg *out)
{
	uint32_t target;

	suspicions_expire(g, now);
	view_expire(g, now);
	if (g->probing && now >= g->probe_deadline) {
		uint32_t w = g->members[g->probe_target];

		if (m_status(w) == POLICY_MEMBER_ALIVE)
			member_learn(g, g->probe_target, POLICY_MEMBER_SUSPECT, m_inc(w), now);
	}
	g->probing = false;
	if (pick_member(g, rng, &target) < 0)
		return 0;
	g->probing = true;
	g->probe_target = target;
	g->probe_seq = ++g->seq;
	g->probe_deadline = now + g->cfg.ack_timeout;
	msg_build(g, out, POLICY_MSG_PING, target, g->probe_seq, now);
	return 1;
}

static int msg_validate(const struct policy_gossip *g, const struct policy_gossip_msg *m)
{
	if (m->kind != POLICY_MSG_PING && m->kind != POLICY_MSG_ACK)
		return -EPROTO;
	if (m->from >= g->nmembers || m->from == g->self || m->to != g->self)
		return -EPROTO;
	if (m->nentries > POLICY_GOSSIP_WINDOW_MAX || m->nrumors > POLICY_GOSSIP_RUMORS_MAX)
		return -EPROTO;
	for (unsigned i = 0; i < m->nentries; i++)
		if (m->e[i].node >= g->nmembers || !(m->e[i].age >= 0) || !isfinite(m->e[i].load))
			return -EPROTO;
	for (unsigned i = 0; i < m->nrumors; i++)
		if (m->r[i].node >= g->nmembers || m->r[i].status > POLICY_MEMBER_LEFT ||
		    m->r[i].incarnation > POLICY_GOSSIP_INC_MAX)
			return -EPROTO;
	return 0;
}

int policy_gossip_input(struct policy_gossip *g, double now, const struct policy_gossip_msg *msg,
			struct policy_gossip_msg *reply)
{
	int r = msg_validate(g, msg);

	if (r < 0)
		return r;
	/* Hearing from a node directly proves that incarnation alive (join or refutation). */
	member_learn(g, msg->from, POLICY_MEMBER_ALIVE, msg->from_inc, now);
	for (unsigned i = 0; i < msg->nrumors; i++)
		member_learn(g, msg->r[i].node, msg->r[i].status, msg->r[i].incarnation, now);
	for (unsigned i = 0; i < msg->nentries; i++)
		view_merge(g, &msg->e[i], now);
	if (msg->kind == POLICY_MSG_ACK) {
		if (g->probing && msg->from == g->probe_target && msg->seq == g->probe_seq)
			g->probing = false;
		return 0;
	}
	msg_build(g, reply, POLICY_MSG_ACK, msg->from, msg->seq, now);
	return 1;
}

int policy_gossip_leave(struct policy_gossip *g, double now, struct policy_rand *rng,
			struct policy_gossip_msg *out)
{
	uint32_t target;

	g->members[g->self] = m_pack(POLICY_MEMBER_LEFT, g->incarnation);
	rumor_add(g, g->self, g->incarnation, POLICY_MEMBER_LEFT);
	if (pick_member(g, rng, &target) < 0)
		return 0;
	msg_build(g, out, POLICY_MSG_PING, target, ++g->seq, now);
	return 1;
}

double policy_gossip_next_deadline(const struct policy_gossip *g, double now)
{
	double t = now + g->cfg.interval;

	if (g->probing && g->probe_deadline < t)
		t = g->probe_deadline;
	for (unsigned i = 0; i < g->nsusp; i++)
		if (g->susp[i].since + g->cfg.suspect_timeout < t)
			t = g->susp[i].since + g->cfg.suspect_timeout;
	return t;
}

double policy_gossip_entry_age(const struct policy_gossip *g, uint32_t node, double now)
{
	for (uint32_t i = 0; i < g->view_n; i++)
		if (g->view[i].node == node)
			return now - g->view[i].stamp;
	return -1;
}

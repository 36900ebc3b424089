/* SPDX-License-Identifier: MIT */
/* ferry-sim configuration defaults and policy names. */
#include <errno.h>
#include <string.h>

#include "sim.h"

static const char *const names[_SIM_POLICY_MAX] = {"none", "random", "placement", "hbd", "ferry"};

void sim_cfg_default(struct sim_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->nodes = 8;
	c->load = 0.8;
	c->procs = 200000;
	c->seed = 1;
	c->dist = SIM_DIST_PARETO;
	c->alpha = 1.0;
	c->life_min = 0.1;
	c->life_max = 1000.0;
	c->slow_speed = 0.25;
	c->mem_mean = 64.0;
	c->place_cost = 0.3;
	c->base_place_margin = 2.0;
	c->tick = 0.5;
	policy_gossip_cfg_default(&c->gossip, c->nodes);
	policy_params_default(&c->params);
	c->drain_node = c->owner_node = -1;
}

const char *sim_policy_name(enum sim_policy p)
{
	return p < _SIM_POLICY_MAX ? names[p] : "?";
}

int sim_policy_parse(const char *s)
{
	for (int i = 0; i < _SIM_POLICY_MAX; i++)
		if (!strcmp(s, names[i]))
			return i;
	if (!strcmp(s, "all"))
		return _SIM_POLICY_MAX;
	return -EINVAL;
}

/* SPDX-License-Identifier: MIT */
/* ferry-sim trace replay: strict parsing of a CSV "arrival,demand[,mem_mib[,node]]" file, one
 * process per line. A header is allowed as the first content line; '#' starts a comment line.
 * Anything else that is not a valid record is an error that names the line and the reason. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define TRACE_LINE_MAX 512

/* One number field ending at ',' or end of line (spaces allowed around it). */
static const char *field(const char *s, double *ret)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || *s == ',')
		return NULL;
	*ret = strtod(s, &end);
	if (end == s || !isfinite(*ret))
		return NULL;
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	if (*end && *end != ',')
		return NULL;
	return end;
}

static bool blank(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return !*s || *s == '#';
}

int sim_trace_line(const char *line, uint32_t nodes, struct sim_trace_rec *out, const char **why)
{
	double v[4] = {0, 0, 0, -1};
	const char *s = line;
	int k = 0;

	if (blank(line))
		return 0;
	while (k < 4) {
		s = field(s, &v[k]);
		if (!s) {
			*why = "a field is empty or not a finite number";
			return -EINVAL;
		}
		k++;
		if (!*s)
			break;
		s++; /* the comma */
	}
	if (*s) {
		*why = "more than 4 fields (arrival,demand[,mem_mib[,node]])";
		return -EINVAL;
	}
	if (k < 2) {
		*why = "fewer than 2 fields (arrival,demand)";
		return -EINVAL;
	}
	if (v[0] < 0) {
		*why = "arrival time is negative";
		return -EINVAL;
	}
	if (!(v[1] > 0)) {
		*why = "CPU demand must be > 0";
		return -EINVAL;
	}
	if (v[2] < 0 || v[2] > 1e9) {
		*why = "memory must be in [0, 1e9] MiB";
		return -EINVAL;
	}
	if (k == 4 && (v[3] != floor(v[3]) || v[3] < 0 || v[3] >= nodes)) {
		*why = "node is not an integer in [0, --nodes)";
		return -EINVAL;
	}
	*out = (struct sim_trace_rec){v[0], v[1], v[2], k == 4, k == 4 ? (uint32_t)v[3] : 0};
	return 1;
}

static int add(struct sim_proc **w, size_t *n, size_t *cap, struct sim_proc p)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 1024;
		struct sim_proc *nw = realloc(*w, sizeof(**w) * nc);

		if (!nw)
			return -ENOMEM;
		*w = nw;
		*cap = nc;
	}
	(*w)[(*n)++] = p;
	return 0;
}

static int by_arrival(const void *a, const void *b)
{
	const struct sim_proc *x = a, *y = b;

	return (x->arrival > y->arrival) - (x->arrival < y->arrival);
}

/* Reads every line; stops at the first bad one with its number and reason in err. */
static int read_all(FILE *f, const struct sim_cfg *c, const double *cum, struct sim_proc **w,
		    size_t *n, char *err, size_t errlen)
{
	char line[TRACE_LINE_MAX];
	size_t cap = 0, lineno = 0;
	bool content = false;
	struct policy_rand r;

	policy_rand_seed(&r, c->seed);
	while (fgets(line, sizeof(line), f)) {
		struct sim_trace_rec t;
		const char *why = "";
		int k;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s line %zu: longer than %d bytes", c->trace, lineno,
				 TRACE_LINE_MAX - 2);
			return -EINVAL;
		}
		k = sim_trace_line(line, c->nodes, &t, &why);
		if (k < 0 && !content && isalpha((unsigned char)line[strspn(line, " \t")])) {
			content = true; /* a header naming the columns */
			continue;
		}
		if (k < 0) {
			snprintf(err, errlen, "%s line %zu: %s", c->trace, lineno, why);
			return k;
		}
		if (!k)
			continue;
		content = true;
		if (add(w, n, &cap,
			(struct sim_proc){t.arrival, t.demand, (float)t.mem,
					  t.has_node ? t.node
						     : sim_pick_node(cum, c->nodes,
								     policy_rand_unit(&r))}) < 0)
			return -ENOMEM;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", c->trace);
		return -EIO;
	}
	return 0;
}

int sim_trace_load(const struct sim_cfg *c, const double *cum, struct sim_proc **ret, size_t *ret_n,
		   char *err, size_t errlen)
{
	FILE *f = fopen(c->trace, "r");
	struct sim_proc *w = NULL;
	size_t n = 0;
	int r;

	if (!f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", c->trace, strerror(-r));
		return r;
	}
	r = read_all(f, c, cum, &w, &n, err, errlen);
	fclose(f);
	if (!r && !n) {
		snprintf(err, errlen, "%s: no process in the trace", c->trace);
		r = -EINVAL;
	}
	if (r < 0) {
		free(w);
		return r;
	}
	qsort(w, n, sizeof(*w), by_arrival);
	*ret = w;
	*ret_n = n;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* The network lock: while a tree's TCP connections (and listening/UDP ports) are between dump
 * and restore, packets addressed to them are dropped at ingress, so the peer sees only loss and
 * retransmits (never a RST from a closed port). There is no iptables/nft here (KERNEL-FACTS.md
 * §7): the lock is a tc u32 filter per flow on the ingress (clsact) of the interfaces that carry
 * it, with a mirred redirect to an ifb device of its own that stays DOWN, which drops.
 *
 * The lock outlives `ferry dump`: it is kernel state, described by a state file
 * /run/ferry/netlock/<id> (devices, filter priority, ifb name, when it was taken) and named by its
 * id in the image's TCP/UDP records. The dump takes it before any socket is put in repair mode
 * and removes it if the dump fails or the tree is resumed (--leave-running); `ferry restore`
 * removes it as soon as every socket of the image is rebuilt and out of repair mode (before the
 * processes are: the kernel runs the connections meanwhile), or when the restore fails.
 * Removal deletes the filters first (that ends the hold-back), then the ifb, the state file and
 * the clsact qdiscs it created if nothing else uses them. All netlink, no tc/ip processes: a
 * fork+exec of tc costs 20-50 ms here, more than the whole hold-back budget. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/res.h"
#include "res/sock.h"
#include "restore/internal.h"

#define NETLOCK_DIR    "/run/ferry/netlock"
#define PRIO_BASE      0xc000
#define MAX_DEVS       16
#define INGRESS_PARENT TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
#define EGRESS_PARENT  TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)

struct lock_state {
	uint64_t id;
	uint64_t taken_ns; /* CLOCK_MONOTONIC when the filters went in */
	unsigned prio;	   /* IPv4 filters at prio, IPv6 at prio + 1 */
	char ifb[IFNAMSIZ];
	size_t ndevs;
	struct {
		int ifindex;
		int created_qdisc;
	} devs[MAX_DEVS];
};

/* Dump side: one dump per ferry process, so the flows and the lock are kept here rather than in
 * struct dump_ctx (which has no slot for tree kinds). */
static struct {
	struct netlock_flow *flows;
	size_t n, cap;
	int held;
	struct lock_state st;
} dl;

/* ---- netlink ---- */

static int nl_open(struct mnl_socket **ret)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return neg_errno();
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = neg_errno();
		mnl_socket_close(nl);
		return r;
	}
	*ret = nl;
	return 0;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(int *)data)++;
	return MNL_CB_OK;
}

/* Send one request and wait for its ack (or, for dumps, every answer). -errno of the ack. */
static int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, int *count)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned seq = nlh->nlmsg_seq = (unsigned)mono_ns();
	unsigned portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return neg_errno();
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return neg_errno();
		int r = mnl_cb_run(buf, n, seq, portid, count ? count_cb : NULL, count);
		if (r == MNL_CB_ERROR)
			return neg_errno();
		if (r == MNL_CB_STOP || !count)
			return 0;
	}
}

static struct nlmsghdr *tc_msg(char *buf, int type, int flags, int ifindex, uint32_t parent,
			       uint32_t handle, uint32_t info)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct tcmsg *t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	t->tcm_handle = handle;
	t->tcm_info = info;
	return nlh;
}

static int ifb_add(struct mnl_socket *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "ifb");
	mnl_attr_nest_end(nlh, li);
	return nl_talk(nl, nlh, NULL);
}

static int link_del(struct mnl_socket *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	return nl_talk(nl, nlh, NULL);
}

/* A clsact qdisc ferry created is marked by a file, so whichever lock goes last removes it
 * (once no filter is left on it), not only the lock that happened to create it. */
static void qdisc_marker(int ifindex, char *buf, size_t len)
{
	snprintf(buf, len, NETLOCK_DIR "/.qdisc-%d", ifindex);
}

/* 1 if we created the clsact qdisc, 0 if an ingress/clsact qdisc was already there. */
static int clsact_add(struct mnl_socket *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], mark[96];
	struct nlmsghdr *nlh = tc_msg(buf, RTM_NEWQDISC, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
				      ifindex, TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0), 0);
	mnl_attr_put_strz(nlh, TCA_KIND, "clsact");
	int r = nl_talk(nl, nlh, NULL);
	if (r == 0) {
		qdisc_marker(ifindex, mark, sizeof(mark));
		int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		safe_close(fd);
	}
	return r == -EEXIST ? 0 : r < 0 ? r : 1;
}

static int clsact_del(struct mnl_socket *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = tc_msg(buf, RTM_DELQDISC, NLM_F_ACK, ifindex, TC_H_CLSACT,
				      TC_H_MAKE(TC_H_CLSACT, 0), 0);
	return nl_talk(nl, nlh, NULL);
}

static int filters_count(struct mnl_socket *nl, int ifindex, uint32_t parent)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int n = 0;
	struct nlmsghdr *nlh = tc_msg(buf, RTM_GETTFILTER, NLM_F_DUMP, ifindex, parent, 0, 0);
	int r = nl_talk(nl, nlh, &n);
	return r < 0 ? r : n;
}

static int filter_del(struct mnl_socket *nl, int ifindex, unsigned prio, int eth_proto)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = tc_msg(buf, RTM_DELTFILTER, NLM_F_ACK, ifindex, INGRESS_PARENT, 0,
				      TC_H_MAKE(prio << 16, htons(eth_proto)));
	int r = nl_talk(nl, nlh, NULL);
	return r == -ENOENT || r == -EINVAL ? 0 : r;
}

/* ---- u32 selectors (pure) ---- */

struct u32_sel {
	struct tc_u32_sel sel;
	struct tc_u32_key keys[12];
};

static void key_add(struct u32_sel *s, int off, uint32_t mask, uint32_t val)
{
	struct tc_u32_key *k = &s->keys[s->sel.nkeys++];
	k->off = off;
	k->mask = htonl(mask);
	k->val = htonl(val) & htonl(mask);
	k->offmask = 0;
}

static int all_zero(const uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i])
			return 0;
	return 1;
}

static int v4_mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return !memcmp(a, pfx, 12);
}

static uint32_t word(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* IPv4 header without options (TCP and UDP never carry IP options here). */
static void sel_v4(struct u32_sel *s, const struct netlock_flow *f, const uint8_t *la,
		   const uint8_t *ra)
{
	memset(s, 0, sizeof(*s));
	s->sel.flags = TC_U32_TERMINAL;
	key_add(s, 8, 0x00ff0000, (uint32_t)f->proto << 16);
	if (f->raddr.port && ra)
		key_add(s, 12, 0xffffffff, word(ra));
	if (la && !all_zero(la, 4))
		key_add(s, 16, 0xffffffff, word(la));
	if (f->raddr.port)
		key_add(s, 20, 0xffffffff, (uint32_t)f->raddr.port << 16 | f->laddr.port);
	else
		key_add(s, 20, 0x0000ffff, f->laddr.port);
}

/* IPv6 header without extension headers. */
static void sel_v6(struct u32_sel *s, const struct netlock_flow *f)
{
	memset(s, 0, sizeof(*s));
	s->sel.flags = TC_U32_TERMINAL;
	key_add(s, 4, 0x0000ff00, (uint32_t)f->proto << 8);
	for (int i = 0; f->raddr.port && i < 4; i++)
		key_add(s, 8 + 4 * i, 0xffffffff, word(f->raddr.addr + 4 * i));
	for (int i = 0; !all_zero(f->laddr.addr, 16) && i < 4; i++)
		key_add(s, 24 + 4 * i, 0xffffffff, word(f->laddr.addr + 4 * i));
	if (f->raddr.port)
		key_add(s, 40, 0xffffffff, (uint32_t)f->raddr.port << 16 | f->laddr.port);
	else
		key_add(s, 40, 0x0000ffff, f->laddr.port);
}

static int filter_add(struct mnl_socket *nl, int ifindex, unsigned prio, int eth_proto,
		      const struct u32_sel *s, int drop_ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = tc_msg(buf, RTM_NEWTFILTER, NLM_F_ACK | NLM_F_CREATE, ifindex,
				      INGRESS_PARENT, 0, TC_H_MAKE(prio << 16, htons(eth_proto)));
	mnl_attr_put_strz(nlh, TCA_KIND, "u32");
	struct nlattr *opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_U32_SEL, sizeof(s->sel) + s->sel.nkeys * sizeof(s->keys[0]), s);
	struct nlattr *acts = mnl_attr_nest_start(nlh, TCA_U32_ACT);
	struct nlattr *a1 = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, TCA_ACT_KIND, "mirred");
	struct nlattr *ao = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
	struct tc_mirred m = {.action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR};
	m.ifindex = drop_ifindex;
	mnl_attr_put(nlh, TCA_MIRRED_PARMS, sizeof(m), &m);
	mnl_attr_nest_end(nlh, ao);
	mnl_attr_nest_end(nlh, a1);
	mnl_attr_nest_end(nlh, acts);
	mnl_attr_nest_end(nlh, opts);
	return nl_talk(nl, nlh, NULL);
}

static int flow_add(struct mnl_socket *nl, int ifindex, const struct lock_state *st,
		    const struct netlock_flow *f, int drop)
{
	struct u32_sel s;
	int r = 0;
	if (f->family == AF_INET) {
		sel_v4(&s, f, f->laddr.addr, f->raddr.addr);
		return filter_add(nl, ifindex, st->prio, ETH_P_IP, &s, drop);
	}
	int any = all_zero(f->laddr.addr, 16);
	/* A dual-stack socket: IPv4 peers appear as ::ffff:a.b.c.d and arrive as IPv4. */
	if (any || v4_mapped(f->laddr.addr)) {
		sel_v4(&s, f, any ? NULL : f->laddr.addr + 12, f->raddr.addr + 12);
		r = filter_add(nl, ifindex, st->prio, ETH_P_IP, &s, drop);
	}
	if (r == 0 && !v4_mapped(f->laddr.addr)) {
		sel_v6(&s, f);
		r = filter_add(nl, ifindex, st->prio + 1, ETH_P_IPV6, &s, drop);
	}
	return r;
}

/* ---- state files ---- */

static void state_path(uint64_t id, char *buf, size_t len)
{
	snprintf(buf, len, NETLOCK_DIR "/%016llx", (unsigned long long)id);
}

static int state_write(const struct lock_state *st)
{
	char path[128], tmp[160];
	state_path(st->id, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return neg_errno();
	fprintf(f, "id %016llx\ntaken_ns %llu\nprio %u\nifb %s\n", (unsigned long long)st->id,
		(unsigned long long)st->taken_ns, st->prio, st->ifb);
	for (size_t i = 0; i < st->ndevs; i++)
		fprintf(f, "dev %d %d\n", st->devs[i].ifindex, st->devs[i].created_qdisc);
	int r = fflush(f) ? neg_errno() : 0;
	fclose(f);
	if (r == 0 && rename(tmp, path) < 0)
		r = neg_errno();
	return r;
}

static int state_read(uint64_t id, struct lock_state *st)
{
	char path[128], line[128];
	state_path(id, path, sizeof(path));
	FILE *f = fopen(path, "re");
	if (!f)
		return neg_errno();
	memset(st, 0, sizeof(*st));
	st->id = id;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		int a, b;
		if (sscanf(line, "taken_ns %llu", &v) == 1)
			st->taken_ns = v;
		else if (sscanf(line, "prio %d", &a) == 1)
			st->prio = a;
		else if (sscanf(line, "ifb %15s", st->ifb) == 1)
			;
		else if (sscanf(line, "dev %d %d", &a, &b) == 2 && st->ndevs < MAX_DEVS) {
			st->devs[st->ndevs].ifindex = a;
			st->devs[st->ndevs++].created_qdisc = b;
		}
	}
	fclose(f);
	return st->prio >= PRIO_BASE && st->ifb[0] ? 0 : -EBADMSG;
}

/* A free filter priority: none of the other locks' state files uses it. */
static unsigned pick_prio(void)
{
	uint8_t used[1024] = {0};
	DIR *d = opendir(NETLOCK_DIR);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct lock_state o;
		unsigned long long id;
		if (sscanf(e->d_name, "%16llx", &id) == 1 && !strchr(e->d_name, '.') &&
		    state_read(id, &o) == 0 && (o.prio - PRIO_BASE) / 2 < sizeof(used))
			used[(o.prio - PRIO_BASE) / 2] = 1;
	}
	if (d)
		closedir(d);
	for (unsigned i = 0; i < sizeof(used); i++)
		if (!used[i])
			return PRIO_BASE + 2 * i;
	return PRIO_BASE;
}

/* A lock older than this is removed by the next lock taken: TCP peers give up retransmitting
 * after about 15 minutes (tcp_retries2), so holding their packets back longer is pointless, and
 * an image that was dumped but never restored must not block its ports forever. */
#define STALE_NS (15 * 60 * 1000000000ULL)

static uint64_t undo(struct mnl_socket *nl, const struct lock_state *st);

/* Remove the stale locks (called with the directory lock held). */
static void collect_stale(struct mnl_socket *nl)
{
	DIR *d = opendir(NETLOCK_DIR);
	struct dirent *e;
	uint64_t now = mono_ns();
	while (d && (e = readdir(d))) {
		struct lock_state o;
		unsigned long long id;
		char path[128];
		if (sscanf(e->d_name, "%16llx", &id) != 1 || strchr(e->d_name, '.') ||
		    state_read(id, &o) < 0)
			continue;
		/* taken_ns in the future: from before a reboot, its filters are gone already */
		if (o.taken_ns <= now && now - o.taken_ns < STALE_NS)
			continue;
		log_info("network lock %016llx: removing it, it is older than 15 minutes", id);
		if (o.taken_ns <= now)
			undo(nl, &o);
		state_path(id, path, sizeof(path));
		unlink(path);
	}
	if (d)
		closedir(d);
}

/* Serialises lock changes between ferry processes. */
static int dir_lock(void)
{
	mkdir("/run/ferry", 0700);
	mkdir(NETLOCK_DIR, 0700);
	int fd = open(NETLOCK_DIR "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX) < 0)
		fd = safe_close(fd);
	return fd;
}

/* ---- devices ---- */

static int is_loopback_addr(int family, const uint8_t *a)
{
	static const uint8_t lo6[16] = {[15] = 1};
	if (family == AF_INET6 && v4_mapped(a))
		return a[12] == 127;
	return family == AF_INET ? a[0] == 127 : !memcmp(a, lo6, 16);
}

/* lo always; the other interfaces that are up too when a flow is not on loopback addresses. */
static void pick_devs(struct lock_state *st)
{
	int need_all = 0;
	for (size_t i = 0; i < dl.n; i++)
		if (!is_loopback_addr(dl.flows[i].family, dl.flows[i].laddr.addr))
			need_all = 1;
	struct if_nameindex *ifs = if_nameindex();
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (struct if_nameindex *i = ifs; i && i->if_index && st->ndevs < MAX_DEVS; i++) {
		struct ifreq ifr = {0};
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP))
			continue;
		if ((ifr.ifr_flags & IFF_LOOPBACK) || need_all)
			st->devs[st->ndevs++].ifindex = i->if_index;
	}
	safe_close(s);
	if (ifs)
		if_freenameindex(ifs);
}

/* ---- take / release ---- */

/* Undo whatever of st exists: filters first (this ends the hold-back), then the rest (removing
 * the ifb device takes tens of ms: it is not part of the hold-back). Returns when the filters
 * were gone (CLOCK_MONOTONIC ns). */
static uint64_t undo(struct mnl_socket *nl, const struct lock_state *st)
{
	for (size_t i = 0; i < st->ndevs; i++) {
		if (filter_del(nl, st->devs[i].ifindex, st->prio, ETH_P_IP) < 0 ||
		    filter_del(nl, st->devs[i].ifindex, st->prio + 1, ETH_P_IPV6) < 0)
			log_debug("netlock %016llx: a filter on ifindex %d is already gone",
				  (unsigned long long)st->id, st->devs[i].ifindex);
	}
	uint64_t open_again = mono_ns();
	int ifb = if_nametoindex(st->ifb);
	if (ifb > 0 && link_del(nl, ifb) < 0)
		log_debug("netlock: cannot remove %s", st->ifb);
	for (size_t i = 0; i < st->ndevs; i++) {
		char mark[96];
		qdisc_marker(st->devs[i].ifindex, mark, sizeof(mark));
		if (access(mark, F_OK) < 0 ||
		    filters_count(nl, st->devs[i].ifindex, INGRESS_PARENT) != 0 ||
		    filters_count(nl, st->devs[i].ifindex, EGRESS_PARENT) != 0)
			continue;
		if (clsact_del(nl, st->devs[i].ifindex) < 0)
			log_debug("netlock: cannot remove the clsact qdisc of ifindex %d",
				  st->devs[i].ifindex);
		unlink(mark);
	}
	return open_again;
}

static int take(struct lock_state *st, struct ferry_err *e)
{
	struct mnl_socket *nl;
	int r = nl_open(&nl);
	if (r < 0)
		return err_set(e, r, "network lock: cannot open rtnetlink: %s", strerror(-r));
	int lockfd = dir_lock();
	collect_stale(nl);
	memset(st, 0, sizeof(*st));
	while (!st->id && getrandom(&st->id, sizeof(st->id), 0) != sizeof(st->id))
		;
	st->prio = pick_prio();
	snprintf(st->ifb, sizeof(st->ifb), "ferrylk%08x", (unsigned)st->id);
	pick_devs(st);
	r = ifb_add(nl, st->ifb);
	int drop = r == 0 ? (int)if_nametoindex(st->ifb) : 0;
	if (r == 0 && !drop)
		r = -ENODEV;
	for (size_t i = 0; r >= 0 && i < st->ndevs; i++)
		if ((r = clsact_add(nl, st->devs[i].ifindex)) >= 0)
			st->devs[i].created_qdisc = r;
	if (r >= 0)
		r = state_write(st);
	st->taken_ns = mono_ns();
	for (size_t i = 0; r >= 0 && i < st->ndevs; i++)
		for (size_t k = 0; r >= 0 && k < dl.n; k++)
			r = flow_add(nl, st->devs[i].ifindex, st, &dl.flows[k], drop);
	if (r >= 0)
		r = state_write(st); /* with the time the filters went in */
	if (r < 0) {
		undo(nl, st);
		char path[128];
		state_path(st->id, path, sizeof(path));
		unlink(path);
		err_set(e, r, "network lock: cannot install the tc filters: %s", strerror(-r));
	}
	safe_close(lockfd);
	mnl_socket_close(nl);
	return r < 0 ? r : 0;
}

/* Remove lock `id`; returns how long it held packets back (ns), or -errno. */
static int64_t release(uint64_t id)
{
	struct lock_state st;
	struct mnl_socket *nl;
	char path[128];
	int lockfd = dir_lock();
	int r = state_read(id, &st);
	if (r == 0)
		r = nl_open(&nl);
	if (r < 0) {
		safe_close(lockfd);
		return r;
	}
	int64_t held = undo(nl, &st) - st.taken_ns;
	state_path(id, path, sizeof(path));
	unlink(path);
	mnl_socket_close(nl);
	safe_close(lockfd);
	return held;
}

/* ---- dump side ---- */

int netlock_want(const struct netlock_flow *f)
{
	struct netlock_flow *n = array_reserve(dl.flows, &dl.cap, dl.n + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	dl.flows = n;
	dl.flows[dl.n++] = *f;
	return 0;
}

uint64_t netlock_id(void)
{
	return dl.held ? dl.st.id : 0;
}

int netlock_take(struct dump_ctx *c)
{
	if (!dl.n || dl.held)
		return 0;
	int r = take(&dl.st, c->e);
	if (r == 0)
		dl.held = 1;
	return r;
}

static void lock_dump_done(struct dump_ctx *c, int resumed)
{
	if (dl.held)
		log_debug("network lock %016llx: dump done %.1f ms after the lock was taken",
			  (unsigned long long)dl.st.id, (mono_ns() - dl.st.taken_ns) / 1e6);
	tcp_dump_end(c, resumed);
	unix_dump_end();
	if (dl.held && resumed) {
		int64_t held = release(dl.st.id);
		if (held < 0)
			log_warn("network lock %016llx: cannot remove it: %s",
				 (unsigned long long)dl.st.id, strerror((int)-held));
	} else if (dl.held) {
		log_info("network lock %016llx holds the tree's connections until the restore",
			 (unsigned long long)dl.st.id);
	}
	free(dl.flows);
	memset(&dl, 0, sizeof(dl));
}

/* ---- restore side ---- */

struct lock_ids {
	size_t n;
	uint64_t id[8];
};

/* The locks named by the image's TCP/UDP records (normally one). */
static void image_locks(const struct img_model *m, struct lock_ids *ids)
{
	ids->n = 0;
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct img_file_model *f = &m->files[i];
		const struct img_data *d = NULL;
		uint64_t id = 0;
		/* validated: the records have their full size */
		if (f->f.kind == FILE_TCP && (d = res_data(f, SOCK_TAG_TCP)))
			memcpy(&id, d->data + offsetof(struct tcp_rec, lock_id), sizeof(id));
		else if (f->f.kind == FILE_UDP && (d = res_data(f, SOCK_TAG_UDP)))
			memcpy(&id, d->data + offsetof(struct udp_rec, lock_id), sizeof(id));
		size_t k = 0;
		while (k < ids->n && ids->id[k] != id)
			k++;
		if (id && k == ids->n && ids->n < ARRAY_SIZE(ids->id))
			ids->id[ids->n++] = id;
	}
}

static void release_all(struct restore_ctx *c)
{
	struct lock_ids ids;
	image_locks(c->m, &ids);
	for (size_t i = 0; i < ids.n; i++) {
		int64_t held = release(ids.id[i]);
		if (held >= 0)
			log_info("network lock %016llx released: connections held back %.1f ms",
				 (unsigned long long)ids.id[i], held / 1e6);
		else if (held != -ENOENT)
			log_warn("network lock %016llx: cannot remove it: %s",
				 (unsigned long long)ids.id[i], strerror((int)-held));
	}
}

static int is_net(const struct img_file_model *f)
{
	return f->f.kind == FILE_TCP || f->f.kind == FILE_UDP;
}

/* Files are opened in model order, at table_base + index (rfiles.c): when f is the last TCP/UDP
 * file, every earlier one sits in the table already. Connections first leave repair mode, then
 * the lock goes: the peers' next packets find complete sockets. */
int netlock_opened(struct restore_ctx *c, const struct img_file_model *f, int fd)
{
	size_t idx = f - c->m->files;
	struct lock_state st;
	struct lock_ids ids;
	image_locks(c->m, &ids);
	if (ids.n && state_read(ids.id[0], &st) == 0)
		log_debug(
			"network lock %016llx: socket %u rebuilt %.1f ms after the lock was taken",
			(unsigned long long)ids.id[0], f->f.id, (mono_ns() - st.taken_ns) / 1e6);
	for (size_t i = idx + 1; i < c->m->nfiles; i++)
		if (is_net(&c->m->files[i]))
			return 0;
	for (size_t i = 0; i <= idx; i++) {
		const struct img_file_model *g = &c->m->files[i];
		int r = g->f.kind != FILE_TCP
				? 0
				: tcp_resume(c, g, i == idx ? fd : c->table_base + (int)i);
		if (r < 0)
			return r;
	}
	release_all(c);
	return 0;
}

static void lock_cleanup(struct restore_ctx *c, int failed)
{
	/* A failed restore: the sockets are gone (closed in repair mode, silently); keeping the
	 * lock would only leave the peers hanging, so they get their reset now. */
	if (failed)
		release_all(c);
}

const struct res_tree_ops res_netlock = {
	.name = "network lock",
	.dump_done = lock_dump_done,
	.cleanup = lock_cleanup,
};

/* SPDX-License-Identifier: MIT */
/* NETLINK_SOCK_DIAG queries for the socket kinds: a UNIX socket by inode (type, state, peer,
 * bound name, socket file, queue lengths, pending connections of a listener, shutdown), and the
 * process that holds a given socket inode (to name it in refusals). */
#include <dirent.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "res/sock.h"

static int attr_cb(const struct nlattr *a, void *data)
{
	struct unix_diag_info *u = data;
	const void *p = mnl_attr_get_payload(a);
	uint16_t len = mnl_attr_get_payload_len(a);
	switch (mnl_attr_get_type(a)) {
	case UNIX_DIAG_NAME:
		u->name_len = len < sizeof(u->name) ? len : sizeof(u->name);
		memcpy(u->name, p, u->name_len);
		break;
	case UNIX_DIAG_VFS:
		if (len >= sizeof(struct unix_diag_vfs)) {
			const struct unix_diag_vfs *v = p;
			u->has_vfs = 1;
			u->vfs_ino = v->udiag_vfs_ino;
			u->vfs_dev = v->udiag_vfs_dev;
		}
		break;
	case UNIX_DIAG_PEER:
		if (len >= 4)
			u->peer_ino = *(const uint32_t *)p;
		break;
	case UNIX_DIAG_ICONS:
		free(u->icons);
		u->icons = calloc(len / 4 + 1, sizeof(*u->icons));
		u->nicons = 0;
		for (size_t i = 0; u->icons && i < len / 4u; i++)
			u->icons[u->nicons++] = ((const uint32_t *)p)[i];
		break;
	case UNIX_DIAG_RQLEN:
		if (len >= sizeof(struct unix_diag_rqlen)) {
			const struct unix_diag_rqlen *q = p;
			u->rqueue = q->udiag_rqueue;
			u->wqueue = q->udiag_wqueue;
		}
		break;
	case UNIX_DIAG_SHUTDOWN:
		if (len >= 1)
			u->shutdown = *(const uint8_t *)p;
		break;
	}
	return MNL_CB_OK;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct unix_diag_info *u = data;
	const struct unix_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return MNL_CB_ERROR;
	u->type = m->udiag_type;
	u->state = m->udiag_state;
	u->ino = m->udiag_ino;
	return mnl_attr_parse(nlh, sizeof(*m), attr_cb, u);
}

int sockdiag_unix(uint64_t ino, struct unix_diag_info *ret)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	int r = 0;
	memset(ret, 0, sizeof(*ret));
	if (!nl)
		return neg_errno();
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	struct unix_diag_req *q = mnl_nlmsg_put_extra_header(nlh, sizeof(*q));
	q->sdiag_family = AF_UNIX;
	q->udiag_states = ~0u;
	q->udiag_ino = (uint32_t)ino;
	q->udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS |
			UDIAG_SHOW_RQLEN;
	q->udiag_cookie[0] = q->udiag_cookie[1] = ~0u;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = neg_errno();
	} else {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0 || mnl_cb_run(buf, n, 1, mnl_socket_get_portid(nl), msg_cb, ret) < 0)
			r = neg_errno();
	}
	mnl_socket_close(nl);
	if (r == 0 && ret->ino != ino)
		r = -ENOENT;
	if (r < 0)
		sockdiag_unix_free(ret);
	return r;
}

struct vfs_search {
	uint64_t ino;
	int found;
};

static int vfs_attr_cb(const struct nlattr *a, void *data)
{
	struct vfs_search *v = data;
	if (mnl_attr_get_type(a) == UNIX_DIAG_VFS &&
	    mnl_attr_get_payload_len(a) >= sizeof(struct unix_diag_vfs)) {
		const struct unix_diag_vfs *f = mnl_attr_get_payload(a);
		v->found |= f->udiag_vfs_ino == v->ino;
	}
	return MNL_CB_OK;
}

static int vfs_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct unix_diag_msg)))
		return MNL_CB_ERROR;
	return mnl_attr_parse(nlh, sizeof(struct unix_diag_msg), vfs_attr_cb, data);
}

int sockdiag_unix_file_bound(uint64_t vfs_ino)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct vfs_search v = {vfs_ino, 0};
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	int r = 1;
	if (!nl)
		return neg_errno();
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	struct unix_diag_req *q = mnl_nlmsg_put_extra_header(nlh, sizeof(*q));
	q->sdiag_family = AF_UNIX;
	q->udiag_states = ~0u;
	q->udiag_show = UDIAG_SHOW_VFS;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = neg_errno();
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			r = neg_errno();
			break;
		}
		r = mnl_cb_run(buf, n, 1, mnl_socket_get_portid(nl), vfs_msg_cb, &v);
		if (r <= MNL_CB_STOP) {
			r = r < 0 ? neg_errno() : v.found;
			break;
		}
	}
out:
	mnl_socket_close(nl);
	return r;
}

void sockdiag_unix_free(struct unix_diag_info *u)
{
	free(u->icons);
	u->icons = NULL;
	u->nicons = 0;
}

pid_t sockdiag_owner(uint64_t ino, const pid_t *skip, size_t n)
{
	char want[48], path[300], link[64];
	DIR *proc = opendir("/proc");
	struct dirent *pe;
	pid_t found = 0;
	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)ino);
	while (proc && !found && (pe = readdir(proc))) {
		pid_t pid = atoi(pe->d_name);
		int mine = pid <= 0;
		for (size_t i = 0; i < n && !mine; i++)
			mine = skip[i] == pid;
		if (mine)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		DIR *fds = opendir(path);
		struct dirent *fe;
		while (fds && !found && (fe = readdir(fds))) {
			snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, fe->d_name);
			ssize_t l = readlink(path, link, sizeof(link) - 1);
			if (l > 0 && (link[l] = 0, !strcmp(link, want)))
				found = pid;
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	return found;
}

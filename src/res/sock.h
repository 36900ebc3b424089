/* SPDX-License-Identifier: MIT */
/* Sockets (src/res/unix.c, tcp.c, udp.c): the fixed layouts of their REC_FILE_DATA records, the
 * socket options they save and restore (sockopt.c), the sock_diag queries (sockdiag.c) and the
 * network lock that holds TCP/UDP packets back between dump and restore (netlock.c). Every
 * layout here is checked field by field by the *_rec_validate() functions before any use:
 * images are untrusted. docs/resources-sockets.md describes them. */
#ifndef FERRY_RES_SOCK_H
#define FERRY_RES_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/log.h"
#include "common/util.h"

/* ---- REC_FILE_DATA tags, shared by the three socket kinds ---- */
enum sock_tag {
	SOCK_TAG_OPTS = 1,   /* struct sock_opt[]: options that differ from a fresh socket */
	SOCK_TAG_TCP,	     /* struct tcp_rec */
	SOCK_TAG_TCP_RECVQ,  /* bytes of the receive queue (received, not read) */
	SOCK_TAG_TCP_SENDQ,  /* bytes of the write queue: sent-but-unacked, then not-yet-sent */
	SOCK_TAG_UDP,	     /* struct udp_rec */
	SOCK_TAG_UNIX,	     /* struct unix_rec */
	SOCK_TAG_UNIX_QUEUE, /* receive queue: stream: bytes; dgram/seqpacket: (u32 len, bytes)...
			      */
	SOCK_TAG_UNIX_ICONS, /* uint64_t[]: inodes of the pending connections, queue order */
};

/* ---- socket options (sockopt.c) ---- */
struct sock_opt {
	int32_t level, name;
	int64_t v0, v1; /* int: v0; linger: onoff, seconds; timeval: seconds, microseconds */
};
#define SOCK_MAX_OPTS 64

enum sock_opt_family { SOF_UNIX = 1, SOF_TCP = 2, SOF_UDP = 4 };

/* Read every known option of socket fd (of family class `fam`) that differs from a fresh socket
 * of the same domain/type; ret must hold SOCK_MAX_OPTS entries. Returns the count or -errno. */
int sock_opts_read(int fd, int fam, int domain, int type, struct sock_opt *ret) MUST_CHECK;
/* Apply options to fd; `what` names the socket in errors. */
int sock_opts_apply(int fd, const struct sock_opt *o, size_t n, const char *what,
		    struct ferry_err *e) MUST_CHECK;
struct img_file_model;
/* Apply the file's SOCK_TAG_OPTS record (validated), if any. */
int sock_opts_apply_file(int fd, const struct img_file_model *f, int fam, const char *what,
			 struct ferry_err *e) MUST_CHECK;
/* Check an SOCK_TAG_OPTS payload: whole entries, known options for this kind, values in range. */
int sock_opts_validate(const void *data, uint64_t len, int fam, struct ferry_err *e) MUST_CHECK;

/* ---- inet addresses (TCP, UDP) ---- */
struct sock_inet_addr {
	uint8_t addr[16]; /* IPv4: first 4 bytes; IPv6: all 16 */
	uint16_t port;	  /* host order */
	uint16_t pad;
	uint32_t scope_id; /* IPv6 link-local scope */
};

/* sockinet.c: address conversions. */
struct sockaddr_storage;
int sock_inet_from(const struct sockaddr_storage *ss, struct sock_inet_addr *ret);
socklen_t sock_inet_to(int family, const struct sock_inet_addr *a, struct sockaddr_storage *ret);
int all_zero_addr(const uint8_t a[16]);
/* "1.2.3.4:80" / "[::1]:80" into buf. */
const char *sock_inet_str(int family, const struct sock_inet_addr *a, char *buf, size_t len);

/* ---- TCP ---- */
enum tcp_rec_state { TCP_REC_CLOSED = 1, TCP_REC_LISTEN, TCP_REC_ESTABLISHED };
#define TCP_REC_OPT_SACK   0x1
#define TCP_REC_OPT_TS	   0x2
#define TCP_REC_OPT_WSCALE 0x4

struct tcp_rec {
	uint32_t family;  /* AF_INET or AF_INET6 */
	uint32_t state;	  /* enum tcp_rec_state */
	uint32_t bound;	  /* CLOSED: bound to laddr */
	uint32_t backlog; /* LISTEN */
	struct sock_inet_addr laddr, raddr;
	/* ESTABLISHED */
	uint32_t snd_seq;    /* write_seq: sequence number after the last byte queued to send */
	uint32_t rcv_seq;    /* rcv_nxt: next sequence number expected */
	uint32_t sendq_len;  /* SIOCOUTQ: unacked + unsent bytes (SOCK_TAG_TCP_SENDQ length) */
	uint32_t unsent_len; /* SIOCOUTQNSD: of those, never sent */
	uint32_t recvq_len;  /* SIOCINQ (SOCK_TAG_TCP_RECVQ length) */
	uint32_t mss;
	uint32_t opts; /* TCP_REC_OPT_* */
	uint8_t snd_wscale, rcv_wscale;
	uint16_t pad;
	uint32_t timestamp;					 /* TCP_TIMESTAMP */
	uint32_t snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup; /* TCP_REPAIR_WINDOW */
	uint32_t pad2;
	uint64_t lock_id; /* the network lock holding it (netlock.c), 0 if none */
};
int tcp_rec_validate(const struct tcp_rec *t, uint64_t len, struct ferry_err *e) MUST_CHECK;

/* ---- UDP ---- */
struct udp_rec {
	uint32_t family;
	uint32_t bound, connected;
	uint32_t dropped; /* datagrams that were queued at the dump (dropped: see docs) */
	struct sock_inet_addr laddr, raddr;
	uint64_t lock_id;
};
int udp_rec_validate(const struct udp_rec *u, uint64_t len, struct ferry_err *e) MUST_CHECK;

/* ---- UNIX ---- */
#define UNIX_REC_NAME_MAX 108
enum unix_rec_flags {
	UNIX_REC_PATH = 0x1,	      /* bound to an absolute filesystem path (name[0] != 0) */
	UNIX_REC_ABSTRACT = 0x2,      /* bound to an abstract name (name[0] == 0) */
	UNIX_REC_LISTEN = 0x4,	      /* listening; SOCK_TAG_UNIX_ICONS lists its pending clients */
	UNIX_REC_CONNECTED = 0x8,     /* connected to the image's socket peer_ino */
	UNIX_REC_PEER_OUTSIDE = 0x10, /* dgram: connected to the named socket peer_name outside */
	UNIX_REC_PEER_GONE = 0x20,    /* its peer was closed (stream: EOF after the queue) */
	UNIX_REC_PENDING = 0x40,      /* a client not yet accepted by the listener listener_ino */
	UNIX_REC_UNLINKED = 0x80,     /* PATH: the path no longer named the socket at the dump */
	UNIX_REC_FLAGS = 0xff,
};
struct unix_rec {
	uint32_t type;		     /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	uint32_t flags;		     /* UNIX_REC_* */
	uint32_t shutdown;	     /* RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2 */
	uint32_t backlog;	     /* LISTEN */
	uint64_t ino;		     /* its own socket inode (= REC_FILE ino) */
	uint64_t peer_ino;	     /* CONNECTED: the peer's socket inode */
	uint64_t listener_ino;	     /* PENDING */
	uint64_t file_dev, file_ino; /* PATH: the socket file (to recognise it at restore) */
	uint32_t file_mode, file_uid, file_gid;
	uint32_t name_len; /* bytes of name (abstract: with the leading 0) */
	uint8_t name[UNIX_REC_NAME_MAX];
	uint32_t peer_name_len; /* PEER_OUTSIDE */
	uint8_t peer_name[UNIX_REC_NAME_MAX];
	uint32_t nqueued; /* stream: bytes; dgram/seqpacket: messages in SOCK_TAG_UNIX_QUEUE */
	uint32_t pad;
};
int unix_rec_validate(const struct unix_rec *u, uint64_t len, struct ferry_err *e) MUST_CHECK;
/* Check a dgram/seqpacket queue payload: (u32 len, bytes) entries filling it exactly, n of them. */
int unix_queue_validate(const uint8_t *d, uint64_t len, uint32_t n, struct ferry_err *e) MUST_CHECK;

/* ---- sock_diag (sockdiag.c) ---- */
struct unix_diag_info {
	uint32_t type, state, shutdown;
	uint64_t ino, peer_ino;
	uint32_t name_len;
	char name[UNIX_REC_NAME_MAX];
	int has_vfs;
	uint64_t vfs_dev, vfs_ino;
	uint32_t rqueue, wqueue; /* listen: pending count, backlog; else: bytes in, bytes out */
	size_t nicons;
	uint64_t *icons; /* malloc'd */
};
/* Look a UNIX socket up by inode in ferry's network namespace: -ENOENT if none. */
int sockdiag_unix(uint64_t ino, struct unix_diag_info *ret) MUST_CHECK;
void sockdiag_unix_free(struct unix_diag_info *u);
/* 1 if a live UNIX socket is bound to the socket file with this inode, 0 if none, -errno. */
int sockdiag_unix_file_bound(uint64_t vfs_ino) MUST_CHECK;
/* The pid of a process (not in `skip`, n entries) holding socket inode ino, 0 if none found. */
pid_t sockdiag_owner(uint64_t ino, const pid_t *skip, size_t n);

/* ---- network lock (netlock.c) ---- */
/* One flow to hold back: packets to laddr:lport (from raddr:rport unless rport is 0). */
struct netlock_flow {
	int family, proto; /* AF_INET/AF_INET6, IPPROTO_TCP/UDP */
	struct sock_inet_addr laddr, raddr;
};
/* Called by tcp.c/udp.c check(): add a flow to the lock the dump will take. */
int netlock_want(const struct netlock_flow *f) MUST_CHECK;
struct dump_ctx;
/* Take the lock for every flow wanted so far (once; later calls do nothing). tcp.c and udp.c
 * call it in dump(), right before they touch their first socket: the tree is frozen already,
 * and taking it this late keeps the memory dump out of the hold-back time. */
int netlock_take(struct dump_ctx *c) MUST_CHECK;
/* The id of the dump's lock (0 before it is taken). */
uint64_t netlock_id(void);
/* tcp.c, called by the lock at the end of a dump: with `resumed`, take the tree's TCP sockets out
 * of repair mode (the tree continues); always close ferry's duplicates of them. */
void tcp_dump_end(struct dump_ctx *c, int resumed);
/* unix.c: forget the tree's socket table built for the dump. */
void unix_dump_end(void);
struct restore_ctx;
/* tcp.c: take a rebuilt connection out of repair mode and queue its never-sent bytes. */
int tcp_resume(struct restore_ctx *c, const struct img_file_model *f, int fd) MUST_CHECK;
/* Restore side, called by tcp.c/udp.c open() with the new socket: once the image's last TCP/UDP
 * socket exists, resume every TCP connection (tcp_resume) and release the image's locks. */
int netlock_opened(struct restore_ctx *c, const struct img_file_model *f, int fd) MUST_CHECK;

#endif

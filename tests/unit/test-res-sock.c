/* SPDX-License-Identifier: MIT */
/* Unit tests of the socket kinds' validators and parsers (src/res/sock*.c, tcp.c, udp.c,
 * unix.c): fixed records with one field broken at a time, option lists, dgram queue payloads
 * with every truncation, cross-record checks of whole file models, the fdinfo protocol note. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "res/res.h"
#include "res/sock.h"

static struct tcp_rec tcp_ok(void)
{
	struct tcp_rec t = {.family = AF_INET, .state = TCP_REC_ESTABLISHED};
	t.laddr.port = 80;
	t.raddr.port = 4242;
	t.sendq_len = 100;
	t.unsent_len = 40;
	t.recvq_len = 7;
	t.mss = 1460;
	t.opts = TCP_REC_OPT_SACK | TCP_REC_OPT_TS | TCP_REC_OPT_WSCALE;
	t.snd_wscale = t.rcv_wscale = 7;
	return t;
}

static void tcp_record(void **state)
{
	struct ferry_err e = {0};
	struct tcp_rec t = tcp_ok();
	(void)state;
	assert_int_equal(tcp_rec_validate(&t, sizeof(t), &e), 0);
	assert_int_equal(tcp_rec_validate(&t, sizeof(t) - 1, &e), -EBADMSG);
#define BAD(stmt)                                                                                  \
	do {                                                                                       \
		struct tcp_rec b = tcp_ok();                                                       \
		stmt;                                                                              \
		assert_int_equal(tcp_rec_validate(&b, sizeof(b), &e), -EBADMSG);                   \
	} while (0)
	BAD(b.family = AF_UNIX);
	BAD(b.state = 0);
	BAD(b.state = 4);
	BAD(b.unsent_len = 101);
	BAD(b.mss = 0);
	BAD(b.mss = 70000);
	BAD(b.snd_wscale = 15);
	BAD(b.opts = 8);
	BAD(b.raddr.port = 0);
	BAD(b.pad = 1);
	BAD(b.laddr.scope_id = 3);
	BAD(b.recvq_len = IMG_MAX_DATA_REC + 1);
	BAD((b.state = TCP_REC_LISTEN, b.sendq_len = b.unsent_len = b.recvq_len = 0));
	BAD((b.state = TCP_REC_CLOSED, b.sendq_len = 1));
	BAD((b.state = TCP_REC_LISTEN, b.backlog = 70000));
#undef BAD
	struct tcp_rec l = {.family = AF_INET6, .state = TCP_REC_LISTEN, .backlog = 128};
	l.laddr.port = 8080;
	assert_int_equal(tcp_rec_validate(&l, sizeof(l), &e), 0);
	l.laddr.port = 0;
	assert_int_equal(tcp_rec_validate(&l, sizeof(l), &e), -EBADMSG);
}

static void udp_record(void **state)
{
	struct ferry_err e = {0};
	struct udp_rec u = {.family = AF_INET6, .bound = 1, .connected = 1};
	(void)state;
	u.laddr.port = 53;
	u.raddr.port = 5353;
	assert_int_equal(udp_rec_validate(&u, sizeof(u), &e), 0);
	assert_int_equal(udp_rec_validate(&u, sizeof(u) + 1, &e), -EBADMSG);
	u.raddr.port = 0;
	assert_int_equal(udp_rec_validate(&u, sizeof(u), &e), -EBADMSG);
	u.connected = 0;
	assert_int_equal(udp_rec_validate(&u, sizeof(u), &e), 0);
	u.raddr.addr[3] = 1; /* an address without a connection */
	assert_int_equal(udp_rec_validate(&u, sizeof(u), &e), -EBADMSG);
	u.raddr.addr[3] = 0;
	u.bound = 2;
	assert_int_equal(udp_rec_validate(&u, sizeof(u), &e), -EBADMSG);
	u.bound = 1;
	u.family = 99;
	assert_int_equal(udp_rec_validate(&u, sizeof(u), &e), -EBADMSG);
}

static struct unix_rec unix_path(void)
{
	struct unix_rec u = {.type = SOCK_STREAM, .flags = UNIX_REC_PATH | UNIX_REC_LISTEN};
	u.ino = 10;
	u.backlog = 5;
	u.file_mode = 0640;
	u.name_len = strlen("/tmp/s");
	memcpy(u.name, "/tmp/s", u.name_len);
	return u;
}

static void unix_record(void **state)
{
	struct ferry_err e = {0};
	struct unix_rec u = unix_path();
	(void)state;
	assert_int_equal(unix_rec_validate(&u, sizeof(u), &e), 0);
	assert_int_equal(unix_rec_validate(&u, sizeof(u) - 8, &e), -EBADMSG);
#define BAD(stmt)                                                                                  \
	do {                                                                                       \
		struct unix_rec b = unix_path();                                                   \
		stmt;                                                                              \
		assert_int_equal(unix_rec_validate(&b, sizeof(b), &e), -EBADMSG);                  \
	} while (0)
	BAD(b.type = SOCK_RAW);
	BAD(b.flags |= 0x100);
	BAD(b.flags |= UNIX_REC_ABSTRACT);
	BAD(b.flags |= UNIX_REC_CONNECTED);
	BAD(b.shutdown = 4);
	BAD(b.ino = 0);
	BAD(b.name[0] = 'x'); /* a relative path */
	BAD(b.name[3] = 0);   /* a NUL inside the path */
	BAD(b.name_len = 0);
	BAD(b.name_len = UNIX_REC_NAME_MAX + 1);
	BAD((b.flags = UNIX_REC_LISTEN, b.name_len = 0, b.file_mode = 0)); /* unnamed listener */
	BAD(b.nqueued = 3);						   /* data on a listener */
	BAD(b.file_mode = 010000);
	BAD((b.type = SOCK_DGRAM)); /* dgram listener */
	BAD(b.backlog = 70000);
	BAD(b.peer_name_len = 4);
#undef BAD
	/* an abstract dgram socket connected outside, with its peer's path */
	struct unix_rec d = {.type = SOCK_DGRAM,
			     .flags = UNIX_REC_ABSTRACT | UNIX_REC_PEER_OUTSIDE};
	d.ino = 11;
	d.name_len = 4;
	memcpy(d.name, "\0abc", 4);
	d.peer_name_len = 8;
	memcpy(d.peer_name, "/dev/log", 8);
	assert_int_equal(unix_rec_validate(&d, sizeof(d), &e), 0);
	d.nqueued = 1; /* datagrams from outside cannot be resent */
	assert_int_equal(unix_rec_validate(&d, sizeof(d), &e), -EBADMSG);
	d.nqueued = 0;
	d.name[0] = 'a'; /* claims abstract, is not */
	assert_int_equal(unix_rec_validate(&d, sizeof(d), &e), -EBADMSG);
	d.name[0] = 0;
	d.file_ino = 5; /* file facts without a path */
	assert_int_equal(unix_rec_validate(&d, sizeof(d), &e), -EBADMSG);
}

static void unix_queue(void **state)
{
	struct ferry_err e = {0};
	uint8_t q[32];
	uint32_t l;
	(void)state;
	l = 3;
	memcpy(q, &l, 4);
	memcpy(q + 4, "abc", 3);
	l = 0;
	memcpy(q + 7, &l, 4); /* an empty datagram */
	l = 2;
	memcpy(q + 11, &l, 4);
	memcpy(q + 15, "xy", 2);
	assert_int_equal(unix_queue_validate(q, 17, 3, &e), 0);
	assert_int_equal(unix_queue_validate(q, 17, 2, &e), -EBADMSG);
	assert_int_equal(unix_queue_validate(q, 0, 0, &e), 0);
	for (uint64_t len = 1; len < 17; len++) /* every truncation is refused */
		if (len != 7 && len != 11)
			assert_int_equal(unix_queue_validate(q, len, 3, &e), -EBADMSG);
	l = 0xffffffff;
	memcpy(q, &l, 4);
	assert_int_equal(unix_queue_validate(q, 17, 3, &e), -EBADMSG);
}

static void options(void **state)
{
	struct ferry_err e = {0};
	struct sock_opt o[3] = {{SOL_SOCKET, SO_REUSEADDR, 1, 0},
				{IPPROTO_TCP, TCP_KEEPIDLE, 77, 0},
				{SOL_SOCKET, SO_LINGER, 1, 3}};
	(void)state;
	assert_int_equal(sock_opts_validate(o, sizeof(o), SOF_TCP, &e), 0);
	assert_int_equal(sock_opts_validate(o, sizeof(o) - 1, SOF_TCP, &e), -EBADMSG);
	assert_int_equal(sock_opts_validate(o, sizeof(o), SOF_UNIX, &e), -EBADMSG); /* TCP opt */
	assert_int_equal(sock_opts_validate(o, 0, SOF_UNIX, &e), 0);
	o[0].v0 = 2; /* not a boolean */
	assert_int_equal(sock_opts_validate(o, sizeof(o), SOF_TCP, &e), -EBADMSG);
	o[0].v0 = 1;
	o[2].v1 = -1; /* negative linger */
	assert_int_equal(sock_opts_validate(o, sizeof(o), SOF_TCP, &e), -EBADMSG);
	o[2] = (struct sock_opt){SOL_SOCKET, SO_RCVTIMEO, 1, 1000000}; /* usec out of range */
	assert_int_equal(sock_opts_validate(o, sizeof(o), SOF_TCP, &e), -EBADMSG);
	o[2] = (struct sock_opt){SOL_SOCKET, 12345, 1, 0};
	assert_int_equal(sock_opts_validate(o, sizeof(o), SOF_TCP, &e), -EBADMSG);
	o[2] = (struct sock_opt){SOL_SOCKET, SO_SNDBUF, -2, 0};
	assert_int_equal(sock_opts_validate(o, sizeof(o), SOF_TCP, &e), -EBADMSG);
}

/* Whole file models through the kinds' validate(): queues must match the record. */
static void tcp_model(void **state)
{
	struct ferry_err e = {0};
	struct tcp_rec t = tcp_ok();
	uint8_t rq[7] = "abcdefg", sq[100] = {0};
	struct img_data d[3] = {{SOCK_TAG_TCP, 0, (const uint8_t *)&t, sizeof(t)},
				{SOCK_TAG_TCP_RECVQ, 0, rq, sizeof(rq)},
				{SOCK_TAG_TCP_SENDQ, 0, sq, sizeof(sq)}};
	struct img_file_model f = {
		.f = {.id = 1, .kind = FILE_TCP}, .path = "", .ndata = 3, .data = d};
	struct img_model m = {.nfiles = 1, .files = &f};
	const struct res_file_ops *o = res_file_kind(FILE_TCP);
	(void)state;
	assert_non_null(o);
	assert_int_equal(o->validate(&m, &f, &e), 0);
	d[1].len = 6;
	assert_int_equal(o->validate(&m, &f, &e), -EBADMSG);
	d[1].len = 7;
	d[2].tag = SOCK_TAG_TCP_RECVQ; /* twice the same queue, send queue missing */
	assert_int_equal(o->validate(&m, &f, &e), -EBADMSG);
	d[2].tag = 999;
	assert_int_equal(o->validate(&m, &f, &e), -EBADMSG);
	f.ndata = 1; /* queues missing */
	assert_int_equal(o->validate(&m, &f, &e), -EBADMSG);
	f.ndata = 0;
	assert_int_equal(o->validate(&m, &f, &e), -EBADMSG);
}

static void unix_model(void **state)
{
	struct ferry_err e = {0};
	struct unix_rec a = {
		.type = SOCK_STREAM, .flags = UNIX_REC_CONNECTED, .ino = 5, .peer_ino = 6};
	struct unix_rec b = {
		.type = SOCK_STREAM, .flags = UNIX_REC_CONNECTED, .ino = 6, .peer_ino = 5};
	struct img_data da[2] = {{SOCK_TAG_UNIX, 0, (const uint8_t *)&a, sizeof(a)},
				 {SOCK_TAG_UNIX_QUEUE, 0, (const uint8_t *)"hey", 3}};
	struct img_data db = {SOCK_TAG_UNIX, 0, (const uint8_t *)&b, sizeof(b)};
	struct img_file_model f[2] = {
		{.f = {.id = 1, .kind = FILE_UNIX, .ino = 5}, .path = "", .ndata = 1, .data = da},
		{.f = {.id = 2, .kind = FILE_UNIX, .ino = 6}, .path = "", .ndata = 1, .data = &db}};
	struct img_model m = {.nfiles = 2, .files = f};
	const struct res_file_ops *o = res_file_kind(FILE_UNIX);
	(void)state;
	assert_non_null(o);
	assert_int_equal(o->validate(&m, &f[0], &e), 0);
	assert_int_equal(o->validate(&m, &f[1], &e), 0);
	a.nqueued = 3; /* the queue record is missing */
	assert_int_equal(o->validate(&m, &f[0], &e), -EBADMSG);
	f[0].ndata = 2;
	assert_int_equal(o->validate(&m, &f[0], &e), 0);
	a.nqueued = 4; /* stream queue length differs */
	assert_int_equal(o->validate(&m, &f[0], &e), -EBADMSG);
	a.nqueued = 3;
	b.peer_ino = 7; /* the peer does not point back */
	assert_int_equal(o->validate(&m, &f[0], &e), -EBADMSG);
	b.peer_ino = 5;
	b.type = SOCK_SEQPACKET; /* types differ */
	assert_int_equal(o->validate(&m, &f[0], &e), -EBADMSG);
	b.type = SOCK_STREAM;
	f[0].f.ino = 9; /* record and REC_FILE disagree */
	assert_int_equal(o->validate(&m, &f[0], &e), -EBADMSG);
	f[0].f.ino = 5;
	a.flags = UNIX_REC_PENDING; /* a pending client of a listener that is not there */
	a.peer_ino = 0;
	a.listener_ino = 6;
	a.nqueued = 0;
	f[0].ndata = 1;
	assert_int_equal(o->validate(&m, &f[0], &e), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_record),  cmocka_unit_test(udp_record),
		cmocka_unit_test(unix_record), cmocka_unit_test(unix_queue),
		cmocka_unit_test(options),     cmocka_unit_test(tcp_model),
		cmocka_unit_test(unix_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

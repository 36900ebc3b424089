/* SPDX-License-Identifier: MIT */
/* SysV IPC: a keyed message queue with three messages of different types and sizes (one of
 * them binary), a private queue with one message, and a keyed set of three semaphores with
 * values 7, 0, 32767 after semop. The keyed objects are removed between dump and restore (see
 * ipc_sysv.desc) so the restore must recreate them with the same ids, keys, modes and
 * contents; the private queue outlives the tree and is reused as it is. */
#include "caselib.h"

#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/sem.h>

#define QKEY 0x46525931
#define SKEY 0x46525932

struct msg {
	long mtype;
	char text[300];
};

static void send(int q, long type, const void *data, size_t len)
{
	struct msg m = {.mtype = type};
	memcpy(m.text, data, len);
	if (msgsnd(q, &m, len, 0))
		case_fail("msgsnd");
}

static void expect(int q, long type, const void *data, size_t len)
{
	struct msg m;
	ssize_t n = msgrcv(q, &m, sizeof(m.text), 0, IPC_NOWAIT);
	if (n != (ssize_t)len || m.mtype != type || memcmp(m.text, data, len))
		case_fail("queue %d: got a %zd-byte message of type %ld, want %zu of type %ld", q,
			  n, m.mtype, len, type);
}

int main(void)
{
	unsigned char bin[300];
	unsigned short vals[3];
	struct msqid_ds qs;
	struct semid_ds ss;

	case_init();
	for (int i = 0; i < 300; i++)
		bin[i] = (unsigned char)(i * 7);
	int q = msgget(QKEY, IPC_CREAT | IPC_EXCL | 0640);
	int p = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	int s = semget(SKEY, 3, IPC_CREAT | IPC_EXCL | 0604);
	if (q < 0 || p < 0 || s < 0)
		case_fail("creating the objects (left over from a crashed run? ipcrm -Q 0x%x -S "
			  "0x%x)",
			  QKEY, SKEY);
	send(q, 5, "hello", 5);
	send(q, 2, bin, sizeof(bin));
	send(q, 9, "", 0);
	send(p, 1, "private", 7);
	struct sembuf ops[] = {{0, 7, 0}, {2, 32000, 0}, {2, 767, 0}};
	if (semop(s, ops, 3))
		case_fail("semop");
	case_ready();
	case_wait();

	CASE_CHECK(msgget(QKEY, 0) == q && semget(SKEY, 0, 0) == s);
	CASE_CHECK(msgctl(q, IPC_STAT, &qs) == 0 && qs.msg_qnum == 3 &&
		   (qs.msg_perm.mode & 0777) == 0640);
	expect(q, 5, "hello", 5);
	expect(q, 2, bin, sizeof(bin));
	expect(q, 9, "", 0);
	expect(p, 1, "private", 7);
	union semun {
		int val;
		struct semid_ds *buf;
		unsigned short *array;
	} arg = {.array = vals};
	CASE_CHECK(semctl(s, 0, GETALL, arg) == 0 && vals[0] == 7 && vals[1] == 0 &&
		   vals[2] == 32767);
	arg.buf = &ss;
	CASE_CHECK(semctl(s, 0, IPC_STAT, arg) == 0 && ss.sem_nsems == 3 &&
		   (ss.sem_perm.mode & 0777) == 0604);
	msgctl(q, IPC_RMID, NULL);
	msgctl(p, IPC_RMID, NULL);
	semctl(s, 0, IPC_RMID);
	case_pass();
}

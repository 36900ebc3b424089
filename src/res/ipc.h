/* SPDX-License-Identifier: MIT */
/* Record payloads of the IPC and seccomp kinds (sysv.c, mqueue.c, seccomp.c): fixed layouts,
 * little-endian, shared with their unit tests. Each .c file documents how they are used. */
#ifndef FERRY_RES_IPC_H
#define FERRY_RES_IPC_H

#include <stdint.h>

/* TREE_SYSV_MSG / TREE_SYSV_SEM: the object, then its messages or semaphore values. */
struct sysv_obj {
	int32_t id;
	int32_t key;
	uint32_t mode; /* permission bits */
	uint32_t uid, gid;
	uint32_t count;	 /* messages, or semaphores */
	uint64_t qbytes; /* message queues: the queue's byte limit; 0 for semaphore sets */
};
struct sysv_msg {
	int64_t mtype; /* > 0 */
	uint32_t len;
	uint32_t pad;
};
#define SYSV_MAX_MSG   32768 /* bytes of one message: it must fit the restore's scratch area */
#define SYSV_MAX_COUNT 65536 /* messages per queue, semaphores per set */

/* TREE_SYSV_SHM: one segment, then nattach attachments, then size bytes of contents. */
struct sysv_shm_seg {
	int32_t id;
	int32_t key;
	uint32_t mode; /* permission bits */
	uint32_t uid, gid, cuid, cgid;
	uint32_t flags; /* SYSV_SHM_* */
	uint64_t size;	/* bytes, as given to shmget */
	uint32_t nattach;
	uint32_t pad;
};
struct sysv_shm_att {
	uint32_t pid;
	uint32_t prot; /* PROT_READ|PROT_WRITE|PROT_EXEC of the mapping */
	uint64_t addr; /* page-aligned; the whole segment is mapped there */
};
#define SYSV_SHM_LOCKED	  0x1	       /* SHM_LOCK */
#define SYSV_SHM_DEST	  0x2	       /* marked for removal (IPC_RMID while attached) */
#define SYSV_SHM_MAX_SIZE (60UL << 20) /* contents travel in one REC_TREE_DATA (64 MiB) */
#define SYSV_SHM_MAX_ATT  4096
struct dump_ctx;
struct dproc;
struct proc_vma;
struct restore_ctx;
/* sysvshm.c, for mem.c: 0 for an attachment res/sysvshm.c saves, or a refusal. */
int sysv_shm_check_vma(struct dump_ctx *c, struct dproc *p, const struct proc_vma *v);
/* sysv.c: make the kernel hand out id next for kind `what` ("msg", "sem" or "shm"; root only),
 * through /proc/sys/kernel/<what>_next_id. */
int sysv_set_next_id(struct restore_ctx *c, const char *what, int id);

/* FILE_MQUEUE, REC_FILE_DATA tag MQ_TAG_STATE: the queue, then its messages in order. */
#define MQ_TAG_STATE 1
struct mq_state {
	int64_t maxmsg, msgsize;
	uint32_t mode, uid, gid, nmsgs;
};
struct mq_msg {
	uint32_t prio, len;
};
#define MQ_MAX_MSGS 65536
#define MQ_MAX_SIZE (1 << 20)

/* TREE_SECCOMP: one confined thread, then its filters, oldest first. */
struct seccomp_rec {
	uint32_t tid;
	uint32_t mode; /* SECCOMP_MODE_STRICT 1 or SECCOMP_MODE_FILTER 2 */
	uint32_t nfilters;
	uint32_t pad;
};
struct seccomp_filter_hdr {
	uint32_t ninsns; /* then ninsns * 8 bytes of struct sock_filter */
	uint32_t flags;	 /* SECCOMP_FILTER_FLAG_LOG or 0 */
};
#define SECCOMP_MAX_FILTERS 64
#define SECCOMP_MAX_INSNS   4096

#endif

/* SPDX-License-Identifier: MIT */
/* Co-location of ferry's main thread with the threads it drives through ptrace. Every remote
 * syscall is two ptrace stops, each a wake-up of the other side; on a VM a wake-up across CPUs
 * (an IPI) costs far more than a switch on one CPU, so the dump or restore of a small process
 * is dominated by them. While ferry drives a tree, its main thread and the tree's threads are
 * put on one CPU; the tree's own masks are put back before it runs again. Best effort: any
 * failure only leaves things unpinned. */
#ifndef FERRY_COMMON_COLOCATE_H
#define FERRY_COMMON_COLOCATE_H

#include <sched.h>
#include <sys/types.h>

struct colocate_saved {
	pid_t tid;
	cpu_set_t mask;
};

struct colocate {
	int active; /* our main thread's mask was changed; own holds it */
	int cpu;
	cpu_set_t own;
	struct colocate_saved *saved; /* threads pinned by colocate_thread, with their masks */
	size_t nsaved, cap;
};

/* Pin the calling thread to the CPU it runs on; k->own keeps its mask. */
void colocate_begin(struct colocate *k);
/* The calling thread back to its own mask (before starting worker threads), and pinned again. */
void colocate_pause(struct colocate *k);
void colocate_resume(struct colocate *k);
/* Pin thread tid (stopped under ptrace) to k->cpu if its mask allows it, remembering its mask. */
void colocate_thread(struct colocate *k, pid_t tid);
/* Give thread tid the mask k->own (restore: what it would have inherited from us). */
void colocate_release(const struct colocate *k, pid_t tid);
/* Put back the saved masks of the pinned threads (put_back) and our own; frees k's memory. */
void colocate_end(struct colocate *k, int put_back);

#endif

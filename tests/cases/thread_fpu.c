/* SPDX-License-Identifier: MIT */
/* Registers of a running thread: while it spins in inline asm it holds known values in ymm0-15
 * (full 256 bits), the 8 x87 stack slots, MXCSR, the x87 control word and r12-r15; after restore
 * it stores them and every bit is compared. With AVX-512, a second thread holds zmm16-31 and k1-k7. */
#include "caselib.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int go, spinning;
static uint8_t yin[16][32], yout[16][32];
static double xin[8] = { 1.5, -2.25, 3.125, 1e300, -1e-300, 42.0, 0.1, 7.0 }, xout[8];
static uint64_t gin[4] = { 0x1111222233334444ULL, 0x5555666677778888ULL, 0x99990000aaaabbbbULL,
			   0xccccddddeeeeffffULL },
		gout[4];
static uint32_t mxcsr_in = 0x7fc0, mxcsr_out; /* round toward zero, DAZ, all masked */
static uint16_t fcw_in = 0x0f7f, fcw_out;     /* truncate, 64-bit precision */
static uint8_t zin[16][64], zout[16][64];
static uint64_t kin[7], kout[7];

#define LD(n) "vmovdqu " #n "*32(%[yi]), %%ymm" #n "\n\t"
#define ST(n) "vmovdqu %%ymm" #n ", " #n "*32(%[yo])\n\t"

static void *avx_thread(void *arg)
{
	__asm__ volatile(
		"ldmxcsr %[mi]\n\t"
		"fninit\n\t"
		"fldcw %[fi]\n\t"
		LD(0) LD(1) LD(2) LD(3) LD(4) LD(5) LD(6) LD(7)
		LD(8) LD(9) LD(10) LD(11) LD(12) LD(13) LD(14) LD(15)
		"fldl 0(%[xi])\n\tfldl 8(%[xi])\n\tfldl 16(%[xi])\n\tfldl 24(%[xi])\n\t"
		"fldl 32(%[xi])\n\tfldl 40(%[xi])\n\tfldl 48(%[xi])\n\tfldl 56(%[xi])\n\t"
		"mov 0(%[gi]), %%r12\n\tmov 8(%[gi]), %%r13\n\tmov 16(%[gi]), %%r14\n\tmov 24(%[gi]), %%r15\n\t"
		"movl $1, %[sp]\n\t"
		"1: pause\n\tcmpl $0, %[go]\n\tje 1b\n\t"
		"mov %%r12, 0(%[go_])\n\tmov %%r13, 8(%[go_])\n\tmov %%r14, 16(%[go_])\n\tmov %%r15, 24(%[go_])\n\t"
		ST(0) ST(1) ST(2) ST(3) ST(4) ST(5) ST(6) ST(7)
		ST(8) ST(9) ST(10) ST(11) ST(12) ST(13) ST(14) ST(15)
		"fstpl 56(%[xo])\n\tfstpl 48(%[xo])\n\tfstpl 40(%[xo])\n\tfstpl 32(%[xo])\n\t"
		"fstpl 24(%[xo])\n\tfstpl 16(%[xo])\n\tfstpl 8(%[xo])\n\tfstpl 0(%[xo])\n\t"
		"stmxcsr %[mo]\n\tfnstcw %[fo]\n\t"
		"fninit\n\tmovl $0x1f80, %[sp]\n\tldmxcsr %[sp]\n\tmovl $1, %[sp]\n\t"
		: [sp] "+m"(spinning), [mo] "=m"(mxcsr_out), [fo] "=m"(fcw_out)
		: [yi] "r"(yin), [yo] "r"(yout), [xi] "r"(xin), [xo] "r"(xout), [gi] "r"(gin),
		  [go_] "r"(gout), [mi] "m"(mxcsr_in), [fi] "m"(fcw_in), [go] "m"(go)
		: "r12", "r13", "r14", "r15", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
		  "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st",
		  "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)", "memory", "cc");
	return NULL;
}

#define ZL(n) "vmovdqu64 (" #n "-16)*64(%[zi]), %%zmm" #n "\n\t"
#define ZS(n) "vmovdqu64 %%zmm" #n ", (" #n "-16)*64(%[zo])\n\t"
#define KL(n) "kmovq (" #n "-1)*8(%[ki]), %%k" #n "\n\t"
#define KS(n) "kmovq %%k" #n ", (" #n "-1)*8(%[ko])\n\t"

static volatile int zspinning;

__attribute__((target("avx512f,avx512bw"))) static void *avx512_thread(void *arg)
{
	__asm__ volatile(
		ZL(16) ZL(17) ZL(18) ZL(19) ZL(20) ZL(21) ZL(22) ZL(23)
		ZL(24) ZL(25) ZL(26) ZL(27) ZL(28) ZL(29) ZL(30) ZL(31)
		KL(1) KL(2) KL(3) KL(4) KL(5) KL(6) KL(7)
		"movl $1, %[sp]\n\t"
		"1: pause\n\tcmpl $0, %[go]\n\tje 1b\n\t"
		ZS(16) ZS(17) ZS(18) ZS(19) ZS(20) ZS(21) ZS(22) ZS(23)
		ZS(24) ZS(25) ZS(26) ZS(27) ZS(28) ZS(29) ZS(30) ZS(31)
		KS(1) KS(2) KS(3) KS(4) KS(5) KS(6) KS(7)
		: [sp] "+m"(zspinning)
		: [zi] "r"(zin), [zo] "r"(zout), [ki] "r"(kin), [ko] "r"(kout), [go] "m"(go)
		: "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24",
		  "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31", "k1", "k2", "k3",
		  "k4", "k5", "k6", "k7", "memory", "cc");
	return NULL;
}

int main(void)
{
	pthread_t t, z;
	int i, j, has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");

	case_init();
	case_block_term();
	for (i = 0; i < 16; i++) {
		for (j = 0; j < 32; j++)
			yin[i][j] = (uint8_t)(i * 32 + j + 1);
		for (j = 0; j < 64; j++)
			zin[i][j] = (uint8_t)(0xff - i * 16 - j);
	}
	for (i = 0; i < 7; i++)
		kin[i] = 0x0123456789abcdefULL * (uint64_t)(i + 3);
	if (pthread_create(&t, NULL, avx_thread, NULL))
		case_fail("pthread_create");
	if (has512 && pthread_create(&z, NULL, avx512_thread, NULL))
		case_fail("pthread_create");
	while (!spinning || (has512 && !zspinning))
		usleep(1000);
	case_ready();
	case_wait();
	go = 1;
	pthread_join(t, NULL);
	if (has512)
		pthread_join(z, NULL);
	for (i = 0; i < 16; i++)
		if (memcmp(yin[i], yout[i], 32))
			case_fail("ymm%d differs", i);
	for (i = 0; i < 8; i++)
		if (memcmp(&xin[i], &xout[i], 8))
			case_fail("x87 st slot %d: %g != %g", i, xout[i], xin[i]);
	if (memcmp(gin, gout, sizeof(gin)))
		case_fail("r12-r15 differ");
	if (mxcsr_out != mxcsr_in)
		case_fail("mxcsr %#x != %#x", mxcsr_out, mxcsr_in);
	if ((fcw_out & 0x1f3f) != (fcw_in & 0x1f3f))
		case_fail("x87 control word %#x != %#x", fcw_out, fcw_in);
	if (has512) {
		for (i = 0; i < 16; i++)
			if (memcmp(zin[i], zout[i], 64))
				case_fail("zmm%d differs", i + 16);
		if (memcmp(kin, kout, sizeof(kin)))
			case_fail("k1-k7 differ");
	}
	printf("checked ymm0-15, x87, mxcsr, fcw, r12-r15%s\n", has512 ? ", zmm16-31, k1-k7" : "");
	case_pass();
}

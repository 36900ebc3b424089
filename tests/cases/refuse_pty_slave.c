/* SPDX-License-Identifier: MIT */
/* Refusal: the slave side of a pty pair that is not ferry's terminal (see refuse_pty.c). */
#define SLAVE_FIRST 1
#include "refuse_pty.c"

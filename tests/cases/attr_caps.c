/* SPDX-License-Identifier: MIT */
/* Capabilities (as root): bounding set without CAP_SYS_BOOT/CAP_AUDIT_WRITE, permitted without
 * CAP_MKNOD, effective also without CAP_SYS_TIME, inheritable {CHOWN, NET_BIND_SERVICE}, ambient
 * {NET_BIND_SERVICE}: CapInh/CapPrm/CapEff/CapBnd/CapAmb in /proc/self/status identical after. */
#include "caselib.h"

#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *keys[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };

int main(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	char before[5][32], after[32];
	int i;

	case_init();
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0) || prctl(PR_CAPBSET_DROP, CAP_AUDIT_WRITE, 0, 0, 0))
		case_fail("PR_CAPBSET_DROP (not root?)");
	if (syscall(SYS_capget, &h, d))
		case_fail("capget");
	d[0].permitted &= ~(1U << CAP_MKNOD);
	d[0].effective &= ~((1U << CAP_MKNOD) | (1U << CAP_SYS_TIME));
	d[0].inheritable = (1U << CAP_CHOWN) | (1U << CAP_NET_BIND_SERVICE);
	d[1].inheritable = 0;
	if (syscall(SYS_capset, &h, d))
		case_fail("capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0))
		case_fail("ambient raise");
	for (i = 0; i < 5; i++)
		if (case_status_field(keys[i], before[i], sizeof(before[i])))
			case_fail("no %s", keys[i]);
	CASE_CHECK(!strcmp(before[4], "0000000000000400"));
	case_ready();
	case_wait();
	for (i = 0; i < 5; i++) {
		case_status_field(keys[i], after, sizeof(after));
		if (strcmp(after, before[i]))
			case_fail("%s %s != %s", keys[i], after, before[i]);
	}
	CASE_CHECK(prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0) == 0);
	CASE_CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) == 1);
	case_pass();
}

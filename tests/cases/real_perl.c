/* SPDX-License-Identifier: MIT */
/* A real program: perl running a counter loop (and a hash of 20000 entries), printing "count N"
 * with 10 ms sleeps via select(). On SIGTERM it checks its own log (counts 1..N exactly once, in
 * order) and its hash, then prints PASS. */
#include "caselib.h"

#include <unistd.h>

static const char script[] =
	"use strict; use warnings;\n"
	"my $stop = 0; $SIG{TERM} = sub { $stop = 1 };\n"
	"$| = 1;\n"
	"my %h = map { $_ => $_ * 3 } 1 .. 20000;\n"
	"my $count = 0;\n"
	"while ($count < 20) { $count++; print \"count $count\\n\"; }\n"
	"print \"ready\\n\";\n"
	"while (!$stop) { $count++; print \"count $count\\n\"; select(undef, undef, undef, 0.01); }\n"
	"open(my $f, '<', '/proc/self/fd/1') or do { print \"FAIL: open log\\n\"; exit 1 };\n"
	"my $expect = 1;\n"
	"while (my $l = <$f>) {\n"
	"  next unless $l =~ /^count (\\d+)$/;\n"
	"  if ($1 != $expect) { print \"FAIL: log count $1, expected $expect\\n\"; exit 1 }\n"
	"  $expect++;\n"
	"}\n"
	"if ($expect - 1 != $count) { printf \"FAIL: log has %d counts, counter %d\\n\", $expect - 1, $count; exit 1 }\n"
	"for my $k (1 .. 20000) { if ($h{$k} != $k * 3) { print \"FAIL: hash changed\\n\"; exit 1 } }\n"
	"print \"PASS\\n\";\n";

int main(void)
{
	case_init();
	execl("/usr/bin/perl", "perl", "-e", script, (char *)NULL);
	case_fail("perl not found");
}

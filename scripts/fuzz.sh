#!/bin/sh
# Build and run ferry's libFuzzer targets with Debian's clang (ASan + UBSan). Seeds come from the
# image unit test (`test-image --seed DIR` writes valid images). Each target runs FUZZ_SECONDS.
#   FUZZ_SECONDS=300 ./scripts/fuzz.sh
set -eu
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
CC=${FUZZ_CC:-clang}
OUT=build-fuzz
CFLAGS="-std=gnu11 -D_GNU_SOURCE -Isrc -g -O1"
mkdir -p "$OUT"

# Seed generator: the unit test, built without sanitizers.
$CC $CFLAGS src/image/*.c src/common/*.c tests/unit/test-image.c -lxxhash -lcmocka \
	-o "$OUT/gen-seed"

for src in tests/fuzz/fuzz-*.c; do
	name=$(basename "$src" .c)
	extra=""
	[ "$name" = fuzz-proto ] && extra="src/daemon/proto.c -ljson-c" # ferryd's message parsers
	$CC -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $CFLAGS \
		src/image/*.c src/common/*.c src/net/*.c "$src" -lxxhash -lsodium -lcrypto $extra -o "$OUT/$name"
	corpus="$OUT/corpus-$name"
	mkdir -p "$corpus"
	"$OUT/gen-seed" --seed "$corpus"
	echo "fuzz: $name for ${FUZZ_SECONDS}s (corpus $corpus)"
	# -rss_limit_mb: the loader maps nothing itself here, but models of large inputs may be big.
	"$OUT/$name" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=4096 -max_len=1048576 \
		-print_final_stats=1 -artifact_prefix="$OUT/$name-" "$corpus"
done

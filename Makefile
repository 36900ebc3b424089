# ferry build: plain GNU make (one file, no generator). Every module under src/ is picked up by
# directory, so adding a file never edits this Makefile.
#   make            build build/ferry, build/ferry-sim, tests          (O=build)
#   make check      install deps, build (normal + ASan/UBSan), run every test
#   make demo       install deps, build, run the cluster demo (3-node test bed, live migration)
#   make demo-checkpoint   the single-machine dump/restore demo
#   make fuzz       build and run the libFuzzer targets (clang)
#   make san        sanitizer build in build-san/
#   make format     clang-format every source file

O        ?= build
CC       ?= cc
SAN      ?=
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -Isrc -Itests/cases/lib
ifeq ($(SAN),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif
LIBS     := -lxxhash -ljson-c -lzstd -lm -lsodium -lcrypto -lmnl

LIB_SRC  := $(filter-out src/cli/%,$(wildcard src/*/*.c))
CLI_SRC  := $(wildcard src/cli/*.c)
SIM_SRC  := $(wildcard sim/*.c)
UNIT_SRC := $(wildcard tests/unit/test-*.c)
CASE_SRC := $(wildcard tests/cases/*.c)
CASE_LIB := $(wildcard tests/cases/lib/*.c)
BENCH_SRC:= $(wildcard bench/*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
# ferryd: src/daemon/*.c go into the library except the daemon's main.
LIB_SRC  := $(filter-out src/daemon/main.c,$(LIB_SRC))
LIBS     += -linih -lpthread

LIB_OBJ  := $(LIB_SRC:%.c=$(O)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(O)/%.o)
SIM_OBJ  := $(SIM_SRC:%.c=$(O)/%.o)
SIM_CORE := $(filter-out $(O)/sim/main.o,$(SIM_OBJ))
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/unit/%)
CASES    := $(CASE_SRC:tests/cases/%.c=$(O)/tests/cases/%)
BENCHES  := $(BENCH_SRC:bench/%.c=$(O)/bench/%)
TOOLS    := $(TOOL_SRC:tests/tools/%.c=$(O)/tests/tools/%)

all: $(O)/ferry $(if $(SIM_SRC),$(O)/ferry-sim) $(UNITS) $(CASES) $(BENCHES) $(TOOLS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(O)/libferry.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Programs that dump or restore link the library whole, so every resource kind of src/res/ is
# present (the registry refers to them weakly).
WHOLE_LIB = -Wl,--whole-archive $(O)/libferry.a -Wl,--no-whole-archive

$(O)/ferry: $(CLI_OBJ) $(O)/libferry.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(WHOLE_LIB) $(LIBS)

all: $(O)/ferryd
$(O)/ferryd: $(O)/src/daemon/main.o $(O)/libferry.a
	$(CC) $(LDFLAGS) -o $@ $< $(WHOLE_LIB) $(LIBS)

$(O)/ferry-sim: $(SIM_OBJ) $(O)/libferry.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# test-sim*.c also link the simulator's core (every sim/*.c but main.c).
$(O)/tests/unit/test-sim%: $(O)/tests/unit/test-sim%.o $(SIM_CORE) $(O)/libferry.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(O)/tests/unit/%: $(O)/tests/unit/%.o $(O)/libferry.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

# State-checking cases are built without sanitizers: they are the processes being migrated.
$(O)/tests/cases/%: tests/cases/%.c $(CASE_LIB) tests/cases/lib/caselib.h
	@mkdir -p $(dir $@)
	cc -O1 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -mavx2 \
		-Itests/cases/lib -o $@ $< $(CASE_LIB) -lpthread -lrt

# Test tools (reaper, demo workload): plain programs, no sanitizers, no library.
$(O)/tests/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	cc -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<

$(O)/bench/%: $(O)/bench/%.o $(O)/libferry.a
	$(CC) $(LDFLAGS) -o $@ $< $(WHOLE_LIB) $(LIBS)

san:
	$(MAKE) O=build-san SAN=1 all

deps:
	./scripts/install-deps.sh

check: deps
	$(MAKE) -j$$(nproc) all
	$(MAKE) -j$$(nproc) san
	./scripts/check.sh

demo: deps
	$(MAKE) -j$$(nproc) all
	./scripts/demo.sh

demo-checkpoint: deps
	$(MAKE) -j$$(nproc) all
	./scripts/demo-checkpoint.sh

fuzz: deps
	./scripts/fuzz.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san build-fuzz

.PHONY: all san deps check demo demo-checkpoint fuzz format clean
-include $(shell find $(O) -name '*.d' 2>/dev/null)

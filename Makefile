# mlp - build, test and install.
#
#   make                 libmlp.a, libmlp.so and the mlp tool (in build/release)
#   make check           every test: unit, CLI and reference tests, then all again under
#                        AddressSanitizer + UndefinedBehaviorSanitizer (the README's test command)
#   make fuzz            run every fuzz harness for FUZZ_SECONDS each (clang, libFuzzer)
#   make memcheck        unit tests and CLI runs under valgrind
#   make demo            run the seed problems' demo
#   make install PREFIX=/usr/local DESTDIR=
#   make CC=clang        any C11 compiler; warnings are errors under gcc and clang

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build/release
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS := -Iinclude -Isrc -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(EXTRA_CPPFLAGS)
# verify: Z3 (exact linear real arithmetic) and GMP (exact rationals); train: zlib
LDLIBS  := -lm -lpthread -lz -lz3 -lgmp $(EXTRA_LDLIBS)

ifeq ($(SAN),1)
  BUILD  := build/san
  CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address,undefined
endif

LAYERS  := base tensor graph graph/ops lang exec io train api analysis analysis/verify
LAYERS  += export
LIB_SRC := $(foreach d,$(LAYERS),$(wildcard src/$(d)/*.c))
CLI_SRC := $(wildcard src/cli/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/unit/*.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
EXAMPLES := $(patsubst examples/api/%.c,$(BUILD)/examples/%,$(wildcard examples/api/*.c))
FUZZERS  := model value csv cli verify facts idx safetensors npy nnet onnx vnnlib
FUZZ_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/fuzz/*.c)) $(BUILD)/tests/fuzz/cli_main.o

LIB_A  := $(BUILD)/libmlp.a
LIB_SO := $(BUILD)/libmlp.so
# The shared library as libraries install: the file libmlp.so.0.1.0 (from MLP_VERSION), its
# SONAME libmlp.so.0 (what programs record and the loader looks for), and the link-time name
# libmlp.so; all three exist in the build folder too.
SO_VERSION := $(shell sed -n 's/#define MLP_VERSION "\(.*\)"/\1/p' include/mlp.h)
SO_MAJOR   := $(firstword $(subst ., ,$(SO_VERSION)))
LIB_SO_REAL := $(BUILD)/libmlp.so.$(SO_VERSION)
LIB_MAP := $(BUILD)/libmlp.map
MLP    := $(BUILD)/mlp
UNIT   := $(BUILD)/unit-tests

.PHONY: all check test unit cli-tests demo install clean examples bench memcheck
all: $(LIB_A) $(LIB_SO) $(MLP) $(EXAMPLES)
	@ln -sf $(MLP) mlp 2>/dev/null || true

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(KERNEL_FLAGS) -fPIC -MMD -MP -c $< -o $@

# The hot kernels get the vectoriser's full attention, and multiply-adds may become FMA
# instructions. gemm_avx2.c is the AVX2+FMA build of the GEMM kernels, chosen at run time only on
# CPUs that have both; the rest of the build stays portable (no -march=native). KERNEL_FLAGS
# come after CFLAGS, so they hold even when CFLAGS is given on the command line.
GEMM_OBJ := $(BUILD)/src/tensor/gemm.o $(BUILD)/src/tensor/gemm_avx2.o $(BUILD)/src/tensor/gemm_avx512.o
$(GEMM_OBJ): KERNEL_FLAGS := -O3 -ffp-contract=fast
ifneq ($(filter x86_64% i386% i686% amd64%,$(shell $(CC) -dumpmachine)),)
$(BUILD)/src/tensor/gemm_avx2.o: KERNEL_FLAGS := -O3 -ffp-contract=fast -mavx2 -mfma
$(BUILD)/src/tensor/gemm_avx512.o: KERNEL_FLAGS := -O3 -ffp-contract=fast -mavx512f -mavx2 -mfma
endif
# verify's sound float bounds run with the rounding mode set upward: no round-to-nearest
# assumptions there (src/analysis/verify/bound.c).
$(BUILD)/src/analysis/verify/bound.o: KERNEL_FLAGS := -O3 -frounding-math -ffp-contract=off
# The slopes' gradient (alpha.c) takes many points up the layers at once: a loop over the points
# the vectoriser turns into vector operations without reordering any sum.
$(BUILD)/src/analysis/verify/alpha.o: KERNEL_FLAGS := -O3 -ffp-contract=off

# The elementwise kernels, the plan's fused kernels and the optimizers are loops the vectoriser must see (GCC
# vectorises only at -O3). No contraction: each element keeps the operations it is written with,
# so fused and unfused plans agree bit for bit.
$(BUILD)/src/graph/ops/%.o $(BUILD)/src/exec/%.o $(BUILD)/src/train/%.o: KERNEL_FLAGS := -O3 -ffp-contract=off

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Only the public API is exported: every function include/mlp.h declares (the version script
# is made from the header, so a new public function is exported by declaring it there); the
# library's internal functions, mlp_ prefixed or not, stay local.
$(LIB_MAP): include/mlp.h
	@mkdir -p $(dir $@)
	{ echo '{ global:'; grep -o '\bmlp_[a-z0-9_]*(' include/mlp.h | tr -d '(' | \
	  sort -u | sed 's/$$/;/'; echo 'local: *; };'; } > $@

$(LIB_SO_REAL): $(LIB_OBJ) $(LIB_MAP)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,libmlp.so.$(SO_MAJOR) -Wl,--version-script,$(LIB_MAP) \
	    -o $@ $(LIB_OBJ) $(LDLIBS)

$(LIB_SO): $(LIB_SO_REAL)
	ln -sf libmlp.so.$(SO_VERSION) $(BUILD)/libmlp.so.$(SO_MAJOR)
	ln -sf libmlp.so.$(SO_MAJOR) $@

$(MLP): $(CLI_OBJ) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(UNIT): $(TEST_OBJ) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/examples/%: examples/api/%.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

examples: $(EXAMPLES)

# Benchmarks (run on demand, never by the tests): the timing program, then the side-by-side
# comparison with PyTorch (bench/compare.py; see bench/RESULTS.md).
BENCH := $(BUILD)/mlp-bench
# FANN 2.2 (Debian's libfann-dev), when installed, is the single-sample peer, linked in.
BENCH_SRC := $(wildcard bench/*.c)
BENCH_SRC := $(filter-out bench/z3_check.c,$(BENCH_SRC))
BENCH_FANN := $(if $(wildcard /usr/include/floatfann.h),-DHAVE_FANN,)
$(BENCH): $(BENCH_SRC) bench/bench.h $(LIB_A)
	$(CC) $(CPPFLAGS) $(BENCH_FANN) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $(BENCH_SRC) $(LIB_A) \
	    $(LDLIBS) $(if $(BENCH_FANN),-lfloatfann,)

bench: $(BENCH)
	/usr/bin/python3 bench/compare.py --bench $(abspath $(BENCH))

unit: $(UNIT)
	$(UNIT)

# Unit tests, then the CLI tests against this build's binary, then the fuzz corpora replayed.
test: all $(UNIT)
	$(UNIT)
	MLP=$(abspath $(MLP)) BUILD=$(abspath $(BUILD)) python3 tests/cli/run.py
	@$(MAKE) --no-print-directory fuzz-replay

# Everything CI runs: the tests on a release build and on an ASan+UBSan build, and a
# warnings-as-errors build with clang (also of the libFuzzer harnesses).
check:
	$(MAKE) test
	$(MAKE) SAN=1 test
	$(MAKE) CC=clang BUILD=build/clang all
	$(MAKE) fuzz-build
	@echo "check: all tests passed (release and ASan+UBSan builds; gcc and clang clean)"

demo: all
	@sh examples/seed/demo.sh $(MLP)

# The unit tests and CLI runs under valgrind (slow: minutes; not part of check).
memcheck: all $(UNIT)
	sh tests/memcheck.sh $(BUILD)

install: $(LIB_A) $(LIB_SO) $(MLP)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
	           $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(MLP) $(DESTDIR)$(PREFIX)/bin/mlp
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/libmlp.a
	install -m 755 $(LIB_SO_REAL) $(DESTDIR)$(PREFIX)/lib/libmlp.so.$(SO_VERSION)
	ln -sf libmlp.so.$(SO_VERSION) $(DESTDIR)$(PREFIX)/lib/libmlp.so.$(SO_MAJOR)
	ln -sf libmlp.so.$(SO_MAJOR) $(DESTDIR)$(PREFIX)/lib/libmlp.so
	install -m 644 include/mlp.h $(DESTDIR)$(PREFIX)/include/mlp.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/#define MLP_VERSION "\(.*\)"/\1/p' include/mlp.h)|g' \
	    -e 's|@LIBS@|$(LDLIBS)|g' mlp.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/mlp.pc
	@# the loader's cache, for a system prefix installed by root (other prefixes: mlp.pc's rpath)
	@case "$(DESTDIR):$(PREFIX)" in :/usr|:/usr/local) ! command -v ldconfig >/dev/null || \
	    [ ! -w /etc/ld.so.cache ] || ldconfig;; esac

clean:
	rm -rf build mlp

include tests/fuzz/fuzz.mk

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)

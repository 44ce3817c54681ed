# tests/fuzz/fuzz.mk - the fuzz harnesses (included by the Makefile, which lists them in FUZZERS).
#
#   make fuzz [FUZZERS="model csv"] [FUZZ_SECONDS=60]
#        build every harness with clang -fsanitize=fuzzer,address,undefined and run each for
#        FUZZ_SECONDS, starting from its committed corpus tests/fuzz/corpus/NAME (new inputs go
#        to build/fuzz/corpus/NAME, crashes to build/fuzz/crashes/)
#   make fuzz-merge      add the inputs of those runs that reach new code to the committed corpus
#   make fuzz-replay     run the committed corpora through the harnesses built with this build's
#                        compiler and sanitizers and a standalone driver (part of `make test`)
#
# A harness is tests/fuzz/fuzz_NAME.c, its seeds tests/fuzz/corpus/NAME/, and an optional
# libFuzzer dictionary tests/fuzz/NAME.dict. See docs/fuzzing.md.

FUZZ_SECONDS ?= 60
FUZZ_OPTS    ?= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_BUILD   := build/fuzz
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=undefined
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined

# What every harness links besides its own file: the shared helpers, and the CLI with main()
# renamed so the cli harness can call the tool's dispatcher (subcommands added later are fuzzed
# without touching the harness).
FUZZ_COMMON = $(BUILD)/tests/fuzz/fuzz_util.o $(filter-out $(BUILD)/src/cli/main.o,$(CLI_OBJ)) \
              $(BUILD)/tests/fuzz/cli_main.o

$(BUILD)/tests/fuzz/cli_main.o: src/cli/main.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) -Wno-missing-prototypes -Dmain=mlp_cli_main $(CFLAGS) -MMD -MP -c $< -o $@

# Replay binaries: harness + standalone driver, with this build's compiler and flags.
$(BUILD)/fuzz/replay-%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/driver.o $(FUZZ_COMMON) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer binaries (only built inside the clang sub-make of `make fuzz`).
$(BUILD)/fuzz/fuzz-%: $(BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_COMMON) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: fuzz fuzz-build fuzz-merge fuzz-replay
fuzz-replay: $(FUZZERS:%=$(BUILD)/fuzz/replay-%)
	@for f in $(FUZZERS); do $(BUILD)/fuzz/replay-$$f tests/fuzz/corpus/$$f || exit 1; done

fuzz-build:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang CFLAGS="$(FUZZ_CFLAGS)" LDFLAGS="$(FUZZ_LDFLAGS)" \
	        $(FUZZERS:%=$(FUZZ_BUILD)/fuzz/fuzz-%)

fuzz: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/crashes
	@for f in $(FUZZERS); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$f; \
	    dict=; [ -f tests/fuzz/$$f.dict ] && dict=-dict=tests/fuzz/$$f.dict; \
	    echo "fuzz $$f: $(FUZZ_SECONDS) s"; \
	    $(FUZZ_BUILD)/fuzz/fuzz-$$f $(FUZZ_OPTS) $$dict -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix=$(FUZZ_BUILD)/crashes/$$f- \
	        $(FUZZ_BUILD)/corpus/$$f tests/fuzz/corpus/$$f || exit 1; \
	done

fuzz-merge: fuzz-build
	@for f in $(FUZZERS); do \
	    $(FUZZ_BUILD)/fuzz/fuzz-$$f -merge=1 tests/fuzz/corpus/$$f $(FUZZ_BUILD)/corpus/$$f || exit 1; \
	done
.SECONDARY: $(FUZZ_OBJ)

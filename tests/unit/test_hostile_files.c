/* test_hostile_files.c - hostile verify specs and bounds, zeros facts, IDX data and weight files:
 * each fix found by fuzzing them (tests/fuzz/fuzz_{verify,facts,idx,safetensors,npy}.c), or by
 * reading the code with a fuzzer's eyes, with the exact error it now gives or the invariant it
 * now keeps. The command-line side (messages with their carets) is in tests/cli/test_hostile.py. */
#include "test.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "api/internal.h"
#include "base/strbuf.h"
#include "io/dataset.h"
#include "io/tensorfile.h"

/* `x > 0` over an input of 200000 elements: each element's atom was found by a linear search
 * over the atoms so far (quadratic: 20 s here, minutes for larger inputs); the atoms of a named
 * value are now made together and found from its first. The spec parses at once and the
 * network is then refused for its size. */
TEST(hostile_spec_over_a_large_input)
{
    mlp_model *m = parse_ok("input x[200000]\ny = relu(x)\noutput y\n");
    CHECK(m);
    mlp_verify_result r;
    mlp_error err = {0};
    const char *bounds[] = {"x in [0, 1]"};
    CHECK(mlp_verify(m, "x > 0 and y >= 0", bounds, 1, &r, &err) == MLP_ERR_UNSUPPORTED);
    CHECK_STR(err.message, "cannot verify: 400000 values over 200000 input elements would need "
                           "80000400000 exact coefficients (at most 8388608)");
    mlp_model_free(m);
}

/* The first token of a spec used to compute its predecessor's end as NULL + 0 (clang UBSan). */
TEST(hostile_empty_spec)
{
    mlp_model *m = parse_ok("input x\ny = relu(x)\noutput y\n");
    CHECK(m);
    mlp_verify_result r;
    mlp_error err = {0};
    CHECK(mlp_verify(m, "", NULL, 0, &r, &err) == MLP_ERR_INPUT);
    CHECK(!strcmp(err.file, "spec") && err.line == 0 && err.col == 1);
    CHECK_STR(err.message, "the spec is empty");
    mlp_model_free(m);
}

/* test_onnx.c - the protobuf wire reader and the ONNX importer on damaged and edge-case input. */
#include "test.h"

#include <stdint.h>
#include <stdlib.h>

#include "base/mem.h"
#include "graph/graph.h"
#include "io/import.h"
#include "io/onnx.h"
#include "io/protobuf.h"

#define FIXTURE "tests/fixtures/onnx/residual-opset13.onnx"

/* Every prefix of a real file is refused with a one-line message naming the file (and the
 * whole file imports). */
TEST(onnx_truncated_at_every_byte)
{
    size_t len;
    char *data = mlp_read_file(FIXTURE, &len);
    CHECK(data && len > 100);
    for (size_t n = 0; n <= len; n++) {
        mlp_error err = {0};
        mlp_graph *g = mlp_onnx_import((const unsigned char *)data, n, "t.onnx", 0,
                                       MLP_MAX_MODEL_VALUES, &err);
        if (n == len) {
            CHECK_MSG(g, "the whole file: %s", err.message);
        } else {
            CHECK_MSG(!g, "a prefix of %zu bytes imported", n);
            CHECK_MSG(err.status == MLP_ERR_INPUT && err.message[0] && !strchr(err.message, '\n'),
                      "prefix %zu: status %d '%s'", n, err.status, err.message);
            CHECK(!strcmp(err.file, "t.onnx"));
        }
        mlp_graph_free(g);
    }
    free(data);
}

static bool read_one_varint(const uint8_t *bytes, size_t n, uint64_t *v, mlp_error *err)
{
    struct pb_reader r = pb_reader_init(bytes, n, "v", err);
    struct pb_field f;
    if (!pb_next(&r, &f))
        return false;
    *v = f.u;
    return f.num == 1 && f.wire == PB_VARINT && pb_done(&r);
}

TEST(protobuf_varint_limits)
{
    uint64_t v;
    mlp_error err = {0};
    const uint8_t max[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK(read_one_varint(max, sizeof max, &v, &err) && v == UINT64_MAX);
    const uint8_t over[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    CHECK(!read_one_varint(over, sizeof over, &v, &err));
    CHECK_STR(err.message, "at byte 1: varint longer than 64 bits");
    mlp_error_clear(&err);
    const uint8_t eleven[] = {0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0};
    CHECK(!read_one_varint(eleven, sizeof eleven, &v, &err));
    CHECK_STR(err.message, "at byte 1: varint longer than 64 bits");
}

/* A one-node model Y = X + W with W given as float_data, packed or one field per element, or as
 * raw_data: all three read the same. */
static void model_with(struct pb_writer *out, int how)
{
    struct pb_writer t = {0}, g = {0}, n = {0}, in = {0}, o = {0}, ty = {0}, tt = {0}, sh = {0},
                     d = {0};
    const float w[2] = {0.1f, -2.5f};
    pb_put_uint(&t, 1, 2); /* dims */
    pb_put_uint(&t, 2, ONNX_FLOAT);
    pb_put_string(&t, 8, "W");
    if (how == 0) {
        pb_put_bytes(&t, 4, w, sizeof w); /* packed float_data (little-endian host) */
    } else if (how == 1) {
        pb_put_float(&t, 4, w[0]);
        pb_put_float(&t, 4, w[1]);
    } else {
        pb_put_bytes(&t, 9, w, sizeof w);
    }
    pb_put_string(&n, 1, "X");
    pb_put_string(&n, 1, "W");
    pb_put_string(&n, 2, "Y");
    pb_put_string(&n, 4, "Add");
    pb_put_message(&g, 1, &n);
    pb_put_message(&g, 5, &t);
    pb_put_string(&d, 2, "N");
    pb_put_message(&sh, 1, &d);
    pb_put_uint(&d, 1, 2);
    pb_put_message(&sh, 1, &d);
    pb_put_uint(&tt, 1, ONNX_FLOAT);
    pb_put_message(&tt, 2, &sh);
    pb_put_message(&ty, 1, &tt);
    pb_put_string(&in, 1, "X");
    pb_put_message(&in, 2, &ty);
    pb_put_message(&g, 11, &in);
    pb_put_string(&o, 1, "Y");
    pb_put_message(&g, 12, &o);
    pb_put_uint(out, 1, 8);
    pb_put_message(out, 7, &g);
    struct pb_writer op = {0};
    pb_put_uint(&op, 2, 17);
    pb_put_message(out, 8, &op);
}

TEST(onnx_packed_unpacked_and_raw_data_agree)
{
    for (int how = 0; how < 3; how++) {
        struct pb_writer w = {0};
        model_with(&w, how);
        mlp_error err = {0};
        mlp_graph *g = mlp_onnx_import(w.buf, w.len, "m.onnx", 0, MLP_MAX_MODEL_VALUES, &err);
        CHECK_MSG(g, "form %d: %s", how, err.message);
        int nm = mlp_graph_find(g, "W", 1);
        CHECK(nm >= 0);
        const double *v = mlp_node_values(g, g->names[nm].node);
        CHECK(v[0] == (double)0.1f && v[1] == -2.5);
        mlp_graph_free(g);
        pb_writer_free(&w);
    }
}

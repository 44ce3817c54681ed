/* z3_check.c - run an SMT-LIB2 file through Z3's C API and print its answer (sat/unsat), for
 * bench/verify_scaling.sh: the whole network handed to Z3 in one query, to compare with the
 * region search of `mlp verify`. Build: cc bench/z3_check.c -lz3 -o build/z3_check */
#include <stdio.h>
#include <stdlib.h>
#include <z3.h>

int main(int argc, char **argv)
{
    FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
    if (!f) {
        fprintf(stderr, "usage: z3_check FILE.smt2\n");
        return 2;
    }
    static char text[1 << 24];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    Z3_config cfg = Z3_mk_config();
    Z3_context c = Z3_mk_context(cfg);
    Z3_del_config(cfg);
    fputs(Z3_eval_smtlib2_string(c, text), stdout);
    Z3_del_context(c);
    return 0;
}

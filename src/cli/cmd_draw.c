/* cmd_draw.c - `mlp draw`: the computation graph as DOT, Mermaid, SVG or PNG. */
#include "cli/cli.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char usage[] =
    "usage: mlp draw MODEL [--format dot|mermaid|svg|png|pdf] [--grad] [--set NAME=VALUE]...\n"
    "                [-o FILE]\n"
    "\n"
    "Draw the computation graph: every value the outputs and the loss depend on. Inputs are\n"
    "blue ellipses, parameters yellow boxes, constants grey dashed boxes, ops circles, and the\n"
    "values a statement names green ellipses headed by their name; operands whose order\n"
    "matters arrive on edges labelled a and b (a - b, a @ b). Outputs and the loss have a\n"
    "double border. The same model always gives the same bytes.\n"
    "\n"
    "  --format F        dot (Graphviz, the default), mermaid (`graph LR`), or svg / png /\n"
    "                    pdf, rendered by Graphviz's `dot` program, which must be installed;\n"
    "                    with -o the format follows the file's extension (.dot .gv .mmd .svg\n"
    "                    .png .pdf; another extension needs --format, and one that names\n"
    "                    another format than --format is refused)\n"
    "  --set NAME=VALUE  values of the inputs (all of them) and parameters: every node then\n"
    "                    shows its value for that sample\n"
    "  --grad            with values: each node also shows dL/dnode, the adjoint (a check for a\n"
    "                    hand computation); without: draw the adjoint graph itself, in a red\n"
    "                    `backward` cluster beside the forward one\n"
    "  -o FILE           write to FILE (complete or not at all) instead of stdout\n"
    "  --seed N          seed for parameters declared with an initialiser (default 1)\n"
    "  --weights FILE    load parameters: FILE.safetensors, or NAME=FILE.npy (repeatable)\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage, bad input, or `dot` missing or failing.\n";

enum format { DOT, MERMAID, SVG, PNG, PDF };

/* The format an -o file's extension names: -1 for none (no extension, or .txt), -2 for an
 * extension that names no format draw writes. */
static int extension_format(const char *out)
{
    static const struct {
        const char *ext;
        enum format f;
    } known[] = {{".dot", DOT}, {".gv", DOT},   {".mmd", MERMAID}, {".mermaid", MERMAID},
                 {".svg", SVG}, {".png", PNG}, {".pdf", PDF}};
    const char *slash = out ? strrchr(out, '/') : NULL, *dot = out ? strrchr(out, '.') : NULL;
    if (!dot || (slash && dot < slash) || dot == out || (slash && dot == slash + 1) ||
        !strcmp(dot, ".txt"))
        return -1;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcmp(dot, known[i].ext))
            return (int)known[i].f;
    return -2;
}

/* --format, or the -o file's extension; a format and an extension that disagree are refused
 * (a .pdf file never holds DOT text). */
static bool parse_format(const struct cli_args *a, enum format *f)
{
    static const char *const names[] = {"dot", "mermaid", "svg", "png", "pdf"};
    const char *v = cli_get(a, "--format"), *out = cli_get(a, "-o");
    int ext = out && strcmp(out, "-") ? extension_format(out) : -1;
    *f = DOT;
    if (!v && ext == -2) {
        cli_usage_error(a, "-o %s: draw writes .dot, .gv, .mmd, .svg, .png or .pdf files; name "
                           "the format with --format to write another name", out);
        return false;
    }
    if (!v) {
        *f = ext >= 0 ? (enum format)ext : DOT;
        return true;
    }
    for (int i = 0; i < 5; i++)
        if (!strcmp(v, names[i])) {
            *f = (enum format)i;
            if (ext >= 0 && ext != i) {
                cli_usage_error(a, "--format %s, but -o %s names another format", v, out);
                return false;
            }
            return true;
        }
    cli_usage_error(a, "--format must be dot, mermaid, svg, png or pdf, got '%s'", v);
    return false;
}

/* Whether any --set names an input: then values are drawn. */
static bool sets_inputs(const struct cli_args *a, const mlp_model *m)
{
    for (int i = 0; i < a->ngiven; i++) {
        const char *v = a->given[i].value, *eq = v ? strchr(v, '=') : NULL;
        char name[256];
        if (strcmp(a->given[i].name, "--set") || !eq || (size_t)(eq - v) >= sizeof name)
            continue;
        snprintf(name, sizeof name, "%.*s", (int)(eq - v), v);
        if (mlp_model_kind(m, name) == MLP_INPUT)
            return true;
    }
    return false;
}

/* Run `dot -Tfmt` reading DOT from in_fd and writing to out_fd; EXIT_OK, or the error printed. */
static int run_dot(const char *fmt, int in_fd, int out_fd)
{
    char tflag[16];
    snprintf(tflag, sizeof tflag, "-T%s", fmt);
    char *argv[] = {"dot", tflag, NULL};
    posix_spawn_file_actions_t io;
    posix_spawn_file_actions_init(&io);
    posix_spawn_file_actions_adddup2(&io, in_fd, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&io, out_fd, STDOUT_FILENO);
    pid_t pid;
    int err = posix_spawnp(&pid, "dot", &io, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&io);
    if (err == ENOENT) {
        fprintf(stderr, "mlp draw: --format %s needs Graphviz's `dot` program, which is not on "
                        "PATH (install the graphviz package, or use --format dot or mermaid)\n",
                fmt);
        return EXIT_BAD_INPUT;
    }
    int status = 0;
    if (err || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "mlp draw: Graphviz's `dot -T%s` failed%s%s\n", fmt, err ? ": " : "",
                err ? strerror(err) : "");
        return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
}

/* DOT text -> SVG or PNG at out (written atomically) or on stdout. */
static int render(const char *dot, const char *fmt, const char *out)
{
    FILE *in = tmpfile(); /* anonymous: removed when closed, whatever happens */
    if (!in || fputs(dot, in) == EOF || fflush(in) || fseek(in, 0, SEEK_SET)) {
        fprintf(stderr, "mlp draw: cannot create a temporary file: %s\n", strerror(errno));
        if (in)
            fclose(in);
        return EXIT_BAD_INPUT;
    }
    mlp_error err = {0};
    mlp_outfile *o = out ? mlp_outfile_open(out, &err) : NULL;
    int rc = out && !o ? cli_report(&err) : EXIT_OK;
    if (rc == EXIT_OK) {
        fflush(stdout);
        rc = run_dot(fmt, fileno(in), o ? fileno(mlp_outfile_stream(o)) : STDOUT_FILENO);
    }
    fclose(in);
    if (o && rc == EXIT_OK && mlp_outfile_commit(o, &err) != MLP_OK)
        rc = cli_report(&err);
    else if (o && rc != EXIT_OK)
        mlp_outfile_abort(o);
    return rc;
}

int cmd_draw(int argc, char **argv)
{
    static const struct cli_opt opts[] = {{"--format", CLI_VALUE}, {"--grad", CLI_FLAG}, {"--set", CLI_LIST},
                                          {"-o", CLI_VALUE},       {"--seed", CLI_VALUE},  {"--weights", CLI_LIST}, {NULL, CLI_FLAG}};
    struct cli_args a;
    int rc = cli_parse(argc, argv, "draw", usage, opts, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    enum format format;
    if (!parse_format(&a, &format))
        return EXIT_BAD_INPUT;
    mlp_model *m = cli_load_model_for_output(&a);
    if (!m)
        return EXIT_BAD_INPUT;
    struct cli_inputs in = {0};
    mlp_draw_options o = {.format = format == MERMAID ? MLP_DRAW_MERMAID : MLP_DRAW_DOT,
                          .grad = cli_flag(&a, "--grad")};
    const char **names = NULL;
    const double **values = NULL;
    if (sets_inputs(&a, m)) {
        rc = cli_inputs_load(&a, m, false, 1, &in);
        names = calloc((size_t)in.ninputs + 1, sizeof *names);
        values = calloc((size_t)in.ninputs + 1, sizeof *values);
        int k = 0; /* the inputs given (mlp_draw names any other) */
        for (int i = 0; rc == EXIT_OK && i < in.ninputs; i++)
            if (in.in[i].values) {
                names[k] = in.in[i].name;
                values[k++] = in.in[i].values;
            }
        o.ninputs = k;
        o.input_names = names;
        o.input_values = values;
    }
    mlp_error err = {0};
    char *text = rc == EXIT_OK ? mlp_draw(m, &o, &err) : NULL;
    if (rc == EXIT_OK && !text)
        rc = cli_report(&err);
    else if (text && (format == DOT || format == MERMAID))
        rc = cli_write_output(cli_get(&a, "-o"), text);
    else if (text)
        rc = render(text, format == SVG ? "svg" : format == PNG ? "png" : "pdf", cli_get(&a, "-o"));
    free(text);
    free(names);
    free(values);
    cli_inputs_free(&in);
    mlp_model_free(m);
    return rc;
}

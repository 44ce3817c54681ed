/* signals.c - SIGINT and SIGTERM: an interrupted command leaves no temporary files and every
 * output as it was before (the writer replaces files only by rename), and exits with the
 * shell's status for the signal, 128 + its number: 130 for SIGINT, 143 for SIGTERM. */
#include "cli/cli.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static void on_signal(int sig)
{
    mlp_outfile_remove_temporaries(); /* async-signal-safe: unlink only */
    _exit(128 + sig);
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT); /* one handler at a time */
    sigaddset(&sa.sa_mask, SIGTERM);
    int sigs[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        struct sigaction old;
        /* A signal the parent chose to ignore (`nohup`, a background job) stays ignored. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    }
}

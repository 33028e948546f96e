// cli.h: what the rnnlab command's files share: flag parsing that names the bad flag, and output.
#ifndef RNNLAB_CLI_H
#define RNNLAB_CLI_H

#include <stdio.h>
#include "rnnlab.h"
#include "rnnlab_data.h"

// A command's flags are read in one loop: `while (args_next(&a)) { if (args_is(&a, "--x")) ... }`.
typedef struct {
    int argc, i;
    char **argv;
    const char *cmd;   // e.g. "init", for messages
    const char *flag;  // the current flag
    int failed;
} args;

void args_init(args *a, const char *cmd, int argc, char **argv);
int args_next(args *a);                       // 1 while there is a flag to handle and nothing failed
int args_is(const args *a, const char *name);
int args_int(args *a, int *out, long lo, long hi);      // reads the flag's value; 0 (and an error) if bad
int args_float(args *a, float *out, double lo, double hi);
int args_u64(args *a, uint64_t *out);
int args_str(args *a, const char **out);
void args_unknown(args *a);                   // "unknown flag ..."
int args_error(args *a, const char *fmt, ...);

int cli_error(const char *cmd, const char *fmt, ...);  // prints "rnnlab CMD: ..." to stderr, returns 1
int cli_wants_help(int argc, char **argv);

int cmd_init(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_grad(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_baseline(int argc, char **argv);
int cmd_predict(int argc, char **argv);

// 1 if the model's input and head fit the data set; otherwise prints what differs and returns 0.
int cli_check_data_fits(const char *cmd, const rnl_config *c, const rnl_dataset *ds);

// Reads a whole file (up to `limit` bytes) into a NUL-terminated buffer.
rnl_status cli_read_file(const char *path, size_t limit, char **out, size_t *n);

#endif

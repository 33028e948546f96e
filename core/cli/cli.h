// cli.h: what the rnnlab command's files share: flag parsing that names the bad flag, and output.
#ifndef RNNLAB_CLI_H
#define RNNLAB_CLI_H

#include <stdio.h>
#include "rnnlab.h"
#include "rnnlab_data.h"
#include "rnnlab_run.h"

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
// A setting with a limit in the core's table (rnl_limit_find(name)): its range and message come from there,
// "--hidden is 0, must be in 1..4096". Use these, not args_int/args_float, for anything the table lists.
int args_limit(args *a, int *out, const char *name);
int args_limit_real(args *a, float *out, const char *name);
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
int cmd_inspect(int argc, char **argv);     // cmd_inspect.c
int cmd_embeddings(int argc, char **argv);

// 1 if the model's input and head fit the data set; otherwise prints what differs and returns 0.
int cli_check_data_fits(const char *cmd, const rnl_config *c, const rnl_dataset *ds);

// Reads a whole file (up to `limit` bytes) into a NUL-terminated buffer.
rnl_status cli_read_file(const char *path, size_t limit, char **out, size_t *n);

// --- Shared by the model and seq2seq commands (cli_common.c) ---------------------------------------

double cli_now(void);           // monotonic seconds
void cli_json_string(const char *s);  // s on stdout as a JSON string, quotes and control bytes escaped
void cli_catch_sigint(void);    // from now on Ctrl-C sets cli_interrupted() instead of killing the process
int cli_interrupted(void);
// On stderr: a carriage return, label, "[#####.....] nn% ", then fmt's text.
void cli_progress(const char *label, long step, long total, const char *fmt, ...);
// A cell's name (rnl_cell_parse); 0 after args_error naming `flag` (which ends in "cell") and the known cells.
int cli_parse_cell(args *a, const char *flag, const char *s, rnl_cell *out);

// The optimizer flags of train: --optim, --lr, --momentum, --weight-decay, --clip (numbers -1 when not given).
typedef struct {
    const char *optim;
    float lr, momentum, weight_decay, clip;
} cli_optim_flags;
void cli_optim_flags_init(cli_optim_flags *f);
int cli_optim_flag(args *a, cli_optim_flags *f);  // 1 if a's current flag is one of them (its value is read)
int cli_optim_kind(args *a, const cli_optim_flags *f, rnl_optim *kind);  // --optim (default adam); 0 after args_error
// The checkpoint's optimizer *o (NULL if none) is kept unless --optim names another kind; otherwise a new one
// of `kind` for n_params with the run layer's defaults for the model kind `run` (rnl_run_optim_default:
// clipping at 1, Adam's rate); then the flags apply. 0, or 1 after printing the problem.
int cli_optim_setup(const char *cmd, const cli_optim_flags *f, rnl_optim kind, rnl_run_kind run, size_t n_params,
                    rnl_optimizer **o);

// A training run's clock and reporting: JSON lines on stdout (--json) or a progress bar on stderr (a terminal).
typedef struct {
    const char *cmd;  // for messages
    int json, tty;
    int B;            // sequences per step
    double t0, ema;   // start time; running mean of the loss (-1 before the first step)
    long done;        // steps done in this run
} cli_run;
void cli_run_start(cli_run *r, const char *cmd, int json, int B);  // also catches Ctrl-C
double cli_run_step(cli_run *r, double loss);  // counts a good step; returns sequences per second so far
// A failed step: ends the bar, prints the core's message and, with --json, {"error": kind, "step": step}. Returns 1.
int cli_run_fault(const cli_run *r, const char *kind, long step);
void cli_run_end(const cli_run *r);  // after the loop: ends the bar; says if Ctrl-C stopped the run
// After the save (`save`: its status; only tried if r->done > 0): reports it (dest NULL: no save to report)
// and, with --json, the last line.
// Returns the exit status: rc, else 1 if the save failed, else 130 if interrupted, else 0.
int cli_run_report(const cli_run *r, int rc, rnl_status save, const char *dest, long total_steps);

// info: parses a command line whose only flag is --model FILE; 0, or the exit status 2 after the message.
int cli_model_only(const char *cmd, int argc, char **argv, const char **path);
// "  optimizer: adam, lr 0.001, clip 1, 30 <steps>", or "  optimizer: <none>" without one.
void cli_print_optimizer(rnl_optimizer *o, const char *steps, const char *none);
// info and grad: PyTorch's shape of a tensor of a model's table (cmd_model.c): 1 or 2 dimensions, and
// "(N)" or "(R, C)" for people.
int cli_tensor_dims(const rnl_tensor_info *t);
void cli_tensor_shape(const rnl_tensor_info *t, char *buf, size_t cap);

// --- A model over rnl_batch: recurrent or Transformer, by the checkpoint's magic (cli_model.c) --------

// Loads path into *n (and its optimizer, if o is non-NULL); 0, or 1 after printing the problem.
int cli_net_load(const char *cmd, const char *path, rnl_run_net *n, rnl_optimizer **o);
rnl_status cli_net_save(rnl_run_net n, const rnl_optimizer *o, const char *path);
void cli_net_destroy(rnl_run_net n);
int cli_net_num_tensors(rnl_run_net n);
const rnl_tensor_info *cli_net_tensor(rnl_run_net n, int i);
rnl_real *cli_net_grads(rnl_run_net n);
const uint8_t *cli_net_meta(rnl_run_net n, size_t *len);
// zero_grad, forward with the batch's targets, backward (bptt: recurrent models only).
rnl_status cli_net_gradients(rnl_run_net n, const rnl_batch *b, int bptt, rnl_real *loss);
// init --cell transformer (cmd_model.c).
int cli_init_transformer(args *a, int argc, char **argv);

#endif

// seq2seq_cli.h: the rnnlab command's seq2seq entry points (cmd_seq2seq.c). main.c routes to them:
//   rnnlab init  --task reverse|dates ...      -> s2s_cmd_init
//   rnnlab train --model F [--task reverse|dates] -> s2s_cmd_train   (F a seq2seq checkpoint)
//   rnnlab eval  --model F ...                 -> s2s_cmd_eval
//   rnnlab decode --model F --input TEXT       -> s2s_cmd_decode
//   rnnlab info  --model F                     -> s2s_cmd_info
// Each takes the arguments after the command name, answers --help, and returns the exit status
// (0 ok, 1 bad input or numeric fault, 2 bad flags, 130 interrupted).
#ifndef RNNLAB_SEQ2SEQ_CLI_H
#define RNNLAB_SEQ2SEQ_CLI_H

int s2s_cmd_init(int argc, char **argv);
int s2s_cmd_train(int argc, char **argv);
int s2s_cmd_eval(int argc, char **argv);
int s2s_cmd_decode(int argc, char **argv);
int s2s_cmd_info(int argc, char **argv);

// Routing helpers: 1 if `name` is a seq2seq task (reverse, dates); 1 if the file at `path` is a seq2seq
// checkpoint (starts with its magic); 1 if a command line is for seq2seq: its --task names a seq2seq task
// or its --model is a seq2seq checkpoint.
int s2s_cli_is_task(const char *name);
int s2s_cli_is_checkpoint(const char *path);
int s2s_cli_wants(int argc, char **argv);

#endif

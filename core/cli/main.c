// main.c: the rnnlab command: one binary, one subcommand per job, `--help` on each.
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "seq2seq_cli.h"

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} commands[] = {
    {"data", cmd_data, "prepare a data set: an IMDB subset or a CSV time series"},
    {"baseline", cmd_baseline, "bag-of-words logistic regression on an IMDB subset"},
    {"init", cmd_init, "make a fresh model from a configuration and a seed"},
    {"info", cmd_info, "print a checkpoint's configuration and tensors"},
    {"grad", cmd_grad, "print the loss and every gradient for a batch given as JSON"},
    {"train", cmd_train, "train a model on a synthetic task or a data set (updates the checkpoint)"},
    {"eval", cmd_eval, "evaluate a model on a synthetic task or a data set"},
    {"predict", cmd_predict, "the sentiment of a review, with a trained model"},
    {"inspect", cmd_inspect, "a review word by word: P(positive), the state's path, gates, gradient paths"},
    {"embeddings", cmd_embeddings, "the word map: frequent words in 2-D, their effect, nearest neighbours"},
    {"decode", s2s_cmd_decode, "a sequence-to-sequence model's output and attention for a typed input"},
    {"bench", cmd_bench, "measure training and inference throughput"},
};

static void usage(FILE *f) {
    fprintf(f, "rnnlab %s: train and inspect RNN, LSTM and GRU models\n\nusage: rnnlab <command> [flags]\n\ncommands:\n",
            RNL_VERSION_STRING);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'rnnlab <command> --help' shows a command's flags. Documentation: docs/cli.md\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("rnnlab %s\n", RNL_VERSION_STRING);
        return 0;
    }
    // Sequence-to-sequence models (--task reverse|dates, or a seq2seq checkpoint) have their own
    // init/train/eval/info: docs/seq2seq.md.
    static const struct { const char *name; int (*run)(int, char **); } s2s[] = {
        {"init", s2s_cmd_init}, {"train", s2s_cmd_train}, {"eval", s2s_cmd_eval}, {"info", s2s_cmd_info}};
    for (size_t i = 0; i < sizeof s2s / sizeof s2s[0]; i++)
        if (strcmp(argv[1], s2s[i].name) == 0 && s2s_cli_wants(argc - 2, argv + 2)) return s2s[i].run(argc - 2, argv + 2);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "rnnlab: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}

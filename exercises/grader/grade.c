// grade.c: the exercises' grader: runs the ten exercises in order and prints, for each, PASSED,
// FAILED or TODO with a precise hint; exit status 0 if all pass, 1 otherwise, 2 for bad flags.
//
// Each exercise runs in its own child process (fork), so a student's crash (SIGSEGV), sanitizer
// report or endless loop becomes "FAILED: crashed ... in <function>" and the later exercises are still
// graded. The child writes its report into a shared memory block the parent prints. --no-fork runs
// everything in one process (for a debugger). POSIX only (Linux, macOS); the WASM student build has
// its own runner.
//
// The student's code is linked in (the core is built from the student's cell_math.c and attention_math.c, see
// exercises/CMakeLists.txt), so this binary grades the directory it was built from; --dir only checks
// that it is the one you mean (node exercises/grade.mjs --dir PATH builds a grader for any directory).
#define _DEFAULT_SOURCE 1   // fork, mmap(MAP_ANONYMOUS), realpath, strsignal under -std=c11 (glibc)
#define _DARWIN_C_SOURCE 1  // the same on macOS
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grade.h"

_Static_assert(sizeof(rnl_real) == sizeof(float), "the grader works on the float build of the core");

#ifndef EX_STUDENT_DIR
#error "EX_STUDENT_DIR (the graded directory) is set by exercises/CMakeLists.txt"
#endif
#ifndef EX_VARIANT
#define EX_VARIANT ""
#endif
static const char variant[] = EX_VARIANT;  // non-empty: a test build mixing starter and solution

// --- The report, shared between the parent and the exercise's child process ----------------------

typedef struct {
    char where[256];
    char summary[512];
    size_t len;
    char text[64 * 1024];
} gr_shared;

static gr_shared *sh;
#define EX_COUNT 10
static int results[EX_COUNT + 1] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};  // by exercise number; -1: not graded
int gr_verbose;

void gr_where(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sh->where, sizeof sh->where, fmt, ap);
    va_end(ap);
}

void gr_say(const char *fmt, ...) {
    size_t room = sizeof sh->text - sh->len;
    if (room < 8) return;
    int n = snprintf(sh->text + sh->len, room, "      ");
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(sh->text + sh->len + n, room - (size_t)n, fmt, ap);
    va_end(ap);
    sh->len = (size_t)n < room - 1 ? sh->len + (size_t)n : sizeof sh->text - 2;
    sh->text[sh->len++] = '\n';
    sh->text[sh->len] = 0;
}

void gr_summary(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sh->summary, sizeof sh->summary, fmt, ap);
    va_end(ap);
}

int gr_passed(int exercise) { return exercise >= 1 && exercise <= EX_COUNT && results[exercise] == GR_PASSED; }

const char *gr_file(const char *name) {
    static char buf[2][PATH_MAX + 64];
    static int next;
    char *s = buf[next++ % 2];
    snprintf(s, PATH_MAX + 64, "%s/%s", EX_STUDENT_DIR, name);
    return s;
}

// --- The exercises ------------------------------------------------------------------------------

static gr_status ex_rnn_fwd(void) { return grade_cell_forward(RNL_CELL_RNN); }
static gr_status ex_rnn_bwd(void) { return grade_cell_backward(RNL_CELL_RNN); }
static gr_status ex_lstm_fwd(void) { return grade_cell_forward(RNL_CELL_LSTM); }
static gr_status ex_lstm_bwd(void) { return grade_cell_backward(RNL_CELL_LSTM); }
static gr_status ex_gru_fwd(void) { return grade_cell_forward(RNL_CELL_GRU); }
static gr_status ex_gru_bwd(void) { return grade_cell_backward(RNL_CELL_GRU); }

static const struct {
    const char *title, *function, *file;
    gr_status (*run)(void);
    int needs;  // an exercise whose result this one uses (its training run waits for it), or 0
} exercises[EX_COUNT + 1] = {  // by exercise number; [0] unused
    [1] = {.title = "RNN forward", .function = "rnl_rnn_cell_forward", .file = "cell_math.c", .run = ex_rnn_fwd},
    [2] = {.title = "RNN backward", .function = "rnl_rnn_cell_backward", .file = "cell_math.c", .run = ex_rnn_bwd, .needs = 1},
    [3] = {.title = "LSTM forward", .function = "rnl_lstm_cell_forward", .file = "cell_math.c", .run = ex_lstm_fwd},
    [4] = {.title = "LSTM backward", .function = "rnl_lstm_cell_backward", .file = "cell_math.c", .run = ex_lstm_bwd, .needs = 3},
    [5] = {.title = "GRU forward", .function = "rnl_gru_cell_forward", .file = "cell_math.c", .run = ex_gru_fwd},
    [6] = {.title = "GRU backward", .function = "rnl_gru_cell_backward", .file = "cell_math.c", .run = ex_gru_bwd, .needs = 5},
    [7] = {.title = "gradient clipping", .function = "rnl_clip_grad_norm", .file = "cell_math.c", .run = grade_clipping},
    [8] = {.title = "BPTT loop", .function = "ex_rnn_bptt", .file = "bptt.c", .run = grade_bptt},
    [9] = {.title = "attention forward", .function = "rnl_attention_forward", .file = "attention_math.c", .run = grade_attention_forward},
    [10] = {.title = "attention backward", .function = "rnl_attention_backward", .file = "attention_math.c", .run = grade_attention_backward,
            .needs = 9},
};

// Runs one exercise, in a child unless no_fork; returns its status, with the report left in *sh.
static gr_status run_exercise(int id, int no_fork, int timeout) {
    memset(sh, 0, sizeof *sh);
    snprintf(sh->where, sizeof sh->where, "%s", exercises[id].function);
    if (no_fork) return exercises[id].run();

    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("grader: fork");
        return exercises[id].run();
    }
    if (pid == 0) {
        alarm((unsigned)timeout);
        gr_status st = exercises[id].run();
        fflush(stdout);
        _exit(40 + (int)st);
    }
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0) {}
    if (WIFEXITED(ws) && WEXITSTATUS(ws) >= 40 && WEXITSTATUS(ws) <= 42) return (gr_status)(WEXITSTATUS(ws) - 40);

    char where[sizeof sh->where];
    snprintf(where, sizeof where, "%s", sh->where);
    if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM)
        gr_summary("stopped after %d s in %s: an endless loop? (a loop bound or index that never reaches its end)", timeout, where);
    else if (WIFSIGNALED(ws)) {
        int sig = WTERMSIG(ws);
        const char *name = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGFPE ? "SIGFPE" : sig == SIGABRT ? "SIGABRT" : sig == SIGILL ? "SIGILL" : "signal";
        gr_summary("crashed (%s %d, %s) in %s", name, sig, strsignal(sig), where);
        if (sig == SIGSEGV || sig == SIGBUS)
            gr_say("a read or write outside an array: check the loop bounds (j < H), the block offsets (k * H + j) and "
                   "which buffers are (H) and which (G*H)");
    } else
        gr_summary("the grading process exited with status %d in %s (a sanitizer report above names the line)", WEXITSTATUS(ws), where);
    return GR_FAILED;
}

// --- Main ---------------------------------------------------------------------------------------

static const char usage[] =
    "usage: grader [--only N] [--verbose] [--no-fork] [--timeout S] [--dir PATH]\n"
    "\n"
    "Grades exercises 1-10 of rnnlab's lesson on RNNs, LSTMs, GRUs and the step to Transformers in the\n"
    "directory this grader was built from\n(" EX_STUDENT_DIR "). Exit status 0 if every graded exercise passes, 1 otherwise.\n"
    "  --only N     grade exercise N only\n"
    "  --verbose    print more detail (several mismatches, the gradient check's largest error)\n"
    "  --no-fork    run every exercise in this process (for a debugger; a crash stops the grader)\n"
    "  --timeout S  seconds per exercise before it is stopped (default 120)\n"
    "  --dir PATH   the directory you mean to grade: checked against the one built in.\n"
    "               To grade another directory: node exercises/grade.mjs --dir PATH\n";

static int same_dir(const char *a, const char *b) {
    char ra[PATH_MAX], rb[PATH_MAX];
    if (!realpath(a, ra) || !realpath(b, rb)) return 0;
    return strcmp(ra, rb) == 0;
}

int main(int argc, char **argv) {
    int only = 0, no_fork = 0, timeout = 120;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return fputs(usage, stdout), 0;
        else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) gr_verbose = 1;
        else if (!strcmp(a, "--no-fork")) no_fork = 1;
        else if (!strcmp(a, "--only") && i + 1 < argc) {
            only = atoi(argv[++i]);
            if (only < 1 || only > EX_COUNT) return fprintf(stderr, "grader: --only takes an exercise number, 1 to %d\n", EX_COUNT), 2;
        } else if (!strcmp(a, "--timeout") && i + 1 < argc) {
            timeout = atoi(argv[++i]);
            if (timeout < 1) return fprintf(stderr, "grader: --timeout takes a number of seconds\n"), 2;
        } else if (!strcmp(a, "--dir") && i + 1 < argc) {
            const char *d = argv[++i];
            if (!same_dir(d, EX_STUDENT_DIR) || variant[0])
                return fprintf(stderr,
                               "grader: this grader was built from %s%s, not %s.\n"
                               "To grade that directory: node exercises/grade.mjs --dir %s\n"
                               "(or configure a build with -DRNL_EXERCISES_DIR=%s and build the target grade)\n",
                               EX_STUDENT_DIR, EX_VARIANT, d, d, d),
                       2;
        } else return fprintf(stderr, "grader: unknown flag '%s'\n\n%s", a, usage), 2;
    }

    sh = no_fork ? calloc(1, sizeof *sh) : mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!sh || sh == MAP_FAILED) return perror("grader: shared memory"), 3;
    int color = isatty(1) && !getenv("NO_COLOR");
    const char *on[3] = {"\033[32m", "\033[31m", "\033[33m"}, *off = "\033[0m";
    const char *names[3] = {"PASSED", "FAILED", "TODO"};

    printf("Grading %s%s\n(rnnlab, lesson 3: build RNN, LSTM and GRU cells, BPTT, clipping and a Transformer's attention yourself)\n\n",
           EX_STUDENT_DIR, EX_VARIANT);
    int graded = 0, passed = 0, todo = 0;
    for (int id = 1; id <= EX_COUNT; id++) {
        if (only && id != only) continue;
        // With --only, a training run still needs to know whether the forward pass it uses is done.
        int dep = exercises[id].needs;
        if (dep && results[dep] < 0) results[dep] = run_exercise(dep, no_fork, timeout);

        gr_status st = run_exercise(id, no_fork, timeout);
        results[id] = st;
        graded++;
        passed += st == GR_PASSED;
        todo += st == GR_TODO;

        char head[64];
        snprintf(head, sizeof head, "[%d] %s ", id, exercises[id].title);
        printf("%s", head);
        for (size_t k = strlen(head); k < 26 || k < strlen(head) + 3; k++) putchar('.');  // at least 3 dots: tests look for "... STATUS"
        printf(" %s%s%s", color ? on[st] : "", names[st], color ? off : "");
        if (sh->summary[0]) printf("  %s", sh->summary);
        printf("\n%s", sh->text);
        fflush(stdout);
    }

    printf("\n%d of %d passed", passed, graded);
    if (todo) printf(", %d still TODO", todo);
    if (graded - passed - todo) printf(", %d failed", graded - passed - todo);
    printf(".\n");
    for (int id = 1; id <= EX_COUNT; id++)
        if (results[id] > GR_PASSED && (!only || id == only)) {
            printf("Next: exercise %d (%s), %s in %s. Hints: exercises/README.md, \"Exercise %d\".\n", id, exercises[id].title,
                   exercises[id].function, gr_file(exercises[id].file), id);
            break;
        }
    if (passed == graded && graded == EX_COUNT)
        printf("All exercises pass: this core now runs on your cells and your attention. Next: the assessment checklist in "
               "exercises/README.md.\n");
    return passed == graded ? 0 : 1;
}

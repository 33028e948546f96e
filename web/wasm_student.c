// wasm_student.c: the TODO report of a module built from the exercises' cells (RNL_STUDENT_CELLS, the
// student build of web/wasm.cmake): which functions of the student's cell_math.c (and attention_math.c,
// exercises 9-10, when the build has it; else the reference's, which has no TODO) are still marked
// EX_TODO, and a counter the wrapper watches so that a call running one throws instead of returning a
// placeholder's numbers. The reference module answers -1 / 0 / "".
#include <stdio.h>
#include <string.h>

#ifdef RNL_STUDENT_CELLS
#include "ex_todo.h"
#include "internal.h"
#include "rnnlab_attention_math.h"

// Runs every function of cell_math.c and attention_math.c once on a tiny problem and counts those still
// marked EX_TODO; returns how many, and rnlw_todo_names: their names ("LSTM forward, gradient clipping,
// attention forward"). The counter ex_todo_count is restored, so this probe does not count as a use.
static char todo_names[512];
int rnlw_todo_check(void) {
    int saved = ex_todo_count, found = 0;
    const char *saved_last = ex_todo_last;
    todo_names[0] = 0;
    const char *seen[16];
    rnl_cell cells[] = {RNL_CELL_RNN, RNL_CELL_LSTM, RNL_CELL_GRU};
    float x[6] = {0.5f, -0.25f, 0.75f, 0.1f, -0.6f, 0.3f}, y[2] = {0.2f, -0.1f};
    for (int k = 0; k < 5; k++) {
        // Three cells (forward, then backward), clipping, then attention (forward, then backward).
        for (int phase = 0; phase < (k < 3 || k == 4 ? 2 : 1); phase++) {
            ex_todo_count = 0;
            ex_todo_last = NULL;
            if (k < 3) {
                rnl_config c = rnl_config_default(cells[k]);
                c.vocab = 0, c.input_size = 1, c.hidden = 2, c.head = RNL_HEAD_REGRESSION, c.outputs = 1;
                rnl_model *m;
                if (rnl_model_create(&m, &c, 1)) continue;
                rnl_batch b = {2, 3, NULL, x, NULL, y};
                rnl_real loss;
                rnl_model_zero_grad(m);
                if (!rnl_model_forward(m, &b, &loss) && phase == 1) {
                    ex_todo_count = 0;
                    rnl_model_backward(m, 0);
                }
                rnl_model_destroy(m);
            } else if (k == 3) {
                rnl_real g[2] = {3, 4};
                rnl_clip_grad_norm(g, 2, 1.0);
            } else {  // one sequence of L = 2 positions, D = 2, one head: qkv (2, 6), att (2, 2), ctx (2, 2)
                rnl_real qkv[12] = {0.5f, -0.25f, 0.75f, 0.1f, -0.6f, 0.3f, 0.2f, -0.1f, 0.4f, 0.9f, -0.3f, 0.6f};
                rnl_real att[4], ctx[4], dctx[4] = {1, -1, 0.5f, 0.25f}, dqkv[12] = {0}, ds[4];
                if (phase == 0) rnl_attention_forward(ctx, att, qkv, 2, 2, 1);
                else {
                    att[0] = att[1] = att[2] = att[3] = 0.5f;  // weights as a forward would leave them
                    rnl_attention_backward(dqkv, ds, dctx, att, qkv, 2, 2, 1);
                }
            }
            if (!ex_todo_count || !ex_todo_last) continue;
            int dup = 0;
            for (int i = 0; i < found; i++) dup |= strcmp(seen[i], ex_todo_last) == 0;
            if (dup || found == 16) continue;
            seen[found++] = ex_todo_last;
            size_t len = strlen(todo_names);
            snprintf(todo_names + len, sizeof todo_names - len, "%s%s", len ? ", " : "", ex_todo_last);
        }
    }
    ex_todo_count = saved;
    ex_todo_last = saved_last;
    return found;
}
const char *rnlw_todo_names(void) { return todo_names; }
// EX_TODO marks since the module started: rnnlab.js turns a rise during a call into an error.
int rnlw_todo_count(void) { return ex_todo_count; }
const char *rnlw_todo_last(void) { return ex_todo_last ? ex_todo_last : ""; }
#else
// The reference module: -1 says "not a student build".
int rnlw_todo_check(void) { return -1; }
const char *rnlw_todo_names(void) { return ""; }
int rnlw_todo_count(void) { return 0; }
const char *rnlw_todo_last(void) { return ""; }
#endif

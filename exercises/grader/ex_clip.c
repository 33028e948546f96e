// ex_clip.c: exercise 7, global-norm gradient clipping (rnl_clip_grad_norm). Checks, in order: the
// norm returned; the scaling when the norm is above max_norm; no change below it (never scale up);
// a zero gradient (no 0/0); exploding values of 1e20 (a float sum of squares overflows); a million
// values (a float sum loses digits); n = 0; and clipping inside the core's optimizer.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

static double exact_norm(const float *g, size_t n) {
    long double s = 0;
    for (size_t k = 0; k < n; k++) s += (long double)g[k] * g[k];
    return (double)sqrtl(s);
}

// Calls the student's clipping on a guarded copy of g0; *out receives the result (caller frees).
static double call_clip(const float *g0, size_t n, double max_norm, gbuf *out, int *guards) {
    *out = gb_copy(g0, n);
    gr_where("rnl_clip_grad_norm (n = %zu, max_norm = %g)", n, max_norm);
    double norm = rnl_clip_grad_norm(out->p, n, max_norm);
    char msg[128];
    *guards = gb_guards_ok(out, "g", msg, sizeof msg);
    if (!*guards) gr_say("rnl_clip_grad_norm (n = %zu) wrote %s: loop over k < n", n, msg);
    return norm;
}

// One case: g0 (n values), max_norm. Checks the returned norm and every element against the reference.
// `name` says what the case is about; returns 1 if it passes.
static int clip_case(const char *name, const float *g0, size_t n, double max_norm) {
    double norm = exact_norm(g0, n);
    float *want = malloc(sizeof(float) * (n ? n : 1));
    memcpy(want, g0, sizeof(float) * n);
    ref_clip_grad_norm(want, n, max_norm);
    int guards;
    gbuf got;
    double ret = call_clip(g0, n, max_norm, &got, &guards);
    int ok = guards;
    int scaled = norm > max_norm + 1e-6;

    if (ok && !close_enough(ret, norm, 1e-30, 1e-6)) {
        ok = 0;
        gr_say("%s: rnl_clip_grad_norm returned %.9g; the norm of g before clipping is %.9g", name, ret, norm);
        if (close_enough(ret, norm * norm, 0, 1e-4)) gr_say("likely cause: that is the sum of squares: return its square root");
        else if (scaled && close_enough(ret, max_norm, 0, 1e-4))
            gr_say("likely cause: you returned the norm after clipping; return it before (it is the number to watch for exploding gradients)");
        else if (isinf(ret) || (n && !isfinite(ret)))
            gr_say("likely cause: the sum of squares overflowed: (1e20)^2 = 1e40 is beyond the largest float (3.4e38). "
                   "Accumulate it in a double");
        else if (n > 100000)
            gr_say("likely cause: off by %.2g (relative): a float sum of %zu squares loses digits; accumulate in a double",
                   fabs(ret - norm) / norm, n);
    }
    if (ok) {
        cmp_result c = cmp_floats(got.p, want, n, 1e-30, 1e-5);
        if (c.first >= 0) {
            ok = 0;
            size_t k = (size_t)c.first;
            gr_say("%s: after clipping g[%zu] = %.9g; expected %.9g (norm %.6g, max_norm %.6g)", name, k, got.p[k], want[k], norm, max_norm);
            double coef = max_norm / (norm + 1e-6);
            int unchanged = memcmp(got.p, g0, sizeof(float) * n) == 0;
            if (!scaled && !unchanged) {
                if (close_enough(got.p[k], g0[k] * coef, 1e-30, 1e-4))
                    gr_say("likely cause: you scaled the gradient UP to max_norm; clip only when coef = max_norm / (norm + 1e-6) < 1");
                else if (!isfinite(got.p[k])) gr_say("likely cause: 0/0: a zero gradient has norm 0; coef = max_norm / (norm + 1e-6) avoids the division by zero");
                else gr_say("likely cause: g must not change when its norm is at most max_norm");
            } else if (scaled && unchanged) gr_say("likely cause: g was not scaled although its norm is above max_norm");
            else if (scaled && close_enough(got.p[k], fmax(-max_norm, fmin(max_norm, g0[k])), 1e-30, 1e-5))
                gr_say("likely cause: that is clipping by value (each g[k] cut to [-max_norm, max_norm], as "
                       "clip_grad_value_); this exercise scales the whole vector by max_norm / norm, which keeps its direction");
            else if (scaled && close_enough(got.p[k], g0[k] * (norm / max_norm), 1e-30, 1e-4))
                gr_say("likely cause: the ratio is upside down: coef = max_norm / (norm + 1e-6)");
            else if (!isfinite(got.p[k])) gr_say("likely cause: an overflow or a division by zero: compute the norm in double");
        }
    }
    gb_free(&got);
    free(want);
    return ok;
}

// Clipping as the core's optimizer uses it: SGD, lr 1, clip 1, g = (3, 4) -> p = -(0.6, 0.8), norm 5.
static int clip_in_optimizer(void) {
    rnl_optim_config oc = rnl_optim_default(RNL_OPTIM_SGD);
    oc.lr = 1, oc.clip = 1;
    rnl_optimizer *o;
    if (rnl_optimizer_create(&o, &oc, 2) != RNL_OK) return gr_say("optimizer: %s", rnl_last_error()), 0;
    rnl_real p[2] = {0, 0}, g[2] = {3, 4};
    double norm = 0;
    gr_where("rnl_optimizer_step (SGD with clip 1) calling your rnl_clip_grad_norm");
    rnl_status st = rnl_optimizer_step(o, p, g, 2, &norm);
    rnl_optimizer_destroy(o);
    if (st != RNL_OK || !close_enough(p[0], -0.6, 1e-5, 0) || !close_enough(p[1], -0.8, 1e-5, 0)) {
        gr_say("through the core: rnl_optimizer_step (SGD, lr 1, clip 1) on g = (3, 4) should move p from (0, 0) to (-0.6, -0.8); "
               "got (%.6g, %.6g)%s%s",
               p[0], p[1], st ? ": " : "", st ? rnl_last_error() : "");
        return 0;
    }
    return 1;
}

gr_status grade_clipping(void) {
    // TODO probe: g = (3, 4), max_norm 1.
    float g34[2] = {3, 4};
    ex_todo_count = 0;
    gbuf probe;
    int guards;
    double ret = call_clip(g34, 2, 1.0, &probe, &guards);
    int looks_done = close_enough(ret, 5, 1e-5, 0) && close_enough(probe.p[0], 0.6, 1e-5, 0) && close_enough(probe.p[1], 0.8, 1e-5, 0);
    gb_free(&probe);
    if (ex_todo_count) {
        ex_todo_count = 0;
        if (looks_done) gr_summary("your rnl_clip_grad_norm already computes the right numbers, but still calls EX_TODO: delete that line");
        else gr_summary("not implemented yet (rnl_clip_grad_norm in %s)", gr_file("cell_math.c"));
        return GR_TODO;
    }

    rnl_rng r;
    rnl_rng_seed(&r, 7000);
    enum { N = 10 };
    float g[N];
    rnd_normal(&r, g, N, 1);
    double norm = exact_norm(g, N);
    float zeros[5] = {0};
    float big[8];
    for (int k = 0; k < 8; k++) big[k] = (float)((k % 2 ? -1 : 1) * 1e20 * (0.5 + rnl_rng_uniform(&r)));
    size_t n_long = 1000000;
    float *longv = malloc(sizeof(float) * n_long);
    rnd_uniform(&r, longv, n_long, 0.5, 1.5);

    int ok = clip_case("no clipping needed (norm below max_norm)", g, N, 1e6)
          && clip_case("clipping (norm 4 x max_norm)", g, N, norm / 4)
          && clip_case("just below the threshold (max_norm = 2 x norm): nothing changes", g, N, norm * 2)
          && clip_case("a zero gradient", zeros, 5, 1.0)
          && clip_case("exploding gradients (values around 1e20)", big, 8, 1.0)
          && clip_case("a million values (sum of squares in float loses digits)", longv, n_long, 100.0)
          && clip_case("an empty gradient (n = 0)", g, 0, 1.0)
          && clip_in_optimizer();
    free(longv);
    if (!ok) return GR_FAILED;
    gr_summary("norm, scaling, no scaling below max_norm, zero, 1e20 and 10^6-value gradients, and inside the optimizer");
    return GR_PASSED;
}

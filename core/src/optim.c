// optim.c: SGD, SGD with momentum and Adam over the flat parameter block, with global-norm clipping.
// Update rules match PyTorch (torch.optim.SGD / Adam); weight decay is decoupled (AdamW, SGDW).
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct rnl_optimizer {
    rnl_optim_config cfg;
    size_t n;
    long steps;
    rnl_real *state;  // MOMENTUM: v (n); ADAM: m (n) then v (n)
    size_t n_state;
};

rnl_optim_config rnl_optim_default(rnl_optim kind) {
    rnl_optim_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.lr = kind == RNL_OPTIM_ADAM ? 1e-3f : 0.1f;
    c.momentum = kind == RNL_OPTIM_MOMENTUM ? 0.9f : 0.0f;
    c.beta1 = 0.9f;
    c.beta2 = 0.999f;
    c.eps = 1e-8f;
    return c;
}

const char *rnl_optim_name(rnl_optim k) {
    switch (k) {
    case RNL_OPTIM_SGD: return "sgd";
    case RNL_OPTIM_MOMENTUM: return "momentum";
    case RNL_OPTIM_ADAM: return "adam";
    }
    return "?";
}

rnl_status rnl_optim_validate(const rnl_optim_config *c) {
    if (c->kind != RNL_OPTIM_SGD && c->kind != RNL_OPTIM_MOMENTUM && c->kind != RNL_OPTIM_ADAM)
        return rnl_fail(RNL_ERR_ARG, "optimizer: kind is %d, must be 0 (sgd), 1 (momentum) or 2 (adam)", (int)c->kind);
    if (!(c->lr > 0 && c->lr < 1e3f)) return rnl_fail(RNL_ERR_ARG, "optimizer: learning rate %g must be > 0 and < 1000", (double)c->lr);
    if (!(c->momentum >= 0 && c->momentum < 1)) return rnl_fail(RNL_ERR_ARG, "optimizer: momentum %g must be in [0, 1)", (double)c->momentum);
    if (!(c->beta1 >= 0 && c->beta1 < 1)) return rnl_fail(RNL_ERR_ARG, "optimizer: beta1 %g must be in [0, 1)", (double)c->beta1);
    if (!(c->beta2 >= 0 && c->beta2 < 1)) return rnl_fail(RNL_ERR_ARG, "optimizer: beta2 %g must be in [0, 1)", (double)c->beta2);
    if (!(c->eps > 0 && c->eps < 1)) return rnl_fail(RNL_ERR_ARG, "optimizer: eps %g must be in (0, 1)", (double)c->eps);
    if (!(c->weight_decay >= 0 && c->weight_decay < 1)) return rnl_fail(RNL_ERR_ARG, "optimizer: weight decay %g must be in [0, 1)", (double)c->weight_decay);
    if (!(c->clip >= 0 && c->clip < 1e9f)) return rnl_fail(RNL_ERR_ARG, "optimizer: clip %g must be >= 0 (0 = off)", (double)c->clip);
    return RNL_OK;
}

size_t rnl_optim_state_count(rnl_optim kind, size_t n) {
    return kind == RNL_OPTIM_ADAM ? 2 * n : kind == RNL_OPTIM_MOMENTUM ? n : 0;
}

rnl_status rnl_optimizer_create(rnl_optimizer **out, const rnl_optim_config *oc, size_t n) {
    rnl_status st;
    *out = NULL;
    if ((st = rnl_optim_validate(oc))) return st;
    if (n == 0 || n > RNL_MAX_PARAMS) return rnl_fail(RNL_ERR_ARG, "optimizer: %zu parameters is outside 1..%u", n, (unsigned)RNL_MAX_PARAMS);
    rnl_optimizer *o = calloc(1, sizeof *o);
    if (!o) return rnl_fail(RNL_ERR_NOMEM, "optimizer: out of memory");
    o->cfg = *oc;
    o->n = n;
    o->n_state = rnl_optim_state_count(oc->kind, n);
    if (o->n_state && !(o->state = calloc(o->n_state, sizeof(rnl_real)))) {
        free(o);
        return rnl_fail(RNL_ERR_NOMEM, "optimizer: out of memory for its state");
    }
    *out = o;
    return RNL_OK;
}

void rnl_optimizer_destroy(rnl_optimizer *o) {
    if (!o) return;
    free(o->state);
    free(o);
}

rnl_optim_config *rnl_optimizer_config(rnl_optimizer *o) { return &o->cfg; }
long rnl_optimizer_steps(const rnl_optimizer *o) { return o->steps; }
void rnl_optimizer_set_steps(rnl_optimizer *o, long steps) { o->steps = steps; }
rnl_real *rnl_optimizer_state(rnl_optimizer *o, size_t *count) {
    if (count) *count = o->n_state;
    return o->state;
}

double rnl_grad_norm(const rnl_real *g, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
    return sqrt(s);
}

rnl_status rnl_optimizer_step(rnl_optimizer *o, rnl_real *p, rnl_real *g, size_t n, double *norm_out) {
    if (n != o->n) return rnl_fail(RNL_ERR_ARG, "optimizer: made for %zu parameters, stepped with %zu", o->n, n);
    const rnl_optim_config *c = &o->cfg;
    double norm = rnl_grad_norm(g, n);
    if (norm_out) *norm_out = norm;
    if (!isfinite(norm))
        return rnl_fail(RNL_ERR_NUMERIC, "optimizer step %ld: the gradient norm is %s", o->steps + 1, isnan(norm) ? "NaN" : "infinite");
    if (c->clip > 0) rnl_clip_grad_norm(g, n, c->clip);
    o->steps++;
    const rnl_real lr = c->lr, decay = (rnl_real)(1 - (double)c->lr * c->weight_decay);
    if (c->weight_decay > 0)
        for (size_t i = 0; i < n; i++) p[i] *= decay;
    switch (c->kind) {
    case RNL_OPTIM_SGD:
        for (size_t i = 0; i < n; i++) p[i] -= lr * g[i];
        break;
    case RNL_OPTIM_MOMENTUM: {
        rnl_real *v = o->state, mu = c->momentum;
        // PyTorch's first step sets v = g; with v starting at 0 that is the same as v = mu*v + g.
        for (size_t i = 0; i < n; i++) {
            v[i] = mu * v[i] + g[i];
            p[i] -= lr * v[i];
        }
        break;
    }
    case RNL_OPTIM_ADAM: {
        rnl_real *mo = o->state, *ve = o->state + n, b1 = c->beta1, b2 = c->beta2;
        double bc1 = 1 - pow(b1, (double)o->steps), bc2 = 1 - pow(b2, (double)o->steps);
        rnl_real step = (rnl_real)(lr / bc1), sbc2 = (rnl_real)sqrt(bc2);
        for (size_t i = 0; i < n; i++) {
            mo[i] = b1 * mo[i] + (1 - b1) * g[i];
            ve[i] = b2 * ve[i] + (1 - b2) * g[i] * g[i];
            p[i] -= step * mo[i] / (r_sqrt(ve[i]) / sbc2 + c->eps);
        }
        break;
    }
    }
    return RNL_OK;
}

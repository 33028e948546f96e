// rnnlab_inspect.h: the numbers behind the lab's "see inside" views, computed in the core so that every
// face (the page through the Worker, the CLI's `inspect` and `embeddings`, Node) shows the same ones:
//   - a walk: one sequence through a unidirectional recurrent model, recomputed step by step in double
//     precision from the model's parameters, keeping what the forward pass keeps only in passing: for each
//     unit and step, the parts of every gate's pre-activation (from x_t and from h_{t-1}), the gates, the
//     candidate, c_t and h_t; and, with a target, the backward pass with dL/dh_{t-1} split by the path it
//     took from step t (the LSTM's cell state through f_t, the GRU's (1 - z) direct path, the gates);
//   - PCA (covariance + Jacobi eigen-solver) of hidden states, to draw a review's state as a path in 2-D
//     over a cloud of other reviews' final states;
//   - the word map: embeddings of the most frequent words in 2-D, each word's own effect on the prediction,
//     and cosine nearest neighbours.
// The split-level call (a cloud over a data set's test reviews) is in rnnlab_run.h's neighbourhood:
// rnl_state_cloud, below, lives in core/src/run_inspect.c because it reads a data set.
//
//     rnl_walk *w;
//     rnl_batch b = {.B = 1, .T = n, .tokens = ids};
//     if (rnl_walk_create(&w, m, &b, NULL) != RNL_OK) die(rnl_last_error());  // NULL: target = own answer
//     for (int t = 0; t < rnl_walk_steps(w); t++) {
//         rnl_unit_step u;
//         rnl_walk_unit(w, 0, t, 3, &u);               // layer 0, unit 3
//         rnl_grad_paths g;
//         rnl_walk_paths(w, 0, t, &g);                 // how dL/dh_t reached step t-1
//         printf("%d: P=%.3f i=%.2f f=%.2f c=%.3f  |dL/dh|=%.3g\n", t, rnl_walk_output(w, t)[0],
//                u.gate[0], u.gate[1], u.c, g.grad_h);
//     }
//     rnl_walk_destroy(w);
//
// Conventions as rnnlab.h: outputs first, rnl_status with a message naming the problem. Sign rule of
// every principal axis: its entry of largest magnitude is positive (the first such entry on a tie), so
// the same data gives the same picture on every build.
#ifndef RNNLAB_INSPECT_H
#define RNNLAB_INSPECT_H

#include "rnnlab.h"
#include "rnnlab_data.h"

#ifdef __cplusplus
extern "C" {
#endif

// --- Walk: one sequence, step by step ---------------------------------------------------------------

typedef struct rnl_walk rnl_walk;

// Runs the forward pass of b's one sequence (B = 1) through m in double precision and, for a
// sequence-to-one model, the backward pass of its loss against `target` ((outputs) for regression, one
// value otherwise; NULL: the model's own answer, rounded to a label for a classifier). Unidirectional
// models only (a reverse direction has read the future at every step). The walk copies what it needs:
// m may change or go afterwards.
rnl_status rnl_walk_create(rnl_walk **out, const rnl_model *m, const rnl_batch *b, const rnl_real *target);
void rnl_walk_destroy(rnl_walk *w);
int rnl_walk_steps(const rnl_walk *w);
// The head's output having read steps 0..t: P(positive) for a binary head, class probabilities,
// or the regression values: (outputs). NULL if t is out of range. A pooled head (rnl_config.pool) reads
// the pool of h_0..h_t, so its backward hands dL/dh straight to every step the pool read, besides the
// recurrence's path.
const double *rnl_walk_output(const rnl_walk *w, int t);
// h_t of a layer: (H). NULL if out of range.
const double *rnl_walk_state(const rnl_walk *w, int layer, int t);
// What the head read after step t: the top layer's h_t, or a pooled head's pool of h_0..h_t: (H). NULL if
// t is out of range.
const double *rnl_walk_head_input(const rnl_walk *w, int t);

// One unit j of one layer at step t, with the inputs it came from. Gates in PyTorch order (rnl_cell_info's
// gate_names): RNN h; LSTM i f g o; GRU r z n.
typedef struct {
    int gates;           // G: 1, 4 or 3
    double x_part[4];    // row j of each gate of W_ih x_t + b_ih
    double h_part[4];    // row j of each gate of W_hh h_{t-1} + b_hh
    double pre[4];       // what the gate's activation read: x_part + h_part (the GRU's n: x_part + r * h_part)
    double gate[4];      // after the activation (the LSTM's g and the GRU's n are the candidate)
    double h_prev, h;    // h_{t-1}[j], h_t[j]
    double c_prev, c;    // the LSTM's c_{t-1}[j], c_t[j]; 0 for the others
    double x_norm;       // ||x_t||: the embedding row (or input features) the layer read
    double h_prev_norm;  // ||h_{t-1}||
    double dh, dc;       // dL/dh_t[j] (everything reaching h_t) and the LSTM's dL/dc_t[j]; 0 without backward
} rnl_unit_step;

rnl_status rnl_walk_unit(const rnl_walk *w, int layer, int t, int unit, rnl_unit_step *out);

// How the gradient at step t reaches step t-1 in one layer, as norms. The transfer from step t into
// (h_{t-1}, c_{t-1}) splits into paths, whose vectors sum to what step t hands back:
//   RNN:  one path, through W_hh:                       dL/dh_{t-1} <- W_hh^T (dh_t * (1 - h_t^2))
//   GRU:  "direct": the z_t * dL/dh_t term (the (1 - z) gate leaves this part of h_{t-1} in h_t), and
//         "gates": W_hh^T of the gate gradients;        their sum is step t's part of dL/dh_{t-1}
//   LSTM: "cell": f_t * dL/dc_t, into c_{t-1} (no matrix, no squashing: why the gradient survives), and
//         "gates": W_hh^T of the four gate gradients, into h_{t-1}
typedef struct {
    double grad_h;       // ||dL/dh_t||: everything reaching h_t (equals rnl_model_trace_grad_norms for B = 1)
    double grad_c;       // LSTM: ||dL/dc_t||; 0 for the others
    double to_prev_h;    // ||step t's part of dL/dh_{t-1}||
    int n_paths;         // 1 (RNN) or 2
    const char *names[2];   // "W_hh"; "direct", "gates"; "cell", "gates"
    double norms[2];
} rnl_grad_paths;

// RNL_ERR_ARG without a backward pass (a seq2seq model) or out of range.
rnl_status rnl_walk_paths(const rnl_walk *w, int layer, int t, rnl_grad_paths *out);
// dL/dx_t of layer 0 (in: embed or input_size): how the loss would move with the word's embedding.
rnl_status rnl_walk_input_grad(const rnl_walk *w, int t, double *out);
// The same vectors the norms above are made of (H), for tests and for a finer view:
// which: 0 grad_h, 1 grad_c (LSTM), 2 to_prev_h, 3 path 0, 4 path 1.
rnl_status rnl_walk_grad_vector(const rnl_walk *w, int layer, int t, int which, double *out);

// --- PCA --------------------------------------------------------------------------------------------

#define RNL_PCA_MAX_DIM 1024  // the Jacobi solver is O(d^3): hidden and embed widths up to this

typedef struct {
    int dim, k;
    double *mean;     // (dim)
    double *axes;     // (k, dim): unit principal axes, largest variance first, signs by the rule above
    double *var;      // (k) variance along each axis
    double total_var; // the trace of the covariance: var[i] / total_var is the share an axis explains
} rnl_pca;

// The top k (1..dim) principal axes of n (>= 2) rows of X (n, dim), rows ldx apart.
rnl_status rnl_pca_fit(rnl_pca *out, const rnl_real *X, int n, int dim, int ldx, int k);
rnl_status rnl_pca_fit_f64(rnl_pca *out, const double *X, int n, int dim, int ldx, int k);
// The same from a covariance matrix (dim, dim) and mean (dim) accumulated elsewhere (over many batches).
rnl_status rnl_pca_fit_cov(rnl_pca *out, const double *cov, const double *mean, int dim, int k);
void rnl_pca_project(const rnl_pca *p, const double *x, double *out);  // x (dim) -> out (k)
void rnl_pca_free(rnl_pca *p);
// The symmetric eigen-solver under rnl_pca_fit: A (n, n), overwritten; eigenvalues (n) falling, and
// their unit eigenvectors as the rows of vecs (n, n), signs by the rule above.
rnl_status rnl_sym_eigen(double *vals, double *vecs, double *A, int n);

// --- Hidden states of a batch -----------------------------------------------------------------------

// After rnl_model_forward: the output of `layer` (h_t of both directions, D = ndir * H wide) at every
// real step of caller's row `sample`: out (len, D); *steps = len. (model.c, which holds the states.)
rnl_status rnl_model_states(const rnl_model *m, int layer, int sample, rnl_real *out, int *steps);
// A 2-D PCA of a walk's top-layer states h_0..h_{T-1} (T >= 2): the state map of one review on its own.
rnl_status rnl_walk_pca(rnl_pca *out, const rnl_walk *w);
// A 2-D (k = 2) PCA of the top layer's states at every real step of b's sequences.
rnl_status rnl_state_space_fit(rnl_pca *out, rnl_model *m, const rnl_batch *b);

// The state space of a data set's split, for the page's cloud and the CLI: the first n examples of
// `split` (in order), a 2-D PCA fitted over their top-layer states at every real step (their covariance
// summed batch by batch), and their final states projected (a pooled head's pools: what the head reads):
// xy (n, 2), labels (n) (the targets: 0/1 for a binary head). Text data sets and sequence-to-one models. In run_inspect.c, beside the run layer:
// it reads a data set, which the double-precision test build leaves out.
rnl_status rnl_state_cloud(rnl_pca *pca, double *xy, int *labels, rnl_model *m, const rnl_dataset *ds,
                           rnl_split split, int n);

// --- Word map ---------------------------------------------------------------------------------------

typedef enum {
    RNL_WORDMAP_PCA = 0,      // x: first principal axis, y: second
    RNL_WORDMAP_READOUT = 1,  // x: the readout direction (below), y: first principal axis
} rnl_wordmap_kind;

typedef struct {
    int n;
    int32_t *ids;       // (n) token ids 2..n+1: the n most frequent words (vocabulary ids go by count)
    double *pca;        // (n, 2) first and second principal axes of the n embeddings
    double *readout;    // (n, 2) the readout direction and the first principal axis
    double *effect;     // (n) the logit of the one-word review: how the word alone moves the prediction
    double *prob;       // (n) P(positive) of the one-word review
    // |Pearson correlation| of each map's x with the effect: how well it lines words up by sentiment.
    double sep_pca, sep_readout;
    rnl_wordmap_kind best;  // the map with the larger separation
} rnl_word_map;

// Binary text models (vocab > 0, unidirectional, binary head). The readout direction is the gradient of
// the one-word logit with respect to the embedding at the mean of the n embeddings: the direction in which
// moving a word's vector moves the prediction most, the head's readout pulled back through one cell step.
rnl_status rnl_word_map_build(rnl_word_map *out, const rnl_model *m, int n);
void rnl_word_map_free(rnl_word_map *w);
// Sentiment measured apart from the model: how positive each word's reviews are in a text data set, for
// ids (n): the share of its occurrences in the training split that are in positive reviews, smoothed as
// (positive + 1) / (all + 2). run_inspect.c.
rnl_status rnl_word_polarity(double *out, const rnl_dataset *ds, const int32_t *ids, int n);
// |Pearson correlation| of each map's x with `polarity` (wm->n values): which map lines the words up by the
// data's sentiment (the effect-based separations above measure the model against itself).
void rnl_word_map_against(const rnl_word_map *wm, const double *polarity, double *sep_pca, double *sep_readout);
// The k words (ids 2..vocab-1, not id itself) whose embeddings have the largest cosine with id's:
// ids (k), cos (k), falling; *found = min(k, vocab - 3).
rnl_status rnl_nearest_words(int32_t *ids, double *cos, int *found, const rnl_model *m, int32_t id, int k);

#ifdef __cplusplus
}
#endif
#endif

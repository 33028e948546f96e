// golden_file.h: reading the PyTorch golden files (golden.bin, golden_seq2seq.bin; format in
// tests/golden/README.md) and comparing the core against their records. test_golden.c and test_seq2seq.c
// use it; each test executable compiles golden_file.c with its own core, so rnl_real is that core's.
// Failures are reported through testutil's CHECK and tu_close.
#ifndef RNNLAB_GOLDEN_FILE_H
#define RNNLAB_GOLDEN_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "rnnlab.h"

#define GOLD_MAX_NDIM 4
#define GOLD_MAX_RECORDS 40
#define GOLD_MAX_NAME 64
enum { GOLD_F64 = 0, GOLD_I32 = 1 };

typedef struct {
    char name[GOLD_MAX_NAME];
    uint32_t dtype, ndim, dims[GOLD_MAX_NDIM];
    size_t count;         // product of dims
    const uint8_t *data;  // little-endian, unaligned: read with gold_f64 / gold_i32
} gold_record;

typedef struct {
    char name[GOLD_MAX_NAME];
    uint32_t n_records;
    gold_record rec[GOLD_MAX_RECORDS];
} gold_case;

// Loads tu_source_path(rel_path), checks its magic, version (1) and case count (1..1000), then calls `run`
// on each case, printing its name and ok/FAILED; checks that every case was read and that no bytes follow
// the last. regen_hint names the script that writes the file (said when it cannot be opened). Returns the
// number of cases run.
int gold_run_file(const char *rel_path, const char *regen_hint, void (*run)(const gold_case *));

// Value i of a record (no range check: gold_find checked the count).
double gold_f64(const gold_record *g, size_t i);
int32_t gold_i32(const gold_record *g, size_t i);
// 1 if the case has a record `name`.
int gold_has(const gold_case *c, const char *name);
// The record `name` of dtype `dtype` with `count` values (count 0: any), or NULL after a failed CHECK.
const gold_record *gold_find(const gold_case *c, const char *name, uint32_t dtype, size_t count);
// A float64 record's values as a new array (free it).
double *gold_doubles(const gold_record *g);
rnl_real *gold_reals(const gold_record *g);

// got[0 .. want->count) against a float64 record: tu_close's test and message, labelled `what`.
void gold_close(const char *what, const rnl_real *got, const gold_record *want, double rtol, double atol);

// Appends a tensor `name` (rows x cols, after the previous ones: *off) to a reference table being built
// (out, cap entries); *n counts the tensors even past cap.
void gold_add_tensor(rnl_tensor_info *out, int cap, int *n, size_t *off, const char *name, int rows, int cols);
// The i-th tensor of a model's table (a rnl_model, a rnl_s2s...), NULL if out of range.
typedef const rnl_tensor_info *(*gold_tensor_fn)(const void *model, int i);
// Checks the core's tensor table (n_got tensors, tensor(model, i)) against the reference's (`want`, n_want
// entries: torch's state_dict names, in order, with their shapes and offsets). Returns 1 if they match,
// so per-tensor slices of the golden vectors can be named by `want`.
int gold_check_table(const char *cname, const rnl_tensor_info *want, int n_want, const void *model, int n_got,
                     gold_tensor_fn tensor);
// Compares a flat parameter-layout vector tensor by tensor (`table`, n_tensors entries), so a failure names
// the tensor and the index printed is within it (row = index / cols, col = index % cols); with table NULL
// (the tensor table differs) as one block.
void gold_close_flat(const char *cname, const char *what, const rnl_tensor_info *table, int n_tensors,
                     const rnl_real *got, const gold_record *want, double rtol, double atol);

#endif

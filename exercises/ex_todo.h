// ex_todo.h: how an unfinished exercise says so. Every TODO body in starter/ starts with
// EX_TODO("..."): it records that the function ran unimplemented, so the grader reports "TODO: not
// implemented yet" instead of grading placeholder numbers. Delete that line (and the EX_ZERO line
// below it) when you write the function.
// Limits: one counter per process; the grader resets it before each call it makes.
#ifndef EX_TODO_H
#define EX_TODO_H

#include <string.h>

extern int ex_todo_count;         // EX_TODO calls since the grader last reset it
extern const char *ex_todo_last;  // what the last one said, e.g. "LSTM forward"
void ex_todo_mark(const char *what);

#define EX_TODO(what) ex_todo_mark(what)

// The placeholder result of an unfinished function: n zeros in p. A core built with unfinished cells
// then still runs (and learns nothing) instead of reading uninitialised memory.
#define EX_ZERO(p, n) memset((p), 0, sizeof *(p) * (size_t)(n))

#endif

// error.c: the last error message of the core (one per thread), and status names.
#include "rnnlab.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[512];

const char *rnl_last_error(void) { return last_error; }

rnl_status rnl_fail(rnl_status st, const char *fmt, ...) {
    // Formatted into a copy first: callers may pass rnl_last_error() itself as an argument, to prefix
    // a message with context.
    char msg[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return st;
}

const char *rnl_status_name(rnl_status st) {
    switch (st) {
    case RNL_OK: return "ok";
    case RNL_ERR_ARG: return "bad argument";
    case RNL_ERR_NOMEM: return "out of memory";
    case RNL_ERR_IO: return "i/o error";
    case RNL_ERR_FORMAT: return "bad format";
    case RNL_ERR_NUMERIC: return "numeric fault";
    }
    return "unknown status";
}

/** @file
 * Error codes (the PA_ERR_LIST X-macro in panim.h) and the always-on assertion handler.
 */
#include "pa_common.h"

#include "panim.h"

const char *pa_strerror(int err)
{
    switch (err) {
    case PA_OK:
        return "success";
#define PA__ERR_CASE(name, value, msg)                                                            \
    case name:                                                                                    \
        return msg;
        PA_ERR_LIST(PA__ERR_CASE)
#undef PA__ERR_CASE
    default:
        return "unknown error";
    }
}

void pa__assert_fail(const char *file, int line, const char *expr)
{
    fprintf(stderr, "panim: assertion failed at %s:%d: %s\n", file, line, expr);
    fflush(stderr);
    abort();
}

#include "base/error.h"

const char *polis_strerror(int code)
{
    switch (code) {
    case POLIS_OK:
        return "ok";
#define POLIS_ERROR_CASE(name, text)                                           \
    case POLIS_E##name:                                                        \
        return text;
        POLIS_ERRORS(POLIS_ERROR_CASE)
#undef POLIS_ERROR_CASE
    default:
        return "unknown error";
    }
}

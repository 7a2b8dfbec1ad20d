/* base/util.h - number <-> string conversions with Redis's exact rules, and
 * glob matching.
 *
 * The rules matter because replies must be byte-identical to Redis 7: which
 * strings count as integers (canonical form only: no '+', no leading zeros,
 * no "-0", no spaces), how long doubles are printed by INCRBYFLOAT, and how
 * KEYS/SCAN MATCH patterns behave. Pure functions. */
#ifndef POLIS_BASE_UTIL_H
#define POLIS_BASE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Strict canonical int64 parse (Redis string2ll): true on success. */
bool str_to_i64(const char *s, size_t len, int64_t *out);
/* Like str_to_i64 for uint64. */
bool str_to_u64(const char *s, size_t len, uint64_t *out);
/* Parses a long double as Redis string2ld: no spaces, no trailing garbage,
 * rejects NaN; inf accepted. Max length 5120 chars. */
bool str_to_ld(const char *s, size_t len, long double *out);
/* Parses a double as Redis string2d (strtod, no spaces, no NaN). */
bool str_to_d(const char *s, size_t len, double *out);

/* Formats a long double like Redis ld2string in LD_STR_HUMAN mode ("%.17Lf"
 * with trailing zeros and a trailing '.' removed; "-0" becomes "0"). Returns
 * the length, or 0 if the value is not finite or does not fit dst_len. */
size_t fmt_long_double_human(char *dst, size_t dst_len, long double v);

/* Glob match as Redis stringmatchlen: * ? [abc] [^a-z] and \ escapes. */
bool glob_match(const char *pat, size_t pat_len, const char *s, size_t s_len,
                bool nocase);

/* ASCII case-insensitive comparison of a counted string with a C literal. */
bool str_eq_nocase(const char *s, size_t len, const char *lit);

/* Parses memory sizes like "1gb", "512mb", "100k", "4096" (redis.conf
 * memtoull). Returns false on error. */
bool str_to_bytes(const char *s, size_t len, uint64_t *out);

#endif

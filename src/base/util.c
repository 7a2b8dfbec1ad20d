#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool str_to_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20) return false;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
    if (s[0] < '1' || s[0] > '9') return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool str_to_i64(const char *s, size_t len, int64_t *out)
{
    if (len == 0) return false;
    bool negative = s[0] == '-';
    uint64_t v;
    if (!str_to_u64(s + negative, len - negative, &v)) return false;
    if (negative) {
        if (v == 0 || v > (uint64_t)INT64_MAX + 1) return false;
        *out = (int64_t)(0 - v);
    } else {
        if (v > (uint64_t)INT64_MAX) return false;
        *out = (int64_t)v;
    }
    return true;
}

#define LD_STR_MAX_CHARS 5120

bool str_to_ld(const char *s, size_t len, long double *out)
{
    /* Redis string2ld: the whole string must be the number. */
    char tmp[LD_STR_MAX_CHARS];
    if (len == 0 || len >= sizeof tmp) return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    long double v = strtold(tmp, &end);
    if (isspace((unsigned char)tmp[0]) || (size_t)(end - tmp) != len || errno == EINVAL ||
        isnan(v))
        return false;
    if (errno == ERANGE && (isinf(v) || v == 0)) return false;
    *out = v;
    return true;
}

bool str_to_d(const char *s, size_t len, double *out)
{
    char tmp[LD_STR_MAX_CHARS + 1];
    if (len == 0 || len > LD_STR_MAX_CHARS) return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (isspace((unsigned char)tmp[0])) return false;
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if ((size_t)(end - tmp) != len || isnan(v)) return false;
    if (errno == ERANGE && (v == 0 || isinf(v)))
        return false;
    *out = v;
    return true;
}

size_t fmt_long_double_human(char *dst, size_t dst_len, long double v)
{
    if (isinf(v) || isnan(v)) return 0;
    int n = snprintf(dst, dst_len, "%.17Lf", v);
    if (n <= 0 || (size_t)n >= dst_len) return 0;
    size_t len = (size_t)n;
    if (memchr(dst, '.', len) != NULL) {
        while (len > 0 && dst[len - 1] == '0') len--;
        if (len > 0 && dst[len - 1] == '.') len--;
    }
    if (len == 2 && dst[0] == '-' && dst[1] == '0') {
        dst[0] = '0';
        len = 1;
    }
    dst[len] = '\0';
    return len;
}

static bool glob_match_impl(const char *p, size_t plen, const char *s, size_t slen,
                            bool nocase, int depth, bool *skip_longer)
{
    /* Bounded recursion (Redis limits nesting of '*' to protect the stack). */
    if (depth > 1000) return false;
    while (plen > 0 && slen > 0) {
        switch (p[0]) {
        case '*':
            while (plen > 1 && p[1] == '*') {
                p++;
                plen--;
            }
            if (plen == 1) return true;
            while (slen > 0) {
                if (glob_match_impl(p + 1, plen - 1, s, slen, nocase, depth + 1,
                                    skip_longer))
                    return true;
                if (*skip_longer) return false;
                s++;
                slen--;
            }
            *skip_longer = true;
            return false;
        case '?':
            s++;
            slen--;
            break;
        case '[': {
            p++;
            plen--;
            bool negate = plen > 0 && p[0] == '^';
            if (negate) {
                p++;
                plen--;
            }
            bool match = false;
            while (plen > 0) {
                if (p[0] == '\\' && plen >= 2) {
                    p++;
                    plen--;
                    if (p[0] == s[0]) match = true;
                } else if (p[0] == ']') {
                    break;
                } else if (plen >= 3 && p[1] == '-') {
                    int start = (unsigned char)p[0], end = (unsigned char)p[2];
                    int c = (unsigned char)s[0];
                    if (start > end) {
                        int t = start;
                        start = end;
                        end = t;
                    }
                    if (nocase) {
                        start = tolower(start);
                        end = tolower(end);
                        c = tolower(c);
                    }
                    p += 2;
                    plen -= 2;
                    if (c >= start && c <= end) match = true;
                } else if (nocase ? tolower((unsigned char)p[0]) ==
                                        tolower((unsigned char)s[0])
                                  : p[0] == s[0]) {
                    match = true;
                }
                p++;
                plen--;
            }
            if (plen == 0) { /* unterminated [: Redis treats it as ended */
                p--;
                plen++;
            }
            if (negate) match = !match;
            if (!match) return false;
            s++;
            slen--;
            break;
        }
        case '\\':
            if (plen >= 2) {
                p++;
                plen--;
            }
            /* fall through */
        default:
            if (nocase ? tolower((unsigned char)p[0]) != tolower((unsigned char)s[0])
                       : p[0] != s[0])
                return false;
            s++;
            slen--;
            break;
        }
        p++;
        plen--;
        if (slen == 0) {
            while (plen > 0 && p[0] == '*') {
                p++;
                plen--;
            }
            break;
        }
    }
    return plen == 0 && slen == 0;
}

bool glob_match(const char *pat, size_t pat_len, const char *s, size_t s_len, bool nocase)
{
    bool skip_longer = false;
    return glob_match_impl(pat, pat_len, s, s_len, nocase, 0, &skip_longer);
}

bool str_eq_nocase(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return n == len && strncasecmp(s, lit, len) == 0;
}

bool str_to_bytes(const char *s, size_t len, uint64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t mul;
    } units[] = {{"gb", 1024ull * 1024 * 1024}, {"mb", 1024ull * 1024},
                 {"kb", 1024}, {"g", 1000000000ull}, {"m", 1000000}, {"k", 1000},
                 {"b", 1}};
    uint64_t mul = 1;
    size_t digits = len;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t sl = strlen(units[i].suffix);
        if (len > sl && strncasecmp(s + len - sl, units[i].suffix, sl) == 0) {
            mul = units[i].mul;
            digits = len - sl;
            break;
        }
    }
    uint64_t v;
    if (!str_to_u64(s, digits, &v)) return false;
    if (v != 0 && mul > UINT64_MAX / v) return false;
    *out = v * mul;
    return true;
}

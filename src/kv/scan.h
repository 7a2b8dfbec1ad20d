/* kv/scan.h - what SCAN, HSCAN, SSCAN and ZSCAN share: the cursor argument,
 * the COUNT and MATCH options, and collecting one step of a table's scan.
 *
 * May call: base/, cmd/. */
#ifndef POLIS_KV_SCAN_H
#define POLIS_KV_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/dict.h"
#include "cmd/cmd.h"

/* Redis 7.0 parseScanCursorOrReply: strtoul over the argument as a C string,
 * so "" is cursor 0, "-1" wraps to the largest cursor and parsing stops at
 * an embedded NUL; a leading space or trailing garbage is "ERR invalid
 * cursor" (replied here). */
bool kv_scan_cursor_or_reply(cmd_ctx *c, size_t arg, uint64_t *cursor);

typedef struct kv_scan_opts {
    int64_t count;          /* COUNT, >= 1 (10) */
    const cmd_arg *pattern; /* MATCH; NULL for none or "*" */
} kv_scan_opts;

/* The options after a key's cursor (HSCAN, SSCAN, ZSCAN: COUNT and MATCH,
 * TYPE is SCAN's only), from argument `from`; replies the syntax error. */
bool kv_scan_options_or_reply(cmd_ctx *c, size_t from, kv_scan_opts *opts);
bool kv_scan_match(const kv_scan_opts *opts, const char *p, size_t len);

/* The nodes one dict_scan step visits (dict_scan's callback, priv = this). */
typedef struct kv_scan_batch {
    const dict_node **found;
    size_t count, cap;
} kv_scan_batch;
void kv_scan_collect(void *priv, dict_node *node);
void kv_scan_batch_free(kv_scan_batch *b);

/* One call's worth of a table scan from cursor, as Redis's
 * scanGenericCommand steps it: until the batch holds `count` reply elements
 * (each node giving elems_per_node of them: 2 for a hash's field and value
 * or a sorted set's member and score) or 10 x count buckets were stepped.
 * Redis doubles COUNT for hashes and sorted sets; the callers pass that.
 * The arithmetic wraps for huge counts, as Redis's does. Returns the next
 * cursor (0: done). */
uint64_t kv_scan_dict(const dict *d, uint64_t cursor, uint64_t count,
                      unsigned elems_per_node, kv_scan_batch *b);

#endif

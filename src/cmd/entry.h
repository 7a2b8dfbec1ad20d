/* cmd/entry.h - a write as it travels through the Raft log, and its
 * deterministic application on every replica (ARCHITECTURE §6).
 *
 * An entry carries the command's arguments and the leader's clock; applying
 * it runs the command's handler with now_ms = that clock, rand_seed derived
 * from (term, index) and revision = index, so every replica computes the
 * same result. Arguments are validated (lookup, arity) before proposing;
 * apply re-checks and treats a bad entry as a no-op, identically everywhere.
 *
 * Format (little-endian; varint = unsigned LEB128):
 *   version u8 (1) | kind u8 | now_ms i64 | argc varint |
 *   argc x (len varint, bytes)
 * Kinds: CMD_ENTRY_COMMAND (argv is a client command),
 *        CMD_ENTRY_EXPIRE (argv = key, expire_at_ms as decimal): the
 *        leader's active expiry, a delete that happens only if the key still
 *        has exactly that expiry and it has passed.
 * Owns: nothing. May call: base/, kv/, cmd/. Must never: do I/O. */
#ifndef POLIS_CMD_ENTRY_H
#define POLIS_CMD_ENTRY_H

#include "cmd/cmd.h"
#include "raft/raft.h"

enum cmd_entry_kind { CMD_ENTRY_COMMAND = 1, CMD_ENTRY_EXPIRE = 2 };

#define CMD_ENTRY_ARGS_MAX (1024 * 1024)

typedef struct cmd_entry {
    uint8_t kind;
    int64_t now_ms;
    size_t argc;
    cmd_arg *argv; /* points into the decoded bytes; owned array */
} cmd_entry;

/* Appends an encoded entry to out. */
void cmd_entry_encode(buf *out, uint8_t kind, int64_t now_ms, const cmd_arg *argv,
                      size_t argc);
/* Decodes; argv points into data (valid while data is). Returns 0 or
 * POLIS_ECORRUPT. Free with cmd_entry_free. */
int cmd_entry_decode(const void *data, size_t len, cmd_entry *e);
void cmd_entry_free(cmd_entry *e);

/* Applies an entry at (term, index): writes the command's reply to w (the
 * proposer returns it to its client; other replicas discard it). */
void cmd_entry_apply(kv_keyspace *ks, const cmd_entry *e, raft_term term,
                     raft_index index, const cmd_limits *limits, resp_writer *w);

#endif

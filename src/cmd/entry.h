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
 *        CMD_ENTRY_SPLIT: a shard split (docs/design/009-partitioning.md):
 *        instead of argc and the arguments, child varint (the new shard's
 *        group id) | voter count varint (1..RAFT_NODES_MAX) | that many
 *        voter ids varint | the child's slots (cluster/slotset.h encoding,
 *        at least one slot). Applied by the group host (node/group.c), not
 *        by cmd_entry_apply.
 * Owns: nothing. May call: base/, kv/, cmd/, cluster/slotset.h.
 * Must never: do I/O. */
#ifndef POLIS_CMD_ENTRY_H
#define POLIS_CMD_ENTRY_H

#include "cluster/slotset.h"
#include "cmd/cmd.h"
#include "raft/raft.h"

enum cmd_entry_kind { CMD_ENTRY_COMMAND = 1, CMD_ENTRY_EXPIRE = 2, CMD_ENTRY_SPLIT = 3 };

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

/* The kind of an encoded entry (its second byte), 0 if it is not one. */
uint8_t cmd_entry_kind(const void *data, size_t len);

/* A split entry: the parent's slots in `slots` go to a new group `child`
 * whose first configuration is `voters`. */
typedef struct cmd_split {
    uint64_t child;
    uint32_t voter_count;
    uint64_t voters[RAFT_NODES_MAX];
    slot_set slots;
} cmd_split;

void cmd_split_encode(buf *out, int64_t now_ms, const cmd_split *s);
/* 0, or POLIS_ECORRUPT on anything malformed (no voter, no slot, trailing
 * bytes, a non-canonical varint). */
int cmd_split_decode(const void *data, size_t len, cmd_split *s);

/* Applies an entry at (term, index): writes the command's reply to w (the
 * proposer returns it to its client; other replicas discard it). */
void cmd_entry_apply(kv_keyspace *ks, const cmd_entry *e, raft_term term,
                     raft_index index, const cmd_limits *limits, resp_writer *w);

#endif

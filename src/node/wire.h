/* node/wire.h - the peer protocol's encoding: frames and their payloads.
 *
 * Pure encode/decode, no I/O: node/peer.c moves the bytes, the group host
 * (node/group*.c) decides what they mean. The byte-by-byte layout is below
 * and, in the same words, in docs/formats.md ("Peer protocol").
 *
 * Owns: the byte layout of every peer frame, its limits and validation.
 * May call: base/ (buf, mem, assert), wal/crc32c (the frame checksum).
 * Must never: do I/O, keep state between calls, trust a length it read.
 *
 * ---- Frames ---------------------------------------------------------------
 *
 * All integers are little-endian. A frame is
 *
 *   offset 0  u32 length    bytes after this field: 4 + 1 + payload (>= 5)
 *          4  u32 crc32c    CRC32C (Castagnoli) of the type byte + payload
 *          8  u8  type      WIRE_FRAME_TYPES below
 *          9  payload       length - 5 bytes
 *
 * TCP checksums segments, but not bugs on either host: the CRC catches a
 * buffer reused too early or memory corruption before a bad raft message
 * reaches the log, for ~1 ns/byte less than nothing (ISA-L, hardware). The
 * payload is bounded by wire_limits.frame_payload_bytes_max before a byte
 * of it is buffered; before a handshake has completed, by the much smaller
 * WIRE_CONTROL_PAYLOAD_BYTES_MAX, so a stranger (or redis-cli on the wrong
 * port) is turned away after 9 bytes.
 *
 * ---- Ownership ------------------------------------------------------------
 *
 * wire_encode_* append to a caller's buf. wire_decode_* fill caller-provided
 * structures from a byte range; whatever they return that points at bytes
 * (entry data, snapshot data, forwarded arguments, reply bytes, reject
 * reason) points INTO THE INPUT (zero copy) and is valid only while the
 * input is. Arrays whose size depends on the input (raft entries, arguments)
 * live in a wire_scratch the caller owns and reuses; they are valid until
 * the next decode with the same scratch. A decoder never reads outside
 * [p, p + len) and rejects every inconsistency with POLIS_EPROTO and a
 * static reason in *err. Encodings are canonical: whatever a decoder
 * accepts re-encodes to the same bytes. */
#ifndef POLIS_NODE_WIRE_H
#define POLIS_NODE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "cmd/cmd.h"
#include "raft/raft.h"

/* Versions this build speaks; a handshake offers the range and the acceptor
 * picks the highest version both sides speak. */
/* 2: FORWARD carries the group and map epoch; LEADERS. */
#define WIRE_VERSION_MIN 2
#define WIRE_VERSION_MAX 2

#define WIRE_MAGIC       "POLISPEER"
#define WIRE_MAGIC_BYTES 9

#define WIRE_FRAME_HEADER_BYTES 9 /* length, crc32c, type */
/* Bytes `length` counts besides the payload: crc32c and type. */
#define WIRE_FRAME_LENGTH_OVERHEAD_BYTES 5
/* Default payload bound: the largest raft entry (raft max_entry_bytes,
 * 64 MiB) plus room for the message and entry headers around it. */
#define WIRE_FRAME_PAYLOAD_BYTES_MAX_DEFAULT ((64u << 20) + (64u << 10))
/* Bound on control frames (handshake, ack, reject, ping, pong), and on any
 * frame read before a connection's handshake is done. */
#define WIRE_CONTROL_PAYLOAD_BYTES_MAX 512
#define WIRE_REASON_BYTES_MAX          255

/* Frame types: X(name, code, is_data, text). Data frames carry the host's
 * traffic and go only from the dialer to the acceptor (see peer.h); control
 * frames belong to the link itself. New types need a new protocol version. */
#define WIRE_FRAME_TYPES(X)                                                              \
    X(HANDSHAKE, 1, false, "handshake")                                                  \
    X(HANDSHAKE_ACK, 2, false, "handshake-ack")                                          \
    X(HANDSHAKE_REJECT, 3, false, "handshake-reject")                                    \
    X(PING, 4, false, "ping")                                                            \
    X(PONG, 5, false, "pong")                                                            \
    X(RAFT, 16, true, "raft")                                                            \
    X(FORWARD, 17, true, "forward")                                                      \
    X(REPLY, 18, true, "reply")                                                          \
    X(LEADERS, 19, true, "leaders")

enum wire_frame_type {
#define WIRE_FRAME_TYPE_ENUM(name, code, is_data, text) WIRE_##name = code,
    WIRE_FRAME_TYPES(WIRE_FRAME_TYPE_ENUM)
#undef WIRE_FRAME_TYPE_ENUM
};

/* Reasons a handshake is refused: X(name, code, text). */
#define WIRE_REJECT_REASONS(X)                                                           \
    X(WRONG_CLUSTER, 1, "wrong cluster id")                                              \
    X(UNKNOWN_NODE, 2, "unknown node id")                                                \
    X(DUPLICATE_NODE, 3, "duplicate node id")                                            \
    X(WRONG_NODE, 4, "dialed a different node id")                                       \
    X(UNSUPPORTED_VERSION, 5, "unsupported protocol version")

enum wire_reject_reason {
#define WIRE_REJECT_ENUM(name, code, text) WIRE_REJECT_##name = code,
    WIRE_REJECT_REASONS(WIRE_REJECT_ENUM)
#undef WIRE_REJECT_ENUM
};

bool wire_frame_type_known(unsigned type);
bool wire_frame_type_is_data(unsigned type);
const char *wire_frame_type_name(unsigned type); /* "unknown" if unknown */
const char *wire_reject_reason_text(unsigned reason);

typedef struct wire_limits {
    uint32_t frame_payload_bytes_max;  /* WIRE_FRAME_PAYLOAD_BYTES_MAX_DEFAULT */
    uint32_t raft_entries_per_msg_max; /* 1 << 20 */
    uint32_t forward_args_max;         /* 1 << 20, as proto-max-args */
} wire_limits;

void wire_limits_default(wire_limits *limits);

/* Why a decoder refused its input: a static string and the offset (from
 * the start of the decoded range) where it noticed. */
typedef struct wire_error {
    const char *reason;
    size_t offset;
} wire_error;

/* Per-caller arrays for decoded data whose size comes from the input. */
typedef struct wire_scratch {
    raft_entry *entries;
    uint32_t entries_cap;
    cmd_arg *args;
    uint32_t args_cap;
    struct wire_leader *leaders;
    uint32_t leaders_cap;
} wire_scratch;

/* clang-format off */
#define WIRE_SCRATCH_INIT {NULL, 0, NULL, 0, NULL, 0}
/* clang-format on */
void wire_scratch_free(wire_scratch *s);

/* ---- Frames -------------------------------------------------------------- */

/* Starts a frame of `type` at the end of b (writes a placeholder header);
 * returns the frame's offset in b for wire_frame_end(). */
size_t wire_frame_begin(buf *b, uint8_t type);
/* Completes the frame started at `start`: fills in length and CRC32C over
 * what was appended since. Returns 0, or POLIS_ELIMIT (and removes the
 * frame from b) if its payload is over payload_bytes_max. */
int wire_frame_end(buf *b, size_t start, uint32_t payload_bytes_max);
/* Appends a whole frame; PASSERTs len fits a frame (callers bound it). */
void wire_encode_frame(buf *b, uint8_t type, const void *payload, size_t len);

typedef struct wire_frame {
    uint8_t type;
    const uint8_t *payload; /* into the input */
    uint32_t len;
} wire_frame;

enum wire_parse_result {
    WIRE_PARSE_MORE = 0,  /* no complete frame yet: append input and retry */
    WIRE_PARSE_FRAME = 1, /* *f filled, *consumed bytes used */
};

/* Parses the first frame of p[0, len). Stateless, so it resumes at any byte
 * boundary: the caller keeps unconsumed bytes and calls again when more
 * arrive. *need_bytes (if not NULL) is set on WIRE_PARSE_MORE to the total
 * bytes the frame needs once its header is known (else the header size),
 * for sizing reads. Returns POLIS_EPROTO on a length over payload_bytes_max
 * (checked from the header alone), an unknown type or a bad CRC. */
int wire_frame_parse(const void *p, size_t len, uint32_t payload_bytes_max, wire_frame *f,
                     size_t *consumed, size_t *need_bytes, wire_error *err);

/* ---- Control payloads ---------------------------------------------------- */

/* HANDSHAKE (37 bytes), the dialer's first frame:
 *   0  9 bytes  "POLISPEER"
 *   9  u16      version_min    protocol versions the dialer speaks
 *  11  u16      version_max
 *  13  u64      cluster_id
 *  21  u64      node_id        the dialer
 *  29  u64      to_node_id     whom it meant to reach (0: anyone)
 * The layout is the same in every protocol version, so that any two
 * versions can at least agree on which one to speak. */
typedef struct wire_handshake {
    uint16_t version_min;
    uint16_t version_max;
    uint64_t cluster_id;
    uint64_t node_id;
    uint64_t to_node_id;
} wire_handshake;

#define WIRE_HANDSHAKE_BYTES 37

/* HANDSHAKE_ACK (18 bytes): u16 version (chosen), u64 cluster_id, u64
 * node_id (the acceptor). */
typedef struct wire_handshake_ack {
    uint16_t version;
    uint64_t cluster_id;
    uint64_t node_id;
} wire_handshake_ack;

#define WIRE_HANDSHAKE_ACK_BYTES 18

/* HANDSHAKE_REJECT: u8 reason (WIRE_REJECT_REASONS), u8 text_len, text
 * (text_len bytes, human-readable, not NUL-terminated). */
typedef struct wire_handshake_reject {
    uint8_t reason;
    uint8_t text_len;
    const char *text; /* into the input when decoded */
} wire_handshake_reject;

/* PING and PONG (8 bytes): u64 nonce; a PONG echoes its PING's nonce. */

void wire_encode_handshake(buf *b, const wire_handshake *h);
int wire_decode_handshake(const void *p, size_t len, wire_handshake *h, wire_error *err);
void wire_encode_handshake_ack(buf *b, const wire_handshake_ack *a);
int wire_decode_handshake_ack(const void *p, size_t len, wire_handshake_ack *a,
                              wire_error *err);
void wire_encode_handshake_reject(buf *b, const wire_handshake_reject *r);
int wire_decode_handshake_reject(const void *p, size_t len, wire_handshake_reject *r,
                                 wire_error *err);
void wire_encode_ping(buf *b, uint64_t nonce); /* PING and PONG alike */
int wire_decode_ping(const void *p, size_t len, uint64_t *nonce, wire_error *err);

/* ---- RAFT ---------------------------------------------------------------- */

/* RAFT payload: a batch.
 *   u32 msg_count (>= 1), then msg_count messages, nothing after them.
 * A message (86 bytes + entries + optional snapshot section):
 *    0  u8   type         RAFT_MSG_* (1 .. RAFT_MSG_TYPE_MAX_ - 1)
 *    1  u8   flags        bit 0 reject, 1 transfer, 2 last, 3 snapshot
 *                         section follows; bits 4-7 zero
 *    2  u64  group
 *   10  u64  from
 *   18  u64  to
 *   26  u64  term
 *   34  u64  index
 *   42  u64  log_term
 *   50  u64  commit
 *   58  u64  hint_index
 *   66  u64  hint_term
 *   74  u64  ctx
 *   82  u32  entry_count  (<= raft_entries_per_msg_max)
 *   86  entries, each 21 bytes + data:
 *         u64 term, u64 index, u8 type (0 normal, 1 conf), u32 len, data
 *   then, iff flags bit 3 (set exactly when any of snap, offset, len is
 *   nonzero):
 *         u64 snap.index, u64 snap.term, u64 snap.size_bytes,
 *         u8 voter_count (<= RAFT_NODES_MAX), voter_count x u64,
 *         u8 voter_outgoing_count, x u64, u8 learner_count, x u64,
 *         u64 offset, u32 len (offset + len must not overflow), len bytes
 * Heartbeats and votes, the common case, skip the snapshot section. */
#define WIRE_RAFT_MSG_MIN_BYTES   86
#define WIRE_RAFT_ENTRY_MIN_BYTES 21

/* Bytes wire_encode_raft_msg() appends for m, and wire_encode_raft() for
 * a batch (so a sender can check its queue limit before encoding). */
size_t wire_raft_msg_bytes(const raft_msg *m);
size_t wire_raft_bytes(const raft_msg *msgs, size_t count);
/* Appends the RAFT payload for msgs[0, count) (count >= 1). */
void wire_encode_raft(buf *b, const raft_msg *msgs, size_t count);
/* Appends one encoded message (for callers building a batch by hand). */
void wire_encode_raft_msg(buf *b, const raft_msg *m);

/* Walks a RAFT payload one message at a time, so the host can step each
 * into its group without holding the whole batch decoded. */
typedef struct wire_raft_iter {
    const uint8_t *start;
    const uint8_t *pos;
    const uint8_t *end;
    uint32_t msg_count;
    uint32_t msg_done;
} wire_raft_iter;

/* Reads the message count; POLIS_EPROTO if it cannot fit in len. */
int wire_raft_iter_init(wire_raft_iter *it, const void *payload, size_t len,
                        wire_error *err);
/* Decodes the next message into *m: returns 1 with a message, 0 at the end
 * (the payload held exactly msg_count messages), POLIS_EPROTO otherwise
 * (messages already returned were well-formed). m->entries points into
 * scratch (valid until the next decode with it); entry data and m->data
 * point into the payload (NULL when their length is 0). */
int wire_raft_iter_next(wire_raft_iter *it, const wire_limits *limits, wire_scratch *s,
                        raft_msg *m, wire_error *err);

/* ---- FORWARD and REPLY --------------------------------------------------- */

/* FORWARD: a client request a follower hands to the leader.
 *    0  u64  request_id   the forwarder's; echoed by the REPLY
 *    8  u64  trace_id     0: not traced
 *   16  u8   resp         the client's protocol, 2 or 3
 *   17  u32  flags        the host's; the codec does not interpret them
 *   21  u64  group        the Raft group (shard) the request is for
 *   29  u64  epoch        the shard map epoch the forwarder routed with
 *   37  u32  argc         1 .. forward_args_max
 *   41  argc x (u32 len, len bytes)
 * Nothing may follow the last argument. */
typedef struct wire_forward {
    uint64_t request_id;
    uint64_t trace_id;
    uint8_t resp;
    uint32_t flags;
    uint64_t group;
    uint64_t epoch;
    const cmd_arg *argv; /* decoded: into scratch; ptr fields into the input */
    uint32_t argc;
} wire_forward;

#define WIRE_FORWARD_HEADER_BYTES 41

size_t wire_forward_bytes(const wire_forward *f);
void wire_encode_forward(buf *b, const wire_forward *f);
int wire_decode_forward(const void *p, size_t len, const wire_limits *limits,
                        wire_scratch *s, wire_forward *f, wire_error *err);

/* REPLY: u64 request_id, then the raw RESP reply (the rest of the payload,
 * possibly several replies, as the forwarded client would read them). */
typedef struct wire_reply {
    uint64_t request_id;
    const uint8_t *resp_bytes; /* into the input; NULL if len is 0 */
    size_t len;
} wire_reply;

#define WIRE_REPLY_HEADER_BYTES 8

void wire_encode_reply(buf *b, uint64_t request_id, const void *resp_bytes, size_t len);
int wire_decode_reply(const void *p, size_t len, wire_reply *r, wire_error *err);

/* ---- LEADERS -------------------------------------------------------------- */

/* LEADERS: the groups the sender leads, so every node knows where each
 * shard's leader is (routing, CLUSTER SLOTS) without hosting it.
 *    0  u32  count        0 .. leaders_max
 *    4  count x (u64 group, u64 term, u64 keys, u64 expires)
 * keys: keys in the leader's keyspace; expires: of which with a TTL (both
 * 0 for the meta group). Nothing may follow. */
typedef struct wire_leader {
    uint64_t group;
    uint64_t term;
    uint64_t keys;    /* keys in the leader's keyspace */
    uint64_t expires; /* of which with a TTL */
} wire_leader;

#define WIRE_LEADER_BYTES 32

#define WIRE_LEADERS_MAX 65536u

void wire_encode_leaders(buf *b, const wire_leader *l, uint32_t count);
/* Decodes into scratch-owned storage (*out valid until the next decode with s). */
int wire_decode_leaders(const void *p, size_t len, wire_scratch *s,
                        const wire_leader **out, uint32_t *count, wire_error *err);

#endif

/* node/blocking.h - clients blocked by BLPOP, BLMOVE, BZPOPMIN and the like
 * on a standalone node.
 *
 * The contract with the handlers is in cmd/cmd.h (cmd_ctx.block): a handler
 * that finds nothing to serve asks to block and writes nothing. The server
 * then parks the client here, with its own copy of the arguments, and stops
 * executing that client's later requests (as Redis does) until it is
 * unblocked. After every write command the keys it touched (its key
 * positions) are "ready"; clients blocked on a ready key are retried in the
 * order they blocked (Redis's FIFO), and a retry that serves is itself a
 * write whose keys (a BLMOVE's destination) are ready in turn. At a client's
 * deadline the handler runs once more with timed_out set and writes its
 * "nothing" reply. Unblocked clients resume their pending input from the
 * server's flush pass, outside any command.
 *
 * In a cluster, commands are applied inside replicated entries, which
 * cannot wait (cmd_ctx.no_block): a blocking command there answers at once.
 *
 * Owns: the parked records and their argument copies. May call: node/server
 * (to run a command for a client), cmd/. */
#ifndef POLIS_NODE_BLOCKING_H
#define POLIS_NODE_BLOCKING_H

#include <stddef.h>
#include <stdint.h>

#include "cmd/cmd.h"

struct node_server;
struct node_client;

void blocking_init(struct node_server *s);
/* Unblocks everyone (their connections are closing) and closes the timer. */
void blocking_close(struct node_server *s);

/* Parks c, whose command d (argv) asked to block for timeout_ms (0: no
 * deadline). */
void blocking_park(struct node_server *s, struct node_client *c, cmd_def *d,
                   const cmd_arg *argv, size_t argc, int64_t timeout_ms);
/* After a write command: retries the clients blocked on its keys. */
void blocking_touched(struct node_server *s, const cmd_def *d, const cmd_arg *argv,
                      size_t argc);
/* A parked client is closing: forget it. */
void blocking_forget(struct node_client *c);
/* From the flush pass: unblocked clients execute their pending requests. */
void blocking_resume(struct node_server *s);

#endif

/* node/blocking.c - clients blocked on keys (see blocking.h). */
#include "node/blocking.h"

#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "node/server.h"

struct node_blocked {
    struct node_blocked *prev, *next; /* the server's list, in blocking order */
    node_client *c;
    cmd_def *d;
    buf args; /* the arguments' bytes; argv points into it */
    cmd_arg *argv;
    size_t argc;
    size_t *keys; /* argument indexes of its keys */
    size_t key_count;
    int want_type;        /* the type it pops from (KV_LIST, KV_ZSET), or -1 */
    uint64_t deadline_ms; /* loop time; 0: none */
};

/* Ready keys, first in first out: (length, bytes) records in a buffer. */
static void ready_push(node_server *s, const char *key, size_t len)
{
    buf_append(&s->ready_keys, (const char *)&len, sizeof len);
    buf_append(&s->ready_keys, key, len);
}

static bool ready_pop(node_server *s, buf *key)
{
    if (s->ready_off >= s->ready_keys.len) {
        buf_clear(&s->ready_keys);
        s->ready_off = 0;
        return false;
    }
    size_t len;
    memcpy(&len, s->ready_keys.data + s->ready_off, sizeof len);
    buf_clear(key);
    buf_append(key, s->ready_keys.data + s->ready_off + sizeof len, len);
    s->ready_off += sizeof len + len;
    return true;
}

static void push_keys(node_server *s, const cmd_def *d, const cmd_arg *argv, size_t argc)
{
    size_t *pos = mem_alloc((argc ? argc : 1) * sizeof *pos);
    int n = cmd_get_keys(d, argv, argc, pos);
    for (int i = 0; i < n; i++)
        ready_push(s, argv[pos[i]].ptr, argv[pos[i]].len);
    mem_free(pos);
}

static bool waits_on(const struct node_blocked *b, const buf *key)
{
    for (size_t i = 0; i < b->key_count; i++) {
        const cmd_arg *k = &b->argv[b->keys[i]];
        if (k->len == key->len && memcmp(k->ptr, key->data, key->len) == 0) return true;
    }
    return false;
}

/* Redis serves a blocked client only when the key now holds the type it
 * waits for: a key overwritten by another type keeps it blocked (and it
 * gets its null reply at the timeout), it does not get WRONGTYPE. */
static bool holds_its_type(node_server *s, const struct node_blocked *b, const buf *key)
{
    if (b->want_type < 0) return true;
    kv_obj *o = kv_lookup_any(&s->ks, key->data, key->len);
    return o != NULL && o->type == b->want_type &&
           !kv_obj_expired(&s->ks, o, node_now_ms());
}

static void on_timer(uv_timer_t *t);

/* The timer fires at the earliest deadline of any parked client. */
static void arm_timer(node_server *s)
{
    uint64_t first = 0;
    for (struct node_blocked *b = s->blocked_head; b; b = b->next)
        if (b->deadline_ms && (first == 0 || b->deadline_ms < first))
            first = b->deadline_ms;
    if (first == 0) {
        uv_timer_stop(&s->block_timer);
        return;
    }
    uint64_t now = uv_now(s->loop);
    uv_timer_start(&s->block_timer, on_timer, first > now ? first - now : 0, 0);
}

static void unlink_blocked(node_server *s, struct node_blocked *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        s->blocked_head = b->next;
    if (b->next)
        b->next->prev = b->prev;
    else
        s->blocked_tail = b->prev;
    s->blocked_count--;
    b->c->blocked = NULL;
    buf_free(&b->args);
    mem_free(b->argv);
    mem_free(b->keys);
    mem_free(b);
}

/* Unblocks b's client after its reply was written; it resumes its input
 * from the flush pass. */
static void release(node_server *s, struct node_blocked *b)
{
    node_client *c = b->c;
    unlink_blocked(s, b);
    if (!c->unblocked) {
        c->unblocked = true;
        c->unblocked_next = s->unblocked;
        s->unblocked = c;
    }
}

static void on_timer(uv_timer_t *t)
{
    node_server *s = t->data;
    uint64_t now = uv_now(s->loop);
    for (struct node_blocked *b = s->blocked_head, *next; b; b = next) {
        next = b->next;
        if (b->deadline_ms == 0 || b->deadline_ms > now) continue;
        node_run_parked(b->c, b->d, b->argv, b->argc, true);
        release(s, b);
    }
    arm_timer(s);
}

void blocking_init(node_server *s)
{
    uv_timer_init(s->loop, &s->block_timer);
    s->block_timer.data = s;
    buf_init(&s->ready_keys);
}

void blocking_close(node_server *s)
{
    while (s->blocked_head)
        unlink_blocked(s, s->blocked_head);
    s->unblocked = NULL;
    buf_free(&s->ready_keys);
    uv_close((uv_handle_t *)&s->block_timer, NULL);
}

void blocking_park(node_server *s, node_client *c, cmd_def *d, const cmd_arg *argv,
                   size_t argc, int64_t timeout_ms)
{
    PASSERT(c->blocked == NULL);
    struct node_blocked *b = mem_calloc(1, sizeof *b);
    b->c = c;
    b->d = d;
    buf_init(&b->args);
    for (size_t i = 0; i < argc; i++)
        buf_append(&b->args, argv[i].ptr, argv[i].len);
    b->argv = mem_alloc(argc * sizeof *b->argv);
    b->argc = argc;
    size_t off = 0;
    for (size_t i = 0; i < argc; i++) {
        b->argv[i].ptr = b->args.data + off;
        b->argv[i].len = argv[i].len;
        off += argv[i].len;
    }
    b->keys = mem_alloc(argc * sizeof *b->keys);
    int n = cmd_get_keys(d, b->argv, argc, b->keys);
    b->key_count = n > 0 ? (size_t)n : 0;
    b->want_type = strcmp(d->group, "list") == 0         ? KV_LIST
                   : strcmp(d->group, "sorted-set") == 0 ? KV_ZSET
                                                         : -1;
    b->deadline_ms = timeout_ms > 0 ? uv_now(s->loop) + (uint64_t)timeout_ms : 0;
    b->prev = s->blocked_tail;
    if (s->blocked_tail)
        s->blocked_tail->next = b;
    else
        s->blocked_head = b;
    s->blocked_tail = b;
    s->blocked_count++;
    c->blocked = b;
    if (b->deadline_ms) arm_timer(s);
}

void blocking_touched(node_server *s, const cmd_def *d, const cmd_arg *argv, size_t argc)
{
    if (s->blocked_count == 0) return;
    push_keys(s, d, argv, argc);
    if (s->serving_blocked) return; /* the loop below is already running */
    s->serving_blocked = true;
    buf key = BUF_INIT;
    bool any = false;
    while (ready_pop(s, &key)) {
        for (struct node_blocked *b = s->blocked_head, *next; b; b = next) {
            next = b->next;
            if (!waits_on(b, &key) || !holds_its_type(s, b, &key)) continue;
            if (node_run_parked(b->c, b->d, b->argv, b->argc, false))
                continue; /* still empty */
            /* Served: its own writes (a BLMOVE's destination) are ready too. */
            push_keys(s, b->d, b->argv, b->argc);
            release(s, b);
            any = true;
            next = s->blocked_head; /* the list changed: rescan for this key */
        }
    }
    buf_free(&key);
    s->serving_blocked = false;
    if (any) arm_timer(s);
}

void blocking_forget(node_client *c)
{
    if (c->blocked == NULL) return;
    node_server *s = c->server;
    unlink_blocked(s, c->blocked);
    arm_timer(s);
}

void blocking_resume(node_server *s)
{
    while (s->unblocked) {
        node_client *c = s->unblocked;
        s->unblocked = c->unblocked_next;
        c->unblocked_next = NULL;
        c->unblocked = false;
        if (!(c->flags & CLIENT_CLOSING)) node_client_resume(c);
    }
}

/* cmd/command.c - COMMAND and its subcommands, generated from the table. */
#include <string.h>

#include "base/mem.h"

#include "cmd/cmd.h"
#include "node/servercmds.h"

/* Flag names in COMMAND's output, in Redis's order. */
static const struct {
    uint32_t flag;
    const char *name;
} flag_names[] = {
    {CMD_WRITE, "write"},       {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"},
    {CMD_ADMIN, "admin"},       {CMD_NOSCRIPT, "noscript"}, {CMD_BLOCKING, "blocking"},
    {CMD_LOADING, "loading"},
    {CMD_STALE, "stale"},       {CMD_SKIP_SLOWLOG, "skip_slowlog"},
    {CMD_FAST, "fast"},         {CMD_NO_AUTH, "no_auth"},   {CMD_ALLOW_BUSY, "allow_busy"},
    {CMD_NO_MULTI, "no_multi"},
};

static size_t count_flags(const cmd_def *d)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
        if (d->flags & flag_names[i].flag) n++;
    return n;
}

/* ACL categories as Redis 7.0 prints them: in the order of its category
 * table (keyspace, read, write, set, sortedset, list, hash, string, ...,
 * admin, fast, slow, blocking, dangerous, connection), from the command's
 * group and flags. */
static size_t acl_categories(const cmd_def *d, const char *out[10])
{
    static const struct {
        const char *group, *category;
    } groups[] = {
        {"generic", "@keyspace"}, {"set", "@set"},       {"sorted-set", "@sortedset"},
        {"list", "@list"},        {"hash", "@hash"},     {"string", "@string"},
    };
    size_t n = 0;
    const char *type_cat = NULL;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (strcmp(d->group, groups[i].group) == 0) type_cat = groups[i].category;
    if (type_cat && strcmp(type_cat, "@keyspace") == 0) out[n++] = type_cat;
    if (d->flags & CMD_READONLY) out[n++] = "@read";
    if (d->flags & CMD_WRITE) out[n++] = "@write";
    if (type_cat && strcmp(type_cat, "@keyspace") != 0) out[n++] = type_cat;
    if (d->flags & CMD_ADMIN) out[n++] = "@admin";
    out[n++] = (d->flags & CMD_FAST) ? "@fast" : "@slow";
    if (d->flags & CMD_BLOCKING) out[n++] = "@blocking";
    if (d->flags & CMD_ADMIN) out[n++] = "@dangerous";
    if (strcmp(d->group, "connection") == 0) out[n++] = "@connection";
    return n;
}

static void reply_key_specs(resp_writer *w, const cmd_def *d)
{
    if (d->first_key <= 0) {
        resp_array(w, 0);
        return;
    }
    resp_array(w, 1);
    resp_map(w, 3);
    resp_bulk_cstr(w, "flags");
    resp_set(w, 1);
    resp_simple_cstr(w, (d->flags & CMD_WRITE) ? "RW" : "RO");
    resp_bulk_cstr(w, "begin_search");
    resp_map(w, 2);
    resp_bulk_cstr(w, "type");
    resp_bulk_cstr(w, "index");
    resp_bulk_cstr(w, "spec");
    resp_map(w, 1);
    resp_bulk_cstr(w, "index");
    resp_int(w, d->first_key);
    resp_bulk_cstr(w, "find_keys");
    resp_map(w, 2);
    resp_bulk_cstr(w, "type");
    resp_bulk_cstr(w, "range");
    resp_bulk_cstr(w, "spec");
    resp_map(w, 3);
    resp_bulk_cstr(w, "lastkey");
    resp_int(w, d->last_key < 0 ? d->last_key : d->last_key - d->first_key);
    resp_bulk_cstr(w, "keystep");
    resp_int(w, d->key_step);
    resp_bulk_cstr(w, "limit");
    resp_int(w, 0);
}

static void reply_command_info(resp_writer *w, const cmd_def *d)
{
    resp_array(w, 10);
    resp_bulk_cstr(w, d->fullname);
    resp_int(w, d->arity);
    resp_set(w, count_flags(d) + (d->getkeys != NULL));
    for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
        if (d->flags & flag_names[i].flag) resp_simple_cstr(w, flag_names[i].name);
    if (d->getkeys) resp_simple_cstr(w, "movablekeys");
    resp_int(w, d->first_key);
    resp_int(w, d->last_key);
    resp_int(w, d->key_step);
    const char *cats[10];
    size_t ncat = acl_categories(d, cats);
    resp_set(w, ncat);
    for (size_t i = 0; i < ncat; i++) resp_simple_cstr(w, cats[i]);
    resp_set(w, 0); /* tips */
    reply_key_specs(w, d);
    size_t nsub = 0;
    for (const cmd_def *s = d->subcommands; s && s->name; s++) nsub++;
    resp_array(w, nsub);
    for (const cmd_def *s = d->subcommands; s && s->name; s++) reply_command_info(w, s);
}

void cmdcmd_command(cmd_ctx *c)
{
    resp_array(c->w, cmd_count());
    for (const cmd_def *d = cmd_table(); d->name; d++) reply_command_info(c->w, d);
}

void cmdcmd_command_count(cmd_ctx *c)
{
    resp_int(c->w, (int64_t)cmd_count());
}

void cmdcmd_command_list(cmd_ctx *c)
{
    if (c->argc != 2) {
        /* FILTERBY is not offered: polis has no modules or ACL categories. */
        cmd_error(c, CMD_ERR_SYNTAX);
        return;
    }
    resp_array(c->w, cmd_count());
    for (const cmd_def *d = cmd_table(); d->name; d++) resp_bulk_cstr(c->w, d->name);
}

/* Resolves "client|setname" style names as well as plain ones. */
static const cmd_def *find_by_fullname(const cmd_arg *a)
{
    const char *bar = memchr(a->ptr, '|', a->len);
    if (bar == NULL) return cmd_find(a->ptr, a->len);
    const cmd_def *parent = cmd_find(a->ptr, (size_t)(bar - a->ptr));
    if (parent == NULL || parent->subcommands == NULL) return NULL;
    size_t sub_len = a->len - (size_t)(bar - a->ptr) - 1;
    for (const cmd_def *s = parent->subcommands; s->name; s++)
        if (str_eq_nocase(bar + 1, sub_len, s->name)) return s;
    return NULL;
}

void cmdcmd_command_info(cmd_ctx *c)
{
    if (c->argc == 2) {
        cmdcmd_command(c);
        return;
    }
    resp_array(c->w, c->argc - 2);
    for (size_t i = 2; i < c->argc; i++) {
        const cmd_def *d = find_by_fullname(&c->argv[i]);
        if (d) reply_command_info(c->w, d);
        else resp_null(c->w);
    }
}

static void reply_docs(resp_writer *w, const cmd_def *d)
{
    size_t nsub = 0;
    for (const cmd_def *s = d->subcommands; s && s->name; s++) nsub++;
    resp_map(w, 4 + (nsub > 0));
    resp_bulk_cstr(w, "summary");
    resp_bulk_cstr(w, d->summary);
    resp_bulk_cstr(w, "since");
    resp_bulk_cstr(w, d->since);
    resp_bulk_cstr(w, "group");
    resp_bulk_cstr(w, d->group);
    resp_bulk_cstr(w, "complexity");
    resp_bulk_cstr(w, d->complexity);
    if (nsub > 0) {
        resp_bulk_cstr(w, "subcommands");
        resp_map(w, nsub);
        for (const cmd_def *s = d->subcommands; s->name; s++) {
            resp_bulk_cstr(w, s->fullname);
            reply_docs(w, s);
        }
    }
}

void cmdcmd_command_docs(cmd_ctx *c)
{
    if (c->argc == 2) {
        resp_map(c->w, cmd_count());
        for (const cmd_def *d = cmd_table(); d->name; d++) {
            resp_bulk_cstr(c->w, d->fullname);
            reply_docs(c->w, d);
        }
        return;
    }
    size_t mark = resp_defer(c->w);
    size_t n = 0;
    for (size_t i = 2; i < c->argc; i++) {
        const cmd_def *d = find_by_fullname(&c->argv[i]);
        if (d == NULL) continue;
        resp_bulk_cstr(c->w, d->fullname);
        reply_docs(c->w, d);
        n++;
    }
    resp_defer_map(c->w, mark, n);
}

void cmdcmd_command_getkeys(cmd_ctx *c)
{
    const cmd_arg *argv = c->argv + 2;
    size_t argc = c->argc - 2;
    bool unknown_sub;
    const cmd_def *d = cmd_lookup(argv, argc, &unknown_sub);
    if (d == NULL) {
        cmd_error(c, "ERR Invalid command specified");
        return;
    }
    if (!cmd_arity_ok(d, argc)) {
        cmd_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    size_t *pos = mem_alloc(argc * sizeof *pos);
    int n = cmd_get_keys(d, argv, argc, pos);
    if (n <= 0 && d->getkeys) {
        cmd_error(c, "ERR Invalid arguments specified for command");
    } else if (n <= 0) {
        cmd_error(c, "ERR The command has no key arguments");
    } else {
        resp_array(c->w, (size_t)n);
        for (int i = 0; i < n; i++) resp_bulk(c->w, argv[pos[i]].ptr, argv[pos[i]].len);
    }
    mem_free(pos);
}

void cmdcmd_command_help(cmd_ctx *c)
{
    static const char *const lines[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "HELP",
        "    Print this help.",
    };
    resp_array(c->w, sizeof lines / sizeof lines[0]);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        resp_simple_cstr(c->w, lines[i]);
}

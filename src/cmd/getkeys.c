/* cmd/getkeys.c - key positions of commands whose keys move (cmd_def.getkeys),
 * as Redis's key specs for them say: a count of keys ("numkeys") at a fixed
 * place, the keys after it. Malformed counts name no key (the command
 * itself then replies with its error). */
#include "cmd/cmd.h"

#include "base/util.h"

/* The keys after a numkeys argument at index at; 0 if malformed. */
static int after_numkeys(const cmd_arg *argv, size_t argc, size_t at, size_t *out, int n0)
{
    int64_t n;
    if (at >= argc || !str_to_i64(argv[at].ptr, argv[at].len, &n) || n <= 0 ||
        (uint64_t)n > argc - at - 1)
        return n0 > 0 ? n0 : 0;
    for (int64_t i = 0; i < n; i++)
        out[n0 + i] = at + 1 + (size_t)i;
    return n0 + (int)n;
}

/* LMPOP, ZMPOP, SINTERCARD, ZINTERCARD, ZUNION, ZINTER, ZDIFF:
 * name numkeys key [key ...] ... */
int cmd_keys_numkeys_at_1(const cmd_arg *argv, size_t argc, size_t *out)
{
    return after_numkeys(argv, argc, 1, out, 0);
}

/* BLMPOP, BZMPOP: name timeout numkeys key [key ...] ... */
int cmd_keys_numkeys_at_2(const cmd_arg *argv, size_t argc, size_t *out)
{
    return after_numkeys(argv, argc, 2, out, 0);
}

/* ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE: name destination numkeys key ... */
int cmd_keys_destination_numkeys(const cmd_arg *argv, size_t argc, size_t *out)
{
    if (argc < 2) return 0;
    out[0] = 1;
    return after_numkeys(argv, argc, 2, out, 1);
}

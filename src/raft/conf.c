/* raft/conf.c - configurations, joint consensus and quorum arithmetic.
 *
 * A decision (an election, a commit, a confirmed read) needs a majority of
 * the incoming voters and, while joint, a majority of the outgoing voters as
 * well (thesis §4.3). Learners never count. */
#include <string.h>

#include "raft/raft_int.h"

static bool in_list(const raft_id *ids, uint8_t count, raft_id id)
{
    for (uint8_t i = 0; i < count; i++)
        if (ids[i] == id) return true;
    return false;
}

bool conf_is_voter(const raft_conf *c, raft_id id)
{
    return in_list(c->voters, c->voter_count, id) ||
           in_list(c->voters_outgoing, c->voter_outgoing_count, id);
}

bool conf_is_learner(const raft_conf *c, raft_id id)
{
    return in_list(c->learners, c->learner_count, id);
}

bool conf_has(const raft_conf *c, raft_id id)
{
    return conf_is_voter(c, id) || conf_is_learner(c, id);
}

bool conf_is_joint(const raft_conf *c)
{
    return c->voter_outgoing_count > 0;
}

static bool list_remove(raft_id *ids, uint8_t *count, raft_id id)
{
    for (uint8_t i = 0; i < *count; i++) {
        if (ids[i] != id) continue;
        ids[i] = ids[--*count];
        return true;
    }
    return false;
}

static bool list_add(raft_id *ids, uint8_t *count, raft_id id)
{
    if (in_list(ids, *count, id)) return true;
    if (*count >= RAFT_NODES_MAX) return false;
    ids[(*count)++] = id;
    return true;
}

static bool same_set(const raft_id *a, uint8_t na, const raft_id *b, uint8_t nb)
{
    if (na != nb) return false;
    for (uint8_t i = 0; i < na; i++)
        if (!in_list(b, nb, a[i])) return false;
    return true;
}

int conf_apply_changes(const raft_conf *in, const raft_conf_change *changes, size_t count,
                       raft_conf *out)
{
    if (count == 1 && changes[0].type == RAFT_CONF_LEAVE_JOINT) {
        if (!conf_is_joint(in)) return RAFT_E_INVALID;
        *out = *in;
        out->voter_outgoing_count = 0;
        return RAFT_OK;
    }
    if (conf_is_joint(in) || count == 0) return RAFT_E_INVALID;
    raft_conf next = *in;
    for (size_t i = 0; i < count; i++) {
        raft_id id = changes[i].node;
        if (id == 0) return RAFT_E_INVALID;
        switch (changes[i].type) {
        case RAFT_CONF_ADD_VOTER:
            list_remove(next.learners, &next.learner_count, id);
            if (!list_add(next.voters, &next.voter_count, id)) return RAFT_E_INVALID;
            break;
        case RAFT_CONF_ADD_LEARNER:
            list_remove(next.voters, &next.voter_count, id);
            if (!list_add(next.learners, &next.learner_count, id)) return RAFT_E_INVALID;
            break;
        case RAFT_CONF_REMOVE:
            list_remove(next.voters, &next.voter_count, id);
            list_remove(next.learners, &next.learner_count, id);
            break;
        default:
            return RAFT_E_INVALID;
        }
    }
    if (next.voter_count == 0) return RAFT_E_INVALID;
    /* Voter changes go through joint consensus: the old voters stay as the
     * outgoing half until the leader leaves the joint configuration. */
    if (!same_set(next.voters, next.voter_count, in->voters, in->voter_count)) {
        memcpy(next.voters_outgoing, in->voters, sizeof in->voters);
        next.voter_outgoing_count = in->voter_count;
    }
    *out = next;
    return RAFT_OK;
}

uint32_t conf_encode(const raft_conf_change *changes, size_t count, uint8_t *out, size_t cap)
{
    PASSERT(count * 9 <= cap);
    for (size_t i = 0; i < count; i++) {
        out[i * 9] = changes[i].type;
        uint64_t id = changes[i].node;
        for (int b = 0; b < 8; b++) out[i * 9 + 1 + (size_t)b] = (uint8_t)(id >> (8 * b));
    }
    return (uint32_t)(count * 9);
}

size_t conf_decode(const uint8_t *data, uint32_t len, raft_conf_change *out, size_t cap)
{
    size_t count = len / 9;
    if (len % 9 != 0 || count > cap) return 0;
    for (size_t i = 0; i < count; i++) {
        out[i].type = data[i * 9];
        uint64_t id = 0;
        for (int b = 0; b < 8; b++) id |= (uint64_t)data[i * 9 + 1 + (size_t)b] << (8 * b);
        out[i].node = id;
    }
    return count;
}

static enum vote_result tally_one(const raft_id *voters, uint8_t n, const raft_id *from,
                                  const bool *granted, size_t count)
{
    if (n == 0) return VOTE_WON;
    size_t yes = 0, no = 0;
    for (uint8_t i = 0; i < n; i++) {
        for (size_t j = 0; j < count; j++) {
            if (from[j] != voters[i]) continue;
            if (granted[j]) yes++;
            else no++;
            break;
        }
    }
    size_t majority = n / 2 + 1;
    if (yes >= majority) return VOTE_WON;
    if (n - no < majority) return VOTE_LOST;
    return VOTE_PENDING;
}

enum vote_result conf_tally(const raft_conf *c, const raft_id *from, const bool *granted,
                            size_t count)
{
    enum vote_result in = tally_one(c->voters, c->voter_count, from, granted, count);
    enum vote_result out =
        tally_one(c->voters_outgoing, c->voter_outgoing_count, from, granted, count);
    if (in == VOTE_LOST || out == VOTE_LOST) return VOTE_LOST;
    if (in == VOTE_WON && out == VOTE_WON) return VOTE_WON;
    return VOTE_PENDING;
}

static raft_index committed_one(const raft *r, const raft_id *voters, uint8_t n,
                                match_fn *match)
{
    if (n == 0) return UINT64_MAX; /* an empty half does not constrain */
    raft_index m[RAFT_NODES_MAX];
    for (uint8_t i = 0; i < n; i++) m[i] = match(r, voters[i]);
    /* Sort descending (n <= 16: insertion sort). */
    for (uint8_t i = 1; i < n; i++) {
        raft_index v = m[i];
        int j = i - 1;
        while (j >= 0 && m[j] < v) {
            m[j + 1] = m[j];
            j--;
        }
        m[j + 1] = v;
    }
    /* The (n/2+1)-th largest value is matched by a majority. */
    return m[n / 2];
}

raft_index conf_committed_index(const raft *r, const raft_conf *c, match_fn *match)
{
    raft_index a = committed_one(r, c->voters, c->voter_count, match);
    raft_index b = committed_one(r, c->voters_outgoing, c->voter_outgoing_count, match);
    raft_index idx = a < b ? a : b;
    return idx == UINT64_MAX ? 0 : idx;
}

static bool quorum_one(const raft *r, const raft_id *voters, uint8_t n, pred_fn *pred,
                       uint64_t arg)
{
    if (n == 0) return true;
    size_t yes = 0;
    for (uint8_t i = 0; i < n; i++)
        if (pred(r, voters[i], arg)) yes++;
    return yes >= (size_t)n / 2 + 1;
}

bool conf_quorum(const raft *r, const raft_conf *c, pred_fn *pred, uint64_t arg)
{
    return quorum_one(r, c->voters, c->voter_count, pred, arg) &&
           quorum_one(r, c->voters_outgoing, c->voter_outgoing_count, pred, arg);
}

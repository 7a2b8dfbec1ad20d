/* tests/sim/sim_trace.c - the readable trace of a run.
 *
 * A run is first executed without tracing (fast); when it fails, sim_main
 * replays the same seed with tracing on, which proves the replay is exact
 * (it must fail at the same step with the same message) and prints the
 * lines that led to the failure. Each line is "<time ms> <what>". */
#include <stdarg.h>
#include <string.h>

#include "sim.h"

void sim_trace(sim *s, const char *fmt, ...)
{
    char line[SIM_TRACE_LINE_BYTES];
    int at = snprintf(line, sizeof line, "%10.3f  ", (double)s->now / 1000.0);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + at, sizeof line - (size_t)at, fmt, ap);
    va_end(ap);
    if (s->opt.trace) fprintf(s->opt.out, "%s\n", line);
    if (s->trace_ring == NULL || (s->opt.record_until && s->step > s->opt.record_until))
        return;
    size_t slot = s->trace_count % (size_t)s->opt.trace_tail;
    memcpy(s->trace_ring[slot], line, sizeof line);
    s->trace_count++;
}

/* "n1 -> n2 APPEND t5 prev 10/4 [11..13] commit 9". */
void sim_trace_msg(sim *s, const char *what, const raft_msg *m)
{
    char detail[160] = "";
    switch (m->type) {
    case RAFT_MSG_APPEND:
        if (m->entry_count)
            snprintf(detail, sizeof detail, " prev %llu/%llu [%llu..%llu] commit %llu",
                     (unsigned long long)m->index, (unsigned long long)m->log_term,
                     (unsigned long long)m->entries[0].index,
                     (unsigned long long)m->entries[m->entry_count - 1].index,
                     (unsigned long long)m->commit);
        else
            snprintf(detail, sizeof detail, " prev %llu/%llu [] commit %llu",
                     (unsigned long long)m->index, (unsigned long long)m->log_term,
                     (unsigned long long)m->commit);
        break;
    case RAFT_MSG_APPEND_RESP:
        snprintf(detail, sizeof detail, " %s %llu%s", m->reject ? "reject" : "match",
                 (unsigned long long)m->index, m->reject ? " (hint)" : "");
        break;
    case RAFT_MSG_VOTE:
    case RAFT_MSG_PREVOTE:
        snprintf(detail, sizeof detail, " last %llu/%llu%s", (unsigned long long)m->index,
                 (unsigned long long)m->log_term, m->transfer ? " transfer" : "");
        break;
    case RAFT_MSG_VOTE_RESP:
    case RAFT_MSG_PREVOTE_RESP:
        snprintf(detail, sizeof detail, " %s", m->reject ? "reject" : "GRANT");
        break;
    case RAFT_MSG_HEARTBEAT:
        snprintf(detail, sizeof detail, " commit %llu seq %llu",
                 (unsigned long long)m->commit, (unsigned long long)m->ctx);
        break;
    case RAFT_MSG_SNAPSHOT:
        snprintf(detail, sizeof detail, " %llu/%llu bytes %llu+%u%s",
                 (unsigned long long)m->snap.index, (unsigned long long)m->snap.term,
                 (unsigned long long)m->offset, m->len, m->last ? " last" : "");
        break;
    case RAFT_MSG_SNAPSHOT_RESP:
        snprintf(detail, sizeof detail, " %llu/%llu %s %llu",
                 (unsigned long long)m->snap.index, (unsigned long long)m->snap.term,
                 m->reject ? "restart at" : "next", (unsigned long long)m->offset);
        break;
    case RAFT_MSG_READ_INDEX:
    case RAFT_MSG_READ_INDEX_RESP:
        snprintf(detail, sizeof detail, " ctx %llu index %llu",
                 (unsigned long long)m->ctx, (unsigned long long)m->index);
        break;
    default:
        break;
    }
    sim_trace(s, "%-6s n%llu -> n%llu %s t%llu%s", what, (unsigned long long)m->from,
              (unsigned long long)m->to, raft_msg_type_name(m->type),
              (unsigned long long)m->term, detail);
}

void sim_trace_dump(const sim *s, FILE *f)
{
    if (s->trace_ring == NULL) return;
    size_t tail = (size_t)s->opt.trace_tail;
    size_t n = s->trace_count < tail ? s->trace_count : tail;
    for (size_t k = s->trace_count - n; k < s->trace_count; k++)
        fprintf(f, "  %s\n", s->trace_ring[k % tail]);
}

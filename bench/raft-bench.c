/* bench/raft-bench.c - the Raft core alone: three in-memory replicas, no
 * I/O. A leader proposes small entries in batches (as a host would per loop
 * iteration); messages are handed straight to the followers; persistence is
 * immediate. Prints entries committed per second (on the leader, applied on
 * all three) and allocations per entry. Issue target: >= 1M entries/s on one
 * core, so that consensus logic is never the bottleneck. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "raft/raft.h"

#define NODES 3

static raft *nodes[NODES + 1];
static raft_index applied[NODES + 1];

/* Messages are only borrowed until raft_advance: deliver them right away,
 * before advancing the sender. */
static void deliver(const raft_msg *msgs, size_t n);

static void process(int id)
{
    while (raft_has_ready(nodes[id])) {
        raft_ready rd;
        raft_ready_get(nodes[id], &rd);
        applied[id] += rd.committed_count;
        deliver(rd.msgs, rd.msg_count);
        deliver(rd.msgs_after_persist, rd.msg_after_persist_count);
        raft_advance(nodes[id], &rd);
    }
}

static void deliver(const raft_msg *msgs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        raft_step(nodes[msgs[i].to], &msgs[i]);
        process((int)msgs[i].to);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run(uint32_t batch, uint32_t entry_bytes, uint64_t total, double *allocs)
{
    raft_conf boot = {.voter_count = NODES};
    for (int i = 0; i < NODES; i++) boot.voters[i] = (raft_id)(i + 1);
    for (int id = 1; id <= NODES; id++) {
        raft_config cfg;
        raft_config_defaults(&cfg);
        cfg.id = (raft_id)id;
        cfg.group = 1;
        cfg.seed = (uint64_t)id;
        nodes[id] = raft_new(&cfg, NULL, NULL, NULL, 0, &boot);
        applied[id] = 0;
    }
    raft_campaign(nodes[1]);
    for (int round = 0; round < 10; round++)
        for (int id = 1; id <= NODES; id++) process(id);
    if (raft_role_of(nodes[1]) != RAFT_LEADER) {
        fprintf(stderr, "raft-bench: node 1 did not become leader\n");
        exit(1);
    }
    uint8_t payload[4096];
    memset(payload, 'x', sizeof payload);
    uint64_t proposed = 0;
    raft_index start_applied = applied[1];
    uint64_t allocs_before = mem_alloc_count();
    double t0 = now_s();
    while (applied[1] - start_applied < total) {
        for (uint32_t k = 0; k < batch && proposed < total; k++, proposed++) {
            raft_index idx;
            if (raft_propose(nodes[1], payload, entry_bytes, &idx) != RAFT_OK) break;
        }
        process(1);
        for (int id = 2; id <= NODES; id++) process(id);
        process(1);
        /* Compact now and then, as a host would after snapshots. */
        raft_index a = raft_applied_index(nodes[1]);
        if (a > 100000 && a % 65536 < batch) {
            for (int id = 1; id <= NODES; id++) {
                raft_index ai = raft_applied_index(nodes[id]);
                raft_snapshot_meta meta = {.index = ai, .term = raft_term_at(nodes[id], ai),
                                           .conf = *raft_conf_of(nodes[id]), .size_bytes = 1};
                raft_snapshot_taken(nodes[id], &meta, 1000);
            }
        }
    }
    double elapsed = now_s() - t0;
    *allocs = (double)(mem_alloc_count() - allocs_before) / (double)total;
    for (int id = 1; id <= NODES; id++) {
        if (applied[id] < total) {
            fprintf(stderr, "raft-bench: node %d applied only %llu\n", id,
                    (unsigned long long)applied[id]);
            exit(1);
        }
        raft_free(nodes[id]);
    }
    return (double)total / elapsed;
}

int main(int argc, char **argv)
{
    uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    printf("raft core, 3 in-memory replicas, no I/O, %llu entries per case\n",
           (unsigned long long)total);
    printf("| entry bytes | batch | entries/s | allocations/entry (all 3 replicas) |\n");
    printf("|------------:|------:|----------:|-----------------------------------:|\n");
    static const uint32_t sizes[] = {16, 100};
    static const uint32_t batches[] = {1, 64, 1024};
    for (size_t s = 0; s < 2; s++) {
        for (size_t b = 0; b < 3; b++) {
            double allocs;
            uint64_t n = batches[b] == 1 ? total / 4 : total;
            double rate = run(batches[b], sizes[s], n, &allocs);
            printf("| %u | %u | %.0f | %.2f |\n", sizes[s], batches[b], rate, allocs);
            fflush(stdout);
        }
    }
    return 0;
}

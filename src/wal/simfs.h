/* wal/simfs.h - an in-memory file system with crash semantics, behind the
 * wal_file_ops seam.
 *
 * Every file keeps two images: what a reader sees now (the page cache) and
 * what survives a power loss (the disk). fdatasync/fsync of a file copies
 * the first to the second; fsync of a directory does the same for its
 * entries (create, rename, unlink), as on Linux, where a new file's name is
 * durable only after its directory is fsynced. wal_simfs_crash() then
 * throws away what was not synced - all of it, or a random subset of the
 * written 512-byte sectors (a torn write) - so tests and the deterministic
 * simulator can check that nothing acknowledged is lost.
 *
 * A hook sees every operation first and may fail it (-EIO, -ENOSPC) or
 * shorten a write. Thread-safe (one mutex): the WAL calls it from its
 * threads. Memory comes from malloc, not mem_alloc, for the same reason.
 *
 * Owns: its files. May call: libuv (mutex). Must never: touch a real file. */
#ifndef POLIS_WAL_SIMFS_H
#define POLIS_WAL_SIMFS_H

#include <stddef.h>
#include <stdint.h>

#include "wal/wal.h"

typedef struct wal_simfs wal_simfs;

enum wal_simfs_op {
    WAL_SIMFS_OPEN,
    WAL_SIMFS_CLOSE,
    WAL_SIMFS_PREAD,
    WAL_SIMFS_PWRITE,
    WAL_SIMFS_FDATASYNC,
    WAL_SIMFS_FSYNC,
    WAL_SIMFS_FTRUNCATE,
    WAL_SIMFS_FALLOCATE,
    WAL_SIMFS_SIZE,
    WAL_SIMFS_RENAME,
    WAL_SIMFS_UNLINK,
    WAL_SIMFS_MKDIR,
    WAL_SIMFS_LIST,
};

/* Called before each operation with the file's path (or the first path).
 * Returns 0 to let it run, or -errno to fail it. For PWRITE, *len may be
 * lowered to make a short write. Runs under the simfs mutex: it must not
 * call back into the simfs. */
typedef int wal_simfs_hook(void *arg, enum wal_simfs_op op, const char *path,
                           size_t *len);

enum wal_simfs_crash {
    WAL_SIMFS_CRASH_PROCESS, /* kill -9: the page cache survives, unsynced */
    WAL_SIMFS_CRASH_POWER,   /* power loss: only what was synced survives */
    WAL_SIMFS_CRASH_TORN,    /* power loss mid-write: synced data plus a
                                random subset of the unsynced sectors */
};

wal_simfs *wal_simfs_new(uint64_t seed);
void wal_simfs_free(wal_simfs *fs);
/* The operation table; its ctx is fs. Valid until wal_simfs_free. */
const wal_file_ops *wal_simfs_ops(wal_simfs *fs);
void wal_simfs_set_hook(wal_simfs *fs, wal_simfs_hook *hook, void *arg);
/* Applies a crash. No file may be open (close the WAL first). */
void wal_simfs_crash(wal_simfs *fs, enum wal_simfs_crash mode);

/* Test access to the current image of a file: a malloc'ed copy (free it)
 * or NULL if absent; and an overwrite that is at once durable. */
uint8_t *wal_simfs_read_file(wal_simfs *fs, const char *path, uint64_t *size);
int wal_simfs_write_file(wal_simfs *fs, const char *path, const uint8_t *data,
                         uint64_t size);

#endif

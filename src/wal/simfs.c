/* wal/simfs.c - the in-memory crashable file system (see simfs.h).
 *
 * Files are inodes with a "now" image (vol) and a "durable" image (dur) and
 * a per-sector dirty map of what was written since the last sync. The
 * namespace is a flat list of (path, inode now, inode durable): a directory
 * fsync makes the "now" binding of its entries durable. Small and slow on
 * purpose: it holds test-sized logs. */
#include "wal/simfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/rng.h"
#include "wal/format.h"

#define SIM_FDS_MAX 256

typedef struct sim_inode {
    bool is_dir;
    int refs; /* namespace bindings (now + durable) + open fds */
    uint8_t *vol;
    uint64_t vol_size, vol_cap;
    uint8_t *dur;
    uint64_t dur_size;
    uint8_t *dirty; /* one byte per sector of vol: written since last sync */
    uint64_t dirty_count;
} sim_inode;

typedef struct sim_entry {
    char *path;
    sim_inode *vol;
    sim_inode *dur;
} sim_entry;

typedef struct sim_fd {
    sim_inode *inode;
    char *path;
} sim_fd;

struct wal_simfs {
    uv_mutex_t mu;
    wal_file_ops ops;
    rng r;
    sim_entry *entries;
    size_t entry_count, entry_cap;
    sim_fd fds[SIM_FDS_MAX];
    sim_inode root;
    wal_simfs_hook *hook;
    void *hook_arg;
};

/* ---- Inodes ------------------------------------------------------------------ */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    PASSERT(q != NULL);
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xrealloc(NULL, n);
    memcpy(p, s, n);
    return p;
}

static sim_inode *inode_new(bool is_dir)
{
    sim_inode *in = calloc(1, sizeof *in);
    PASSERT(in != NULL);
    in->is_dir = is_dir;
    return in;
}

static void inode_ref(sim_inode *in)
{
    if (in != NULL) in->refs++;
}

static void inode_unref(wal_simfs *fs, sim_inode *in)
{
    if (in == NULL || in == &fs->root) return;
    PASSERT(in->refs > 0);
    if (--in->refs > 0) return;
    free(in->vol);
    free(in->dur);
    free(in->dirty);
    free(in);
}

static void inode_reserve(sim_inode *in, uint64_t size)
{
    if (size <= in->vol_cap) return;
    uint64_t cap = in->vol_cap ? in->vol_cap : 4096;
    while (cap < size)
        cap *= 2;
    in->vol = xrealloc(in->vol, cap);
    memset(in->vol + in->vol_cap, 0, cap - in->vol_cap);
    uint64_t sectors = (cap + WAL_SECTOR_BYTES - 1) / WAL_SECTOR_BYTES;
    uint64_t old_sectors = (in->vol_cap + WAL_SECTOR_BYTES - 1) / WAL_SECTOR_BYTES;
    in->dirty = xrealloc(in->dirty, sectors);
    memset(in->dirty + old_sectors, 0, sectors - old_sectors);
    in->vol_cap = cap;
}

/* Marks [off, off + len) as written since the last sync. */
static void inode_mark(sim_inode *in, uint64_t off, uint64_t len)
{
    if (len == 0) return;
    for (uint64_t s = off / WAL_SECTOR_BYTES; s <= (off + len - 1) / WAL_SECTOR_BYTES;
         s++) {
        if (!in->dirty[s]) in->dirty_count++;
        in->dirty[s] = 1;
    }
}

static void inode_sync(sim_inode *in)
{
    in->dur = xrealloc(in->dur, in->vol_size);
    if (in->vol_size > 0) memcpy(in->dur, in->vol, in->vol_size);
    in->dur_size = in->vol_size;
    uint64_t sectors = (in->vol_cap + WAL_SECTOR_BYTES - 1) / WAL_SECTOR_BYTES;
    if (in->dirty != NULL) memset(in->dirty, 0, sectors);
    in->dirty_count = 0;
}

/* A crash: the durable image, plus (torn) a random subset of the sectors
 * written since the last sync. The size becomes the durable size, extended
 * to cover persisted sectors past it. Idempotent (an inode bound to two
 * names is crashed twice). */
static void inode_crash(wal_simfs *fs, sim_inode *in, enum wal_simfs_crash mode)
{
    if (in->is_dir || mode == WAL_SIMFS_CRASH_PROCESS) return;
    uint64_t size = in->dur_size;
    uint8_t *img = calloc(1, in->vol_cap ? in->vol_cap : 1);
    PASSERT(img != NULL);
    if (in->dur_size > 0)
        memcpy(img, in->dur, in->dur_size < in->vol_cap ? in->dur_size : in->vol_cap);
    uint64_t sectors = (in->vol_size + WAL_SECTOR_BYTES - 1) / WAL_SECTOR_BYTES;
    for (uint64_t s = 0; mode == WAL_SIMFS_CRASH_TORN && s < sectors; s++) {
        if (!in->dirty[s] || rng_below(&fs->r, 2) == 0) continue;
        uint64_t lo = s * WAL_SECTOR_BYTES;
        uint64_t hi =
            lo + WAL_SECTOR_BYTES < in->vol_size ? lo + WAL_SECTOR_BYTES : in->vol_size;
        memcpy(img + lo, in->vol + lo, hi - lo);
        if (hi > size) size = hi;
    }
    if (size > in->vol_cap) size = in->vol_cap;
    memset(in->vol, 0, in->vol_cap);
    memcpy(in->vol, img, size);
    in->vol_size = size;
    free(img);
    inode_sync(in);
}

/* ---- Namespace ------------------------------------------------------------------ */

static sim_entry *entry_find(wal_simfs *fs, const char *path)
{
    for (size_t i = 0; i < fs->entry_count; i++)
        if (strcmp(fs->entries[i].path, path) == 0) return &fs->entries[i];
    return NULL;
}

static sim_entry *entry_get(wal_simfs *fs, const char *path)
{
    sim_entry *e = entry_find(fs, path);
    if (e != NULL) return e;
    if (fs->entry_count == fs->entry_cap) {
        fs->entry_cap = fs->entry_cap ? 2 * fs->entry_cap : 16;
        fs->entries = xrealloc(fs->entries, fs->entry_cap * sizeof *fs->entries);
    }
    e = &fs->entries[fs->entry_count++];
    e->path = xstrdup(path);
    e->vol = e->dur = NULL;
    return e;
}

static void entry_bind(wal_simfs *fs, sim_entry *e, sim_inode *in)
{
    inode_ref(in);
    inode_unref(fs, e->vol);
    e->vol = in;
}

/* Length of the parent directory part of path ("/a/b" -> "/a"; "/a" -> "/"). */
static size_t parent_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) return 0;
    return slash == path ? 1 : (size_t)(slash - path);
}

static bool is_child_of(const char *path, const char *dir)
{
    size_t n = parent_len(path);
    return strlen(dir) == n && strncmp(path, dir, n) == 0 && strcmp(path, dir) != 0;
}

static sim_inode *lookup(wal_simfs *fs, const char *path)
{
    if (strcmp(path, "/") == 0) return &fs->root;
    sim_entry *e = entry_find(fs, path);
    return e ? e->vol : NULL;
}

static bool parent_exists(wal_simfs *fs, const char *path)
{
    size_t n = parent_len(path);
    if (n == 0) return false;
    char parent[1024];
    if (n >= sizeof parent) return false;
    memcpy(parent, path, n);
    parent[n] = '\0';
    sim_inode *in = lookup(fs, parent);
    return in != NULL && in->is_dir;
}

/* ---- Operations ------------------------------------------------------------------ */

static int hook(wal_simfs *fs, enum wal_simfs_op op, const char *path, size_t *len)
{
    size_t dummy = 0;
    return fs->hook ? fs->hook(fs->hook_arg, op, path ? path : "", len ? len : &dummy)
                    : 0;
}

static sim_fd *fd_get(wal_simfs *fs, int fd)
{
    if (fd < 0 || fd >= SIM_FDS_MAX || fs->fds[fd].inode == NULL) return NULL;
    return &fs->fds[fd];
}

static int sim_open(void *ctx, const char *path, int flags, int mode)
{
    (void)mode;
    wal_simfs *fs = ctx;
    uv_mutex_lock(&fs->mu);
    int rv = hook(fs, WAL_SIMFS_OPEN, path, NULL);
    if (rv != 0) goto out;
    sim_inode *in = lookup(fs, path);
    if (in != NULL && (flags & O_CREAT) && (flags & O_EXCL)) {
        rv = -EEXIST;
        goto out;
    }
    if (in == NULL) {
        if (!(flags & O_CREAT)) {
            rv = -ENOENT;
            goto out;
        }
        if (!parent_exists(fs, path)) {
            rv = -ENOENT;
            goto out;
        }
        in = inode_new(false);
        entry_bind(fs, entry_get(fs, path), in);
    }
    if ((flags & O_DIRECTORY) && !in->is_dir) {
        rv = -ENOTDIR;
        goto out;
    }
    if ((flags & O_TRUNC) && !in->is_dir) {
        if (in->vol_size > 0) memset(in->vol, 0, in->vol_size);
        in->vol_size = 0;
    }
    rv = -EMFILE;
    for (int fd = 3; fd < SIM_FDS_MAX; fd++) {
        if (fs->fds[fd].inode != NULL) continue;
        fs->fds[fd].inode = in;
        fs->fds[fd].path = xstrdup(path);
        inode_ref(in);
        rv = fd;
        break;
    }
out:
    uv_mutex_unlock(&fs->mu);
    return rv;
}

static int sim_close(void *ctx, int fd)
{
    wal_simfs *fs = ctx;
    uv_mutex_lock(&fs->mu);
    sim_fd *f = fd_get(fs, fd);
    int rv = f ? hook(fs, WAL_SIMFS_CLOSE, f->path, NULL) : -EBADF;
    if (f != NULL) { /* closed even if the hook reports an error, as close(2) */
        inode_unref(fs, f->inode);
        free(f->path);
        f->inode = NULL;
        f->path = NULL;
    }
    uv_mutex_unlock(&fs->mu);
    return rv;
}

static int64_t sim_pread(void *ctx, int fd, void *dst, size_t len, uint64_t off)
{
    wal_simfs *fs = ctx;
    uv_mutex_lock(&fs->mu);
    sim_fd *f = fd_get(fs, fd);
    int64_t rv = f ? hook(fs, WAL_SIMFS_PREAD, f->path, &len) : -EBADF;
    if (rv == 0) {
        sim_inode *in = f->inode;
        uint64_t n = off >= in->vol_size ? 0 : in->vol_size - off;
        if (n > len) n = len;
        if (n > 0) memcpy(dst, in->vol + off, n);
        rv = (int64_t)n;
    }
    uv_mutex_unlock(&fs->mu);
    return rv;
}

static int64_t sim_pwrite(void *ctx, int fd, const void *src, size_t len, uint64_t off)
{
    wal_simfs *fs = ctx;
    uv_mutex_lock(&fs->mu);
    sim_fd *f = fd_get(fs, fd);
    int64_t rv = f ? hook(fs, WAL_SIMFS_PWRITE, f->path, &len) : -EBADF;
    if (rv == 0) {
        sim_inode *in = f->inode;
        inode_reserve(in, off + len);
        if (len > 0) memcpy(in->vol + off, src, len);
        inode_mark(in, off, len);
        if (off + len > in->vol_size) in->vol_size = off + len;
        rv = (int64_t)len;
    }
    uv_mutex_unlock(&fs->mu);
    return rv;
}

static int sim_sync(wal_simfs *fs, int fd, enum wal_simfs_op op)
{
    uv_mutex_lock(&fs->mu);
    sim_fd *f = fd_get(fs, fd);
    int rv = f ? hook(fs, op, f->path, NULL) : -EBADF;
    if (rv == 0 && !f->inode->is_dir) inode_sync(f->inode);
    if (rv == 0 && f->inode->is_dir) {
        for (size_t i = 0; i < fs->entry_count; i++) {
            sim_entry *e = &fs->entries[i];
            if (!is_child_of(e->path, f->path) || e->dur == e->vol) continue;
            inode_ref(e->vol);
            inode_unref(fs, e->dur);
            e->dur = e->vol;
        }
    }
    uv_mutex_unlock(&fs->mu);
    return rv;
}

static int sim_fdatasync(void *ctx, int fd)
{
    return sim_sync(ctx, fd, WAL_SIMFS_FDATASYNC);
}

static int sim_fsync(void *ctx, int fd)
{
    return sim_sync(ctx, fd, WAL_SIMFS_FSYNC);
}

static int sim_ftruncate(void *ctx, int fd, uint64_t len)
{
    wal_simfs *fs = ctx;
    uv_mutex_lock(&fs->mu);
    sim_fd *f = fd_get(fs, fd);
    int rv = f ? hook(fs, WAL_SIMFS_FTRUNCATE, f->path, NULL) : -EBADF;
    if (rv == 0) {
        sim_inode *in = f->inode;
        inode_reserve(in, len);
        if (len < in->vol_size) memset(in->vol + len, 0, in->vol_size - len);
        in->vol_size = len;
    }
    uv_mutex_unlock(&fs->mu);
    return rv;
}

static int sim_fallocate(void *ctx, int fd, uint64_t off, uint64_t len)
{
    wal_simfs *fs = ctx;
    uv_mutex_lock(&fs->mu);
    sim_fd *f = fd_get(fs, fd);
    int rv = f ? hook(fs, WAL_SIMFS_FALLOCATE, f->path, NULL) : -EBADF;
    if (rv == 0) {
        sim_inode *in = f->inode;
        inode_reserve(in, off + len);
        if (off + len > in->vol_size) in->vol_size = off + len;
    }
    uv_mutex_unlock(&fs->mu);
    return rv;
}

static int sim_size(void *ctx, int fd, uint64_t *size)
{
    wal_simfs *fs = ctx;
    uv_mutex_lock(&fs->mu);
    sim_fd *f = fd_get(fs, fd);
    int rv = f ? hook(fs, WAL_SIMFS_SIZE, f->path, NULL) : -EBADF;
    if (rv == 0) *size = f->inode->vol_size;
    uv_mutex_unlock(&fs->mu);
    return rv;
}

static int sim_rename(void *ctx, const char *from, const char *to)
{
    wal_simfs *fs = ctx;
    uv_mutex_lock(&fs->mu);
    int rv = hook(fs, WAL_SIMFS_RENAME, from, NULL);
    sim_entry *src = rv == 0 ? entry_find(fs, from) : NULL;
    if (rv == 0 && (src == NULL || src->vol == NULL)) rv = -ENOENT;
    if (rv == 0 && !parent_exists(fs, to)) rv = -ENOENT;
    if (rv == 0) {
        sim_inode *in = src->vol;
        inode_ref(in);
        entry_bind(fs, src, NULL);
        entry_bind(fs, entry_get(fs, to), in); /* may move entries: src dead */
        inode_unref(fs, in);
    }
    uv_mutex_unlock(&fs->mu);
    return rv;
}

static int sim_unlink(void *ctx, const char *path)
{
    wal_simfs *fs = ctx;
    uv_mutex_lock(&fs->mu);
    int rv = hook(fs, WAL_SIMFS_UNLINK, path, NULL);
    sim_entry *e = rv == 0 ? entry_find(fs, path) : NULL;
    if (rv == 0 && (e == NULL || e->vol == NULL)) rv = -ENOENT;
    if (rv == 0) entry_bind(fs, e, NULL);
    uv_mutex_unlock(&fs->mu);
    return rv;
}

static int sim_mkdir(void *ctx, const char *path, int mode)
{
    (void)mode;
    wal_simfs *fs = ctx;
    uv_mutex_lock(&fs->mu);
    int rv = hook(fs, WAL_SIMFS_MKDIR, path, NULL);
    if (rv == 0 && lookup(fs, path) != NULL) rv = -EEXIST;
    if (rv == 0 && !parent_exists(fs, path)) rv = -ENOENT;
    if (rv == 0) entry_bind(fs, entry_get(fs, path), inode_new(true));
    uv_mutex_unlock(&fs->mu);
    return rv;
}

static int sim_list(void *ctx, const char *dir, wal_list_fn *fn, void *arg)
{
    wal_simfs *fs = ctx;
    uv_mutex_lock(&fs->mu);
    int rv = hook(fs, WAL_SIMFS_LIST, dir, NULL);
    sim_inode *d = rv == 0 ? lookup(fs, dir) : NULL;
    if (rv == 0 && (d == NULL || !d->is_dir)) rv = -ENOENT;
    /* Collect names first: fn may not call back into the simfs, but the
     * names must outlive the lock anyway. */
    char **names = NULL;
    size_t count = 0;
    for (size_t i = 0; rv == 0 && i < fs->entry_count; i++) {
        sim_entry *e = &fs->entries[i];
        if (e->vol == NULL || !is_child_of(e->path, dir)) continue;
        names = xrealloc(names, (count + 1) * sizeof *names);
        names[count++] = xstrdup(e->path + parent_len(e->path) + (strcmp(dir, "/") != 0));
    }
    uv_mutex_unlock(&fs->mu);
    for (size_t i = 0; i < count; i++) {
        if (rv == 0) rv = fn(arg, names[i]);
        free(names[i]);
    }
    free(names);
    return rv;
}

/* ---- Public --------------------------------------------------------------------------
 */

wal_simfs *wal_simfs_new(uint64_t seed)
{
    wal_simfs *fs = calloc(1, sizeof *fs);
    PASSERT(fs != NULL);
    PASSERT(uv_mutex_init(&fs->mu) == 0);
    rng_seed(&fs->r, seed);
    fs->root.is_dir = true;
    fs->ops = (wal_file_ops){
        .ctx = fs,
        .open = sim_open,
        .close = sim_close,
        .pread = sim_pread,
        .pwrite = sim_pwrite,
        .fdatasync = sim_fdatasync,
        .fsync = sim_fsync,
        .ftruncate = sim_ftruncate,
        .fallocate = sim_fallocate,
        .size = sim_size,
        .rename = sim_rename,
        .unlink = sim_unlink,
        .mkdir = sim_mkdir,
        .list = sim_list,
    };
    return fs;
}

void wal_simfs_free(wal_simfs *fs)
{
    if (fs == NULL) return;
    for (int fd = 0; fd < SIM_FDS_MAX; fd++) {
        if (fs->fds[fd].inode == NULL) continue;
        inode_unref(fs, fs->fds[fd].inode);
        free(fs->fds[fd].path);
    }
    for (size_t i = 0; i < fs->entry_count; i++) {
        inode_unref(fs, fs->entries[i].vol);
        inode_unref(fs, fs->entries[i].dur);
        free(fs->entries[i].path);
    }
    free(fs->entries);
    uv_mutex_destroy(&fs->mu);
    free(fs);
}

const wal_file_ops *wal_simfs_ops(wal_simfs *fs)
{
    return &fs->ops;
}

void wal_simfs_set_hook(wal_simfs *fs, wal_simfs_hook *h, void *arg)
{
    uv_mutex_lock(&fs->mu);
    fs->hook = h;
    fs->hook_arg = arg;
    uv_mutex_unlock(&fs->mu);
}

void wal_simfs_crash(wal_simfs *fs, enum wal_simfs_crash mode)
{
    uv_mutex_lock(&fs->mu);
    for (int fd = 0; fd < SIM_FDS_MAX; fd++)
        PASSERT(fs->fds[fd].inode == NULL);
    /* Data first (each inode once: the durable binding holds every inode
     * that survives), then the namespace falls back to its durable state. */
    for (size_t i = 0; i < fs->entry_count; i++) {
        sim_entry *e = &fs->entries[i];
        if (e->dur != NULL) inode_crash(fs, e->dur, mode);
    }
    /* A process crash changes nothing on disk or in the page cache: what
     * was not synced stays unsynced (and may still be lost later). */
    for (size_t i = 0; i < fs->entry_count && mode != WAL_SIMFS_CRASH_PROCESS; i++) {
        sim_entry *e = &fs->entries[i];
        inode_ref(e->dur);
        inode_unref(fs, e->vol);
        e->vol = e->dur;
    }
    uv_mutex_unlock(&fs->mu);
}

uint8_t *wal_simfs_read_file(wal_simfs *fs, const char *path, uint64_t *size)
{
    uv_mutex_lock(&fs->mu);
    sim_inode *in = lookup(fs, path);
    uint8_t *copy = NULL;
    if (in != NULL && !in->is_dir) {
        copy = xrealloc(NULL, in->vol_size);
        if (in->vol_size > 0) memcpy(copy, in->vol, in->vol_size);
        *size = in->vol_size;
    }
    uv_mutex_unlock(&fs->mu);
    return copy;
}

int wal_simfs_write_file(wal_simfs *fs, const char *path, const uint8_t *data,
                         uint64_t size)
{
    uv_mutex_lock(&fs->mu);
    sim_inode *in = lookup(fs, path);
    int rv = -ENOENT;
    if (in != NULL && !in->is_dir) {
        inode_reserve(in, size);
        memset(in->vol, 0, in->vol_cap);
        if (size > 0) memcpy(in->vol, data, size);
        in->vol_size = size;
        inode_sync(in);
        rv = 0;
    }
    uv_mutex_unlock(&fs->mu);
    return rv;
}

/* wal/fileops.c - the POSIX implementation of wal_file_ops.
 *
 * Thin wrappers that turn -1/errno into -errno and retry EINTR. pwrite may
 * return a short count; the caller loops. fallocate uses posix_fallocate,
 * which glibc emulates by writing zeros where the file system has no
 * fallocate, so preallocation works everywhere. writeback is Linux's
 * sync_file_range(SYNC_FILE_RANGE_WRITE). */
#define _GNU_SOURCE /* sync_file_range */
#include "wal/wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int posix_open(void *ctx, const char *path, int flags, int mode)
{
    (void)ctx;
    int fd;
    do
        fd = open(path, flags | O_CLOEXEC, mode);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

static int posix_close(void *ctx, int fd)
{
    (void)ctx;
    /* close() is not retried on EINTR: on Linux the descriptor is gone. */
    return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

static int64_t posix_pread(void *ctx, int fd, void *dst, size_t len, uint64_t off)
{
    (void)ctx;
    ssize_t n;
    do
        n = pread(fd, dst, len, (off_t)off);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (int64_t)n;
}

static int64_t posix_pwrite(void *ctx, int fd, const void *src, size_t len, uint64_t off)
{
    (void)ctx;
    ssize_t n;
    do
        n = pwrite(fd, src, len, (off_t)off);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (int64_t)n;
}

static int posix_fdatasync(void *ctx, int fd)
{
    (void)ctx;
    /* Not retried on EINTR either: after a failed fsync the kernel may
     * have dropped the dirty pages, so a retry that succeeds proves
     * nothing (the "fsyncgate" lesson). The WAL treats any error as fatal. */
    return fdatasync(fd) < 0 ? -errno : 0;
}

static int posix_fsync(void *ctx, int fd)
{
    (void)ctx;
    return fsync(fd) < 0 ? -errno : 0;
}

static int posix_ftruncate(void *ctx, int fd, uint64_t len)
{
    (void)ctx;
    int rv;
    do
        rv = ftruncate(fd, (off_t)len);
    while (rv < 0 && errno == EINTR);
    return rv < 0 ? -errno : 0;
}

static int posix_fallocate_(void *ctx, int fd, uint64_t off, uint64_t len)
{
    (void)ctx;
    int rv = posix_fallocate(fd, (off_t)off, (off_t)len);
    return rv == 0 ? 0 : -rv;
}

static int posix_writeback(void *ctx, int fd, uint64_t off, uint64_t len)
{
    (void)ctx;
    return sync_file_range(fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE) < 0 ? -errno
                                                                                    : 0;
}

static int posix_size(void *ctx, int fd, uint64_t *size)
{
    (void)ctx;
    struct stat st;
    if (fstat(fd, &st) < 0) return -errno;
    *size = (uint64_t)st.st_size;
    return 0;
}

static int posix_rename(void *ctx, const char *from, const char *to)
{
    (void)ctx;
    return rename(from, to) < 0 ? -errno : 0;
}

static int posix_unlink(void *ctx, const char *path)
{
    (void)ctx;
    return unlink(path) < 0 ? -errno : 0;
}

static int posix_mkdir(void *ctx, const char *path, int mode)
{
    (void)ctx;
    return mkdir(path, (mode_t)mode) < 0 ? -errno : 0;
}

static int posix_list(void *ctx, const char *dir, wal_list_fn *fn, void *arg)
{
    (void)ctx;
    DIR *d = opendir(dir);
    if (d == NULL) return -errno;
    int rv = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        rv = fn(arg, de->d_name);
        if (rv != 0) break;
        errno = 0;
    }
    if (rv == 0 && errno != 0) rv = -errno;
    closedir(d);
    return rv;
}

static const wal_file_ops posix_ops = {
    .ctx = NULL,
    .open = posix_open,
    .close = posix_close,
    .pread = posix_pread,
    .pwrite = posix_pwrite,
    .fdatasync = posix_fdatasync,
    .fsync = posix_fsync,
    .ftruncate = posix_ftruncate,
    .fallocate = posix_fallocate_,
    .writeback = posix_writeback,
    .size = posix_size,
    .rename = posix_rename,
    .unlink = posix_unlink,
    .mkdir = posix_mkdir,
    .list = posix_list,
};

const wal_file_ops *wal_posix_file_ops(void)
{
    return &posix_ops;
}

/*
 * blockdev.c - raw disk images: pread/pwrite on a file, fsync on flush, and
 * the in-memory copy-on-write overlay of snapshot mode. See blockdev.h for
 * the data-safety rules.
 *
 * The overlay is a two-level table of 64 KiB chunks (1024 chunks = 64 MiB
 * per second-level table), so that a 2 TiB image costs 256 KiB of first
 * level and nothing more until the guest writes.
 */
#define _GNU_SOURCE
#include "devices/blockdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK_BYTES   65536u
#define CHUNK_SECTORS (CHUNK_BYTES / BLOCKDEV_SECTOR_BYTES)
#define L2_ENTRIES    1024u

struct BlockDev {
    int fd;
    char *path;
    uint64_t size_bytes; /* the file's size (it grows if the tail sector is written) */
    uint64_t sectors;    /* fixed at open */
    bool read_only;
    bool snapshot;
    uint64_t flushes;
    uint8_t ***overlay; /* snapshot: [l1][l2] -> CHUNK_BYTES, or NULL */
    uint64_t overlay_l1;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

BlockDev *blockdev_open(const char *path, bool read_only, bool snapshot, char *err, size_t errlen)
{
    if (!path || !*path) {
        set_err(err, errlen, "no disk image file name given");
        return NULL;
    }
    bool file_ro = read_only || snapshot;
    int fd = open(path, (file_ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (!file_ro && (e == EACCES || e == EROFS || e == EPERM))
            set_err(err, errlen,
                    "%s: cannot open for writing: %s (use a read-only or snapshot "
                    "drive)",
                    path, strerror(e));
        else
            set_err(err, errlen, "%s: cannot open disk image: %s", path, strerror(e));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        set_err(err, errlen, "%s: cannot stat disk image: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s: is a directory, not a disk image", path);
        close(fd);
        return NULL;
    }
    uint64_t size;
    if (S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size;
    } else {
        off_t end = lseek(fd, 0, SEEK_END); /* a host block device */
        size = end > 0 ? (uint64_t)end : 0;
    }
    if (size == 0) {
        set_err(err, errlen, "%s: disk image is empty (0 bytes)", path);
        close(fd);
        return NULL;
    }
    if (flock(fd, (file_ro ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            set_err(err, errlen, "%s: disk image is in use by another program (locked)", path);
            close(fd);
            return NULL;
        }
        /* Some file systems cannot lock at all: go on without. */
    }
    BlockDev *bd = calloc(1, sizeof *bd);
    char *p = strdup(path);
    if (!bd || !p) {
        set_err(err, errlen, "%s: out of memory", path);
        free(bd);
        free(p);
        close(fd);
        return NULL;
    }
    bd->fd = fd;
    bd->path = p;
    bd->size_bytes = size;
    bd->sectors = (size + BLOCKDEV_SECTOR_BYTES - 1) / BLOCKDEV_SECTOR_BYTES;
    bd->read_only = read_only;
    bd->snapshot = snapshot;
    if (snapshot) {
        uint64_t chunks = (bd->sectors + CHUNK_SECTORS - 1) / CHUNK_SECTORS;
        bd->overlay_l1 = (chunks + L2_ENTRIES - 1) / L2_ENTRIES;
        bd->overlay = calloc(bd->overlay_l1, sizeof *bd->overlay);
        if (!bd->overlay) {
            set_err(err, errlen, "%s: out of memory for the snapshot overlay", path);
            blockdev_close(bd);
            return NULL;
        }
    }
    return bd;
}

static void overlay_free(BlockDev *bd)
{
    if (!bd->overlay) return;
    for (uint64_t i = 0; i < bd->overlay_l1; i++) {
        if (!bd->overlay[i]) continue;
        for (unsigned j = 0; j < L2_ENTRIES; j++)
            free(bd->overlay[i][j]);
        free(bd->overlay[i]);
    }
    free(bd->overlay);
    bd->overlay = NULL;
}

void blockdev_close(BlockDev *bd)
{
    if (!bd) return;
    if (!bd->read_only && !bd->snapshot) fsync(bd->fd);
    close(bd->fd);
    overlay_free(bd);
    free(bd->path);
    free(bd);
}

/* Reads bytes of the file at off; bytes past the end of the file read as
 * zeros (only the tail of a last partial sector can be past it). */
static int file_read(BlockDev *bd, uint64_t off, uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t r = pread(bd->fd, buf, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (r == 0) { /* end of file */
            memset(buf, 0, n);
            return 0;
        }
        buf += r;
        off += (uint64_t)r;
        n -= (size_t)r;
    }
    return 0;
}

static int file_write(BlockDev *bd, uint64_t off, const uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t r = pwrite(bd->fd, buf, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (r == 0) return -EIO;
        buf += r;
        off += (uint64_t)r;
        n -= (size_t)r;
    }
    if (off > bd->size_bytes) bd->size_bytes = off;
    return 0;
}

static uint8_t **overlay_slot(BlockDev *bd, uint64_t chunk, bool create)
{
    uint64_t i = chunk / L2_ENTRIES;
    if (i >= bd->overlay_l1) return NULL;
    if (!bd->overlay[i]) {
        if (!create) return NULL;
        bd->overlay[i] = calloc(L2_ENTRIES, sizeof **bd->overlay);
        if (!bd->overlay[i]) return NULL;
    }
    return &bd->overlay[i][chunk % L2_ENTRIES];
}

static bool range_ok(const BlockDev *bd, uint64_t sector, uint32_t count)
{
    return sector <= bd->sectors && count <= bd->sectors - sector;
}

int blockdev_read(BlockDev *bd, uint64_t sector, void *buf, uint32_t count)
{
    if (!bd || !range_ok(bd, sector, count)) return -EINVAL;
    uint8_t *dst = buf;
    if (!bd->snapshot)
        return file_read(bd, sector * BLOCKDEV_SECTOR_BYTES, dst,
                         (size_t)count * BLOCKDEV_SECTOR_BYTES);
    while (count > 0) {
        uint64_t chunk = sector / CHUNK_SECTORS;
        uint32_t in = (uint32_t)(sector % CHUNK_SECTORS);
        uint32_t n = CHUNK_SECTORS - in;
        if (n > count) n = count;
        uint8_t **slot = overlay_slot(bd, chunk, false);
        size_t bytes = (size_t)n * BLOCKDEV_SECTOR_BYTES;
        if (slot && *slot) {
            memcpy(dst, *slot + (size_t)in * BLOCKDEV_SECTOR_BYTES, bytes);
        } else {
            int r = file_read(bd, sector * BLOCKDEV_SECTOR_BYTES, dst, bytes);
            if (r < 0) return r;
        }
        dst += bytes;
        sector += n;
        count -= n;
    }
    return 0;
}

int blockdev_write(BlockDev *bd, uint64_t sector, const void *buf, uint32_t count)
{
    if (!bd || !range_ok(bd, sector, count)) return -EINVAL;
    if (bd->read_only) return -EROFS;
    const uint8_t *src = buf;
    if (!bd->snapshot)
        return file_write(bd, sector * BLOCKDEV_SECTOR_BYTES, src,
                          (size_t)count * BLOCKDEV_SECTOR_BYTES);
    while (count > 0) {
        uint64_t chunk = sector / CHUNK_SECTORS;
        uint32_t in = (uint32_t)(sector % CHUNK_SECTORS);
        uint32_t n = CHUNK_SECTORS - in;
        if (n > count) n = count;
        uint8_t **slot = overlay_slot(bd, chunk, true);
        if (!slot) return -ENOMEM;
        if (!*slot) {
            /* First write to this chunk: copy it from the file. */
            uint8_t *c = malloc(CHUNK_BYTES);
            if (!c) return -ENOMEM;
            uint64_t first = chunk * CHUNK_SECTORS;
            uint64_t avail = bd->sectors - first;
            size_t bytes =
                (size_t)(avail < CHUNK_SECTORS ? avail : CHUNK_SECTORS) * BLOCKDEV_SECTOR_BYTES;
            memset(c, 0, CHUNK_BYTES);
            int r = file_read(bd, first * BLOCKDEV_SECTOR_BYTES, c, bytes);
            if (r < 0) {
                free(c);
                return r;
            }
            *slot = c;
        }
        size_t bytes = (size_t)n * BLOCKDEV_SECTOR_BYTES;
        memcpy(*slot + (size_t)in * BLOCKDEV_SECTOR_BYTES, src, bytes);
        src += bytes;
        sector += n;
        count -= n;
    }
    return 0;
}

int blockdev_flush(BlockDev *bd)
{
    if (!bd) return -EINVAL;
    if (bd->read_only || bd->snapshot) return 0;
    bd->flushes++;
    if (fsync(bd->fd) != 0) return -errno;
    return 0;
}

uint64_t blockdev_size_bytes(const BlockDev *bd)
{
    return bd ? bd->size_bytes : 0;
}
uint64_t blockdev_sectors(const BlockDev *bd)
{
    return bd ? bd->sectors : 0;
}
bool blockdev_is_read_only(const BlockDev *bd)
{
    return bd ? bd->read_only : true;
}
bool blockdev_is_snapshot(const BlockDev *bd)
{
    return bd && bd->snapshot;
}
const char *blockdev_path(const BlockDev *bd)
{
    return bd ? bd->path : NULL;
}
uint64_t blockdev_flush_count(const BlockDev *bd)
{
    return bd ? bd->flushes : 0;
}

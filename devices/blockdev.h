/*
 * blockdev.h - a raw disk image as an array of 512-byte sectors.
 *
 * The storage behind the IDE disks (and later the floppy and the CD-ROM).
 * A raw image is the disk's bytes, sector 0 first, nothing else:
 *
 *   char err[256];
 *   BlockDev *bd = blockdev_open("disk.img", false, false, err, sizeof err);
 *   if (!bd) { fprintf(stderr, "brisk: %s\n", err); return 1; }
 *   uint8_t sec[512];
 *   blockdev_read(bd, 0, sec, 1);       // the MBR
 *   blockdev_write(bd, 1, sec, 1);
 *   blockdev_flush(bd);                 // FLUSH CACHE: fsync
 *   blockdev_close(bd);                 // fsync, close
 *
 * Data safety: a write goes to the file with pwrite() at once, so it is in
 * the host's page cache (visible to any other reader of the file, and kept
 * if Brisk crashes) when blockdev_write returns. It is durable (survives a
 * host power loss) after the next blockdev_flush (the guest's FLUSH CACHE)
 * or blockdev_close, which call fsync(). A read-write image is locked with
 * flock(LOCK_EX) so that a second emulator cannot open it and corrupt it
 * (read-only and snapshot images take a shared lock).
 *
 * Snapshot mode (QEMU's -snapshot): the file is opened read-only and the
 * guest's writes go to a private copy-on-write overlay in host memory, in
 * 64 KiB chunks copied from the file on their first write. Reads see the
 * guest's writes; the file never changes; the overlay is thrown away at
 * close. The overlay grows with what the guest writes (at most the image
 * size).
 *
 * Size: an image whose size is not a multiple of 512 is a disk of
 * ceil(size / 512) sectors. Only then does a read reach past the end of
 * the file: the missing bytes of the last sector read as zeros. Writing
 * that last sector extends the file to a whole sector (the guest owns the
 * sector it was given). An empty image, a directory, a missing or
 * unreadable file are errors from blockdev_open with a one-line message.
 */
#ifndef BRISK_BLOCKDEV_H
#define BRISK_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCKDEV_SECTOR_BYTES 512u

typedef struct BlockDev BlockDev;

/* Opens an image. read_only: writes fail with -EROFS. snapshot: writes go to
 * the in-memory overlay (the file is opened read-only). Returns NULL and a
 * message in err (if errlen > 0) on failure. */
BlockDev *blockdev_open(const char *path, bool read_only, bool snapshot, char *err, size_t errlen);
/* Flushes (fsync) and closes; NULL is allowed. */
void blockdev_close(BlockDev *bd);

/* Reads or writes count sectors at sector. Return 0, or a negative errno:
 * -EINVAL past the end, -EROFS on a read-only image, -EIO etc. from the
 * host. A failed write may have written part of the range. */
int blockdev_read(BlockDev *bd, uint64_t sector, void *buf, uint32_t count);
int blockdev_write(BlockDev *bd, uint64_t sector, const void *buf, uint32_t count);
/* Makes every write so far durable (fsync). 0 or a negative errno. In
 * snapshot mode there is nothing to make durable: it returns 0. */
int blockdev_flush(BlockDev *bd);

uint64_t blockdev_size_bytes(const BlockDev *bd); /* the file's size */
uint64_t blockdev_sectors(const BlockDev *bd);    /* ceil(size / 512) */
bool blockdev_is_read_only(const BlockDev *bd);   /* writes are refused */
bool blockdev_is_snapshot(const BlockDev *bd);
const char *blockdev_path(const BlockDev *bd);
/* How many times blockdev_flush ran fsync (tests, statistics). */
uint64_t blockdev_flush_count(const BlockDev *bd);

#endif

/*
 * firmware.c - the firmware search path (see firmware.h).
 *
 * A file is taken when it is a regular file that can be opened for
 * reading; a folder in the path that does not exist is skipped silently
 * (the message at the end lists every folder tried).
 */
#define _POSIX_C_SOURCE 200809L
#include "bios/firmware.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *try_dir(const char *dir, size_t dirlen, const char *name)
{
    if (dirlen == 0) return NULL;
    size_t n = dirlen + 1 + strlen(name) + 1;
    char *p = malloc(n);
    if (!p) return NULL;
    snprintf(p, n, "%.*s/%s", (int)dirlen, dir, name);
    struct stat st;
    FILE *f = NULL;
    if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (f = fopen(p, "rb")) != NULL) {
        fclose(f);
        return p;
    }
    free(p);
    return NULL;
}

char *firmware_find(const char *name, const char *dir, char *err, size_t errlen)
{
    if (dir) {
        char *p = try_dir(dir, strlen(dir), name);
        if (p) return p;
    }
    const char *path = getenv("BRISK_FIRMWARE_PATH");
    if (!path) path = FIRMWARE_DEFAULT_PATH;
    for (const char *s = path; *s;) {
        const char *e = strchr(s, ':');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        char *p = try_dir(s, len, name);
        if (p) return p;
        s += len;
        if (*s == ':') s++;
    }
    snprintf(err, errlen,
             "cannot find the firmware file %s (looked in %s%s%s): install Debian's 'seabios' "
             "package, or give its folder with -L DIR",
             name, dir ? dir : "", dir ? ":" : "", path);
    return NULL;
}

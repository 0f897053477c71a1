/** @file
 * Extracting one model file from an unpacked package.
 *
 * MediaPipe's face_mesh npm package ships its models inside one Emscripten "packed assets"
 * blob (`face_mesh_solution_packed_assets.data`); the matching `*_loader.js` calls
 * loadPackage({"files": [{"filename": "/third_party/.../x.tflite", "start": S, "end": E},
 * ...]}), i.e. file x is bytes [S, E) of the blob. We read those objects with a tiny
 * bounds-checked scanner instead of hard-coding offsets, so another build of the same
 * package still works as long as the bytes match the manifest's SHA-256.
 *
 * Writing is verify-then-rename: bytes go to ".<name>.part-<pid>" in the model folder while
 * being hashed; only when size and SHA-256 equal the manifest is the file fsync'ed and
 * renamed over the final name, so a reader never sees a partial or wrong model.
 */
#include "app/models_unpack.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/models.h"
#include "app/sha256.h"
#include "core/mem.h"
#include "panim.h"

/* ---- loader.js scanner --------------------------------------------------------------- */

struct scan {
    const char *s;
    size_t n, i;
};

static void skip_ws(struct scan *sc)
{
    while (sc->i < sc->n && isspace((unsigned char)sc->s[sc->i]))
        sc->i++;
}

static int accept(struct scan *sc, char c)
{
    skip_ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == c) {
        sc->i++;
        return 1;
    }
    return 0;
}

/* A JSON string without escapes (file names and keys here never need them). */
static int scan_string(struct scan *sc, const char **str, size_t *len)
{
    if (!accept(sc, '"'))
        return 0;
    size_t begin = sc->i;
    while (sc->i < sc->n && sc->s[sc->i] != '"') {
        if (sc->s[sc->i] == '\\' || sc->s[sc->i] == '\n')
            return 0;
        sc->i++;
    }
    if (sc->i >= sc->n)
        return 0;
    *str = sc->s + begin;
    *len = sc->i - begin;
    sc->i++;
    return 1;
}

/* A non-negative integer below 10^15 (byte offsets; JS numbers are exact up to 2^53). */
static int scan_uint(struct scan *sc, uint64_t *v)
{
    skip_ws(sc);
    size_t begin = sc->i;
    uint64_t x = 0;
    while (sc->i < sc->n && isdigit((unsigned char)sc->s[sc->i]) && sc->i - begin < 15)
        x = x * 10 + (uint64_t)(sc->s[sc->i++] - '0');
    if (sc->i == begin || (sc->i < sc->n && isdigit((unsigned char)sc->s[sc->i])))
        return 0;
    *v = x;
    return 1;
}

static int key_is(const char *k, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(k, want, len) == 0;
}

struct packed_entry {
    const char *filename;
    size_t filename_len;
    uint64_t start, end;
    int have_start, have_end;
};

/* Parse one {"key": value, ...} object starting at sc->i; values are strings or integers. */
static int scan_object(struct scan *sc, struct packed_entry *pe)
{
    memset(pe, 0, sizeof(*pe));
    if (!accept(sc, '{'))
        return 0;
    do {
        const char *key, *str;
        size_t klen, slen;
        uint64_t num;
        if (!scan_string(sc, &key, &klen) || !accept(sc, ':'))
            return 0;
        skip_ws(sc);
        if (sc->i < sc->n && sc->s[sc->i] == '"') {
            if (!scan_string(sc, &str, &slen))
                return 0;
            if (key_is(key, klen, "filename")) {
                pe->filename = str;
                pe->filename_len = slen;
            }
        } else {
            if (!scan_uint(sc, &num))
                return 0;
            if (key_is(key, klen, "start")) {
                pe->start = num;
                pe->have_start = 1;
            } else if (key_is(key, klen, "end")) {
                pe->end = num;
                pe->have_end = 1;
            }
        }
    } while (accept(sc, ','));
    return accept(sc, '}') && pe->filename;
}

static int basename_is(const char *path, size_t len, const char *name)
{
    size_t b = len;
    while (b > 0 && path[b - 1] != '/')
        b--;
    return key_is(path + b, len - b, name);
}

int pa_models_packed_find(const char *js, size_t n, const char *name, uint64_t *start,
                          uint64_t *end, const char *what)
{
    static const char needle[] = "\"filename\"";
    const size_t nlen = sizeof(needle) - 1;
    for (size_t pos = 0; pos + nlen <= n; pos++) {
        if (memcmp(js + pos, needle, nlen) != 0)
            continue;
        // The key may sit anywhere in its object: back up to the object's '{'.
        size_t open = pos;
        while (open > 0 && js[open - 1] != '{' && js[open - 1] != '}')
            open--;
        struct scan sc = {js, n, open > 0 ? open - 1 : 0};
        struct packed_entry pe;
        if (open == 0 || js[open - 1] != '{' || !scan_object(&sc, &pe)) {
            fprintf(stderr, "panim: %s: malformed file entry at byte %zu\n", what, pos);
            return PA_EINVALDATA;
        }
        pos = sc.i - 1; // resume after this object
        if (!basename_is(pe.filename, pe.filename_len, name))
            continue;
        if (!pe.have_start || !pe.have_end || pe.start > pe.end) {
            fprintf(stderr, "panim: %s: entry for %s lacks a valid start/end range\n", what, name);
            return PA_EINVALDATA;
        }
        *start = pe.start;
        *end = pe.end;
        return 0;
    }
    fprintf(stderr, "panim: %s does not list %s\n", what, name);
    return PA_ENOENT;
}

int pa_models_packed_find_file(const char *loader_path, const char *name, uint64_t *start,
                               uint64_t *end)
{
    enum { MAX_LOADER = 4 << 20 };
    struct stat st;
    char *js = NULL;
    size_t got = 0;
    int ret = PA_EIO;
    int fd = open(loader_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "panim: %s: %s\n", loader_path, strerror(errno));
        goto fail;
    }
    if (st.st_size <= 0 || st.st_size > MAX_LOADER) {
        fprintf(stderr, "panim: %s: unexpected size %lld bytes\n", loader_path,
                (long long)st.st_size);
        ret = PA_EINVALDATA;
        goto fail;
    }
    if (!(js = pa_malloc((size_t)st.st_size))) {
        ret = PA_ENOMEM;
        goto fail;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, js + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fprintf(stderr, "panim: %s: short read\n", loader_path);
            goto fail;
        }
        got += (size_t)r;
    }
    ret = pa_models_packed_find(js, got, name, start, end, loader_path);
fail:
    pa_free(js);
    if (fd >= 0)
        close(fd);
    return ret;
}

/* ---- verified copy ------------------------------------------------------------------- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copy [start, end) of in to out while hashing; hex gets the digest. */
static int copy_hashed(int in, int out, uint64_t start, uint64_t end, const char *src,
                       const char *dst, char hex[PA_SHA256_HEX_SIZE])
{
    enum { CHUNK = 256 * 1024 };
    struct pa_sha256 *h = NULL;
    uint8_t *buf = pa_malloc(CHUNK);
    int ret = buf ? pa_sha256_create(&h) : PA_ENOMEM;
    for (uint64_t off = start; ret == 0 && off < end;) {
        size_t want = (size_t)PA_MIN((uint64_t)CHUNK, end - off);
        ssize_t r = pread(in, buf, want, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fprintf(stderr, "panim: %s: read error at byte %" PRIu64 "\n", src, off);
            ret = PA_EIO;
        } else if ((ret = pa_sha256_update(h, buf, (size_t)r)) == 0 &&
                   write_all(out, buf, (size_t)r) < 0) {
            fprintf(stderr, "panim: %s: write error: %s\n", dst, strerror(errno));
            ret = PA_EIO;
        }
        off += r > 0 ? (uint64_t)r : 0;
    }
    if (ret == 0)
        ret = pa_sha256_final_hex(h, hex);
    pa_sha256_destroy(h);
    pa_free(buf);
    return ret;
}

static int open_part(char *part, size_t n, const char *dir, const char *name)
{
    int w = snprintf(part, n, "%s/.%s.part-%ld", dir, name, (long)getpid());
    if (w < 0 || (size_t)w >= n)
        return -1;
    unlink(part); // a leftover from an interrupted run with the same pid
    return open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
}

int pa_models_install_bytes(const char *src_path, uint64_t start, uint64_t end, const char *dir,
                            const struct pa_models_entry *e, FILE *progress)
{
    char final[4096], part[4096], hex[PA_SHA256_HEX_SIZE];
    struct stat st;
    int out = -1, ret = PA_EIO;
    int in = open(src_path, O_RDONLY | O_CLOEXEC);
    if (in < 0 || fstat(in, &st) < 0) {
        fprintf(stderr, "panim: %s: %s\n", src_path, strerror(errno));
        goto fail;
    }
    if (end == UINT64_MAX)
        end = (uint64_t)st.st_size;
    if (start > end || end > (uint64_t)st.st_size) {
        fprintf(stderr,
                "panim: %s: range [%" PRIu64 ", %" PRIu64 ") of %s lies outside the "
                "file (%lld bytes)\n",
                src_path, start, end, e->name, (long long)st.st_size);
        ret = PA_EINVALDATA;
        goto fail;
    }
    if (end - start != e->size) {
        fprintf(stderr,
                "panim: %s in %s has %" PRIu64 " bytes, expected %" PRIu64
                " (wrong package version or corrupt cache?)\n",
                e->name, src_path, end - start, e->size);
        ret = PA_ECHECKSUM;
        goto fail;
    }
    if ((ret = pa_models_path(final, sizeof(final), dir, e->name)) < 0)
        goto fail;
    if ((out = open_part(part, sizeof(part), dir, e->name)) < 0) {
        fprintf(stderr, "panim: cannot create a temporary file in %s: %s\n", dir, strerror(errno));
        ret = PA_EIO;
        goto fail;
    }
    ret = copy_hashed(in, out, start, end, src_path, part, hex);
    if (ret == 0 && strcmp(hex, e->sha256) != 0) {
        fprintf(stderr,
                "panim: %s from %s: SHA-256 mismatch (expected %s, got %s); not "
                "installed (wrong package version or corrupt cache?)\n",
                e->name, src_path, e->sha256, hex);
        ret = PA_ECHECKSUM;
    }
    // Flush before the rename so a crash cannot leave a renamed but empty file.
    if (ret == 0 && fsync(out) < 0) {
        fprintf(stderr, "panim: %s: %s\n", part, strerror(errno));
        ret = PA_EIO;
    }
    if (close(out) < 0 && ret == 0) {
        fprintf(stderr, "panim: %s: %s\n", part, strerror(errno));
        ret = PA_EIO;
    }
    out = -1;
    if (ret == 0 && rename(part, final) < 0) {
        fprintf(stderr, "panim: cannot rename %s to %s: %s\n", part, final, strerror(errno));
        ret = PA_EIO;
    }
    if (ret < 0)
        unlink(part);
    else if (progress)
        fprintf(progress, "    installed %s (%" PRIu64 " bytes, SHA-256 ok)\n", final, e->size);
fail:
    if (out >= 0)
        close(out);
    if (in >= 0)
        close(in);
    return ret;
}

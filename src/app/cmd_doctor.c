/** @file
 * `panim doctor`: check everything the live app depends on and say how to fix what is
 * missing. One line per check:
 *     STATUS  CHECK         what was found[; fix: what to do]
 * STATUS is OK, WARN (works, but something optional is missing or slow) or FAIL (panim
 * cannot work until it is fixed). Exit status 0 when nothing FAILs, else 1; 2 for bad usage.
 *
 * Checks: model files (SHA-256 against the manifest), CPU features and core count, the
 * XNNPACK backend (compiled in, and one face_landmark inference actually runs), webcams,
 * v4l2loopback, the display, the NDI runtime, the H.264 encoder, disk space for recordings,
 * the config file. Nothing here changes the system.
 */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/models.h"
#include "core/mem.h"
#include "io/v4l2_dev.h"
#include "pa_config.h"

#if PA_HAVE_FFMPEG
#include <libavcodec/avcodec.h>
#endif

#define MODPROBE_LINE                                                                              \
    "sudo modprobe v4l2loopback devices=1 video_nr=10 card_label=panim exclusive_caps=1"

enum status { ST_OK, ST_WARN, ST_FAIL };

struct doctor {
    const char *models;
    int fails, warns;
};

static void report(struct doctor *d, enum status st, const char *check, const char *fmt, ...)
    PA_PRINTF(4, 5);

static void report(struct doctor *d, enum status st, const char *check, const char *fmt, ...)
{
    static const char *const names[] = {"OK", "WARN", "FAIL"};
    d->fails += st == ST_FAIL;
    d->warns += st == ST_WARN;
    printf("%-4s  %-12s ", names[st], check);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* ---- models ----------------------------------------------------------------------------- */

static int check_models(struct doctor *d)
{
    int n_ok = 0, bad = 0, asset_bad = 0;
    char bad_names[256] = "";
    for (size_t i = 0; i < pa_models_count(); i++) {
        const struct pa_models_entry *e = pa_models_entry_at(i);
        struct pa_models_status st;
        if (pa_models_check(d->models, e, &st) < 0)
            st.state = PA_MODELS_MISMATCH; /* unreadable: as bad as corrupt */
        if (st.state == PA_MODELS_OK) {
            n_ok++;
            continue;
        }
        if (e->kind == PA_MODELS_KIND_ASSET) {
            asset_bad += st.state == PA_MODELS_MISMATCH;
            continue;
        }
        size_t len = strlen(bad_names);
        if (bad++ < 3)
            snprintf(bad_names + len, sizeof(bad_names) - len, "%s%s %s", len ? ", " : "", e->name,
                     st.state == PA_MODELS_MISSING ? "missing" : "corrupt");
    }
    if (bad)
        report(d, ST_FAIL, "models", "%s%s in %s; fix: panim models install --dir %s", bad_names,
               bad > 3 ? ", ..." : "", d->models, d->models);
    else if (asset_bad)
        report(d, ST_WARN, "models",
               "%d files verified in %s, but the default portrait is "
               "corrupt; fix: panim models install --dir %s",
               n_ok, d->models, d->models);
    else
        report(d, ST_OK, "models", "%d files verified (SHA-256) in %s", n_ok, d->models);
    return bad ? -1 : 0;
}

/* ---- CPU -------------------------------------------------------------------------------- */

static int has_word(const char *line, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = line; (p = strstr(p, word)) != NULL; p += n) {
        if ((p == line || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ':') &&
            (p[n] == ' ' || p[n] == '\n' || p[n] == 0))
            return 1;
    }
    return 0;
}

static void check_cpu(struct doctor *d)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    FILE *f = fopen("/proc/cpuinfo", "r");
    static char line[16384];
    int x86 = 0, arm = 0, sse41 = 0, avx2 = 0, avx512 = 0, fma = 0, neon = 0;
    while (f && fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "flags", 5)) {
            x86 = 1;
            sse41 = has_word(line, "sse4_1");
            avx2 = has_word(line, "avx2");
            avx512 = has_word(line, "avx512f");
            fma = has_word(line, "fma");
            break;
        }
        if (!strncmp(line, "Features", 8)) {
            arm = 1;
            neon = has_word(line, "asimd") || has_word(line, "neon");
            break;
        }
    }
    if (f)
        fclose(f);
    char feats[128];
    if (x86)
        snprintf(feats, sizeof(feats), "sse4.1 %s, avx2 %s, fma %s, avx512f %s",
                 sse41 ? "yes" : "no", avx2 ? "yes" : "no", fma ? "yes" : "no",
                 avx512 ? "yes" : "no");
    else if (arm)
        snprintf(feats, sizeof(feats), "neon %s", neon ? "yes" : "no");
    else
        snprintf(feats, sizeof(feats), "features unknown (no /proc/cpuinfo flags)");
    if (cores < 2)
        report(d, ST_WARN, "cpu",
               "%ld core, %s; fix: live mode wants 2+ cores (tracking and "
               "rendering run on separate threads)",
               cores, feats);
    else if ((x86 && !(avx2 && fma)) || (arm && !neon))
        report(d, ST_WARN, "cpu",
               "%ld cores, %s; the networks run 2-4x slower without "
               "AVX2+FMA / NEON (lower --size or use --landmarks 468)",
               cores, feats);
    else
        report(d, ST_OK, "cpu", "%ld cores, %s", cores, feats);
}

/* ---- XNNPACK ---------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void check_xnnpack(struct doctor *d, int models_ok)
{
    if (!pa_nn_have_xnnpack()) {
        report(d, ST_WARN, "xnnpack",
               "not compiled in: reference kernels only (~10x slower); "
               "fix: apt-get install libxnnpack-dev, then rebuild panim");
        return;
    }
    char path[4096];
    if (!models_ok || pa_models_path(path, sizeof(path), d->models, "face_landmark.tflite") < 0 ||
        access(path, R_OK) != 0) {
        report(d, ST_WARN, "xnnpack",
               "compiled in; not run (face_landmark.tflite unavailable; "
               "fix the models first)");
        return;
    }
    struct pa_nn_model *m = NULL;
    struct pa_nn_session *s = NULL;
    double t[5];
    int ret = pa_nn_model_load(&m, path);
    if (ret >= 0)
        ret = pa_nn_session_create(&s, m, PA_NN_BACKEND_XNNPACK, NULL);
    if (ret >= 0 && pa_nn_session_backend(s) != PA_NN_BACKEND_XNNPACK)
        ret = PA_EUNSUPPORTED;
    int dims[4], nd = 0;
    const char *name;
    size_t n_in = 1;
    if (ret >= 0 && (ret = pa_nn_model_io(m, 0, 0, dims, &nd, &name)) >= 0) {
        for (int i = 0; i < nd; i++)
            n_in *= (size_t)(dims[i] > 0 ? dims[i] : 1);
        float *in = pa_nn_session_input(s, 0);
        for (size_t i = 0; i < n_in; i++)
            in[i] = (float)((i * 37) % 255) / 127.5f - 1.0f; /* any texture */
    }
    for (int i = 0; i < 6 && ret >= 0; i++) {
        double t0 = pa_cli_now_ms();
        ret = pa_nn_session_run(s);
        if (i > 0)
            t[i - 1] = pa_cli_now_ms() - t0; /* the first run warms caches up */
    }
    int finite = ret >= 0;
    if (finite) {
        const float *out = pa_nn_session_output(s, 0);
        for (int i = 0; i < 16; i++)
            finite &= isfinite(out[i]) != 0;
    }
    pa_nn_session_destroy(s);
    pa_nn_model_destroy(m);
    if (ret < 0 || !finite) {
        report(d, ST_FAIL, "xnnpack",
               "face_landmark.tflite does not run on XNNPACK (%s); "
               "fix: run with --backend ref and report the bug",
               ret < 0 ? pa_strerror(ret) : "non-finite output");
        return;
    }
    qsort(t, 5, sizeof(t[0]), cmp_double);
    report(d, ST_OK, "xnnpack", "face_landmark runs in %.1f ms (1 thread, median of 5)", t[2]);
}

/* ---- devices ---------------------------------------------------------------------------- */

static void check_cameras(struct doctor *d, const struct pa_v4l2_devinfo *devs, int n)
{
    int cams = 0, denied = 0;
    const char *first = NULL, *card = NULL;
    for (int i = 0; i < n; i++) {
        denied += devs[i].open_errno == EACCES || devs[i].open_errno == EPERM;
        if (!devs[i].open_errno && devs[i].capture && !devs[i].loopback) {
            if (!cams++) {
                first = devs[i].path;
                card = devs[i].card;
            }
        }
    }
    if (cams)
        report(d, ST_OK, "cameras", "%d webcam%s; default %s (%s)", cams, cams > 1 ? "s" : "",
               first, card);
    else if (denied)
        report(d, ST_WARN, "cameras",
               "%d /dev/video* device(s) not readable; fix: sudo "
               "usermod -aG video $USER, then log in again",
               denied);
    else
        report(d, ST_WARN, "cameras",
               "no webcam found (needed only for -d webcam); fix: plug "
               "one in and check 'panim devices', or drive with a video "
               "file or 'idle'");
}

static void check_loopback(struct doctor *d, const struct pa_v4l2_devinfo *devs, int n)
{
    struct stat st;
    int loaded = stat("/sys/module/v4l2loopback", &st) == 0;
    const char *path = NULL, *card = NULL;
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (!devs[i].open_errno && devs[i].loopback && !count++) {
            path = devs[i].path;
            card = devs[i].card;
        }
    }
    if (count)
        report(d, ST_OK, "v4l2loopback", "%d virtual camera%s; use --output v4l2:%s (%s)", count,
               count > 1 ? "s" : "", path, card);
    else if (loaded)
        report(d, ST_WARN, "v4l2loopback",
               "module loaded but no readable device; fix: sudo "
               "modprobe -r v4l2loopback && " MODPROBE_LINE);
    else
        report(d, ST_WARN, "v4l2loopback",
               "module not loaded (needed for the virtual camera "
               "output); fix: sudo apt-get install "
               "v4l2loopback-dkms && " MODPROBE_LINE);
}

/* ---- display, NDI, FFmpeg, disk, config -------------------------------------------------- */

static void check_display(struct doctor *d)
{
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    const char *rt = getenv("XDG_RUNTIME_DIR");
    char sock[512] = "";
    int ok = 0;
    if (wl && *wl) {
        if (wl[0] == '/')
            snprintf(sock, sizeof(sock), "%s", wl);
        else if (rt && *rt)
            snprintf(sock, sizeof(sock), "%s/%s", rt, wl);
        ok = sock[0] && access(sock, F_OK) == 0;
    }
    if (!ok && x && *x) {
        int num = 0;
        const char *colon = strrchr(x, ':');
        if (colon && colon == x && sscanf(colon + 1, "%d", &num) == 1) {
            snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%d", num);
            ok = access(sock, F_OK) == 0;
        } else {
            ok = 1; /* a remote display (host:0, ssh -X): cannot be checked without connecting */
            snprintf(sock, sizeof(sock), "%s (remote)", x);
        }
    }
    if (!PA_HAVE_SDL2)
        report(d, ST_WARN, "display",
               "the window output is not compiled in; fix: apt-get "
               "install libsdl2-dev, then rebuild panim");
    else if (ok)
        report(d, ST_OK, "display", "%s", sock);
    else if ((x && *x) || (wl && *wl))
        report(d, ST_WARN, "display",
               "DISPLAY=%s WAYLAND_DISPLAY=%s but no socket %s; fix: run "
               "from the desktop session",
               x ? x : "", wl ? wl : "", sock[0] ? sock : "found");
    else
        report(d, ST_WARN, "display",
               "no DISPLAY or WAYLAND_DISPLAY: no window output (the "
               "other outputs work); fix: run from a desktop session");
}

static void check_ndi(struct doctor *d)
{
    static const char *const libs[] = {"libndi.so.5", "libndi.so.6", "libndi.so"};
    char env_path[4096];
    const char *dir = getenv("NDI_RUNTIME_DIR_V5");
    for (size_t i = 0; i <= PA_ARRAY_SIZE(libs); i++) {
        const char *name = i < PA_ARRAY_SIZE(libs) ? libs[i] : NULL;
        if (!name) {
            if (!dir || !*dir)
                break;
            snprintf(env_path, sizeof(env_path), "%s/libndi.so.5", dir);
            name = env_path;
        }
        void *h = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
        if (h) {
            int sdk = dlsym(h, "NDIlib_send_create") != NULL;
            dlclose(h);
            report(d, sdk ? ST_OK : ST_WARN, "ndi", "%s%s", name,
                   sdk ? "" : " lacks NDIlib_send_create (not the NDI SDK?)");
            return;
        }
    }
    report(d, ST_WARN, "ndi",
           "NDI runtime not found (optional, for --output ndi:NAME); fix: "
           "install the NDI 5 runtime from https://ndi.video/tools/ "
           "(libndi.so.5)");
}

static void check_ffmpeg(struct doctor *d)
{
#if PA_HAVE_FFMPEG
    if (avcodec_find_encoder_by_name("libx264")) {
        unsigned v = avcodec_version();
        report(d, ST_OK, "ffmpeg", "libavcodec %u.%u.%u with libx264", v >> 16, (v >> 8) & 255,
               v & 255);
    } else if (avcodec_find_encoder(AV_CODEC_ID_H264))
        report(d, ST_WARN, "ffmpeg",
               "no libx264; recordings use %s; fix: apt-get install "
               "libavcodec-extra",
               avcodec_find_encoder(AV_CODEC_ID_H264)->name);
    else
        report(d, ST_WARN, "ffmpeg",
               "no H.264 encoder: file and stream outputs unavailable; "
               "fix: apt-get install libavcodec-extra");
#else
    report(d, ST_WARN, "ffmpeg",
           "not compiled in: no video files, recordings or streams; fix: "
           "apt-get install libavformat-dev libavcodec-dev libswscale-dev "
           "libswresample-dev, then rebuild panim");
#endif
}

static void check_disk(struct doctor *d)
{
    struct statvfs vfs;
    char cwd[4096];
    if (!getcwd(cwd, sizeof(cwd)))
        snprintf(cwd, sizeof(cwd), ".");
    if (statvfs(".", &vfs) != 0) {
        report(d, ST_WARN, "disk", "cannot query free space in %s: %s", cwd, strerror(errno));
        return;
    }
    double gib = (double)vfs.f_bavail * (double)vfs.f_frsize / (1024.0 * 1024.0 * 1024.0);
    /* 720p30 H.264 at ~4 Mbit/s is about 1.8 GB per hour. */
    double hours = gib * 1.073741824 / 1.8;
    if (gib < 0.1)
        report(d, ST_FAIL, "disk",
               "%.0f MiB free in %s: recordings would fail at once; fix: "
               "free space or record elsewhere (--output file:/other/x.mp4)",
               gib * 1024.0, cwd);
    else if (gib < 2.0)
        report(d, ST_WARN, "disk",
               "%.2f GiB free in %s (about %.0f min of 720p recording); fix: "
               "free space or record elsewhere",
               gib, cwd, hours * 60.0);
    else
        report(d, ST_OK, "disk", "%.1f GiB free in %s (about %.0f h of 720p recording)", gib, cwd,
               hours);
}

/* `panim live` reads --config FILE, and config_local.yaml from the working directory on its
 * own (app/config.h); report what is here without parsing it. */
static void check_config(struct doctor *d)
{
    static const char *const files[] = {"config.yaml", "config_local.yaml"};
    char found[128] = "";
    for (size_t i = 0; i < PA_ARRAY_SIZE(files); i++) {
        if (access(files[i], F_OK) != 0)
            continue;
        if (access(files[i], R_OK) != 0) {
            report(d, ST_WARN, "config", "./%s is not readable; fix: chmod u+r %s", files[i],
                   files[i]);
            return;
        }
        size_t len = strlen(found);
        snprintf(found + len, sizeof(found) - len, "%s./%s", len ? " and " : "", files[i]);
    }
    if (found[0])
        report(d, ST_OK, "config",
               "%s found (config.yaml applies with --config config.yaml, "
               "config_local.yaml always)",
               found);
    else
        report(d, ST_OK, "config",
               "no config.yaml or config_local.yaml here: built-in "
               "defaults (see 'panim config dump')");
}

static int run(int argc, char **argv)
{
    struct doctor d = {.models = pa_cli_models_dir()};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: panim doctor [--models DIR]\n\n"
                   "Check what panim needs: model files, CPU, XNNPACK, webcams, v4l2loopback,\n"
                   "display, NDI runtime, H.264 encoder, disk space, config file. One line per\n"
                   "check: OK, WARN (optional or slow) or FAIL, with the fix. Exit status 1 when\n"
                   "any check FAILs.\n\n"
                   "options:\n"
                   "  --models DIR   model folder (default: %s)\n",
                   pa_cli_models_dir());
            return 0;
        }
        if (!strcmp(argv[i], "--models") && i + 1 < argc) {
            d.models = argv[++i];
            continue;
        }
        fprintf(stderr, "panim doctor: unknown option '%s' (see 'panim doctor --help')\n", argv[i]);
        return 2;
    }
    int models_ok = check_models(&d) == 0;
    check_cpu(&d);
    check_xnnpack(&d, models_ok);
    struct pa_v4l2_devinfo *devs = pa_calloc(32, sizeof(*devs));
    int n = devs ? pa_v4l2_list(devs, 32, 0) : 0;
    check_cameras(&d, devs, n);
    check_loopback(&d, devs, n);
    pa_free(devs);
    check_display(&d);
    check_ndi(&d);
    check_ffmpeg(&d);
    check_disk(&d);
    check_config(&d);
    return d.fails ? 1 : 0;
}

const struct pa_cli_command pa_cmd_doctor = {
    .name = "doctor",
    .summary = "check models, CPU, XNNPACK, cameras, virtual camera, display, encoders",
    .run = run,
};

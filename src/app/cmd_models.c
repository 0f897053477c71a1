/** @file
 * `panim models install|list|inspect`: the command-line face of app/models.c.
 *
 *   install  fetch the pinned MediaPipe packages and extract the verified models (and the
 *            default portrait) into the model folder; idempotent, works offline once cached
 *   list     one line per manifest file: name, bytes, ok / missing / MISMATCH, path
 *   inspect  size, SHA-256 and manifest status of one file, plus the structure of a .tflite
 *            model (nn/tflite_dump.c)
 *
 * Exit status: 0 success; 1 a problem (missing or corrupt file, failed install); 2 bad usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/models.h"
#include "nn/tflite.h"
#include "panim.h"

struct opts {
    const char *dir;   ///< --dir, default pa_cli_models_dir()
    const char *cache; ///< --cache (install)
    const char *file;  ///< positional FILE (inspect)
    int tensors;       ///< --tensors (inspect)
    int quiet;         ///< --quiet (install)
};

static const char g_usage[] =
    "usage: panim models SUBCOMMAND [--dir DIR] [options]\n"
    "\n"
    "Manage the face models panim needs (Google MediaPipe, Apache-2.0).\n"
    "\n"
    "subcommands:\n"
    "  install   download and extract the models into the model folder\n"
    "  list      show each model file with its size and status (ok / missing / MISMATCH)\n"
    "  inspect   show one file's checksum and, for a .tflite model, its structure\n"
    "\n"
    "Every subcommand takes --dir DIR, the model folder (default below: $PA_MODELS_DIR,\n"
    "else the folder chosen at build time).\n"
    "See 'panim models SUBCOMMAND --help'.\n";

static const char g_usage_install[] =
    "usage: panim models install [--dir DIR] [--cache DIR] [--quiet]\n"
    "\n"
    "Put every model file into the model folder, verified by SHA-256:\n"
    "  face_detection_short_range.tflite, face_landmark.tflite,\n"
    "  face_landmark_with_attention.tflite, geometry_pipeline_metadata_landmarks.binarypb\n"
    "      from npm @mediapipe/face_mesh (byte ranges of its packed-assets bundle),\n"
    "  selfie_segmentation.tflite from npm @mediapipe/selfie_segmentation,\n"
    "  astronaut.png (default portrait, optional) from Debian's python3-skimage package.\n"
    "\n"
    "Files that are already right are kept; missing, truncated or corrupt ones are extracted\n"
    "again. Bytes are checked before they are moved into place, so an interrupted or bad\n"
    "download never leaves a wrong model behind. Needs `npm` and `tar` (Debian: apt-get\n"
    "install npm), plus `apt-get` and `dpkg` for the portrait. Package archives are kept in\n"
    "the cache, so later runs work offline.\n"
    "\n"
    "options:\n"
    "  --dir DIR     model folder (default below)\n"
    "  --cache DIR   download cache; archives go to DIR/npm and DIR/deb\n"
    "                (default: .cache beside the model folder)\n"
    "  --quiet       print only errors\n";

static const char g_usage_list[] =
    "usage: panim models list [--dir DIR]\n"
    "\n"
    "Check every file of the model manifest in the model folder and print one line each:\n"
    "name, size in bytes, status and path. Status is 'ok' (size and SHA-256 match),\n"
    "'missing', or 'MISMATCH' (wrong size or SHA-256: corrupt, truncated or another\n"
    "version; the expected and found digests follow). The portrait astronaut.png is\n"
    "optional: its absence is not an error.\n"
    "\n"
    "Exit status 1 when a model is missing or any file is wrong (repair: panim models "
    "install).\n"
    "\n"
    "options:\n"
    "  --dir DIR     model folder (default below)\n";

static const char g_usage_inspect[] =
    "usage: panim models inspect [--dir DIR] [--tensors] FILE\n"
    "\n"
    "Show FILE's size and SHA-256, whether it matches the model manifest, and for a .tflite\n"
    "model its structure: schema version, inputs and outputs with shapes, an operator\n"
    "histogram and every operator. FILE is a manifest name looked up in the model folder\n"
    "(e.g. face_landmark.tflite) or a path to any file.\n"
    "\n"
    "options:\n"
    "  --dir DIR     model folder (default below)\n"
    "  --tensors     also list every tensor (name, type, shape, constant size)\n";

static void print_help(const char *text)
{
    fputs(text, stdout);
    printf("\ndefault model folder: %s\n", pa_cli_models_dir());
}

/* Parse the options of one subcommand; argv[0] is the subcommand. @return -1 ok, else exit. */
static int parse(int argc, char **argv, const char *help, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **value = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_help(help);
            return 0;
        }
        if (!strcmp(a, "--dir") || !strncmp(a, "--dir=", 6))
            value = &o->dir;
        else if (help == g_usage_install && (!strcmp(a, "--cache") || !strncmp(a, "--cache=", 8)))
            value = &o->cache;
        else if (help == g_usage_install && !strcmp(a, "--quiet"))
            o->quiet = 1;
        else if (help == g_usage_inspect && !strcmp(a, "--tensors"))
            o->tensors = 1;
        else if (help == g_usage_inspect && a[0] != '-' && !o->file)
            o->file = a;
        else {
            fprintf(stderr, "panim models %s: unexpected argument '%s' (see --help)\n", argv[0], a);
            return 2;
        }
        if (value) {
            const char *eq = strchr(a, '=');
            if (!eq && i + 1 >= argc) {
                fprintf(stderr, "panim models %s: %s needs a value\n", argv[0], a);
                return 2;
            }
            *value = eq ? eq + 1 : argv[++i];
            if (!**value) {
                fprintf(stderr, "panim models %s: %.*s needs a non-empty value\n", argv[0],
                        eq ? (int)(eq - a) : (int)strlen(a), a);
                return 2;
            }
        }
    }
    if (help == g_usage_inspect && !o->file) {
        fprintf(stderr, "panim models inspect: which FILE? (see --help)\n");
        return 2;
    }
    return -1;
}

static int cmd_install(const struct opts *o)
{
    struct pa_models_install_opts io = {o->dir, o->cache, o->quiet ? NULL : stdout};
    int ret = pa_models_install(&io);
    // Every failure has printed its one line already, except these two (no context).
    if (ret == PA_ENOMEM || ret == PA_EOVERFLOW)
        fprintf(stderr, "panim models install: %s\n", pa_strerror(ret));
    return ret < 0 ? 1 : 0;
}

static int cmd_list(const struct opts *o)
{
    int bad = 0;
    printf("model folder: %s\n", o->dir);
    printf("%-46s %9s  %-9s %s\n", "FILE", "BYTES", "STATUS", "PATH");
    for (size_t i = 0; i < pa_models_count(); i++) {
        const struct pa_models_entry *e = pa_models_entry_at(i);
        struct pa_models_status st;
        char path[4096], bytes[32] = "-";
        if (pa_models_path(path, sizeof(path), o->dir, e->name) < 0 ||
            pa_models_check(o->dir, e, &st) < 0) {
            bad++;
            continue;
        }
        int optional = e->kind == PA_MODELS_KIND_ASSET;
        if (st.state != PA_MODELS_MISSING)
            snprintf(bytes, sizeof(bytes), "%" PRIu64, st.size);
        const char *status = st.state == PA_MODELS_OK        ? "ok"
                             : st.state == PA_MODELS_MISSING ? "missing"
                                                             : "MISMATCH";
        printf("%-46s %9s  %-9s %s%s\n", e->name, bytes, status, path,
               optional ? "  (optional portrait)" : "");
        if (st.state == PA_MODELS_MISMATCH)
            printf("    %s: expected SHA-256 %s (%" PRIu64 " bytes), found %s\n", e->name,
                   e->sha256, e->size, st.sha256);
        if (st.state == PA_MODELS_MISMATCH || (st.state == PA_MODELS_MISSING && !optional))
            bad++;
    }
    if (bad)
        printf("%d file(s) missing or wrong: run `panim models install --dir %s` to repair\n", bad,
               o->dir);
    else
        printf("all model files ok\n");
    return bad ? 1 : 0;
}

/* Manifest name → folder path; anything else is used as given. */
static void inspect_path(const struct opts *o, char *buf, size_t n)
{
    const struct pa_models_entry *e = pa_models_find(o->file);
    if (!strchr(o->file, '/') && (e || access(o->file, F_OK) != 0) &&
        pa_models_path(buf, n, o->dir, o->file) == 0)
        return;
    snprintf(buf, n, "%s", o->file);
}

static int cmd_inspect(const struct opts *o)
{
    char path[4096], hex[PA_SHA256_HEX_SIZE];
    uint64_t size = 0;
    inspect_path(o, path, sizeof(path));
    int ret = pa_sha256_file(path, hex, &size);
    if (ret < 0) {
        fprintf(stderr, "panim models inspect: %s: %s\n", path, pa_strerror(ret));
        return 1;
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const struct pa_models_entry *e = pa_models_find(base);
    printf("file:     %s\nbytes:    %" PRIu64 "\nsha256:   %s\n", path, size, hex);
    if (!e)
        printf("manifest: not a manifest file\n");
    else if (size == e->size && !strcmp(hex, e->sha256))
        printf("manifest: ok (%s from %s)\n", e->name, pa_models_package(e));
    else
        printf("manifest: MISMATCH: expected SHA-256 %s (%" PRIu64 " bytes) for %s\n", e->sha256,
               e->size, e->name);
    size_t len = strlen(path);
    if (len < 7 || strcmp(path + len - 7, ".tflite") != 0) {
        printf("(not a .tflite model: no structure to show)\n");
        return 0;
    }
    printf("\n");
    fflush(stdout);
    struct pa_tflite *t;
    if (pa_tflite_open(&t, path) < 0)
        return 1; // the reader logged what is wrong with the file
    ret = pa_tflite_dump(t, o->tensors, stdout);
    pa_tflite_close(t);
    return ret < 0 || fflush(stdout) != 0 ? 1 : 0;
}

static int run(int argc, char **argv)
{
    struct opts o = {.dir = pa_cli_models_dir()};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        print_help(g_usage);
        return argc < 2 ? 2 : 0;
    }
    static const struct {
        const char *name;
        const char *help;
        int (*fn)(const struct opts *o);
    } subs[] = {
        {"install", g_usage_install, cmd_install},
        {"list", g_usage_list, cmd_list},
        {"inspect", g_usage_inspect, cmd_inspect},
    };
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        if (strcmp(argv[1], subs[i].name) != 0)
            continue;
        int ret = parse(argc - 1, argv + 1, subs[i].help, &o);
        return ret >= 0 ? ret : subs[i].fn(&o);
    }
    fprintf(stderr, "panim models: unknown subcommand '%s' (install, list or inspect)\n", argv[1]);
    return 2;
}

const struct pa_cli_command pa_cmd_models = {
    .name = "models",
    .summary = "install, list or inspect the face models",
    .run = run,
};

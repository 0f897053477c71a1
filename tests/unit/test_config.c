/** @file
 * The live configuration (src/app/config*.c): the option table, YAML files, --set, the
 * command line and its precedence, validation messages, dump -> load round trips, the
 * generated docs/CONFIG.md, and a mutation smoke test of the parser.
 */
#include "pa_test.h"

#include <stdint.h>

#include "app/config.h"
#include "core/log.h"

static struct pa_config *g_cfg;
static struct pa_live_opts g_o;

/* Load YAML text on top of the defaults into g_o; returns the loader's code. */
static int load(const char *text)
{
    pa_config_destroy(g_cfg);
    g_cfg = NULL;
    if (pa_config_create(&g_cfg) < 0)
        return PA_ENOMEM;
    pa_config_defaults(&g_o);
    return pa_config_load_string(g_cfg, &g_o, text, strlen(text), "t.yaml");
}

static const char *err(void)
{
    return pa_config_last_error(g_cfg);
}

#define ASSERT_STR_HAS(s, part)                                                                    \
    do {                                                                                           \
        if (!strstr((s), (part)))                                                                  \
            PA__FAIL("'%s' does not contain '%s'", (s), (part));                                   \
    } while (0)

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(fwrite(text, 1, len, f), len);
    fclose(f);
}

PA_TEST(table_is_consistent)
{
    size_t n = pa_config_count();
    ASSERT_GT(n, 30);
    for (size_t i = 0; i < n; i++) {
        const struct pa_config_option *a = pa_config_option_at(i);
        ASSERT_TRUE(a->help && strlen(a->help) > 10);
        ASSERT_TRUE(pa_config_find(a->section, a->key) == a);
        for (size_t j = i + 1; j < n; j++) {
            const struct pa_config_option *b = pa_config_option_at(j);
            ASSERT_TRUE(strcmp(a->section, b->section) || strcmp(a->key, b->key));
            ASSERT_NE(a->off, b->off); // two keys never write one field
            if (a->flag && b->flag)
                ASSERT_TRUE(strcmp(a->flag, b->flag) != 0);
            if (a->short_flag)
                ASSERT_NE(a->short_flag, b->short_flag);
        }
    }
    ASSERT_TRUE(pa_config_find("animate", "nope") == NULL);
    ASSERT_TRUE(pa_config_is_param(pa_config_find("animate", "expr_scale")));
    ASSERT_TRUE(!pa_config_is_param(pa_config_find("animate", "threads")));
    ASSERT_TRUE(!pa_config_is_param(pa_config_find("track", "landmarks")));
}

PA_TEST(defaults_match_the_library)
{
    struct pa_live_opts o;
    pa_config_defaults(&o);
    struct pa_anim_params a = pa_anim_default_params();
    struct pa_tracker_params t = pa_tracker_default_params();
    ASSERT_EQ(o.pl.anim.method, a.method);
    ASSERT_EQ(o.pl.anim.absolute, a.absolute);
    ASSERT_EQ(o.pl.anim.absolute_pose, a.absolute_pose);
    ASSERT_EQ(o.pl.anim.expr_scale, a.expr_scale);
    ASSERT_EQ(o.pl.anim.yaw_mul, a.yaw_mul);
    ASSERT_EQ(o.pl.anim.pitch_mul, a.pitch_mul);
    ASSERT_EQ(o.pl.anim.roll_mul, a.roll_mul);
    ASSERT_TRUE(o.pl.anim.eye_open_ratio == a.eye_open_ratio);
    ASSERT_TRUE(o.pl.anim.lip_open_ratio == a.lip_open_ratio);
    ASSERT_EQ(o.pl.anim.follow, a.follow);
    ASSERT_EQ(o.pl.anim.stitching, a.stitching);
    ASSERT_EQ(o.pl.anim.mouth, a.mouth);
    ASSERT_TRUE(o.pl.anim.crop_scale == a.crop_scale);
    ASSERT_EQ(o.pl.anim.crop_size, a.crop_size);
    ASSERT_TRUE(o.pl.anim.release_time == a.release_time);
    ASSERT_EQ(o.pl.track.landmarks, t.landmarks);
    ASSERT_EQ(o.pl.track.select, t.select);
    ASSERT_EQ(o.pl.track.select_index, t.select_index);
    ASSERT_TRUE(o.pl.track.min_detection_score == t.min_detection_score);
    ASSERT_TRUE(o.pl.track.min_presence == t.min_presence);
    ASSERT_EQ(o.pl.track.detect_every_frame, t.detect_every_frame);
    ASSERT_EQ(o.pl.track.smooth, t.smooth);
    ASSERT_TRUE(o.pl.track.smooth_min_cutoff == t.smooth_min_cutoff);
    ASSERT_TRUE(o.pl.track.smooth_beta == t.smooth_beta);
    ASSERT_TRUE(o.pl.track.smooth_d_cutoff == t.smooth_d_cutoff);
    ASSERT_EQ(o.pl.track.backend, t.backend);
    // The pipeline-level defaults of the live command's draft.
    ASSERT_TRUE(o.pl.fps == 30.0);
    ASSERT_EQ(o.pl.track_threads, 1);
    ASSERT_EQ(o.pl.anim_threads, 1);
    ASSERT_EQ(o.pl.status_every, 5);
    ASSERT_EQ(o.pl.seed, 1);
    ASSERT_EQ(o.pl.offline, -1);
    ASSERT_TRUE(!strcmp(o.pl.driver, "idle"));
    ASSERT_TRUE(!strcmp(o.ctl.bind, "127.0.0.1"));
    ASSERT_TRUE(o.ctl.token == NULL && o.ctl.port == 0 && o.pl.models == NULL);
}

PA_TEST(example_config_loads)
{
    const char *src = getenv("PA_SOURCE_DIR");
    if (!src)
        PA_SKIP("PA_SOURCE_DIR not set");
    char path[4096];
    snprintf(path, sizeof(path), "%s/examples/config.yaml", src);
    struct pa_config *cfg;
    struct pa_live_opts o, d;
    ASSERT_OK(pa_config_create(&cfg));
    pa_config_defaults(&o);
    pa_config_defaults(&d);
    ASSERT_OK(pa_config_load_file(cfg, &o, path));
    ASSERT_TRUE(!pa_config_equal(&o, &d, NULL));
    ASSERT_EQ(o.pl.n_portraits, 2);
    ASSERT_EQ(o.pl.n_outputs, 2);
    ASSERT_TRUE(!strcmp(o.pl.outputs[1], "v4l2:/dev/video10"));
    ASSERT_EQ(o.pl.out_w, 720);
    ASSERT_NEAR(o.pl.anim.expr_scale, 1.2, 1e-6);
    ASSERT_EQ(o.ctl.port, 8765);
    ASSERT_OK(pa_config_finish(&o, PA_CONFIG_NEED_IO));
    ASSERT_EQ(o.pl.offline, 0); // webcam -> live
    pa_config_destroy(cfg);
}

PA_TEST(errors_name_the_line_and_suggest)
{
    pa_log_set("quiet");
    ASSERT_ERR(load("# comment\nanimate:\n  expr_scal: 1.2\n"), PA_EINVALDATA);
    ASSERT_STR_HAS(err(), "t.yaml:3: unknown key 'animate.expr_scal' (did you mean 'expr_scale'?)");
    ASSERT_ERR(load("animate:\n  method: mesh\ntrack:\n\n  landmarks: 470\n"), PA_EINVALDATA);
    ASSERT_STR_HAS(err(), "t.yaml:5: track.landmarks: 470 is not one of 468, 478");
    ASSERT_ERR(load("animate:\n  crop_scale: 9\n"), PA_EINVALDATA);
    ASSERT_STR_HAS(err(), "t.yaml:2: animate.crop_scale: 9 is out of range 1.5..4");
    ASSERT_ERR(load("animte:\n  expr_scale: 1\n"), PA_EINVALDATA);
    ASSERT_STR_HAS(err(), "t.yaml:1: unknown section 'animte' (did you mean 'animate'?)");
    ASSERT_ERR(load("expr_scale: 1\n"), PA_EINVALDATA);
    ASSERT_STR_HAS(err(), "'expr_scale' is a key: write it under 'animate:'");
    ASSERT_ERR(load("track:\n  expr_scale: 1\n"), PA_EINVALDATA);
    ASSERT_STR_HAS(err(), "did you mean 'animate.expr_scale'?");
    ASSERT_ERR(load("animate:\n  method: meshy\n"), PA_EINVALDATA);
    ASSERT_STR_HAS(err(), "'meshy' is not one of mesh, affine2d, static");
    ASSERT_ERR(load("animate:\n  expr_scale: 1\n  expr_scale: 2\n"), PA_EINVALDATA);
    ASSERT_STR_HAS(err(), "t.yaml:3: duplicate key 'animate.expr_scale' (first set at line 2)");
    ASSERT_ERR(load("animate:\n  expr_scale: 1\nanimate:\n  yaw_mul: 1\n"), PA_EINVALDATA);
    ASSERT_STR_HAS(err(), "t.yaml:3: duplicate section 'animate'");
}

PA_TEST(wrong_shapes_are_rejected)
{
    pa_log_set("quiet");
    static const char *const bad[] = {
        "animate:\n  expr_scale: [1, 2]\n",                    // a list where a scalar belongs
        "animate:\n  expr_scale:\n    a: 1\n",                 // a mapping where a scalar belongs
        "portrait:\n  paths: [[a.png]]\n",                     // nested list
        "portrait:\n  paths: [a.png, {x: 1}]\n",               // mapping in a list
        "portrait:\n  paths: [a.png, ~]\n",                    // empty item
        "animate: 3\n",                                        // section is not a mapping
        "- animate\n",                                         // top level is a list
        "hello\n",                                             // top level is a scalar
        "animate:\n  expr_scale: 1\n---\nrun:\n  status: 1\n", // two documents
        "animate: &a\n  expr_scale: 1\ntrack: *a\n",           // anchors and aliases
        "animate:\n  ? [a, b]\n  : 1\n",                       // complex key
        "animate:\n\texpr_scale: 1\n",                         // tab indentation
        "animate:\n  expr_scale: \"1\\0\"\n",                  // NUL through an escape
        "driver:\n  source: \"a\\x01b\"\n", // control character through an escape
        "driver:\n  source: ~\n",           // null for a required string
        "animate:\n  expr_scale: inf\n",
        "animate:\n  expr_scale: nan\n",
        "animate:\n  expr_scale: 1.5x\n",
        "animate:\n  crop_size: 512.5\n",
        "animate:\n  absolute: maybe\n",
        "animate:\n  follow: [pose, ears]\n",
        "animate:\n  follow: ~\n",
        "output:\n  size: 10x10\n",
        "output:\n  size: 640\n",
        "output:\n  specs: [a, b, c, d, e, f, g, h, i]\n", // 9 > 8 outputs
        "track:\n  select: 99\n",
        "run:\n  frames: 99999999999999999999999\n",
        "driver:\n  seed: -1\n",
        "animate: {expr_scale: 1,\n", // syntax error
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int ret = load(bad[i]);
        if (ret != PA_EINVALDATA)
            PA__FAIL("case %zu accepted (%d): %s", i, ret, bad[i]);
        ASSERT_STR_HAS(err(), "t.yaml:");
    }
    // Invalid UTF-8, a raw control byte and a NUL byte, with the line of the bad byte.
    ASSERT_ERR(load("animate:\n  method: mesh\ndriver:\n  source: \"caf\xC3\"\n"), PA_EINVALDATA);
    ASSERT_STR_HAS(err(), "t.yaml:4: invalid UTF-8");
    ASSERT_ERR(load("driver:\n  source: \"\xC0\xAF\"\n"), PA_EINVALDATA); // overlong
    ASSERT_ERR(load("driver:\n  source: a\x7F\n"), PA_EINVALDATA);
    static const char nul[] = "driver:\n  source: a\0b\n";
    pa_config_defaults(&g_o);
    ASSERT_ERR(pa_config_load_string(g_cfg, &g_o, nul, sizeof(nul) - 1, "t.yaml"), PA_EINVALDATA);
    // Valid UTF-8 outside ASCII is fine.
    ASSERT_OK(load("\xEF\xBB\xBF"
                   "driver:\n  source: \"caf\xC3\xA9.mp4\"\n"));
    ASSERT_TRUE(!strcmp(g_o.pl.driver, "caf\xC3\xA9.mp4"));
}

PA_TEST(deep_nesting_and_huge_files_fail_cleanly)
{
    pa_log_set("quiet");
    size_t depth = 200000;
    char *deep = malloc(2 * depth + 64);
    ASSERT_TRUE(deep != NULL);
    strcpy(deep, "animate:\n  expr_scale: ");
    size_t n = strlen(deep);
    memset(deep + n, '[', depth);
    memset(deep + n + depth, ']', depth);
    deep[n + 2 * depth] = '\0';
    pa_config_destroy(g_cfg);
    ASSERT_OK(pa_config_create(&g_cfg));
    pa_config_defaults(&g_o);
    ASSERT_ERR(pa_config_load_string(g_cfg, &g_o, deep, strlen(deep), "t.yaml"), PA_EINVALDATA);
    for (size_t i = 0; i < depth; i++) // top-level nesting too
        deep[i] = '[';
    deep[depth] = '\0';
    ASSERT_ERR(pa_config_load_string(g_cfg, &g_o, deep, depth, "t.yaml"), PA_EINVALDATA);
    free(deep);

    // 1 MiB + 1 of valid comments: refused by size, from memory and from a file.
    size_t big = PA_CONFIG_MAX_FILE + 1;
    char *text = malloc(big);
    ASSERT_TRUE(text != NULL);
    for (size_t i = 0; i < big; i++)
        text[i] = (i % 64 == 63) ? '\n' : (i % 64 == 0 ? '#' : 'x');
    ASSERT_ERR(pa_config_load_string(g_cfg, &g_o, text, big, "t.yaml"), PA_EINVALDATA);
    ASSERT_STR_HAS(err(), "larger than 1024 KiB");
    const char *path = pa_test_tmp("big.yaml");
    write_file(path, text, big);
    ASSERT_ERR(pa_config_load_file(g_cfg, &g_o, path), PA_EINVALDATA);
    write_file(path, text, big - 2); // just under the limit: fine (comments only)
    ASSERT_OK(pa_config_load_file(g_cfg, &g_o, path));
    free(text);
    ASSERT_ERR(pa_config_load_file(g_cfg, &g_o, pa_test_tmp("missing.yaml")), PA_ENOENT);
}

PA_TEST(values_convert_by_type)
{
    ASSERT_OK(load("driver:\n  loop: yes\n  fps: 24.5\n  seed: 4294967295\n"
                   "output:\n  size: 1280x720\n  specs: window\n"
                   "track:\n  select: central\n  backend: REF\n"
                   "animate:\n  follow: eyes, lips\n  absolute: On\n  eye_open: 0\n"
                   "run:\n  frames: 1000000000000\n  offline: on\n"
                   "portrait:\n  watch: \"\"\n"));
    ASSERT_EQ(g_o.pl.loop, 1);
    ASSERT_TRUE(g_o.pl.fps == 24.5);
    ASSERT_EQ(g_o.pl.seed, 4294967295u);
    ASSERT_EQ(g_o.pl.out_w, 1280);
    ASSERT_EQ(g_o.pl.out_h, 720);
    ASSERT_EQ(g_o.pl.n_outputs, 1); // a scalar is a one-item list
    ASSERT_EQ(g_o.pl.track.select, PA_FACE_CENTRAL);
    ASSERT_EQ(g_o.pl.track.backend, PA_NN_BACKEND_REF);
    ASSERT_EQ(g_o.pl.anim.follow, PA_FOLLOW_EYES | PA_FOLLOW_LIPS);
    ASSERT_EQ(g_o.pl.anim.absolute, 1);
    ASSERT_TRUE(g_o.pl.anim.eye_open_ratio == 0.0f);
    ASSERT_EQ(g_o.pl.frames, 1000000000000ll);
    ASSERT_EQ(g_o.pl.offline, 1);
    ASSERT_TRUE(g_o.pl.watch_dir == NULL);
    ASSERT_OK(load("track:\n  select: 3\nanimate:\n  follow: none\noutput:\n  size: auto\n"));
    ASSERT_EQ(g_o.pl.track.select, PA_FACE_INDEX);
    ASSERT_EQ(g_o.pl.track.select_index, 3);
    ASSERT_EQ(g_o.pl.anim.follow, 0);
    ASSERT_EQ(g_o.pl.out_w, 0);
    ASSERT_OK(load("animate:\n  follow: [all]\n"));
    ASSERT_EQ(g_o.pl.anim.follow, PA_FOLLOW_ALL);
    ASSERT_OK(load(""));
    ASSERT_OK(load("# only a comment\n"));
    ASSERT_OK(load("animate:\nrun: ~\n"));
}

/* One non-default value per option, by type (so each key is exercised by the round trip). */
static const char *other_value(const struct pa_config_option *opt, char *buf, size_t n)
{
    switch (opt->type) {
    case PA_CFG_BOOL:
        return strcmp(opt->def, "true") ? "true" : "false";
    case PA_CFG_INT:
    case PA_CFG_INT64:
    case PA_CFG_UINT32:
    case PA_CFG_FLOAT:
    case PA_CFG_DOUBLE:
        if (strstr(opt->range, "..")) {
            double lo = strtod(opt->range, NULL), hi = strtod(strstr(opt->range, "..") + 2, NULL);
            double v = opt->type >= PA_CFG_FLOAT ? lo + (hi - lo) * 0.3173 : floor((lo + hi) / 3);
            snprintf(buf, n, "%.17g", v);
            return buf;
        }
        return "468";
    case PA_CFG_ENUM: // the last choice, without its "=value"
        snprintf(buf, n, "%.*s", (int)strcspn(strrchr(opt->range, '|') + 1, "="),
                 strrchr(opt->range, '|') + 1);
        return buf;
    case PA_CFG_STRING:
        return "\"we\\\"ird: #path\\\\ caf\xC3\xA9 [x]\"";
    case PA_CFG_LIST:
        return "[\"a b.png\", 'c: d', \"#e\"]";
    case PA_CFG_SIZE:
        return "641x479";
    case PA_CFG_FLAGS:
        return "[eyes, lips]";
    case PA_CFG_SELECT:
        return "2";
    }
    return NULL;
}

static void roundtrip(const struct pa_live_opts *o)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ASSERT_TRUE(f != NULL);
    ASSERT_OK(pa_config_dump(o, f));
    fclose(f);
    struct pa_config *cfg;
    struct pa_live_opts back;
    ASSERT_OK(pa_config_create(&cfg));
    pa_config_defaults(&back);
    int ret = pa_config_load_string(cfg, &back, text, len, "dump.yaml");
    if (ret < 0)
        PA__FAIL("dump does not load: %s\n%s", pa_config_last_error(cfg), text);
    const struct pa_config_option *diff = NULL;
    if (!pa_config_equal(o, &back, &diff))
        PA__FAIL("%s.%s differs after dump -> load\n%s", diff->section, diff->key, text);
    pa_config_destroy(cfg);
    free(text);
}

PA_TEST(dump_load_round_trip)
{
    struct pa_config *cfg;
    struct pa_live_opts def, o;
    ASSERT_OK(pa_config_create(&cfg));
    pa_config_defaults(&def);
    roundtrip(&def);
    o = def;
    for (size_t i = 0; i < pa_config_count(); i++) {
        const struct pa_config_option *opt = pa_config_option_at(i);
        char val[128], set[256];
        snprintf(set, sizeof(set), "%s.%s=%s", opt->section, opt->key,
                 other_value(opt, val, sizeof(val)));
        struct pa_live_opts one = def;
        ASSERT_OK(pa_config_set(cfg, &one, set));
        const struct pa_config_option *diff = NULL;
        ASSERT_TRUE(!pa_config_equal(&def, &one, &diff)); // every key changes something ...
        ASSERT_TRUE(diff == opt);                         // ... and only its own field
        ASSERT_OK(pa_config_set(cfg, &o, set));
    }
    roundtrip(&o);
    // Floats that need all their digits, and a long list.
    o.pl.anim.expr_scale = 1.0f / 3.0f;
    o.pl.anim.yaw_mul = -2.9999998f;
    o.pl.fps = 29.97002997002997;
    o.pl.duration = 1e-9;
    for (int i = 0; i < PA_PIPELINE_MAX_PORTRAITS; i++)
        o.pl.portraits[i] = "x.png";
    o.pl.n_portraits = PA_PIPELINE_MAX_PORTRAITS;
    roundtrip(&o);
    pa_config_destroy(cfg);
}

PA_TEST(set_values)
{
    struct pa_config *cfg;
    struct pa_live_opts o;
    pa_log_set("quiet");
    ASSERT_OK(pa_config_create(&cfg));
    pa_config_defaults(&o);
    ASSERT_OK(pa_config_set(cfg, &o, "portrait.paths=[a.png, \"b c.png\"]"));
    ASSERT_EQ(o.pl.n_portraits, 2);
    ASSERT_TRUE(!strcmp(o.pl.portraits[1], "b c.png"));
    ASSERT_OK(pa_config_set(cfg, &o, "output.specs=file:out.mp4"));
    ASSERT_TRUE(o.pl.n_outputs == 1 && !strcmp(o.pl.outputs[0], "file:out.mp4"));
    ASSERT_OK(pa_config_set(cfg, &o, "control.token=abc#def"));
    ASSERT_TRUE(!strcmp(o.ctl.token, "abc#def"));
    ASSERT_OK(pa_config_set(cfg, &o, "control.token="));
    ASSERT_TRUE(o.ctl.token == NULL);
    ASSERT_ERR(pa_config_set(cfg, &o, "animate.expr_scal=1"), PA_EINVAL);
    ASSERT_STR_HAS(pa_config_last_error(cfg), "did you mean 'expr_scale'?");
    ASSERT_ERR(pa_config_set(cfg, &o, "animate.crop_scale=9"), PA_EINVAL);
    ASSERT_STR_HAS(pa_config_last_error(cfg), "animate.crop_scale: 9 is out of range 1.5..4");
    ASSERT_ERR(pa_config_set(cfg, &o, "expr_scale=1"), PA_EINVAL);
    ASSERT_ERR(pa_config_set(cfg, &o, "animate.expr_scale"), PA_EINVAL);
    ASSERT_ERR(pa_config_set(cfg, &o, "animate.expr_scale=a: b"), PA_EINVAL);
    ASSERT_ERR(pa_config_set(cfg, &o, "animate.expr_scale=1\n2"), PA_EINVAL);
    pa_config_destroy(cfg);
}

static int parse(struct pa_config *cfg, struct pa_live_opts *o, const char *const *args)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"live";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    return pa_config_parse_args(cfg, o, argc, argv);
}

PA_TEST(command_line_precedence)
{
    char dir[2048], path[4096];
    snprintf(dir, sizeof(dir), "%s", pa_test_tmp("cfgdir"));
    mkdir(dir, 0700);
    snprintf(path, sizeof(path), "%s/main.yaml", dir);
    const char *main_yaml = "portrait:\n  paths: [a.png, b.png]\ndriver:\n  fps: 25\n"
                            "animate:\n  expr_scale: 1.1\n  yaw_mul: 0.5\n";
    write_file(path, main_yaml, strlen(main_yaml));
    char local[4096];
    snprintf(local, sizeof(local), "%s/config_local.yaml", dir);
    const char *local_yaml = "driver:\n  fps: 24\nanimate:\n  expr_scale: 1.2\n  pitch_mul: 0.7\n";
    write_file(local, local_yaml, strlen(local_yaml));

    struct pa_config *cfg;
    struct pa_live_opts o;
    ASSERT_OK(pa_config_create(&cfg));
    // Flags first, --config last: the order on the command line does not matter.
    const char *args[] = {"--expr-scale",
                          "1.4",
                          "--set",
                          "animate.expr_scale=1.3",
                          "-s",
                          "c.png",
                          "-sd.png",
                          "--set=driver.fps=20",
                          "--offline",
                          "--loop",
                          "--size=320x240",
                          "--no-smooth",
                          "-o",
                          "file:x.mp4",
                          "--config",
                          path,
                          NULL};
    ASSERT_OK(parse(cfg, &o, args));
    ASSERT_NEAR(o.pl.anim.expr_scale, 1.4, 1e-6); // flag > --set > local > file
    ASSERT_NEAR(o.pl.anim.pitch_mul, 0.7, 1e-6);  // local overlay
    ASSERT_NEAR(o.pl.anim.yaw_mul, 0.5, 1e-6);    // file
    ASSERT_TRUE(o.pl.fps == 20.0);                // --set > local
    ASSERT_EQ(o.pl.n_portraits, 2);               // -s replaced the file's list, then appended
    ASSERT_TRUE(!strcmp(o.pl.portraits[0], "c.png") && !strcmp(o.pl.portraits[1], "d.png"));
    ASSERT_EQ(o.pl.offline, 1);
    ASSERT_EQ(o.pl.loop, 1);
    ASSERT_EQ(o.pl.out_w, 320);
    ASSERT_EQ(o.pl.track.smooth, 0);
    ASSERT_OK(pa_config_finish(&o, PA_CONFIG_NEED_IO));

    // Without --config, config_local.yaml is looked for in the working directory.
    char cwd[4096];
    ASSERT_TRUE(getcwd(cwd, sizeof(cwd)) != NULL);
    ASSERT_EQ(chdir(dir), 0);
    const char *none[] = {NULL};
    int ret = parse(cfg, &o, none);
    ASSERT_EQ(chdir(cwd), 0);
    ASSERT_OK(ret);
    ASSERT_NEAR(o.pl.anim.expr_scale, 1.2, 1e-6);
    ASSERT_EQ(o.pl.n_portraits, 0);
    pa_config_destroy(cfg);
}

PA_TEST(command_line_errors)
{
    struct pa_config *cfg;
    struct pa_live_opts o;
    pa_log_set("quiet");
    ASSERT_OK(pa_config_create(&cfg));
    const char *help[] = {"--fps", "30", "--help", NULL};
    ASSERT_EQ(parse(cfg, &o, help), PA_CONFIG_HELP);
    const char *typo[] = {"--expr-scal", "1", NULL};
    ASSERT_ERR(parse(cfg, &o, typo), PA_EINVAL);
    ASSERT_STR_HAS(pa_config_last_error(cfg), "unknown option '--expr-scal' (did you mean "
                                              "'--expr-scale'?)");
    const char *range[] = {"--crop-scale", "9", NULL};
    ASSERT_ERR(parse(cfg, &o, range), PA_EINVAL);
    ASSERT_STR_HAS(pa_config_last_error(cfg), "--crop-scale: 9 is out of range 1.5..4");
    const char *missing[] = {"--fps", NULL};
    ASSERT_ERR(parse(cfg, &o, missing), PA_EINVAL);
    ASSERT_STR_HAS(pa_config_last_error(cfg), "--fps needs a value");
    const char *positional[] = {"portrait.png", NULL};
    ASSERT_ERR(parse(cfg, &o, positional), PA_EINVAL);
    const char *twice[] = {"--config", "a", "--config", "b", NULL};
    ASSERT_ERR(parse(cfg, &o, twice), PA_EINVAL);
    const char *novalue[] = {"--offline=yes", NULL};
    ASSERT_ERR(parse(cfg, &o, novalue), PA_EINVAL);
    const char *nofile[] = {"--config", "/nonexistent/panim.yaml", NULL};
    ASSERT_ERR(parse(cfg, &o, nofile), PA_ENOENT);
    const char *bad_set[] = {"--set", "run.status=-1", NULL};
    ASSERT_ERR(parse(cfg, &o, bad_set), PA_EINVAL);
    const char *too_many[] = {"-o", "1", "-o", "2", "-o", "3", "-o", "4", "-o", "5",
                              "-o", "6", "-o", "7", "-o", "8", "-o", "9", NULL};
    ASSERT_ERR(parse(cfg, &o, too_many), PA_EINVAL);
    ASSERT_STR_HAS(pa_config_last_error(cfg), "too many items (at most 8)");
    pa_config_destroy(cfg);
}

PA_TEST(finish_rules)
{
    struct pa_config *cfg;
    struct pa_live_opts o;
    pa_log_set("quiet");
    ASSERT_OK(pa_config_create(&cfg));
    const char *file_job[] = {"-s", "p.png", "-d", "in.mp4", "-o", "file:out.mp4", NULL};
    ASSERT_OK(parse(cfg, &o, file_job));
    ASSERT_OK(pa_config_finish(&o, PA_CONFIG_NEED_IO));
    ASSERT_EQ(o.pl.offline, 1);
    const char *live_job[] = {"-s", "p.png", "-d", "webcam", "-o", "file:out.mp4", NULL};
    ASSERT_OK(parse(cfg, &o, live_job));
    ASSERT_OK(pa_config_finish(&o, PA_CONFIG_NEED_IO));
    ASSERT_EQ(o.pl.offline, 0);
    const char *rt[] = {"-s", "p.png", "-d", "in.mp4", "-o", "file:o.mp4", "--realtime", NULL};
    ASSERT_OK(parse(cfg, &o, rt));
    ASSERT_OK(pa_config_finish(&o, PA_CONFIG_NEED_IO));
    ASSERT_EQ(o.pl.offline, 0);
    const char *no_out[] = {"-s", "p.png", NULL};
    ASSERT_OK(parse(cfg, &o, no_out));
    ASSERT_ERR(pa_config_finish(&o, PA_CONFIG_NEED_IO), PA_EINVAL);
    ASSERT_OK(pa_config_finish(&o, 0));
    const char *open_bind[] = {"--control-port", "8080", "--control-bind", "0.0.0.0", NULL};
    ASSERT_OK(parse(cfg, &o, open_bind));
    ASSERT_ERR(pa_config_finish(&o, 0), PA_EINVAL);
    const char *with_token[] = {
        "--control-port", "8080", "--control-bind", "0.0.0.0", "--control-token", "s3cret", NULL};
    ASSERT_OK(parse(cfg, &o, with_token));
    ASSERT_OK(pa_config_finish(&o, 0));
    const char *loop6[] = {"--control-port", "8080", "--control-bind", "::1", NULL};
    ASSERT_OK(parse(cfg, &o, loop6));
    ASSERT_OK(pa_config_finish(&o, 0));
    pa_config_destroy(cfg);
}

PA_TEST(docs_match_the_committed_file)
{
    const char *src = getenv("PA_SOURCE_DIR");
    if (!src)
        PA_SKIP("PA_SOURCE_DIR not set");
    char path[4096];
    snprintf(path, sizeof(path), "%s/docs/CONFIG.md", src);
    char *gen = NULL;
    size_t gen_len = 0;
    FILE *f = open_memstream(&gen, &gen_len);
    ASSERT_TRUE(f != NULL);
    ASSERT_OK(pa_config_docs(f));
    fclose(f);
    FILE *c = fopen(path, "rb");
    if (!c)
        PA__FAIL("%s is missing: run 'panim config docs > docs/CONFIG.md'", path);
    char *committed = malloc(gen_len + 2);
    ASSERT_TRUE(committed != NULL);
    size_t n = fread(committed, 1, gen_len + 1, c);
    fclose(c);
    if (n != gen_len || memcmp(committed, gen, gen_len))
        PA__FAIL("docs/CONFIG.md is stale: run 'panim config docs > docs/CONFIG.md'");
    // Every key is documented.
    for (size_t i = 0; i < pa_config_count(); i++) {
        char row[128];
        snprintf(row, sizeof(row), "| `%s` |", pa_config_option_at(i)->key);
        ASSERT_STR_HAS(gen, row);
    }
    free(committed);
    free(gen);
}

PA_TEST(suggestions)
{
    static const char *const c[] = {"expr_scale", "yaw_mul", "pitch_mul", "crop_size"};
    ASSERT_TRUE(!strcmp(pa_config_suggest("expr_scal", c, 4), "expr_scale"));
    ASSERT_TRUE(!strcmp(pa_config_suggest("EXPR_SCALE", c, 4), "expr_scale"));
    ASSERT_TRUE(!strcmp(pa_config_suggest("yawmul", c, 4), "yaw_mul"));
    ASSERT_TRUE(pa_config_suggest("zzz", c, 4) == NULL);
    ASSERT_TRUE(pa_config_suggest("", c, 4) == NULL);
}

/* Deterministic mutations of the example file: every outcome is 0 or a clean error, and
 * whatever loads survives dump -> load unchanged. */
PA_TEST(mutation_smoke)
{
    pa_log_set("quiet");
    const char *base = "portrait:\n  paths: [a.png, \"b.jpg\"]\n  watch: ~\n"
                       "driver:\n  source: webcam\n  fps: 30\noutput:\n  specs:\n    - window\n"
                       "  size: 640x480\ntrack:\n  select: central\n  landmarks: 468\n"
                       "animate:\n  follow: [pose, eyes]\n  expr_scale: 1.5\n  method: static\n"
                       "control:\n  token: 'x y'\n";
    static const char inject[] = "[]{}:,-#&*!|>'\"%@`? \n\t~0x\xC3\xA9\xFF";
    size_t len = strlen(base);
    char buf[1024];
    uint32_t rng = 12345;
    int loaded = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, base, len);
        size_t n = len;
        int edits = 1 + iter % 4;
        for (int e = 0; e < edits; e++) {
            rng = rng * 1664525u + 1013904223u;
            size_t pos = (rng >> 8) % n;
            int kind = (int)(rng >> 28) % 3;
            char ch = inject[(rng >> 16) % (sizeof(inject) - 1)];
            if (kind == 0) {
                buf[pos] = ch;
            } else if (kind == 1 && n + 1 < sizeof(buf)) {
                memmove(buf + pos + 1, buf + pos, n - pos);
                buf[pos] = ch;
                n++;
            } else if (n > 1) {
                memmove(buf + pos, buf + pos + 1, n - pos - 1);
                n--;
            }
        }
        pa_config_destroy(g_cfg);
        ASSERT_OK(pa_config_create(&g_cfg));
        pa_config_defaults(&g_o);
        int ret = pa_config_load_string(g_cfg, &g_o, buf, n, "m.yaml");
        ASSERT_TRUE(ret == 0 || ret == PA_EINVALDATA);
        if (ret == 0) {
            loaded++;
            roundtrip(&g_o);
        }
    }
    ASSERT_GT(loaded, 100); // the mutations are not all fatal, so round trips were tested
}

PA_TEST_MAIN()

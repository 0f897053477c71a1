/** @file
 * The HTTP control API (src/app/control*.c), its endpoints: /status, /metrics, /params,
 * /portrait, /calibrate, against a fake pipeline and a real socket client
 * (control_client.h). Abuse cases (auth, limits, junk) are in test_control_abuse.c.
 */
#include "pa_test.h"

#include <ctype.h>

#include "control_client.h"
#include "core/image.h"
#include "core/log.h"

#ifdef PA_TEST_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

/* ---- tests ------------------------------------------------------------------------------ */

PA_TEST(status_json)
{
    struct resp r;
    start(NULL);
    get("/status", &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_HAS(r.head, "application/json");
#ifdef PA_TEST_HAVE_CJSON
    cJSON *j = cJSON_Parse(r.body);
    ASSERT_TRUE(j != NULL);
    ASSERT_NEAR(cJSON_GetObjectItem(j, "uptime_s")->valuedouble, 12.5, 1e-9);
    ASSERT_NEAR(cJSON_GetObjectItem(j, "fps_out")->valuedouble, 29.5, 1e-9);
    ASSERT_EQ(cJSON_GetObjectItem(j, "dropped")->valueint, 8);
    ASSERT_EQ(cJSON_GetObjectItem(j, "outputs_alive")->valueint, 2);
    cJSON *lat = cJSON_GetObjectItem(j, "latency_ms");
    ASSERT_NEAR(cJSON_GetObjectItem(lat, "p95")->valuedouble, 63.25, 1e-9);
    ASSERT_TRUE(!strcmp(cJSON_GetObjectItem(j, "portrait")->valuestring, "portraits/a \"b\".png"));
    cJSON_Delete(j);
#endif
    done(&r);
    stop();
}

/* One exposition line: # HELP / # TYPE, or name{label="v",...} value. */
static int prom_line_ok(const char *line, char *name, size_t n)
{
    if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7)) {
        const char *p = line + 7;
        size_t k = strcspn(p, " ");
        if (!k || k >= n || !p[k])
            return 0;
        if (!strncmp(line, "# TYPE ", 7)) {
            const char *t = p + k + 1;
            return !strcmp(t, "gauge") || !strcmp(t, "counter") || !strcmp(t, "summary") ||
                   !strcmp(t, "histogram") || !strcmp(t, "untyped");
        }
        return 1;
    }
    const char *p = line;
    if (!(isalpha((unsigned char)*p) || *p == '_' || *p == ':'))
        return 0;
    while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
        p++;
    snprintf(name, n, "%.*s", (int)(p - line), line);
    if (*p == '{') {
        p++;
        while (*p != '}') {
            if (!(isalpha((unsigned char)*p) || *p == '_'))
                return 0;
            while (isalnum((unsigned char)*p) || *p == '_')
                p++;
            if (*p++ != '=' || *p++ != '"')
                return 0;
            while (*p && *p != '"')
                p += *p == '\\' ? 2 : 1;
            if (*p++ != '"')
                return 0;
            if (*p == ',')
                p++;
            else if (*p != '}')
                return 0;
        }
        p++;
    }
    if (*p++ != ' ')
        return 0;
    if (!strcmp(p, "NaN") || !strcmp(p, "+Inf") || !strcmp(p, "-Inf"))
        return 1;
    char *end;
    strtod(p, &end);
    return end != p && *end == '\0';
}

static double metric_value(const char *text, const char *series)
{
    char pat[256];
    snprintf(pat, sizeof(pat), "\n%s ", series);
    const char *p = strstr(text, pat);
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

PA_TEST(metrics_are_prometheus_text)
{
    struct resp r;
    start(NULL);
    get("/metrics", &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_HAS(r.head, "text/plain; version=0.0.4");
    ASSERT_TRUE(r.len > 0 && r.body[r.len - 1] == '\n');
    char typed[64][64];
    int n_typed = 0, samples = 0;
    for (char *line = strtok(r.body, "\n"); line; line = strtok(NULL, "\n")) {
        char name[128];
        if (!prom_line_ok(line, name, sizeof(name)))
            PA__FAIL("not a Prometheus line: '%s'", line);
        if (!strncmp(line, "# TYPE ", 7)) {
            ASSERT_TRUE(n_typed < 64);
            snprintf(typed[n_typed++], 64, "%.*s", (int)strcspn(line + 7, " "), line + 7);
        } else if (line[0] != '#') {
            int found = 0; // every sample follows the TYPE line of its family
            for (int i = 0; i < n_typed; i++)
                found |= !strcmp(typed[i], name);
            if (!found)
                PA__FAIL("sample '%s' has no # TYPE", line);
            samples++;
        }
        line[strlen(line)] = '\n'; // undo strtok for the value lookups below
    }
    ASSERT_GT(samples, 15);
    ASSERT_NEAR(metric_value(r.body, "panim_fps_in"), 30.25, 1e-9);
    ASSERT_NEAR(metric_value(r.body, "panim_fps_out"), 29.5, 1e-9);
    ASSERT_NEAR(metric_value(r.body, "panim_latency_ms{quantile=\"0.5\"}"), 41.5, 1e-9);
    ASSERT_NEAR(metric_value(r.body, "panim_latency_ms{quantile=\"0.95\"}"), 63.25, 1e-9);
    ASSERT_NEAR(metric_value(r.body, "panim_frames_total"), 369, 0);
    ASSERT_NEAR(metric_value(r.body, "panim_dropped_frames_total"), 8, 0);
    ASSERT_NEAR(metric_value(r.body, "panim_stage_ms{stage=\"track\",quantile=\"0.95\"}"), 12, 0);
    ASSERT_NEAR(metric_value(r.body, "panim_rss_bytes"), 100.5 * 1048576, 0);
    ASSERT_NEAR(metric_value(r.body, "panim_portrait_switches_total{result=\"ok\"}"), 3, 0);
    ASSERT_NEAR(metric_value(r.body, "panim_portrait_switches_total{result=\"refused\"}"), 1, 0);
    done(&r);
    stop();
}

PA_TEST(params_get_and_post)
{
    struct resp r;
    start(NULL);
    get("/params", &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_HAS(r.body, "\"expr_scale\":1");
    ASSERT_HAS(r.body, "\"method\":\"mesh\"");
    ASSERT_HAS(r.body, "\"follow\":[\"pose\",\"expression\",\"eyes\",\"lips\"]");
    done(&r);
    post_json("/params",
              "{\"expr_scale\": 1.5, \"method\": \"affine2d\", \"absolute\": true, "
              "\"follow\": [\"pose\", \"eyes\"], \"crop_size\": 384}",
              &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_HAS(r.body, "\"expr_scale\":1.5");
    done(&r);
    ASSERT_TRUE(snap().params.expr_scale == 1.5f);
    ASSERT_EQ(snap().params.method, PA_ANIM_AFFINE2D);
    ASSERT_EQ(snap().params.absolute, 1);
    ASSERT_EQ(snap().params.follow, PA_FOLLOW_POSE | PA_FOLLOW_EYES);
    ASSERT_EQ(snap().params.crop_size, 384);
    // curl -d sends form encoding by default: the body is JSON all the same.
    http("POST", "/params", "Content-Type: application/x-www-form-urlencoded\r\n",
         "{\"yaw_mul\":-1}", 14, &r);
    ASSERT_EQ(r.status, 200);
    done(&r);
    ASSERT_TRUE(snap().params.yaw_mul == -1.0f);
    stop();
}

PA_TEST(params_errors_name_the_field_and_change_nothing)
{
    static const struct {
        const char *body, *field, *msg;
    } bad[] = {
        {"{\"expr_scale\": 2, \"crop_scale\": 9}", "crop_scale", "9 is out of range 1.5..4"},
        {"{\"expr_scal\": 1}", "expr_scal", "did you mean 'expr_scale'?"},
        {"{\"threads\": 2}", "threads", "cannot change while running"},
        {"{\"crop_size\": 512.5}", "crop_size", "is not an integer"},
        {"{\"method\": \"warp\"}", "method", "is not one of mesh, affine2d, static"},
        {"{\"follow\": [\"pose\", 3]}", "follow", "list"},
        {"{\"expr_scale\": {\"a\": 1}}", "expr_scale", "object"},
        {"{\"expr_scale\": null}", "expr_scale", "needs a value"},
        {"{\"expr_scale\": [1]}", "expr_scale", "found a list"},
        {"{\"absolute\": \"maybe\"}", "absolute", "not true or false"},
        {"[1, 2]", NULL, "JSON object"},
        {"{\"expr_scale\": ", NULL, "JSON object"},
        {"", NULL, "JSON object"},
    };
    struct resp r;
    start(NULL);
    pa_log_set("quiet");
    struct pa_anim_params before = snap().params;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        post_json("/params", bad[i].body, &r);
        if (r.status != 400)
            PA__FAIL("case %zu: status %d for %s", i, r.status, bad[i].body);
        ASSERT_HAS(r.body, bad[i].msg);
        if (bad[i].field) {
            char want[96];
            snprintf(want, sizeof(want), "\"field\":\"%s\"", bad[i].field);
            ASSERT_HAS(r.body, want);
        }
        done(&r);
    }
    struct pa_anim_params after = snap().params;
    ASSERT_EQ(memcmp(&before, &after, sizeof(before)), 0); // all or nothing
    stop();
}

PA_TEST(portrait_by_path)
{
    struct resp r;
    start(NULL);
    const char *png = pa_test_tmp("p.png");
    struct pa_image img;
    ASSERT_OK(pa_image_alloc(&img, 8, 8, PA_PIX_RGB24));
    ASSERT_OK(pa_image_save(&img, png, 90));
    pa_image_free(&img);
    char body[4200];
    snprintf(body, sizeof(body), "{\"path\": \"%s\"}", png);
    post_json("/portrait", body, &r);
    ASSERT_EQ(r.status, 202);
    done(&r);
    ASSERT_TRUE(!strcmp(snap().last_path, png));
    post_json("/portrait", "{\"path\": \"/nonexistent/x.png\"}", &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_HAS(r.body, "no such file");
    done(&r);
    post_json("/portrait", "{\"file\": 1}", &r);
    ASSERT_EQ(r.status, 400);
    done(&r);
    pthread_mutex_lock(&g_fake.mu);
    g_fake.switch_ret = PA_EINVAL; // the pipeline refuses
    pthread_mutex_unlock(&g_fake.mu);
    post_json("/portrait", body, &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_HAS(r.body, "refused");
    done(&r);
    ASSERT_EQ(snap().switches, 2);
    stop();
}

PA_TEST(portrait_upload)
{
    struct resp r;
    start(NULL);
    const char *png = pa_test_tmp("u.png");
    struct pa_image img;
    ASSERT_OK(pa_image_alloc(&img, 32, 24, PA_PIX_RGB24));
    memset(img.data, 200, (size_t)img.stride * 24);
    ASSERT_OK(pa_image_save(&img, png, 90));
    pa_image_free(&img);
    FILE *f = fopen(png, "rb");
    ASSERT_TRUE(f != NULL);
    unsigned char bytes[8192];
    size_t n = fread(bytes, 1, sizeof(bytes), f);
    fclose(f);
    ASSERT_GT(n, 8);
    http("POST", "/portrait", "Content-Type: image/png\r\n", bytes, n, &r);
    ASSERT_EQ(r.status, 202);
    done(&r);
    ASSERT_EQ(snap().last_size, n); // the pipeline got a file with exactly these bytes
    ASSERT_EQ(memcmp(snap().last_bytes, bytes, PA_MIN(n, sizeof(snap().last_bytes))), 0);
    // Exactly at the 20 MiB limit: streamed to the file, accepted.
    size_t at_limit = PA_CONTROL_MAX_IMAGE;
    unsigned char *huge = malloc(at_limit);
    ASSERT_TRUE(huge != NULL);
    memset(huge, 0x5A, at_limit);
    memcpy(huge, bytes, 8);
    http("POST", "/portrait", "Content-Type: image/png\r\n", huge, at_limit, &r);
    free(huge);
    ASSERT_EQ(r.status, 202);
    done(&r);
    ASSERT_EQ(snap().last_size, at_limit);
    char kept[4096];
    snprintf(kept, sizeof(kept), "%s", snap().last_path);
    ASSERT_EQ(access(kept, R_OK), 0);
    // Not an image, the wrong type, nothing at all.
    http("POST", "/portrait", "Content-Type: image/jpeg\r\n", "hello", 5, &r);
    ASSERT_EQ(r.status, 400);
    done(&r);
    http("POST", "/portrait", "Content-Type: image/gif\r\n", "GIF89a", 6, &r);
    ASSERT_EQ(r.status, 415);
    done(&r);
    http("POST", "/portrait", "Content-Type: image/png\r\n", NULL, 0, &r);
    ASSERT_EQ(r.status, 400);
    done(&r);
    ASSERT_EQ(snap().switches, 2);
    stop();
    ASSERT_TRUE(access(kept, F_OK) != 0); // stop deletes the uploads
}

PA_TEST_MAIN()

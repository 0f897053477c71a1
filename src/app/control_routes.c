/** @file
 * What each control endpoint answers (control.c does the HTTP). JSON through cJSON;
 * /params values go through the config option table (pa_config_apply), so the API accepts
 * exactly what a config file accepts, with the same messages. /metrics is the Prometheus
 * text exposition format 0.0.4: "# HELP", "# TYPE", then `name{label="v"} value` lines.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/config.h"
#include "app/config_impl.h"
#include "app/control_impl.h"
#include "core/mem.h"

static void reply_text(struct pa_control_reply *rep, int status, const char *type, const char *text)
{
    size_t len = strlen(text);
    rep->status = status;
    rep->type = type;
    rep->body = pa_malloc(len + 1);
    rep->len = rep->body ? len : 0;
    if (rep->body)
        memcpy(rep->body, text, len + 1);
}

/* Serialise and free `json`; a failure to print becomes a 500. */
static void reply_json(struct pa_control_reply *rep, int status, cJSON *json)
{
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;
    cJSON_Delete(json);
    if (!text) {
        reply_text(rep, 500, "application/json", "{\"error\":\"out of memory\"}");
        return;
    }
    reply_text(rep, status, "application/json", text);
    cJSON_free(text);
}

void pa_control_error(struct pa_control_reply *rep, int status, const char *field, const char *fmt,
                      ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cJSON *j = cJSON_CreateObject();
    if (j) {
        cJSON_AddStringToObject(j, "error", msg);
        if (field)
            cJSON_AddStringToObject(j, "field", field);
    }
    reply_json(rep, status, j);
}

void pa_control_get_status(struct pa_control *c, struct pa_control_reply *rep)
{
    struct pa_pipeline_status st;
    memset(&st, 0, sizeof(st));
    c->ops->get_status(c->ctx, &st);
    st.portrait[sizeof(st.portrait) - 1] = '\0';
    // cJSON's Add* functions accept NULL parents, so an allocation failure only loses fields.
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "uptime_s", st.uptime_s);
    cJSON_AddNumberToObject(j, "fps_in", st.fps_in);
    cJSON_AddNumberToObject(j, "fps_out", st.fps_out);
    cJSON *lat = cJSON_AddObjectToObject(j, "latency_ms");
    cJSON_AddNumberToObject(lat, "p50", st.lat_p50);
    cJSON_AddNumberToObject(lat, "p95", st.lat_p95);
    cJSON_AddNumberToObject(lat, "max", st.lat_max);
    cJSON *stage = cJSON_AddObjectToObject(j, "stage_ms");
    cJSON *trk = cJSON_AddObjectToObject(stage, "track");
    cJSON_AddNumberToObject(trk, "p50", st.track_p50);
    cJSON_AddNumberToObject(trk, "p95", st.track_p95);
    cJSON *anim = cJSON_AddObjectToObject(stage, "animate");
    cJSON_AddNumberToObject(anim, "p50", st.anim_p50);
    cJSON_AddNumberToObject(anim, "p95", st.anim_p95);
    cJSON_AddNumberToObject(j, "frames_in", (double)st.frames_in);
    cJSON_AddNumberToObject(j, "frames_out", (double)st.frames_out);
    cJSON_AddNumberToObject(j, "dropped", (double)st.dropped);
    cJSON_AddNumberToObject(j, "cpu_percent", st.cpu_percent);
    cJSON_AddNumberToObject(j, "rss_mib", st.rss_mib);
    cJSON_AddStringToObject(j, "portrait", st.portrait);
    cJSON_AddNumberToObject(j, "outputs_alive", st.outputs_alive);
    cJSON *sw = cJSON_AddObjectToObject(j, "portrait_switches");
    cJSON_AddNumberToObject(sw, "ok", st.switches_ok);
    cJSON_AddNumberToObject(sw, "refused", st.switches_failed);
    reply_json(rep, 200, j);
}

/* ---- /metrics --------------------------------------------------------------------------- */

struct text {
    char *buf;
    size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) PA_PRINTF(2, 3);

static void add(struct text *t, const char *fmt, ...)
{
    if (!t->buf || t->len >= t->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len = w < 0 ? t->cap : PA_MIN(t->cap, t->len + (size_t)w);
}

/* A sample value: Prometheus spells the non-finite ones NaN, +Inf, -Inf. */
static const char *num(double v, char *buf, size_t n)
{
    if (isnan(v))
        return "NaN";
    if (isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    snprintf(buf, n, "%.9g", v);
    return buf;
}

static void metric(struct text *t, const char *name, const char *type, const char *help)
{
    add(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void pa_control_get_metrics(struct pa_control *c, struct pa_control_reply *rep)
{
    struct pa_pipeline_status st;
    memset(&st, 0, sizeof(st));
    c->ops->get_status(c->ctx, &st);
    struct text t = {pa_malloc(8192), 0, 8192};
    char b[5][40];
    metric(&t, "panim_uptime_seconds", "gauge", "Seconds since the pipeline started.");
    add(&t, "panim_uptime_seconds %s\n", num(st.uptime_s, b[0], 40));
    metric(&t, "panim_fps_in", "gauge", "Driver frames per second captured.");
    add(&t, "panim_fps_in %s\n", num(st.fps_in, b[0], 40));
    metric(&t, "panim_fps_out", "gauge", "Frames per second written to the outputs.");
    add(&t, "panim_fps_out %s\n", num(st.fps_out, b[0], 40));
    metric(&t, "panim_latency_ms", "gauge", "Capture-to-output latency in milliseconds.");
    add(&t,
        "panim_latency_ms{quantile=\"0.5\"} %s\npanim_latency_ms{quantile=\"0.95\"} %s\n"
        "panim_latency_ms{quantile=\"1\"} %s\n",
        num(st.lat_p50, b[0], 40), num(st.lat_p95, b[1], 40), num(st.lat_max, b[2], 40));
    metric(&t, "panim_stage_ms", "gauge", "Time per frame spent in a pipeline stage, ms.");
    add(&t,
        "panim_stage_ms{stage=\"track\",quantile=\"0.5\"} %s\n"
        "panim_stage_ms{stage=\"track\",quantile=\"0.95\"} %s\n"
        "panim_stage_ms{stage=\"animate\",quantile=\"0.5\"} %s\n"
        "panim_stage_ms{stage=\"animate\",quantile=\"0.95\"} %s\n",
        num(st.track_p50, b[0], 40), num(st.track_p95, b[1], 40), num(st.anim_p50, b[2], 40),
        num(st.anim_p95, b[3], 40));
    metric(&t, "panim_frames_in_total", "counter", "Driver frames captured.");
    add(&t, "panim_frames_in_total %lld\n", (long long)st.frames_in);
    metric(&t, "panim_frames_total", "counter", "Frames written to the outputs.");
    add(&t, "panim_frames_total %lld\n", (long long)st.frames_out);
    metric(&t, "panim_dropped_frames_total", "counter", "Frames dropped to keep latency low.");
    add(&t, "panim_dropped_frames_total %lld\n", (long long)st.dropped);
    metric(&t, "panim_outputs_alive", "gauge", "Outputs still running.");
    add(&t, "panim_outputs_alive %d\n", st.outputs_alive);
    metric(&t, "panim_cpu_percent", "gauge", "Process CPU use, percent of one core.");
    add(&t, "panim_cpu_percent %s\n", num(st.cpu_percent, b[0], 40));
    metric(&t, "panim_rss_bytes", "gauge", "Resident memory of the process in bytes.");
    add(&t, "panim_rss_bytes %s\n", num(floor(st.rss_mib * 1048576.0), b[0], 40));
    metric(&t, "panim_portrait_switches_total", "counter", "Portrait switches by result.");
    add(&t,
        "panim_portrait_switches_total{result=\"ok\"} %d\n"
        "panim_portrait_switches_total{result=\"refused\"} %d\n",
        st.switches_ok, st.switches_failed);
    if (!t.buf || t.len >= t.cap) {
        pa_free(t.buf);
        pa_control_error(rep, 500, NULL, "metrics do not fit");
        return;
    }
    rep->status = 200;
    rep->type = "text/plain; version=0.0.4; charset=utf-8";
    rep->body = t.buf;
    rep->len = t.len;
}

/* ---- /params ---------------------------------------------------------------------------- */

static cJSON *param_json(const struct pa_live_opts *o, const struct pa_config_option *opt)
{
    char text[128], name[64];
    if (pa_config_format(o, opt, text, sizeof(text)) < 0)
        return NULL;
    switch (opt->type) {
    case PA_CFG_BOOL:
        return cJSON_CreateBool(!strcmp(text, "true"));
    case PA_CFG_ENUM:
        return cJSON_CreateString(text);
    case PA_CFG_FLAGS: {
        cJSON *arr = cJSON_CreateArray();
        const char *cur = opt->range;
        long long bit;
        unsigned bits = *(const unsigned *)pa_config_at(o, opt->off);
        for (int i = 0; arr && pa_config_next_choice(&cur, i, name, sizeof(name), &bit); i++)
            if (bits & (unsigned)bit)
                cJSON_AddItemToArray(arr, cJSON_CreateString(name));
        return arr;
    }
    default:
        return cJSON_CreateRaw(text); // numbers: the shortest exact decimal form
    }
}

static cJSON *params_json(const struct pa_anim_params *ap)
{
    struct pa_live_opts o;
    memset(&o, 0, sizeof(o));
    o.pl.anim = *ap;
    cJSON *j = cJSON_CreateObject();
    for (size_t i = 0; j && i < pa_config_count(); i++) {
        const struct pa_config_option *opt = pa_config_option_at(i);
        if (pa_config_is_param(opt))
            cJSON_AddItemToObject(j, opt->key, param_json(&o, opt));
    }
    return j;
}

void pa_control_get_params(struct pa_control *c, struct pa_control_reply *rep)
{
    struct pa_anim_params ap;
    c->ops->get_params(c->ctx, &ap);
    reply_json(rep, 200, params_json(&ap));
}

/* Apply one JSON member to o through the table. @return 0, or an error reply was made. */
static int apply_member(struct pa_live_opts *o, const cJSON *m, struct pa_control_reply *rep)
{
    const char *key = m->string;
    const struct pa_config_option *opt = pa_config_find("animate", key);
    if (!opt || !pa_config_is_param(opt)) {
        const char *cands[64];
        size_t n = 0;
        for (size_t i = 0; i < pa_config_count() && n < PA_ARRAY_SIZE(cands); i++)
            if (pa_config_is_param(pa_config_option_at(i)))
                cands[n++] = pa_config_option_at(i)->key;
        const char *best = opt ? NULL : pa_config_suggest(key, cands, n);
        char q[64];
        pa_config_quote(key, q, sizeof(q));
        if (opt)
            pa_control_error(rep, 400, key, "'%s' cannot change while running", q);
        else if (best)
            pa_control_error(rep, 400, key, "unknown field '%s' (did you mean '%s'?)", q, best);
        else
            pa_control_error(rep, 400, key, "unknown field '%s'", q);
        return -1;
    }
    char num[64];
    const char *items[16];
    struct pa_config_value v = {PA_CFG_VAL_SCALAR, NULL, NULL, 0};
    if (cJSON_IsString(m)) {
        v.text = m->valuestring;
    } else if (cJSON_IsNumber(m)) {
        snprintf(num, sizeof(num), "%.17g", m->valuedouble);
        v.text = num;
    } else if (cJSON_IsBool(m)) {
        v.text = cJSON_IsTrue(m) ? "true" : "false";
    } else if (cJSON_IsNull(m)) {
        v.kind = PA_CFG_VAL_NULL;
    } else if (cJSON_IsArray(m) && opt->type != PA_CFG_FLAGS) {
        pa_control_error(rep, 400, key, "animate.%s: expected one value, found a list", key);
        return -1;
    } else if (cJSON_IsArray(m)) {
        v.kind = PA_CFG_VAL_LIST;
        const cJSON *it;
        cJSON_ArrayForEach(it, m)
        {
            if (!cJSON_IsString(it) || v.n_items == PA_ARRAY_SIZE(items)) {
                pa_control_error(rep, 400, key, "%s: a list of at most 16 names is expected", key);
                return -1;
            }
            items[v.n_items++] = it->valuestring;
        }
        v.items = items;
    } else {
        pa_control_error(rep, 400, key, "animate.%s: expected a value, found an object", key);
        return -1;
    }
    char err[256];
    if (pa_config_apply(NULL, o, opt, &v, 0, err, sizeof(err)) < 0) {
        pa_control_error(rep, 400, key, "animate.%s: %s", key, err);
        return -1;
    }
    return 0;
}

void pa_control_post_params(struct pa_control *c, const char *body, size_t len,
                            struct pa_control_reply *rep)
{
    cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        pa_control_error(rep, 400, NULL,
                         "the body must be a JSON object such as "
                         "{\"expr_scale\": 1.2}");
        return;
    }
    // Validate every member on a copy, then publish once: all or nothing.
    struct pa_live_opts o;
    memset(&o, 0, sizeof(o));
    c->ops->get_params(c->ctx, &o.pl.anim);
    const cJSON *m;
    cJSON_ArrayForEach(m, j)
    {
        if (apply_member(&o, m, rep) < 0) {
            cJSON_Delete(j);
            return;
        }
    }
    cJSON_Delete(j);
    c->ops->set_params(c->ctx, &o.pl.anim);
    reply_json(rep, 200, params_json(&o.pl.anim));
}

/* ---- /portrait, /calibrate -------------------------------------------------------------- */

static void switch_to(struct pa_control *c, const char *path, struct pa_control_reply *rep)
{
    int ret = c->ops->switch_portrait(c->ctx, path);
    if (ret < 0) {
        pa_control_error(rep, 400, NULL, "portrait switch refused: %s", pa_strerror(ret));
        return;
    }
    cJSON *j = cJSON_CreateObject();
    if (j) {
        cJSON_AddBoolToObject(j, "queued", 1);
        cJSON_AddStringToObject(j, "path", path);
    }
    reply_json(rep, 202, j); // the rig is built off the hot path; /status shows the result
}

void pa_control_post_portrait_json(struct pa_control *c, const char *body, size_t len,
                                   struct pa_control_reply *rep)
{
    cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "path");
    struct stat st;
    if (!cJSON_IsString(p) || !p->valuestring[0]) {
        pa_control_error(rep, 400, "path",
                         "send {\"path\": \"FILE\"} or the image bytes "
                         "with Content-Type image/png or image/jpeg");
    } else if (strlen(p->valuestring) >= 4096 ||
               pa_config_bad_text(p->valuestring, strlen(p->valuestring), 0)) {
        pa_control_error(rep, 400, "path", "path: too long, invalid UTF-8 or control characters");
    } else if (stat(p->valuestring, &st) < 0 || !S_ISREG(st.st_mode)) {
        char q[64];
        pa_config_quote(p->valuestring, q, sizeof(q));
        pa_control_error(rep, 400, "path", "path: no such file: %s", q);
    } else {
        switch_to(c, p->valuestring, rep);
    }
    cJSON_Delete(j);
}

static int is_image(const unsigned char *b, size_t n)
{
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    return (n >= 8 && !memcmp(b, png, 8)) ||
           (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF);
}

void pa_control_post_portrait_file(struct pa_control *c, char *path, struct pa_control_reply *rep)
{
    unsigned char head[8];
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        n = fread(head, 1, sizeof(head), f);
        fclose(f);
    }
    if (!is_image(head, n)) {
        pa_control_error(rep, 400, NULL, "the body is not a PNG or JPEG image");
    } else {
        switch_to(c, path, rep);
        if (rep->status == 202) {
            // Keep the file for the builder; forget the oldest upload instead.
            int k = c->next_upload;
            if (c->uploads[k]) {
                unlink(c->uploads[k]);
                pa_free(c->uploads[k]);
            }
            c->uploads[k] = path;
            c->next_upload = (k + 1) % PA_CONTROL_KEEP_UPLOADS;
            return;
        }
    }
    unlink(path);
    pa_free(path);
}

void pa_control_post_calibrate(struct pa_control *c, struct pa_control_reply *rep)
{
    c->ops->calibrate(c->ctx);
    reply_text(rep, 200, "application/json", "{\"calibrating\":true}");
}

/** @file
 * Test helper: read MediaPipe's own landmarks from the oracle JSON files in ../shared/oracle/
 * (format in its README.md) into flat float arrays. Needs cJSON (PA_TEST_HAVE_CJSON); without it
 * geo_oracle_load skips the calling test.
 */
#ifndef PA_TEST_GEO_ORACLE_H
#define PA_TEST_GEO_ORACLE_H

#include "pa_test.h"

#if PA_TEST_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

#define GEO_MAX_POINTS 478

/** Landmarks of every frame (or still) of one oracle file. */
struct geo_frames {
    int n;         ///< frames
    int *n_points; ///< per frame: 468 or 478 (0 where no face)
    float *lm;     ///< n × 478 × 3, landmark space (pixels, MediaPipe z)
    int *width;    ///< per frame image width
};

static inline float *geo_frame(const struct geo_frames *f, int i)
{
    return &f->lm[(size_t)i * GEO_MAX_POINTS * 3];
}

static inline void geo_frames_free(struct geo_frames *f)
{
    free(f->n_points);
    free(f->lm);
    free(f->width);
    memset(f, 0, sizeof(*f));
}

#if PA_TEST_HAVE_CJSON
static inline char *geo_slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    rewind(fp);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = 0;
    fclose(fp);
    return buf;
}

static inline void geo_read_points(const cJSON *pts, struct geo_frames *f, int i)
{
    int np = pts ? cJSON_GetArraySize(pts) : 0;
    if (np > GEO_MAX_POINTS)
        np = GEO_MAX_POINTS;
    f->n_points[i] = np;
    for (int k = 0; k < np; k++) {
        const cJSON *p = cJSON_GetArrayItem(pts, k);
        for (int j = 0; j < 3; j++)
            geo_frame(f, i)[3 * k + j] = (float)cJSON_GetArrayItem(p, j)->valuedouble;
    }
}
#endif

/**
 * Load an oracle file. rel is relative to the shared folder ("oracle/shared_lp_d3.json");
 * mode is "a" or "b" for still images (ignored for videos). Skips the test when the file or
 * cJSON is missing; fails it when the file is malformed.
 */
#define geo_oracle_load(rel, mode, out) geo_oracle_load_impl(pa_test_shared(rel), mode, out)

static inline void geo_oracle_load_impl(const char *path, const char *mode, struct geo_frames *f)
{
#if PA_TEST_HAVE_CJSON
    char *text = geo_slurp(path);
    if (!text)
        PA_SKIP("oracle file missing");
    cJSON *root = cJSON_Parse(text);
    free(text);
    ASSERT_TRUE(root != NULL);
    const cJSON *frames = cJSON_GetObjectItem(root, "frames");
    const cJSON *images = cJSON_GetObjectItem(root, "images");
    const cJSON *list = frames ? frames : images;
    ASSERT_TRUE(list != NULL);
    f->n = cJSON_GetArraySize(list);
    f->n_points = calloc((size_t)f->n, sizeof(int));
    f->width = calloc((size_t)f->n, sizeof(int));
    f->lm = calloc((size_t)f->n * GEO_MAX_POINTS * 3, sizeof(float));
    ASSERT_TRUE(f->n_points && f->width && f->lm);
    for (int i = 0; i < f->n; i++) {
        const cJSON *item = cJSON_GetArrayItem(list, i);
        const cJSON *w = cJSON_GetObjectItem(item, "width");
        f->width[i] = w ? w->valueint : 0;
        if (!frames)
            item = cJSON_GetObjectItem(item, mode);
        const cJSON *pts = item ? cJSON_GetObjectItem(item, "landmarks") : NULL;
        geo_read_points(cJSON_IsArray(pts) ? pts : NULL, f, i);
    }
    cJSON_Delete(root);
#else
    (void)path;
    (void)mode;
    (void)f;
    PA_SKIP("built without cJSON");
#endif
}

#endif /* PA_TEST_GEO_ORACLE_H */

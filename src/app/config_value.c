/** @file
 * Typed values of the option table: text -> field (pa_config_apply, with range and choice
 * checks and the messages users see), field -> YAML text (pa_config_format), comparison.
 *
 * Numbers are parsed with strtoll/strtod and must use the whole text; inf and nan are
 * refused. Floats are written with the fewest digits that read back to the same value
 * ("%.Nf" for N = 0.., else "%.Ng"), so dump -> load is exact and still readable.
 */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "app/config.h"
#include "app/config_impl.h"

#define PA_CFG_MAX_STRING 4096

static int fail(char *err, size_t n, const char *fmt, ...) PA_PRINTF(3, 4);

static int fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return PA_EINVAL;
}

/* A user's value made safe and short for a message (buf: 64 bytes). */
static const char *q(const char *s, char *buf)
{
    pa_config_quote(s, buf, 64);
    return buf;
}

static int parse_ll(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno)
        return PA_EINVAL;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || (errno && fabs(v) > 1.0))
        return PA_EINVAL;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < PA_ARRAY_SIZE(yes); i++) {
        if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
            *out = !strcasecmp(s, yes[i]);
            return 0;
        }
    }
    return PA_EINVAL;
}

/* Range "lo..hi" of an option; 0 when it has none (or it is a choice list). */
static int get_range(const struct pa_config_option *opt, double *lo, double *hi)
{
    const char *dots = opt->range ? strstr(opt->range, "..") : NULL;
    if (!dots)
        return 0;
    *lo = strtod(opt->range, NULL);
    *hi = strtod(dots + 2, NULL);
    return 1;
}

static int check_number(const struct pa_config_option *opt, const char *text, double v, char *err,
                        size_t n)
{
    char qb[64];
    double lo = 0.0, hi = 0.0;
    if (get_range(opt, &lo, &hi)) {
        if (v < lo || v > hi)
            return fail(err, n, "%s is out of range %s", q(text, qb), opt->range);
        return 0;
    }
    if (opt->range) { // an integer set such as "468|478"
        const char *cur = opt->range;
        char name[32], list[128];
        long long c;
        for (int i = 0; pa_config_next_choice(&cur, i, name, sizeof(name), &c); i++)
            if ((double)c == v)
                return 0;
        pa_config_choice_list(opt, list, sizeof(list));
        return fail(err, n, "%s is not one of %s", q(text, qb), list);
    }
    return 0;
}

static int find_choice(const struct pa_config_option *opt, const char *s, long long *value)
{
    const char *cur = opt->range;
    char name[64];
    for (int i = 0; pa_config_next_choice(&cur, i, name, sizeof(name), value); i++)
        if (!strcasecmp(name, s))
            return 0;
    return PA_EINVAL;
}

static int check_string(const char *s, char *err, size_t n)
{
    char qb[64];
    size_t len = strlen(s);
    if (len >= PA_CFG_MAX_STRING)
        return fail(err, n, "'%s' is too long (at most 4095 bytes)", q(s, qb));
    if (pa_config_bad_text(s, len, 0))
        return fail(err, n, "'%s' has a control character or invalid UTF-8", q(s, qb));
    return 0;
}

/* The scalar types (everything but LIST and FLAGS). */
static int apply_scalar(struct pa_config *cfg, struct pa_live_opts *o,
                        const struct pa_config_option *opt, const char *s, char *err, size_t n)
{
    char qb[64];
    void *p = pa_config_at(o, opt->off);
    long long ll;
    double d;
    char list[128];
    switch (opt->type) {
    case PA_CFG_BOOL:
        if (parse_bool(s, (int *)p) < 0)
            return fail(err, n, "'%s' is not true or false", q(s, qb));
        return 0;
    case PA_CFG_INT:
    case PA_CFG_INT64:
    case PA_CFG_UINT32:
        if (parse_ll(s, &ll) < 0)
            return fail(err, n, "'%s' is not an integer", q(s, qb));
        if (check_number(opt, s, (double)ll, err, n) < 0)
            return PA_EINVAL;
        if (opt->type == PA_CFG_INT)
            *(int *)p = (int)ll; // the table's ranges keep every int option inside int
        else if (opt->type == PA_CFG_INT64)
            *(int64_t *)p = ll;
        else
            *(uint32_t *)p = (uint32_t)ll;
        return 0;
    case PA_CFG_FLOAT:
    case PA_CFG_DOUBLE:
        if (parse_double(s, &d) < 0)
            return fail(err, n, "'%s' is not a number", q(s, qb));
        if (check_number(opt, s, d, err, n) < 0)
            return PA_EINVAL;
        if (opt->type == PA_CFG_FLOAT)
            *(float *)p = (float)d;
        else
            *(double *)p = d;
        return 0;
    case PA_CFG_ENUM:
        if (find_choice(opt, s, &ll) < 0) {
            pa_config_choice_list(opt, list, sizeof(list));
            return fail(err, n, "'%s' is not one of %s", q(s, qb), list);
        }
        *(int *)p = (int)ll;
        return 0;
    case PA_CFG_STRING:
        if (!*s) {
            if (strcmp(opt->def, "~"))
                return fail(err, n, "needs a value");
            *(const char **)p = NULL;
            return 0;
        }
        if (check_string(s, err, n) < 0)
            return PA_EINVAL;
        if (!cfg)
            return fail(err, n, "cannot store text here");
        if (!(*(const char **)p = pa_config_strdup(cfg, s, strlen(s))))
            return fail(err, n, "out of memory");
        return 0;
    case PA_CFG_SIZE: {
        int *w = p, *h = pa_config_at(o, opt->off2);
        if (!strcasecmp(s, "auto") || !strcmp(s, "0")) {
            *w = *h = 0;
            return 0;
        }
        const char *x = strpbrk(s, "xX");
        char wbuf[16];
        long long a, b;
        double lo = 0.0, hi = 0.0;
        if (!x || (size_t)(x - s) >= sizeof(wbuf))
            return fail(err, n, "'%s' is not WxH or auto", q(s, qb));
        memcpy(wbuf, s, (size_t)(x - s));
        wbuf[x - s] = '\0';
        if (parse_ll(wbuf, &a) < 0 || parse_ll(x + 1, &b) < 0)
            return fail(err, n, "'%s' is not WxH or auto", q(s, qb));
        get_range(opt, &lo, &hi);
        if (a < lo || a > hi || b < lo || b > hi)
            return fail(err, n, "%s is out of range %s per side", q(s, qb), opt->range);
        *w = (int)a;
        *h = (int)b;
        return 0;
    }
    case PA_CFG_SELECT: {
        int *sel = p, *idx = pa_config_at(o, opt->off2);
        if (!strcasecmp(s, "largest") || !strcasecmp(s, "central")) {
            *sel = !strcasecmp(s, "largest") ? PA_FACE_LARGEST : PA_FACE_CENTRAL;
            *idx = 0;
            return 0;
        }
        if (parse_ll(s, &ll) < 0)
            return fail(err, n, "'%s' is not largest, central or a face number", q(s, qb));
        if (check_number(opt, s, (double)ll, err, n) < 0)
            return PA_EINVAL;
        *sel = PA_FACE_INDEX;
        *idx = (int)ll;
        return 0;
    }
    case PA_CFG_LIST:
    case PA_CFG_FLAGS:
        break;
    }
    return PA_EBUG;
}

static int apply_flags(const struct pa_config_option *opt, unsigned *out,
                       const struct pa_config_value *v, char *err, size_t n)
{
    char qb[64];
    unsigned bits = 0;
    char item[64], list[128];
    for (size_t i = 0; v->kind == PA_CFG_VAL_LIST ? i < v->n_items : i < 1; i++) {
        // A scalar is "a, b, c"; a list holds one name per item (but commas work there too).
        const char *s = v->kind == PA_CFG_VAL_LIST ? v->items[i] : v->text;
        while (*s) {
            size_t len = strcspn(s, ",");
            const char *a = s, *b = s + len;
            while (a < b && (*a == ' ' || *a == '\t'))
                a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
            if ((size_t)(b - a) >= sizeof(item))
                return fail(err, n, "'%s' is not a known part", q(a, qb));
            memcpy(item, a, (size_t)(b - a));
            item[b - a] = '\0';
            long long bit;
            if (!strcasecmp(item, "all"))
                bits |= PA_FOLLOW_ALL;
            else if (strcasecmp(item, "none") && item[0]) {
                if (find_choice(opt, item, &bit) < 0) {
                    pa_config_choice_list(opt, list, sizeof(list));
                    return fail(err, n, "'%s' is not one of %s", q(item, qb), list);
                }
                bits |= (unsigned)bit;
            }
            s += len + (s[len] == ',');
        }
    }
    *out = bits;
    return 0;
}

static int apply_list(struct pa_config *cfg, struct pa_live_opts *o,
                      const struct pa_config_option *opt, const struct pa_config_value *v,
                      int append, char *err, size_t n)
{
    const char **arr = pa_config_at(o, opt->off);
    int *count = pa_config_at(o, opt->off2);
    const char *const *items = v->kind == PA_CFG_VAL_LIST ? v->items : &v->text;
    size_t n_items = v->kind == PA_CFG_VAL_LIST ? v->n_items : v->kind == PA_CFG_VAL_SCALAR;
    double lo = 0.0, hi = 0.0;
    get_range(opt, &lo, &hi);
    size_t start = append ? (size_t)*count : 0;
    if (n_items > (size_t)hi - start) {
        return fail(err, n, "too many items (at most %d)", (int)hi);
    }
    for (size_t i = 0; i < n_items; i++) { // validate everything before changing anything
        if (!items[i][0])
            return fail(err, n, "empty item");
        if (check_string(items[i], err, n) < 0)
            return PA_EINVAL;
    }
    if (n_items && !cfg)
        return fail(err, n, "cannot store text here");
    for (size_t i = 0; i < n_items; i++)
        if (!(arr[start + i] = pa_config_strdup(cfg, items[i], strlen(items[i]))))
            return fail(err, n, "out of memory");
    *count = (int)(start + n_items);
    return 0;
}

int pa_config_apply(struct pa_config *cfg, struct pa_live_opts *o,
                    const struct pa_config_option *opt, const struct pa_config_value *v, int append,
                    char *err, size_t errsz)
{
    err[0] = '\0';
    if (opt->type == PA_CFG_LIST)
        return apply_list(cfg, o, opt, v, append, err, errsz);
    if (opt->type == PA_CFG_FLAGS) {
        if (v->kind == PA_CFG_VAL_NULL)
            return fail(err, errsz, "needs a value (a list such as [pose, eyes])");
        return apply_flags(opt, pa_config_at(o, opt->off), v, err, errsz);
    }
    if (v->kind == PA_CFG_VAL_LIST)
        return fail(err, errsz, "expected one value, found a list");
    if (v->kind == PA_CFG_VAL_NULL) {
        if (opt->type == PA_CFG_STRING && !strcmp(opt->def, "~")) {
            *(const char **)pa_config_at(o, opt->off) = NULL;
            return 0;
        }
        return fail(err, errsz, "needs a value");
    }
    return apply_scalar(cfg, o, opt, v->text, err, errsz);
}

/* Does `text` load back as v? Floats are loaded as (float)strtod, so test exactly that:
 * strtof could round differently (double rounding). */
static int reads_back(const char *text, double v, int is_float)
{
    double d = strtod(text, NULL);
    return is_float ? (float)d == (float)v : d == v;
}

/* Shortest text that reads back as the same float (is_float) or double. */
static void format_real(double v, int is_float, char *buf, size_t n)
{
    int max = is_float ? 9 : 17;
    if (fabs(v) < 1e15) {
        for (int d = 0; d <= max; d++) {
            snprintf(buf, n, "%.*f", d, v);
            if (reads_back(buf, v, is_float))
                return;
        }
    }
    for (int d = 1; d <= max; d++) {
        snprintf(buf, n, "%.*g", d, v);
        if (reads_back(buf, v, is_float))
            return;
    }
}

/* pa_config_bad_text keeps control characters out of values: only " and \ need escapes. */
int pa_config_quote_yaml(const char *s, char *buf, size_t n, size_t *used)
{
    size_t j = *used;
    if (j + 1 >= n)
        return PA_EOVERFLOW;
    buf[j++] = '"';
    for (; *s; s++) {
        if (j + 3 >= n)
            return PA_EOVERFLOW;
        if (*s == '"' || *s == '\\')
            buf[j++] = '\\';
        buf[j++] = *s;
    }
    buf[j++] = '"';
    buf[j] = '\0';
    *used = j;
    return 0;
}

static const char *choice_name(const struct pa_config_option *opt, long long value, char *name,
                               size_t n)
{
    const char *cur = opt->range;
    long long v;
    for (int i = 0; pa_config_next_choice(&cur, i, name, n, &v); i++)
        if (v == value)
            return name;
    return NULL;
}

int pa_config_format(const struct pa_live_opts *o, const struct pa_config_option *opt, char *buf,
                     size_t n)
{
    const void *p = pa_config_at(o, opt->off);
    char name[64];
    size_t used = 0;
    int w = 0;
    switch (opt->type) {
    case PA_CFG_BOOL:
        w = snprintf(buf, n, "%s", *(const int *)p ? "true" : "false");
        break;
    case PA_CFG_INT:
        w = snprintf(buf, n, "%d", *(const int *)p);
        break;
    case PA_CFG_INT64:
        w = snprintf(buf, n, "%lld", (long long)*(const int64_t *)p);
        break;
    case PA_CFG_UINT32:
        w = snprintf(buf, n, "%u", (unsigned)*(const uint32_t *)p);
        break;
    case PA_CFG_FLOAT:
        format_real(*(const float *)p, 1, buf, n);
        break;
    case PA_CFG_DOUBLE:
        format_real(*(const double *)p, 0, buf, n);
        break;
    case PA_CFG_ENUM: {
        const char *nm = choice_name(opt, *(const int *)p, name, sizeof(name));
        w = nm ? snprintf(buf, n, "%s", nm) : snprintf(buf, n, "%d", *(const int *)p);
        break;
    }
    case PA_CFG_STRING: {
        const char *s = *(const char *const *)p;
        if (!s)
            return snprintf(buf, n, "~") < (int)n ? 0 : PA_EOVERFLOW;
        return pa_config_quote_yaml(s, buf, n, &used);
    }
    case PA_CFG_LIST: {
        const char *const *arr = p;
        int count = *(const int *)pa_config_at(o, opt->off2);
        if (n < 3)
            return PA_EOVERFLOW;
        buf[used++] = '[';
        for (int i = 0; i < count; i++) {
            if (i && used + 2 < n) {
                buf[used++] = ',';
                buf[used++] = ' ';
            }
            if (pa_config_quote_yaml(arr[i], buf, n, &used) < 0)
                return PA_EOVERFLOW;
        }
        w = snprintf(buf + used, n - used, "]");
        return w < (int)(n - used) ? 0 : PA_EOVERFLOW;
    }
    case PA_CFG_SIZE: {
        int ww = *(const int *)p, hh = *(const int *)pa_config_at(o, opt->off2);
        w = ww || hh ? snprintf(buf, n, "%dx%d", ww, hh) : snprintf(buf, n, "auto");
        break;
    }
    case PA_CFG_FLAGS: {
        unsigned bits = *(const unsigned *)p;
        const char *cur = opt->range;
        long long v;
        w = snprintf(buf, n, "[");
        for (int i = 0;
             w > 0 && (size_t)w < n && pa_config_next_choice(&cur, i, name, sizeof(name), &v);
             i++) {
            if (bits & (unsigned)v)
                w += snprintf(buf + w, n - (size_t)w, "%s%s", w > 1 ? ", " : "", name);
        }
        if (w > 0 && (size_t)w < n)
            w += snprintf(buf + w, n - (size_t)w, "]");
        break;
    }
    case PA_CFG_SELECT: {
        int sel = *(const int *)p, idx = *(const int *)pa_config_at(o, opt->off2);
        if (sel == PA_FACE_INDEX)
            w = snprintf(buf, n, "%d", idx);
        else
            w = snprintf(buf, n, "%s", sel == PA_FACE_CENTRAL ? "central" : "largest");
        break;
    }
    }
    return w >= 0 && (size_t)w < n ? 0 : PA_EOVERFLOW;
}

static int same_text(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

int pa_config_equal(const struct pa_live_opts *a, const struct pa_live_opts *b,
                    const struct pa_config_option **first_diff)
{
    for (size_t i = 0; i < pa_config_count(); i++) {
        const struct pa_config_option *opt = pa_config_option_at(i);
        const void *pa = pa_config_at(a, opt->off), *pb = pa_config_at(b, opt->off);
        size_t off2 = opt->off2 == SIZE_MAX ? opt->off : opt->off2; // no pointer past o
        const void *pa2 = pa_config_at(a, off2), *pb2 = pa_config_at(b, off2);
        int same = 1;
        switch (opt->type) {
        case PA_CFG_BOOL:
        case PA_CFG_INT:
        case PA_CFG_ENUM:
            same = *(const int *)pa == *(const int *)pb;
            break;
        case PA_CFG_INT64:
            same = *(const int64_t *)pa == *(const int64_t *)pb;
            break;
        case PA_CFG_UINT32:
            same = *(const uint32_t *)pa == *(const uint32_t *)pb;
            break;
        case PA_CFG_FLAGS:
            same = *(const unsigned *)pa == *(const unsigned *)pb;
            break;
        case PA_CFG_FLOAT:
            same = *(const float *)pa == *(const float *)pb;
            break;
        case PA_CFG_DOUBLE:
            same = *(const double *)pa == *(const double *)pb;
            break;
        case PA_CFG_STRING:
            same = same_text(*(const char *const *)pa, *(const char *const *)pb);
            break;
        case PA_CFG_SIZE:
        case PA_CFG_SELECT:
            same = *(const int *)pa == *(const int *)pb && *(const int *)pa2 == *(const int *)pb2;
            break;
        case PA_CFG_LIST:
            same = *(const int *)pa2 == *(const int *)pb2;
            for (int k = 0; same && k < *(const int *)pa2; k++)
                same = same_text(((const char *const *)pa)[k], ((const char *const *)pb)[k]);
            break;
        }
        if (!same) {
            if (first_diff)
                *first_diff = opt;
            return 0;
        }
    }
    return 1;
}

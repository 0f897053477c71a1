/** @file
 * The option table (config_table.inc) and the small services around it: lookup, string
 * ownership, defaults, choice lists, text checks and "did you mean" suggestions.
 * Value conversion is config_value.c, YAML reading config_yaml.c, the command line
 * config_args.c, dump and docs config_docs.c.
 *
 * Suggestions use the Levenshtein distance (insert, delete, substitute = 1) on lower-cased
 * text; a candidate is offered when its distance is at most max(1, len / 3) and 3.
 */
#include "app/config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "app/config_impl.h"
#include "app/config_table.inc"
#include "core/log.h"
#include "core/mem.h"

#define F(m) offsetof(struct pa_live_opts, m)
#define NO SIZE_MAX
#define PA__ROW(sec, key, type, off, off2, def, range, flag, shortf, help)                         \
    {#sec, #key, PA_CFG_##type, off, off2, def, range, flag, shortf, help},

static const struct pa_config_option g_table[] = {PA_CONFIG_TABLE(PA__ROW)};

/* Enums are stored through int pointers; make sure that is what they are. */
_Static_assert(sizeof(enum pa_anim_method) == sizeof(int), "enum size");
_Static_assert(sizeof(enum pa_mouth_fill) == sizeof(int), "enum size");
_Static_assert(sizeof(enum pa_nn_backend) == sizeof(int), "enum size");
_Static_assert(sizeof(enum pa_face_select) == sizeof(int), "enum size");
_Static_assert(sizeof(((struct pa_anim_params *)0)->follow) == sizeof(unsigned), "follow");

size_t pa_config_count(void)
{
    return PA_ARRAY_SIZE(g_table);
}

const struct pa_config_option *pa_config_option_at(size_t i)
{
    return i < PA_ARRAY_SIZE(g_table) ? &g_table[i] : NULL;
}

const struct pa_config_option *pa_config_find(const char *section, const char *key)
{
    for (size_t i = 0; i < PA_ARRAY_SIZE(g_table); i++)
        if (!strcmp(g_table[i].section, section) && !strcmp(g_table[i].key, key))
            return &g_table[i];
    return NULL;
}

int pa_config_is_param(const struct pa_config_option *opt)
{
    size_t lo = offsetof(struct pa_live_opts, pl.anim);
    return opt->off >= lo && opt->off < lo + sizeof(struct pa_anim_params);
}

int pa_config_create(struct pa_config **out)
{
    *out = pa_calloc(1, sizeof(**out));
    return *out ? 0 : PA_ENOMEM;
}

void pa_config_destroy(struct pa_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_strs; i++)
        pa_free(cfg->strs[i]);
    pa_free(cfg->strs);
    pa_free(cfg);
}

const char *pa_config_last_error(const struct pa_config *cfg)
{
    return cfg ? cfg->err : "";
}

void pa_config_set_error(struct pa_config *cfg, const char *fmt, ...)
{
    if (!cfg)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cfg->err, sizeof(cfg->err), fmt, ap);
    va_end(ap);
}

char *pa_config_strdup(struct pa_config *cfg, const char *s, size_t len)
{
    if (cfg->n_strs == cfg->cap_strs) {
        size_t cap = cfg->cap_strs ? cfg->cap_strs * 2 : 32;
        char **grown = pa_realloc_array(cfg->strs, cap, sizeof(*grown));
        if (!grown)
            return NULL;
        cfg->strs = grown;
        cfg->cap_strs = cap;
    }
    size_t size;
    if (pa_size_add(len, 1, &size) < 0)
        return NULL;
    char *copy = pa_malloc(size);
    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    cfg->strs[cfg->n_strs++] = copy;
    return copy;
}

void pa_config_defaults(struct pa_live_opts *o)
{
    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < PA_ARRAY_SIZE(g_table); i++) {
        const struct pa_config_option *opt = &g_table[i];
        char err[160];
        int ret;
        if (!strcmp(opt->def, "~")) {
            ret = pa_config_apply(NULL, o, opt, &(struct pa_config_value){.kind = PA_CFG_VAL_NULL},
                                  0, err, sizeof(err));
        } else if (opt->type == PA_CFG_STRING) {
            // Defaults are static text: point at it instead of copying (no cfg needed).
            *(const char **)pa_config_at(o, opt->off) = opt->def;
            ret = 0;
        } else if (opt->type == PA_CFG_LIST) {
            ret = strcmp(opt->def, "[]") ? PA_EBUG : 0; // lists start empty
        } else if (opt->type == PA_CFG_FLAGS && opt->def[0] == '[') {
            // "[a, b]" -> "a, b": the scalar form of a flag list.
            char buf[128];
            size_t len = strlen(opt->def);
            PA_ASSERT(len >= 2 && len - 2 < sizeof(buf));
            memcpy(buf, opt->def + 1, len - 2);
            buf[len - 2] = '\0';
            ret = pa_config_apply(NULL, o, opt,
                                  &(struct pa_config_value){.kind = PA_CFG_VAL_SCALAR, .text = buf},
                                  0, err, sizeof(err));
        } else {
            ret = pa_config_apply(
                NULL, o, opt,
                &(struct pa_config_value){.kind = PA_CFG_VAL_SCALAR, .text = opt->def}, 0, err,
                sizeof(err));
        }
        if (ret < 0) // the table is code: a bad default is a bug, found by the first test
            pa_log_error("config", "bad default for %s.%s: %s", opt->section, opt->key, err);
        PA_ASSERT(ret == 0);
    }
}

int pa_config_next_choice(const char **cursor, int index, char *name, size_t n, long long *value)
{
    const char *s = *cursor;
    if (!s || !*s)
        return 0;
    const char *end = strchr(s, '|');
    size_t len = end ? (size_t)(end - s) : strlen(s);
    const char *eq = memchr(s, '=', len);
    size_t name_len = eq ? (size_t)(eq - s) : len;
    size_t k = PA_MIN(name_len, n - 1);
    memcpy(name, s, k);
    name[k] = '\0';
    if (eq)
        *value = strtoll(eq + 1, NULL, 10);
    else if (isdigit((unsigned char)s[0]) || s[0] == '-')
        *value = strtoll(s, NULL, 10);
    else
        *value = index;
    *cursor = end ? end + 1 : s + len;
    return 1;
}

void pa_config_choice_list(const struct pa_config_option *opt, char *buf, size_t n)
{
    const char *cur = opt->range;
    char name[64];
    long long v;
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; pa_config_next_choice(&cur, i, name, sizeof(name), &v); i++) {
        int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", name);
        if (w < 0 || (size_t)w >= n - used)
            return;
        used += (size_t)w;
    }
    if (opt->type == PA_CFG_FLAGS)
        snprintf(buf + used, n - used, ", all, none");
}

/* Decode one UTF-8 sequence at s[0..len); @return its length (0 = invalid), *cp the value. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (!n || n > len || s[0] > 0xF4)
        return 0;
    uint32_t c = s[0] & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_cp[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0; // overlong, out of range, surrogate
    *cp = c;
    return n;
}

size_t pa_config_bad_text(const char *s, size_t len, int multiline)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        if (multiline && (u[i] == '\t' || u[i] == '\n' || u[i] == '\r')) {
            i++;
            continue;
        }
        uint32_t c;
        size_t k = utf8_decode(u + i, len - i, &c);
        if (!k || c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029 ||
            c == 0xFFFE || c == 0xFFFF)
            return i + 1;
        i += k;
    }
    return 0;
}

void pa_config_quote(const char *s, char *buf, size_t n)
{
    size_t j = 0, max = PA_MIN(n - 1, (size_t)48);
    for (size_t i = 0; s[i] && j < max; i++)
        buf[j++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7F ? '?' : s[i];
    // Do not cut a UTF-8 sequence in half: end where the next byte starts a character.
    while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80)
        j--;
    buf[j] = '\0';
    if (s[j] && j + 3 < n)
        memcpy(buf + j, "...", 4);
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
            size_t best = diag + (same ? 0 : 1);
            best = PA_MIN(best, up + 1);
            best = PA_MIN(best, row[j - 1] + 1);
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *pa_config_suggest(const char *word, const char *const *cands, size_t n)
{
    size_t limit = PA_MIN(PA_MAX((size_t)1, strlen(word) / 3), (size_t)3);
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, cands[i]);
        if (d <= limit && d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

/** @file
 * YAML config files and `--set` values, read with libyaml's event parser.
 *
 * The accepted shape is fixed and shallow: a mapping of sections, each a mapping of keys,
 * each value a scalar or a sequence of scalars. The reader walks the events with that
 * shape in mind and stops at the first event that does not fit, so deep nesting, aliases
 * (billion-laughs expansions) and other surprises end in one error without building
 * anything. Before libyaml sees the text it is checked for size (1 MiB), valid UTF-8 and
 * control characters, so every message can name a line.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "app/config.h"
#include "app/config_impl.h"
#include "core/log.h"
#include "core/mem.h"

#define MAX_OPTIONS 128
#define MAX_SECTIONS 16
#define MAX_ITEMS 1024

struct reader {
    struct pa_config *cfg;
    struct pa_live_opts *o;
    const char *name; ///< file name, or "--set" (then no line numbers)
    int with_lines;
    yaml_parser_t parser;
    yaml_event_t ev;
    int have_ev;
    int line;                   ///< 1-based line of the current event
    int seen[MAX_OPTIONS];      ///< line where each option was set, 0 = not yet
    int seen_sec[MAX_SECTIONS]; ///< the same for sections
};

/* A value copied out of the events (they are freed as the parser moves on). */
struct value {
    struct pa_config_value v;
    char *text;
    char **items;
    size_t n_items;
};

static int rd_error(struct reader *r, int line, const char *fmt, ...) PA_PRINTF(3, 4);

static int rd_error(struct reader *r, int line, const char *fmt, ...)
{
    char msg[sizeof(r->cfg->err)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (r->with_lines)
        pa_config_set_error(r->cfg, "%s:%d: %s", r->name, line, msg);
    else
        pa_config_set_error(r->cfg, "%s: %s", r->name, msg);
    pa_log_error("config", "%s", r->cfg ? r->cfg->err : msg);
    return PA_EINVALDATA;
}

static int next(struct reader *r)
{
    if (r->have_ev)
        yaml_event_delete(&r->ev);
    r->have_ev = 0;
    if (!yaml_parser_parse(&r->parser, &r->ev)) {
        const char *ctx = r->parser.context;
        return rd_error(r, (int)r->parser.problem_mark.line + 1, "YAML syntax: %s%s%s",
                        r->parser.problem ? r->parser.problem : "parse error", ctx ? " " : "",
                        ctx ? ctx : "");
    }
    r->have_ev = 1;
    r->line = (int)r->ev.start_mark.line + 1;
    const yaml_char_t *anchor =
        r->ev.type == YAML_SCALAR_EVENT           ? r->ev.data.scalar.anchor
        : r->ev.type == YAML_SEQUENCE_START_EVENT ? r->ev.data.sequence_start.anchor
        : r->ev.type == YAML_MAPPING_START_EVENT  ? r->ev.data.mapping_start.anchor
                                                  : NULL;
    if (r->ev.type == YAML_ALIAS_EVENT || anchor)
        return rd_error(r, r->line, "anchors and aliases (&, *) are not supported");
    return 0;
}

static int is_null(const yaml_event_t *ev)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    for (size_t i = 0; i < PA_ARRAY_SIZE(nulls); i++)
        if (!strcmp((const char *)ev->data.scalar.value, nulls[i]))
            return 1;
    return 0;
}

/* Copy the current scalar event's text; a NUL inside ("\0" escape) is refused. */
static int scalar_copy(struct reader *r, const char *what, char **out)
{
    const char *s = (const char *)r->ev.data.scalar.value;
    size_t len = r->ev.data.scalar.length;
    if (strlen(s) != len)
        return rd_error(r, r->line, "%s: the value contains a NUL character", what);
    *out = pa_malloc(len + 1);
    if (!*out)
        return PA_ENOMEM;
    memcpy(*out, s, len + 1);
    return 0;
}

static void value_free(struct value *v)
{
    pa_free(v->text);
    for (size_t i = 0; i < v->n_items; i++)
        pa_free(v->items[i]);
    pa_free(v->items);
    memset(v, 0, sizeof(*v));
}

/* Read the value node starting at the current event (scalar or sequence of scalars). */
static int read_value(struct reader *r, const char *what, struct value *out)
{
    memset(out, 0, sizeof(*out));
    if (r->ev.type == YAML_SCALAR_EVENT) {
        if (is_null(&r->ev)) {
            out->v.kind = PA_CFG_VAL_NULL;
            return 0;
        }
        out->v.kind = PA_CFG_VAL_SCALAR;
        int ret = scalar_copy(r, what, &out->text);
        out->v.text = out->text;
        return ret;
    }
    if (r->ev.type != YAML_SEQUENCE_START_EVENT)
        return rd_error(r, r->line, "%s: expected a value or a list, found a mapping", what);
    out->v.kind = PA_CFG_VAL_LIST;
    out->items = pa_calloc(MAX_ITEMS, sizeof(*out->items));
    if (!out->items)
        return PA_ENOMEM;
    int ret;
    while ((ret = next(r)) == 0 && r->ev.type != YAML_SEQUENCE_END_EVENT) {
        if (r->ev.type != YAML_SCALAR_EVENT)
            return rd_error(r, r->line, "%s: a list may only hold plain values", what);
        if (is_null(&r->ev))
            return rd_error(r, r->line, "%s: empty list item", what);
        if (out->n_items == MAX_ITEMS)
            return rd_error(r, r->line, "%s: more than %d items", what, MAX_ITEMS);
        if ((ret = scalar_copy(r, what, &out->items[out->n_items])) < 0)
            return ret;
        out->n_items++;
    }
    out->v.items = (const char *const *)out->items;
    out->v.n_items = out->n_items;
    return ret;
}

static int apply_value(struct reader *r, const struct pa_config_option *opt, int line,
                       const struct value *v)
{
    char err[256];
    int ret = pa_config_apply(r->cfg, r->o, opt, &v->v, 0, err, sizeof(err));
    if (ret == PA_EINVAL)
        return rd_error(r, line, "%s.%s: %s", opt->section, opt->key, err);
    return ret;
}

static const char *unknown_key_hint(const char *section, const char *key, char *buf, size_t n)
{
    const char *cands[MAX_OPTIONS];
    size_t nc = 0;
    for (size_t i = 0; i < pa_config_count() && nc < MAX_OPTIONS; i++)
        if (!strcmp(pa_config_option_at(i)->section, section))
            cands[nc++] = pa_config_option_at(i)->key;
    const char *best = pa_config_suggest(key, cands, nc);
    buf[0] = '\0';
    if (best) {
        snprintf(buf, n, " (did you mean '%s'?)", best);
        return buf;
    }
    for (size_t i = 0; i < pa_config_count(); i++) {
        const struct pa_config_option *opt = pa_config_option_at(i);
        if (!strcmp(opt->key, key)) {
            snprintf(buf, n, " (did you mean '%s.%s'?)", opt->section, opt->key);
            break;
        }
    }
    return buf;
}

static int read_keys(struct reader *r, const char *section)
{
    int ret;
    while ((ret = next(r)) == 0 && r->ev.type != YAML_MAPPING_END_EVENT) {
        if (r->ev.type != YAML_SCALAR_EVENT)
            return rd_error(r, r->line, "%s: keys must be plain names", section);
        char key[64], hint[96], q[64];
        int line = r->line;
        pa_config_quote((const char *)r->ev.data.scalar.value, q, sizeof(q));
        snprintf(key, sizeof(key), "%s", q);
        const struct pa_config_option *opt = pa_config_find(section, key);
        if (!opt)
            return rd_error(r, line, "unknown key '%s.%s'%s", section, key,
                            unknown_key_hint(section, key, hint, sizeof(hint)));
        size_t idx = (size_t)(opt - pa_config_option_at(0));
        if (r->seen[idx])
            return rd_error(r, line, "duplicate key '%s.%s' (first set at line %d)", section, key,
                            r->seen[idx]);
        r->seen[idx] = line;
        if ((ret = next(r)) < 0)
            return ret;
        char what[96];
        snprintf(what, sizeof(what), "%s.%s", section, key);
        struct value v;
        line = r->line;
        ret = read_value(r, what, &v);
        if (ret == 0)
            ret = apply_value(r, opt, line, &v);
        value_free(&v);
        if (ret < 0)
            return ret;
    }
    return ret;
}

/* Index of a section name in table order, or -1. */
static int section_index(const char *name, const char **names, int *n_names)
{
    int n = 0, found = -1;
    for (size_t i = 0; i < pa_config_count(); i++) {
        const char *s = pa_config_option_at(i)->section;
        if (n == 0 || strcmp(names[n - 1], s)) {
            PA_ASSERT(n < MAX_SECTIONS); // rows of one section are contiguous in the table
            names[n++] = s;
        }
        if (found < 0 && !strcmp(s, name))
            found = n - 1;
    }
    *n_names = n;
    return found;
}

static int read_sections(struct reader *r)
{
    int ret;
    while ((ret = next(r)) == 0 && r->ev.type != YAML_MAPPING_END_EVENT) {
        if (r->ev.type != YAML_SCALAR_EVENT)
            return rd_error(r, r->line, "section names must be plain names");
        const char *names[MAX_SECTIONS];
        char name[64];
        int n_names, line = r->line;
        pa_config_quote((const char *)r->ev.data.scalar.value, name, sizeof(name));
        int si = section_index(name, names, &n_names);
        if (si < 0) {
            const char *best = pa_config_suggest(name, names, (size_t)n_names);
            char hint[128] = "";
            if (best)
                snprintf(hint, sizeof(hint), " (did you mean '%s'?)", best);
            for (size_t i = 0; !best && i < pa_config_count(); i++)
                if (!strcmp(pa_config_option_at(i)->key, name))
                    snprintf(hint, sizeof(hint), " ('%s' is a key: write it under '%s:')", name,
                             pa_config_option_at(i)->section);
            return rd_error(r, line, "unknown section '%s'%s", name, hint);
        }
        if (r->seen_sec[si])
            return rd_error(r, line, "duplicate section '%s' (first at line %d)", name,
                            r->seen_sec[si]);
        r->seen_sec[si] = line;
        if ((ret = next(r)) < 0)
            return ret;
        if (is_null(&r->ev))
            continue; // "animate:" with nothing under it
        if (r->ev.type != YAML_MAPPING_START_EVENT)
            return rd_error(r, r->line, "section '%s' must hold 'key: value' lines", name);
        if ((ret = read_keys(r, names[si])) < 0)
            return ret;
    }
    return ret;
}

static int expect(struct reader *r, yaml_event_type_t type, const char *what)
{
    int ret = next(r);
    if (ret == 0 && r->ev.type != type)
        return rd_error(r, r->line, "%s", what);
    return ret;
}

/* Check size and text before libyaml sees it, so the message can name the line. */
static int precheck(struct reader *r, const char *text, size_t len)
{
    if (len > PA_CONFIG_MAX_FILE)
        return rd_error(r, 1, "larger than %u KiB", PA_CONFIG_MAX_FILE >> 10);
    size_t skip = len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0; // UTF-8 BOM
    size_t bad = pa_config_bad_text(text + skip, len - skip, r->with_lines);
    if (bad) {
        int line = 1;
        for (size_t i = 0; i + 1 < skip + bad; i++)
            line += text[i] == '\n';
        return rd_error(r, line, "invalid UTF-8 or a control character");
    }
    return 0;
}

static int reader_init(struct reader *r, struct pa_config *cfg, struct pa_live_opts *o,
                       const char *name, int with_lines, const char *text, size_t len)
{
    memset(r, 0, sizeof(*r));
    PA_ASSERT(pa_config_count() <= MAX_OPTIONS);
    r->cfg = cfg;
    r->o = o;
    r->name = name;
    r->with_lines = with_lines;
    pa_config_set_error(cfg, "%s", "");
    int ret = precheck(r, text, len);
    if (ret < 0)
        return ret;
    if (!yaml_parser_initialize(&r->parser))
        return PA_ENOMEM;
    yaml_parser_set_input_string(&r->parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&r->parser, YAML_UTF8_ENCODING);
    return 0;
}

static void reader_done(struct reader *r)
{
    if (r->have_ev)
        yaml_event_delete(&r->ev);
    yaml_parser_delete(&r->parser);
}

int pa_config_load_string(struct pa_config *cfg, struct pa_live_opts *o, const char *text,
                          size_t len, const char *name)
{
    struct reader r;
    int ret = reader_init(&r, cfg, o, name, 1, text, len);
    if (ret < 0)
        return ret;
    if ((ret = expect(&r, YAML_STREAM_START_EVENT, "not a YAML stream")) < 0 ||
        (ret = next(&r)) < 0 || r.ev.type == YAML_STREAM_END_EVENT)
        goto done; // an empty file sets nothing
    if (r.ev.type != YAML_DOCUMENT_START_EVENT) {
        ret = rd_error(&r, r.line, "expected a YAML document");
        goto done;
    }
    if ((ret = next(&r)) < 0)
        goto done;
    if (r.ev.type == YAML_MAPPING_START_EVENT)
        ret = read_sections(&r);
    else if (!is_null(&r.ev))
        ret = rd_error(&r, r.line, "the file must be a mapping of sections (e.g. 'animate:')");
    if (ret == 0)
        ret = expect(&r, YAML_DOCUMENT_END_EVENT, "expected the end of the document");
    if (ret == 0)
        ret = expect(&r, YAML_STREAM_END_EVENT, "only one YAML document is allowed (found '---')");
done:
    reader_done(&r);
    return ret;
}

int pa_config_load_file(struct pa_config *cfg, struct pa_live_opts *o, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        pa_config_set_error(cfg, "%s: %s", path, strerror(e));
        pa_log_error("config", "%s", cfg->err);
        return e == ENOENT ? PA_ENOENT : PA_EIO;
    }
    struct stat st;
    char *buf = NULL;
    int ret = PA_EIO;
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        pa_config_set_error(cfg, "%s: not a regular file", path);
        pa_log_error("config", "%s", cfg->err);
        goto done;
    }
    // Read one byte more than allowed so "too big" is seen even if the size changed.
    buf = pa_malloc(PA_CONFIG_MAX_FILE + 1);
    if (!buf) {
        ret = PA_ENOMEM;
        goto done;
    }
    size_t len = fread(buf, 1, PA_CONFIG_MAX_FILE + 1, f);
    if (ferror(f)) {
        pa_config_set_error(cfg, "%s: read error", path);
        pa_log_error("config", "%s", cfg->err);
        goto done;
    }
    ret = pa_config_load_string(cfg, o, buf, len, path);
done:
    pa_free(buf);
    fclose(f);
    return ret;
}

int pa_config_set(struct pa_config *cfg, struct pa_live_opts *o, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    const char *dot = eq ? memchr(assignment, '.', (size_t)(eq - assignment)) : NULL;
    char section[64], key[64], hint[96];
    pa_config_set_error(cfg, "%s", "");
    if (!dot || dot - assignment >= (long)sizeof(section) || eq - dot > (long)sizeof(key)) {
        char q[64];
        pa_config_quote(assignment, q, sizeof(q));
        pa_config_set_error(cfg, "--set '%s': expected section.key=value", q);
        pa_log_error("config", "%s", cfg->err);
        return PA_EINVAL;
    }
    memcpy(section, assignment, (size_t)(dot - assignment));
    section[dot - assignment] = '\0';
    memcpy(key, dot + 1, (size_t)(eq - dot - 1));
    key[eq - dot - 1] = '\0';
    const struct pa_config_option *opt = pa_config_find(section, key);
    if (!opt) {
        pa_config_set_error(cfg, "--set: unknown key '%s.%s'%s", section, key,
                            unknown_key_hint(section, key, hint, sizeof(hint)));
        pa_log_error("config", "%s", cfg->err);
        return PA_EINVAL;
    }
    struct reader r;
    const char *text = eq + 1;
    int ret = reader_init(&r, cfg, o, "--set", 0, text, strlen(text));
    if (ret < 0)
        return PA_EINVAL;
    struct value v = {0};
    char what[160];
    snprintf(what, sizeof(what), "%s.%s", section, key);
    if ((ret = expect(&r, YAML_STREAM_START_EVENT, "not YAML")) < 0 || (ret = next(&r)) < 0)
        goto done;
    if (r.ev.type == YAML_STREAM_END_EVENT) {
        v.v.kind = PA_CFG_VAL_NULL; // "--set portrait.watch=" clears a value
    } else {
        if ((ret = next(&r)) < 0 || (ret = read_value(&r, what, &v)) < 0)
            goto done;
        if ((ret = expect(&r, YAML_DOCUMENT_END_EVENT, "expected one value")) < 0 ||
            (ret = expect(&r, YAML_STREAM_END_EVENT, "expected one value")) < 0)
            goto done;
    }
    ret = apply_value(&r, opt, 0, &v);
done:
    value_free(&v);
    reader_done(&r);
    return ret < 0 ? PA_EINVAL : 0;
}

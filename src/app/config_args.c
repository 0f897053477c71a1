/** @file
 * The command line of `panim live` (and `panim config dump`), generated from the option
 * table: every row with a flag is a `--flag VALUE` (a BOOL row: `--flag`, no value), plus
 * the aliases of PA_CONFIG_ALIASES, `--config FILE` and `--set section.key=value`.
 *
 * Arguments are read in one pass into a list, then applied by source so the documented
 * precedence holds whatever the order on the command line: defaults < --config <
 * config_local.yaml < --set < flags.
 */
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "app/config.h"
#include "app/config_impl.h"
#include "app/config_table.inc"
#include "core/log.h"
#include "core/mem.h"

#define PA__ALIAS(flag, sec, key, value) {flag, #sec, #key, value},
static const struct alias {
    const char *flag, *section, *key, *value;
} g_aliases[] = {PA_CONFIG_ALIASES(PA__ALIAS)};

enum arg_kind { ARG_SET, ARG_FLAG };

static int arg_error(struct pa_config *cfg, const char *fmt, ...) PA_PRINTF(2, 3);

/* Record and log a command-line error once. */
static int arg_error(struct pa_config *cfg, const char *fmt, ...)
{
    char msg[sizeof(cfg->err)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pa_config_set_error(cfg, "%s", msg);
    pa_log_error("config", "%s", msg);
    return PA_EINVAL;
}

struct arg {
    enum arg_kind kind;
    const struct pa_config_option *opt; ///< ARG_FLAG
    const char *value;                  ///< ARG_FLAG value, ARG_SET assignment
    const char *shown;                  ///< the flag as typed, for messages
};

static const struct pa_config_option *find_flag(const char *name, size_t len, char short_flag,
                                                const char **alias_value)
{
    *alias_value = NULL;
    for (size_t i = 0; i < pa_config_count(); i++) {
        const struct pa_config_option *opt = pa_config_option_at(i);
        if (short_flag ? opt->short_flag == short_flag
                       : opt->flag && strlen(opt->flag) == len && !strncmp(opt->flag, name, len))
            return opt;
    }
    for (size_t i = 0; !short_flag && i < PA_ARRAY_SIZE(g_aliases); i++) {
        if (strlen(g_aliases[i].flag) == len && !strncmp(g_aliases[i].flag, name, len)) {
            *alias_value = g_aliases[i].value;
            return pa_config_find(g_aliases[i].section, g_aliases[i].key);
        }
    }
    return NULL;
}

static int unknown_flag(struct pa_config *cfg, const char *arg)
{
    const char *cands[160];
    char word[64];
    size_t n = 0;
    for (size_t i = 0; i < pa_config_count() && n < PA_ARRAY_SIZE(cands); i++)
        if (pa_config_option_at(i)->flag)
            cands[n++] = pa_config_option_at(i)->flag;
    for (size_t i = 0; i < PA_ARRAY_SIZE(g_aliases); i++)
        cands[n++] = g_aliases[i].flag;
    cands[n++] = "config";
    cands[n++] = "set";
    size_t len = strcspn(arg + 2, "=");
    snprintf(word, sizeof(word), "%.*s", (int)PA_MIN(len, sizeof(word) - 1), arg + 2);
    const char *best = arg[1] == '-' ? pa_config_suggest(word, cands, n) : NULL;
    char q[64];
    pa_config_quote(arg, q, sizeof(q));
    if (best)
        return arg_error(cfg, "unknown option '%s' (did you mean '--%s'?)", q, best);
    return arg_error(cfg, "unknown option '%s' (see --help)", q);
}

/* Read argv into args; *config gets --config's value. @return 0, PA_CONFIG_HELP or error. */
static int scan(struct pa_config *cfg, int argc, char **argv, struct arg *args, int *n_args,
                const char **config)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            break; // nothing may follow: live takes no positional arguments
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return PA_CONFIG_HELP;
        if (a[0] != '-' || !a[1]) {
            char q[64];
            pa_config_quote(a, q, sizeof(q));
            return arg_error(cfg, "unexpected argument '%s' (options start with --)", q);
        }
        const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        size_t len = a[1] == '-' ? (eq ? (size_t)(eq - a - 2) : strlen(a + 2)) : 0;
        const char *value = eq ? eq + 1 : NULL;
        const char *alias_value = NULL;
        const struct pa_config_option *opt = NULL;
        int is_config = len == 6 && !strncmp(a + 2, "config", 6);
        int is_set = len == 3 && !strncmp(a + 2, "set", 3);
        if (!is_config && !is_set) {
            opt = a[1] == '-' ? find_flag(a + 2, len, 0, &alias_value)
                              : find_flag(NULL, 0, a[1], &alias_value);
            if (!opt)
                return unknown_flag(cfg, a);
            if (a[1] != '-' && a[2])
                value = a + 2; // -sFILE
        }
        int takes_value = opt ? opt->type != PA_CFG_BOOL && !alias_value : 1;
        if (alias_value && value) {
            return arg_error(cfg, "%.*s takes no value", (int)(len + 2), a);
        }
        if (!value && takes_value) {
            if (i + 1 >= argc)
                return arg_error(cfg, "%.64s needs a value", a);
            value = argv[++i];
        }
        if (is_config) {
            if (*config) {
                return arg_error(cfg, "--config given twice");
            }
            *config = value;
            continue;
        }
        args[n++] = (struct arg){is_set ? ARG_SET : ARG_FLAG, opt,
                                 alias_value ? alias_value
                                 : value     ? value
                                             : "true",
                                 a};
    }
    *n_args = n;
    return 0;
}

/* config_local.yaml beside `config` (or in the working directory). */
static int load_local(struct pa_config *cfg, struct pa_live_opts *o, const char *config)
{
    char path[4096];
    const char *slash = config ? strrchr(config, '/') : NULL;
    if (slash && !strcmp(slash + 1, PA_CONFIG_LOCAL_NAME))
        return 0; // --config is the overlay itself
    if (config && !slash && !strcmp(config, PA_CONFIG_LOCAL_NAME))
        return 0;
    int dir_len = slash ? (int)(slash - config) : 0;
    if (snprintf(path, sizeof(path), "%.*s%s%s", dir_len, config ? config : "", slash ? "/" : "",
                 PA_CONFIG_LOCAL_NAME) >= (int)sizeof(path))
        return 0;
    struct stat st;
    if (stat(path, &st) < 0)
        return 0;
    pa_log_info("config", "applying the local overlay %s", path);
    return pa_config_load_file(cfg, o, path);
}

int pa_config_parse_args(struct pa_config *cfg, struct pa_live_opts *o, int argc, char **argv)
{
    pa_config_defaults(o);
    if (argc < 1)
        return 0;
    struct arg *args = pa_calloc((size_t)argc, sizeof(*args));
    if (!args)
        return PA_ENOMEM;
    const char *config = NULL;
    int n_args = 0, ret = scan(cfg, argc, argv, args, &n_args, &config);
    if (ret != 0)
        goto done;
    if (config && (ret = pa_config_load_file(cfg, o, config)) < 0)
        goto done;
    if ((ret = load_local(cfg, o, config)) < 0)
        goto done;
    for (int i = 0; i < n_args; i++)
        if (args[i].kind == ARG_SET && (ret = pa_config_set(cfg, o, args[i].value)) < 0)
            goto done;
    // A list flag replaces the files' list the first time, then appends.
    unsigned char used[256] = {0};
    PA_ASSERT(pa_config_count() <= sizeof(used));
    for (int i = 0; i < n_args; i++) {
        if (args[i].kind != ARG_FLAG)
            continue;
        const struct pa_config_option *opt = args[i].opt;
        size_t idx = (size_t)(opt - pa_config_option_at(0));
        char err[256];
        struct pa_config_value v = {PA_CFG_VAL_SCALAR, args[i].value, NULL, 0};
        ret = pa_config_apply(cfg, o, opt, &v, used[idx], err, sizeof(err));
        if (ret < 0) {
            arg_error(cfg, "%.64s: %s", args[i].shown, err);
            goto done;
        }
        used[idx] = 1;
    }
done:
    pa_free(args);
    return ret;
}

static int is_file_spec(const char *s)
{
    return !strncmp(s, "file:", 5);
}

int pa_config_finish(struct pa_live_opts *o, unsigned flags)
{
    struct pa_pipeline_opts *p = &o->pl;
    if ((flags & PA_CONFIG_NEED_IO) && p->n_portraits == 0) {
        pa_log_error("config", "no portrait: give -s FILE or portrait.paths");
        return PA_EINVAL;
    }
    if ((flags & PA_CONFIG_NEED_IO) && p->n_outputs == 0) {
        pa_log_error("config", "no output: give -o SPEC (e.g. -o window) or output.specs");
        return PA_EINVAL;
    }
    if (o->ctl.port > 0 && !pa_control_bind_is_loopback(o->ctl.bind) &&
        !(o->ctl.token && *o->ctl.token)) {
        pa_log_error("config",
                     "control.bind %s is reachable from other machines: set control.token "
                     "(clients then send 'Authorization: Bearer TOKEN')",
                     o->ctl.bind);
        return PA_EINVAL;
    }
    if (p->offline < 0) {
        // A file in and only files out: nothing is live, so keep every frame.
        int all_files = p->n_outputs > 0;
        for (int i = 0; i < p->n_outputs; i++)
            all_files &= is_file_spec(p->outputs[i]);
        int file_driver = p->driver && strcmp(p->driver, "idle") && strncmp(p->driver, "webcam", 6);
        p->offline = all_files && (file_driver || p->duration > 0 || p->frames > 0);
    }
    return 0;
}

/* Print `text` wrapped to 100 columns, continuation lines indented by `indent`. */
static void print_wrapped(FILE *f, const char *text, int col, int indent)
{
    while (*text) {
        size_t len = strcspn(text, " ");
        if (col > indent && col + 1 + (int)len > 100) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)len, text);
        col += (int)len;
        text += len;
        while (*text == ' ')
            text++;
    }
    fputc('\n', f);
}

static const char *metavar(const struct pa_config_option *opt)
{
    switch (opt->type) {
    case PA_CFG_BOOL:
        return "";
    case PA_CFG_INT:
    case PA_CFG_INT64:
    case PA_CFG_UINT32:
        return " N";
    case PA_CFG_FLOAT:
    case PA_CFG_DOUBLE:
        return " X";
    case PA_CFG_SIZE:
        return " WxH";
    case PA_CFG_FLAGS:
        return " A,B";
    case PA_CFG_SELECT:
        return " WHICH";
    case PA_CFG_ENUM:
        return " NAME";
    case PA_CFG_STRING:
    case PA_CFG_LIST:
        return " TEXT";
    }
    return "";
}

void pa_config_print_flags(FILE *f)
{
    const int indent = 30;
    fprintf(f, "  %-*s", indent - 2, "    --config FILE");
    print_wrapped(f,
                  "YAML config file (see docs/CONFIG.md); config_local.yaml beside it is "
                  "applied on top",
                  indent, indent);
    fprintf(f, "  %-*s", indent - 2, "    --set SECTION.KEY=VALUE");
    print_wrapped(f, "override one config key (repeatable)", indent, indent);
    for (size_t i = 0; i < pa_config_count(); i++) {
        const struct pa_config_option *opt = pa_config_option_at(i);
        if (!opt->flag)
            continue;
        char head[64], help[512], range[160] = "";
        if (opt->short_flag)
            snprintf(head, sizeof(head), "-%c, --%s%s", opt->short_flag, opt->flag, metavar(opt));
        else
            snprintf(head, sizeof(head), "    --%s%s", opt->flag, metavar(opt));
        if (opt->type == PA_CFG_ENUM || opt->type == PA_CFG_FLAGS) {
            char list[128];
            pa_config_choice_list(opt, list, sizeof(list));
            snprintf(range, sizeof(range), " [%s]", list);
        } else if (opt->range && opt->type != PA_CFG_LIST) {
            snprintf(range, sizeof(range), " [%s]", opt->range);
        }
        snprintf(help, sizeof(help), "%s%s (%s.%s, default %s)", opt->help, range, opt->section,
                 opt->key, opt->def);
        fprintf(f, "  %-*s", indent - 2, head);
        print_wrapped(f, help, (int)PA_MAX(strlen(head) + 2, (size_t)indent), indent);
    }
    for (size_t i = 0; i < PA_ARRAY_SIZE(g_aliases); i++) {
        char head[64], help[128];
        snprintf(head, sizeof(head), "    --%s", g_aliases[i].flag);
        snprintf(help, sizeof(help), "same as --set %s.%s=%s", g_aliases[i].section,
                 g_aliases[i].key, g_aliases[i].value);
        fprintf(f, "  %-*s", indent - 2, head);
        print_wrapped(f, help, indent, indent);
    }
}

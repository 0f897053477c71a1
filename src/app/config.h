/** @file
 * Configuration of `panim live`: one option table (config_table.inc) drives the YAML file
 * parser, `--set section.key=value`, the command-line flags, `panim config dump`, the
 * generated docs/CONFIG.md and the validation of POST /params (control.h).
 *
 * Sources, later ones win (whatever their order on the command line):
 *   1. built-in defaults (pa_config_defaults; anim/track ones equal pa_anim_default_params()
 *      and pa_tracker_default_params(), a unit test checks it),
 *   2. `--config FILE`,
 *   3. `config_local.yaml` in FILE's folder (or in the working directory without --config),
 *      an overlay for machine-specific values that stays out of version control,
 *   4. `--set section.key=value`, in order (the value is YAML: `--set portrait.paths=[a,b]`),
 *   5. explicit flags such as `--expr-scale 1.2`, in order. A list flag (-s, -o) given on
 *      the command line replaces the list from the files; repeating it appends.
 *
 * Files are YAML mappings of sections to mappings of keys. Unknown sections and keys,
 * duplicate keys, values of the wrong shape or range, anchors/aliases, several documents,
 * files over 1 MiB, invalid UTF-8 and control characters are errors reported once as
 * "FILE:LINE: message", e.g.
 *   config.yaml:12: unknown key 'animate.expr_scal' (did you mean 'expr_scale'?)
 *   config.yaml:7: track.landmarks: 470 is not one of 468, 478
 *
 * How `panim live` uses it:
 *
 *   struct pa_config *cfg = NULL;
 *   struct pa_live_opts o;
 *   if (pa_config_create(&cfg) < 0) return 1;
 *   int r = pa_config_parse_args(cfg, &o, argc, argv);  // defaults + every source above
 *   if (r == PA_CONFIG_HELP) { print usage; pa_config_print_flags(stdout); ... return 0; }
 *   if (r < 0) { pa_config_destroy(cfg); return 2; }    // already reported
 *   if (!o.pl.models) o.pl.models = pa_cli_models_dir();
 *   if (pa_config_finish(&o, PA_CONFIG_NEED_IO) < 0) { ...; return 2; }
 *   ... pa_pipeline_create(&pl, &o.pl); control: pa_control_start(&ctl, &o.ctl, ...) ...
 *   pa_config_destroy(cfg);   // last: every string in `o` points into cfg
 *
 * Threading: a struct pa_config is used by one thread at a time. The table functions
 * (pa_config_option_at, pa_config_find) are read-only and may be called from any thread.
 */
#ifndef PA_APP_CONFIG_H
#define PA_APP_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "app/control.h"
#include "app/pipeline.h"

/** Everything `panim live` can be configured with. */
struct pa_live_opts {
    struct pa_pipeline_opts pl; ///< pl.offline is -1 (auto) until pa_config_finish
    struct pa_control_opts ctl; ///< ctl.port 0 = no control API
};

enum pa_config_type {
    PA_CFG_BOOL,   ///< int 0/1; true/false/yes/no/on/off
    PA_CFG_INT,    ///< int; range "lo..hi" or a set "a|b"
    PA_CFG_INT64,  ///< int64_t
    PA_CFG_UINT32, ///< uint32_t
    PA_CFG_FLOAT,  ///< float
    PA_CFG_DOUBLE, ///< double
    PA_CFG_ENUM,   ///< int-sized enum; range "name|name=value|..."
    PA_CFG_STRING, ///< const char *, NULL allowed only when the default is "~"
    PA_CFG_LIST,   ///< const char *[] at off, int count at off2; range "0..capacity"
    PA_CFG_SIZE,   ///< int w at off, h at off2; "WxH" or "auto" (0x0)
    PA_CFG_FLAGS,  ///< unsigned bit mask; range "name=bit|..."; YAML list or "a,b"; all/none
    PA_CFG_SELECT, ///< enum pa_face_select at off, int index at off2: largest|central|N
};

/** One row of config_table.inc (static data). */
struct pa_config_option {
    const char *section, *key; ///< YAML section and key (snake_case)
    enum pa_config_type type;
    size_t off, off2;  ///< offsetof in struct pa_live_opts; off2 second field or SIZE_MAX
    const char *def;   ///< default value as YAML text ("~" = null)
    const char *range; ///< "lo..hi", "a|b|c" (values), or NULL
    const char *flag;  ///< long command-line flag without "--", or NULL
    char short_flag;   ///< one-letter flag, or 0
    const char *help;  ///< one or two sentences
};

/** A value to apply: null, one scalar, or a list of scalars (YAML sequence, JSON array). */
struct pa_config_value {
    enum { PA_CFG_VAL_NULL, PA_CFG_VAL_SCALAR, PA_CFG_VAL_LIST } kind;
    const char *text;         ///< SCALAR: the text (NUL-terminated)
    const char *const *items; ///< LIST: n_items NUL-terminated strings
    size_t n_items;
};

/** pa_config_parse_args result when -h/--help was given (nothing was loaded). */
#define PA_CONFIG_HELP 1
/** pa_config_finish flag: require at least one portrait and one output. */
#define PA_CONFIG_NEED_IO 1u
/** Config files larger than this are refused. */
#define PA_CONFIG_MAX_FILE (1u << 20)
/** File name of the local overlay. */
#define PA_CONFIG_LOCAL_NAME "config_local.yaml"

/** Owner of every string the loaders put into a struct pa_live_opts. */
struct pa_config;

int pa_config_create(struct pa_config **out);
/** Free the strings; every struct pa_live_opts filled through `cfg` dangles after this. */
void pa_config_destroy(struct pa_config *cfg);

/** @return the last error as logged ("FILE:LINE: message"), "" when none; valid until the next
 *  call on cfg. */
const char *pa_config_last_error(const struct pa_config *cfg);

/** Fill `o` with the table's defaults (no strings are allocated; all are static). */
void pa_config_defaults(struct pa_live_opts *o);

/**
 * Apply a YAML file on top of `o` (only the keys it names change). On error `o` may be
 * partly updated; the error was logged as "path:line: message".
 * @return 0; PA_ENOENT; PA_EIO; PA_EINVALDATA (bad YAML, unknown key, bad value, > 1 MiB).
 */
int pa_config_load_file(struct pa_config *cfg, struct pa_live_opts *o, const char *path);

/** The same for YAML text in memory; `name` stands for the file name in messages. */
int pa_config_load_string(struct pa_config *cfg, struct pa_live_opts *o, const char *text,
                          size_t len, const char *name);

/** Apply one `section.key=value` (value parsed as YAML). @return 0 or PA_EINVAL (logged). */
int pa_config_set(struct pa_config *cfg, struct pa_live_opts *o, const char *assignment);

/**
 * Parse a command line: argv[0] is the command name, then any mix of --config FILE,
 * --set K=V, the table's flags (pa_config_print_flags), their aliases (--offline,
 * --realtime, --no-smooth, --no-stitching) and -h/--help. Starts from pa_config_defaults.
 * `--flag=value` and `-sVALUE` forms work; `--` ends the options; positional arguments
 * are errors. @return 0; PA_CONFIG_HELP; PA_EINVAL / PA_ENOENT / PA_EINVALDATA (logged).
 */
int pa_config_parse_args(struct pa_config *cfg, struct pa_live_opts *o, int argc, char **argv);

/**
 * Cross-field checks and resolution after loading: run.offline auto becomes 1 when the
 * driver is a file and every output is file:, else 0; a control API on a non-loopback
 * address needs a token; with PA_CONFIG_NEED_IO at least one portrait and one output.
 * @return 0 or PA_EINVAL (logged).
 */
int pa_config_finish(struct pa_live_opts *o, unsigned flags);

/** Print the effective configuration as YAML (every key; loads back to the same values). */
int pa_config_dump(const struct pa_live_opts *o, FILE *f);

/** Print docs/CONFIG.md (Markdown) generated from the table. */
int pa_config_docs(FILE *f);

/** Print the flag list for a usage message ("  -s, --portrait S   help", 100 columns). */
void pa_config_print_flags(FILE *f);

/* ---- the table (read-only) ------------------------------------------------------------ */

size_t pa_config_count(void);
const struct pa_config_option *pa_config_option_at(size_t i);
/** @return the option or NULL. */
const struct pa_config_option *pa_config_find(const char *section, const char *key);
/** @return 1 when the option lives in pl.anim (may change while running: POST /params). */
int pa_config_is_param(const struct pa_config_option *opt);

/**
 * Validate and store one value. On error writes "VALUE is out of range LO..HI"-style text
 * (without the option's name) to err. `cfg` may be NULL for options that store no string.
 * @param append LIST only: add to the list instead of replacing it.
 * @return 0 or PA_EINVAL.
 */
int pa_config_apply(struct pa_config *cfg, struct pa_live_opts *o,
                    const struct pa_config_option *opt, const struct pa_config_value *v, int append,
                    char *err, size_t errsz);

/** Write the option's value as YAML text (flow list for lists). @return 0 or PA_EOVERFLOW. */
int pa_config_format(const struct pa_live_opts *o, const struct pa_config_option *opt, char *buf,
                     size_t n);

/** @return 1 when every option has the same value in a and b (strings compared by text). */
int pa_config_equal(const struct pa_live_opts *a, const struct pa_live_opts *b,
                    const struct pa_config_option **first_diff);

/** @return the candidate closest to `word` by edit distance if it is close, else NULL. */
const char *pa_config_suggest(const char *word, const char *const *cands, size_t n);

#endif /* PA_APP_CONFIG_H */

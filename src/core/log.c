/** @file
 * Per-module log levels parsed from a spec string ("info", "warn,nn:debug").
 * The table is tiny and written rarely (startup, tests), read on every log call; a mutex
 * keeps writers and readers consistent and keeps lines from interleaving.
 */
#include "log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#define MAX_MODULES 16

static struct {
    char name[16];
    enum pa_log_level level;
} g_modules[MAX_MODULES];
static int g_n_modules;
static enum pa_log_level g_default = PA_LOG_WARN;
/* Highest level any module logs at: lets disabled messages return without the lock, so a
 * hot path never waits on a thread that happens to be printing. -1 = not initialised. */
static atomic_int g_max_level = -1;
static int g_inited;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static int parse_level(const char *s, size_t n, enum pa_log_level *out)
{
    static const char *names[] = {"quiet", "error", "warn", "info", "debug"};
    for (size_t i = 0; i < PA_ARRAY_SIZE(names); i++) {
        if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0) {
            *out = (enum pa_log_level)i;
            return 0;
        }
    }
    if (n == 1 && s[0] >= '0' && s[0] <= '4') {
        *out = (enum pa_log_level)(s[0] - '0');
        return 0;
    }
    return PA_EINVAL;
}

/* Caller holds g_lock. */
static int set_locked(const char *spec)
{
    enum pa_log_level def = g_default;
    int n_mod = 0;
    char names[MAX_MODULES][16];
    enum pa_log_level levels[MAX_MODULES];

    for (const char *p = spec; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        if (!colon) {
            if (parse_level(p, len, &def) < 0)
                return PA_EINVAL;
        } else {
            size_t nlen = (size_t)(colon - p);
            if (nlen == 0 || nlen >= sizeof(names[0]) || n_mod >= MAX_MODULES)
                return PA_EINVAL;
            if (parse_level(colon + 1, len - nlen - 1, &levels[n_mod]) < 0)
                return PA_EINVAL;
            memcpy(names[n_mod], p, nlen);
            names[n_mod][nlen] = '\0';
            n_mod++;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    g_default = def;
    g_n_modules = n_mod;
    int max = (int)def;
    for (int i = 0; i < n_mod; i++) {
        memcpy(g_modules[i].name, names[i], sizeof(names[i]));
        g_modules[i].level = levels[i];
        max = PA_MAX(max, (int)levels[i]);
    }
    atomic_store(&g_max_level, max);
    return 0;
}

static void init_locked(void)
{
    if (g_inited)
        return;
    g_inited = 1;
    const char *env = getenv("PA_DEBUG");
    if (env && set_locked(env) < 0)
        fprintf(stderr, "panim: ignoring unparsable PA_DEBUG='%s'\n", env);
    if (atomic_load(&g_max_level) < 0)
        atomic_store(&g_max_level, (int)g_default);
}

int pa_log_set(const char *spec)
{
    if (!spec)
        return PA_EINVAL;
    pthread_mutex_lock(&g_lock);
    init_locked();
    int ret = set_locked(spec);
    pthread_mutex_unlock(&g_lock);
    return ret;
}

static enum pa_log_level level_locked(const char *module)
{
    for (int i = 0; i < g_n_modules; i++) {
        if (strcmp(g_modules[i].name, module) == 0)
            return g_modules[i].level;
    }
    return g_default;
}

int pa_log_enabled(const char *module, enum pa_log_level level)
{
    int max = atomic_load(&g_max_level);
    if (max >= 0 && (int)level > max)
        return 0;
    pthread_mutex_lock(&g_lock);
    init_locked();
    int on = level <= level_locked(module);
    pthread_mutex_unlock(&g_lock);
    return on;
}

void pa_log(const char *module, enum pa_log_level level, const char *fmt, ...)
{
    static const char *tags[] = {"", "error", "warning", "info", "debug"};
    int max = atomic_load(&g_max_level);
    if (max >= 0 && (int)level > max)
        return;
    pthread_mutex_lock(&g_lock);
    init_locked();
    if (level <= level_locked(module) && level > PA_LOG_QUIET) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "panim: %s: [%s] ", tags[level], module);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    pthread_mutex_unlock(&g_lock);
}

/** @file
 * Process and file-system helpers for the model installer: posix_spawnp with an argv array
 * (no shell, so no quoting problems with odd folder names), PATH lookup, `mkdir -p`,
 * mkdtemp and a recursive remove for the temporary extraction folders.
 */
#include "app/models_sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/mem.h"
#include "panim.h"

extern char **environ;

int pa_models_have_program(const char *name)
{
    const char *path = getenv("PATH");
    char buf[4096];
    if (!path || !*path)
        path = "/usr/bin:/bin";
    for (const char *p = path;;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        // An empty PATH entry means the current folder (POSIX).
        int n = len ? snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, p, name)
                    : snprintf(buf, sizeof(buf), "./%s", name);
        struct stat st;
        if (n > 0 && (size_t)n < sizeof(buf) && stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
            access(buf, X_OK) == 0)
            return 1;
        if (!end)
            return 0;
        p = end + 1;
    }
}

/* "npm pack @x/y --pack-destination /a" for messages; truncated when long. */
static void join_argv(char *buf, size_t n, const char *const argv[])
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; argv[i] && used + 1 < n; i++) {
        int w = snprintf(buf + used, n - used, "%s%s", i ? " " : "", argv[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int wait_child(pid_t pid, const char *what)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "panim: waiting for `%s`: %s\n", what, strerror(errno));
            return PA_EEXTERNAL;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        fprintf(stderr, "panim: `%s` failed (exit status %d)\n", what, WEXITSTATUS(status));
    else
        fprintf(stderr, "panim: `%s` was killed by signal %d\n", what, WTERMSIG(status));
    return PA_EEXTERNAL;
}

int pa_models_run(const char *const argv[], const char *cwd, int quiet_stdout)
{
    char what[512];
    posix_spawn_file_actions_t fa;
    int saved_cwd = -1, ret = 0;
    pid_t pid;

    join_argv(what, sizeof(what), argv);
    if (posix_spawn_file_actions_init(&fa) != 0)
        return PA_ENOMEM;
    if (quiet_stdout &&
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0) != 0) {
        ret = PA_ENOMEM;
        goto fail;
    }
    /* posix_spawn has no portable "run in folder" action (addchdir_np is a GNU extension),
     * so the parent switches folder around the spawn and switches back right after. */
    if (cwd) {
        saved_cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (saved_cwd < 0 || chdir(cwd) < 0) {
            fprintf(stderr, "panim: cannot enter %s: %s\n", cwd, strerror(errno));
            ret = PA_EIO;
            goto fail;
        }
    }
    fflush(NULL); // keep our buffered lines before the child's in a shared pipe
    // The cast is safe: posix_spawnp does not modify the strings (POSIX rationale).
    int err = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    if (saved_cwd >= 0 && fchdir(saved_cwd) < 0) {
        fprintf(stderr, "panim: cannot return to the working folder: %s\n", strerror(errno));
        ret = PA_EIO; // the child (if any) still gets reaped below
    }
    if (err == ENOENT) {
        fprintf(stderr, "panim: %s not found in PATH\n", argv[0]);
        ret = PA_ENOENT;
    } else if (err != 0) {
        fprintf(stderr, "panim: cannot run `%s`: %s\n", what, strerror(err));
        ret = PA_EEXTERNAL;
    } else {
        int r = wait_child(pid, what);
        if (ret == 0)
            ret = r;
    }
fail:
    if (saved_cwd >= 0)
        close(saved_cwd);
    posix_spawn_file_actions_destroy(&fa);
    return ret;
}

int pa_models_mkdir_p(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(buf)) {
        fprintf(stderr, "panim: bad folder name '%s'\n", path);
        return PA_EIO;
    }
    memcpy(buf, path, len + 1);
    // Create each prefix ending before a '/', then the whole path.
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        struct stat st;
        if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
            fprintf(stderr, "panim: cannot create folder %s: %s\n", buf, strerror(errno));
            return PA_EIO;
        }
        if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "panim: %s exists and is not a folder\n", buf);
            return PA_EIO;
        }
        buf[i] = c;
    }
    return 0;
}

int pa_models_mkdtemp(char *buf, size_t n)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    int w = snprintf(buf, n, "%s/panim-models-XXXXXX", tmp);
    if (w < 0 || (size_t)w >= n)
        return PA_EOVERFLOW;
    if (!mkdtemp(buf)) {
        fprintf(stderr, "panim: cannot create a temporary folder in %s: %s\n", tmp,
                strerror(errno));
        return PA_EIO;
    }
    return 0;
}

static void rmtree_depth(const char *path, int depth)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (!S_ISDIR(st.st_mode) || depth > 64) {
        unlink(path);
        return;
    }
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        size_t plen = strlen(path);
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            size_t need = plen + strlen(de->d_name) + 2;
            char *child = pa_malloc(need);
            if (!child)
                break;
            snprintf(child, need, "%s/%s", path, de->d_name);
            rmtree_depth(child, depth + 1);
            pa_free(child);
        }
        closedir(d);
    }
    rmdir(path);
}

void pa_models_rmtree(const char *path)
{
    if (path && *path)
        rmtree_depth(path, 0);
}

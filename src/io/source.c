/** @file
 * Offline frame sources: image, folder of images, video (see source.h).
 */
#include "io/source.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/mem.h"
#include "io/video.h"
#include "pa_config.h"

struct pa_source {
    enum pa_source_kind kind;
    char *path;
    char **files; ///< folder: sorted image paths
    int n_files, next;
    struct pa_image img;   ///< current still (owned)
    struct pa_video_reader *video;
};

static int is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") ||
                   !strcasecmp(dot, ".jpeg"));
}

/* True when the file starts like a PNG or a JPEG. */
static int sniff_image(const char *path)
{
    unsigned char b[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(b, 1, sizeof(b), f);
    fclose(f);
    return (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) ||
           (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int open_folder(struct pa_source *s)
{
    DIR *d = opendir(s->path);
    if (!d) {
        pa_log_error("io", "%s: %s", s->path, strerror(errno));
        return PA_ENOENT;
    }
    int cap = 0, ret = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !is_image_name(e->d_name))
            continue;
        if (s->n_files == cap) {
            cap = cap ? cap * 2 : 64;
            char **nf = pa_realloc_array(s->files, (size_t)cap, sizeof(*nf));
            if (!nf) {
                ret = PA_ENOMEM;
                break;
            }
            s->files = nf;
        }
        size_t n = strlen(s->path) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p) {
            ret = PA_ENOMEM;
            break;
        }
        snprintf(p, n, "%s/%s", s->path, e->d_name);
        s->files[s->n_files++] = p;
    }
    closedir(d);
    if (ret < 0)
        return ret;
    if (s->n_files == 0) {
        pa_log_error("io", "%s: folder has no .png/.jpg images", s->path);
        return PA_EINVALDATA;
    }
    qsort(s->files, (size_t)s->n_files, sizeof(*s->files), cmp_str);
    return 0;
}

int pa_source_open(struct pa_source **out, const char *path)
{
    *out = NULL;
    struct pa_source *s = pa_calloc(1, sizeof(*s));
    if (!s)
        return PA_ENOMEM;
    int ret = PA_ENOMEM;
    s->path = pa_strdup(path);
    if (!s->path)
        goto fail;
    struct stat sb;
    int is_url = strstr(path, "://") != NULL;
    if (!is_url && stat(path, &sb) != 0) {
        pa_log_error("io", "%s: %s", path, strerror(errno));
        ret = PA_ENOENT;
        goto fail;
    }
    if (!is_url && S_ISDIR(sb.st_mode)) {
        s->kind = PA_SOURCE_FOLDER;
        ret = open_folder(s);
    } else if (!is_url && sniff_image(path)) {
        s->kind = PA_SOURCE_IMAGE;
        ret = 0;
    } else {
        s->kind = PA_SOURCE_VIDEO;
#if PA_HAVE_FFMPEG
        ret = pa_video_reader_open(&s->video, path);
#else
        pa_log_error("io", "%s: not an image, and this build has no video support", path);
        ret = PA_EUNSUPPORTED;
#endif
    }
    if (ret < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    pa_source_close(s);
    return ret;
}

void pa_source_close(struct pa_source *s)
{
    if (!s)
        return;
#if PA_HAVE_FFMPEG
    pa_video_reader_close(s->video);
#endif
    for (int i = 0; i < s->n_files; i++)
        free(s->files[i]);
    free(s->files);
    pa_image_free(&s->img);
    pa_free(s->path);
    pa_free(s);
}

enum pa_source_kind pa_source_kind(const struct pa_source *s)
{
    return s->kind;
}

double pa_source_fps(const struct pa_source *s)
{
#if PA_HAVE_FFMPEG
    if (s->video)
        return pa_video_reader_info(s->video)->fps;
#endif
    return 0.0;
}

int64_t pa_source_frames(const struct pa_source *s)
{
    switch (s->kind) {
    case PA_SOURCE_IMAGE:
        return 1;
    case PA_SOURCE_FOLDER:
        return s->n_files;
    case PA_SOURCE_VIDEO:
#if PA_HAVE_FFMPEG
        return pa_video_reader_info(s->video)->frames;
#endif
        break;
    }
    return -1;
}

const char *pa_source_frame_name(const struct pa_source *s)
{
    if (s->kind == PA_SOURCE_FOLDER && s->next > 0)
        return s->files[s->next - 1];
    return s->path;
}

int pa_source_read(struct pa_source *s, struct pa_image *img, double *t, double fallback_fps)
{
    if (s->kind == PA_SOURCE_VIDEO) {
#if PA_HAVE_FFMPEG
        return pa_video_reader_read(s->video, img, t);
#else
        return PA_EUNSUPPORTED;
#endif
    }
    int total = s->kind == PA_SOURCE_IMAGE ? 1 : s->n_files;
    if (s->next >= total)
        return PA_EOF;
    const char *file = s->kind == PA_SOURCE_IMAGE ? s->path : s->files[s->next];
    pa_image_free(&s->img);
    int ret = pa_image_load(&s->img, file);
    if (ret < 0)
        return ret;
    *t = fallback_fps > 0 ? s->next / fallback_fps : 0.0;
    s->next++;
    *img = s->img;
    img->owner_buf = NULL;
    return 0;
}

int pa_source_rewind(struct pa_source *s)
{
    s->next = 0;
#if PA_HAVE_FFMPEG
    if (s->video)
        return pa_video_reader_rewind(s->video);
#endif
    return 0;
}

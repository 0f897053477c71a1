/** @file
 * Terminal progress bar: "label [=====>     ]  45/183  25%  31.2 fps  ETA 0:04".
 */
#include "app/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "app/cli.h"

void pa_progress_init(struct pa_progress *p, const char *label, int64_t total, int quiet)
{
    p->label = label;
    p->total = total;
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->t_start_ms = p->t_last_ms = pa_cli_now_ms();
}

void pa_progress_update(struct pa_progress *p, int64_t done)
{
    if (!p->enabled)
        return;
    double now = pa_cli_now_ms();
    if (now - p->t_last_ms < 100.0 && done != p->total)
        return;
    p->t_last_ms = now;
    double secs = (now - p->t_start_ms) / 1000.0;
    double rate = secs > 0 ? (double)done / secs : 0.0;
    if (p->total > 0) {
        int width = 30, fill = (int)(width * done / p->total);
        if (fill > width)
            fill = width;
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        bar[width] = '\0';
        double eta = rate > 0 ? (double)(p->total - done) / rate : 0.0;
        if (eta < 0)
            eta = 0;
        fprintf(stderr, "\r%s [%s] %lld/%lld %3d%%  %.1f fps  ETA %d:%02d ", p->label, bar,
                (long long)done, (long long)p->total, (int)(100 * done / p->total), rate,
                (int)eta / 60, (int)eta % 60);
    } else {
        fprintf(stderr, "\r%s %lld frames  %.1f fps ", p->label, (long long)done, rate);
    }
    fflush(stderr);
}

void pa_progress_done(struct pa_progress *p)
{
    if (p->enabled)
        fputc('\n', stderr);
}

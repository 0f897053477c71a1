/** @file
 * `panim demo`: the README's main job on the built-in default, no webcam needed: the
 * bundled default portrait (models/astronaut.png, public domain) animated by the built-in
 * idle motion into out/demo.mp4, plus its tracked face (mesh overlay and JSON) for a look
 * at what the tracker sees.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/cli.h"

static int run(int argc, char **argv)
{
    const char *out_dir = "out";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: panim demo [--out DIR]\n\n"
                   "Animate the default portrait (%s/astronaut.png) with the built-in idle\n"
                   "motion (breathing, blinks, head sway, gaze shifts, a smile) into\n"
                   "DIR/demo.mp4 (8 s, 25 fps), and write its tracked face: DIR/demo_track.png\n"
                   "(mesh, irises, pose axes) and DIR/demo_track.jsonl. Default DIR: out\n",
                   pa_cli_models_dir());
            return 0;
        }
        if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out_dir = argv[++i];
        } else {
            fprintf(stderr, "panim demo: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (mkdir(out_dir, 0755) != 0 && access(out_dir, W_OK) != 0) {
        fprintf(stderr, "panim demo: cannot create folder '%s'\n", out_dir);
        return 1;
    }
    char portrait[4096], png[4096], jsonl[4096], mp4[4096];
    snprintf(portrait, sizeof(portrait), "%s/astronaut.png", pa_cli_models_dir());
    snprintf(png, sizeof(png), "%s/demo_track.png", out_dir);
    snprintf(jsonl, sizeof(jsonl), "%s/demo_track.jsonl", out_dir);
    snprintf(mp4, sizeof(mp4), "%s/demo.mp4", out_dir);
    char *targv[] = {"track", portrait, "--overlay", png, "-o", jsonl, NULL};
    int ret = pa_cmd_track.run(6, targv);
    if (ret != 0)
        return ret;
    char *aargv[] = {"animate", "-s", portrait, "-d", "idle", "--duration", "8", "--fps", "25",
                     "-o", mp4, NULL};
    ret = pa_cmd_animate.run(11, aargv);
    if (ret == 0)
        printf("\nwrote %s (the portrait, animated), %s and %s (its tracked face)\n", mp4, png,
               jsonl);
    return ret;
}

const struct pa_cli_command pa_cmd_demo = {
    .name = "demo",
    .summary = "run the main job on the built-in default portrait (no webcam needed)",
    .run = run,
};

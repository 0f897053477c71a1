#!/usr/bin/env bash
# Self-reenactment quality gate (docs/QUALITY.md): on shared clips, `mesh` must beat the
# `static` and `affine2d` baselines on face-box SSIM and landmark NME, keep the background
# (whole-frame SSIM at least static's) and follow the head pose within 2 degrees.
# Clips: lp_d0 (512 px, smiles and gaze) and lp_d3_256 (all of lp_d3's motions at 256 px,
# cheap enough for the sanitizer builds).
set -u
B=$1
S=${PA_SHARED_DIR:-$(dirname "$0")/../../../shared}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for clip in lp_d0 lp_d3_256; do
    "$B/panim" eval -d "$S/testdata/driving/$clip.mp4" --method all --json >"$T/$clip.json" \
        2>"$T/$clip.err" || { cat "$T/$clip.err"; echo "FAIL: eval $clip"; exit 1; }
    python3 - "$T/$clip.json" "$clip" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1])); clip = sys.argv[2]
m = {x["method"]: x for x in r["methods"]}
mesh, st, af = m["mesh"], m["static"], m["affine2d"]
pose = (mesh["yaw_err"] + mesh["pitch_err"] + mesh["roll_err"]) / 3
print(f"{clip}: face SSIM mesh {mesh['ssim_face']:.3f} static {st['ssim_face']:.3f} "
      f"affine2d {af['ssim_face']:.3f} | NME mesh {100*mesh['nme']:.2f}% static "
      f"{100*st['nme']:.2f}% affine2d {100*af['nme']:.2f}% | full SSIM mesh "
      f"{mesh['ssim_full']:.3f} static {st['ssim_full']:.3f} | pose err {pose:.2f} deg")
checks = [
    (mesh["ssim_face"] > st["ssim_face"], "face SSIM beats static"),
    (mesh["ssim_face"] > af["ssim_face"], "face SSIM beats affine2d"),
    (mesh["nme"] < st["nme"] and mesh["nme"] < af["nme"], "NME beats both baselines"),
    (mesh["ssim_full"] >= st["ssim_full"] - 1e-3, "background held (full SSIM >= static)"),
    (max(mesh["yaw_err"], mesh["pitch_err"], mesh["roll_err"]) <= 2.0, "pose error <= 2 deg"),
    (mesh["lost"] == 0, "no lost frames"),
]
bad = [name for ok, name in checks if not ok]
if bad:
    print("FAIL:", "; ".join(bad)); sys.exit(1)
PY
done
echo "1 passed, 0 failed"

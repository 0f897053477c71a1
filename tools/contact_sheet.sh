#!/usr/bin/env bash
# Cross-reenactment contact sheet for docs/QUALITY.md: each public-domain portrait (the NASA
# astronaut photo and the Mona Lisa) driven by each shared clip with `panim animate`; one row
# per pair, three output frames (at 25%, 50% and 75% of the clip), 192 px tiles.
# Only the portraits' own faces appear: the driving clips' people are not republished.
#   tools/contact_sheet.sh [BUILD_DIR] [OUT.png]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$ROOT/build}
OUT=${2:-$ROOT/docs/images/cross_reenactment.jpg}
S=${PA_SHARED_DIR:-$ROOT/../shared}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rows=()
for p in "${PA_MODELS_DIR:-$ROOT/models}/astronaut.png" "$S/testdata/source/lp_s9.jpg"; do
    for c in lp_d0 lp_d3 lp_d12 xportrait_driving; do
        name=$(basename "${p%.*}")_$c
        "$B/panim" animate -q -s "$p" -d "$S/testdata/driving/$c.mp4" -o "$T/$name.mp4" >/dev/null
        n=$(ffprobe -v error -count_frames -select_streams v:0 \
            -show_entries stream=nb_read_frames -of csv=p=0 "$T/$name.mp4")
        a=$((n / 4)) b=$((n / 2)) d=$((3 * n / 4))
        ffmpeg -v error -y -i "$T/$name.mp4" \
            -vf "select=eq(n\,$a)+eq(n\,$b)+eq(n\,$d),crop=min(iw\,ih):min(iw\,ih):(iw-min(iw\,ih))/2:(ih-min(iw\,ih))/4,scale=192:192,tile=3x1" \
            -vsync 0 -frames:v 1 "$T/$name.png"
        rows+=("$T/$name.png")
        echo "$name: $n frames"
    done
done
inputs=()
for r in "${rows[@]}"; do inputs+=(-i "$r"); done
ffmpeg -v error -y "${inputs[@]}" -filter_complex "vstack=inputs=${#rows[@]}" -q:v 4 "$OUT"
echo "wrote $OUT"

#!/usr/bin/env bash
# CLI test of `panim animate` (src/app/cmd_animate.c) and a smoke run of `panim eval`.
#   bash tests/cli/animate.sh BUILD_DIR
# Checks: idle motion for 2 s gives an MP4 with exactly 50 frames; a 20-frame driving clip
# with an audio track gives 20 frames and the audio copied (and none without audio); -o DIR/
# writes numbered PNGs; a faceless portrait, a missing or corrupt driver and an unwritable
# output each give exit 1, one error line naming the file, and no output or .part file;
# Ctrl-C ends with exit 130 and no .part file left; eval prints one JSON object.
# Exit 0 pass, 1 fail, 77 skipped (no binary, models or ffmpeg).
set -u
B=${1:?usage: animate.sh BUILD_DIR}
SRC=${PA_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${PA_SHARED_DIR:-$SRC/../shared}
export PA_MODELS_DIR=${PA_MODELS_DIR:-$SRC/models}
P=$B/panim
[ -x "$P" ] || { echo "SKIP: $P is not built"; exit 77; }
"$P" animate --help >/dev/null 2>&1 || { echo "SKIP: this panim has no animate command"; exit 77; }
[ -f "$PA_MODELS_DIR/face_landmark_with_attention.tflite" ] ||
    { echo "SKIP: models not installed in $PA_MODELS_DIR"; exit 77; }
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null ||
    { echo "SKIP: ffmpeg/ffprobe not installed"; exit 77; }
PORTRAIT=$PA_MODELS_DIR/astronaut.png
[ -f "$PORTRAIT" ] || PORTRAIT=$SHARED/testdata/source/astronaut.png
CLIP=$SHARED/testdata/driving/lp_d0_256.mp4
[ -f "$CLIP" ] || { echo "SKIP: $CLIP missing"; exit 77; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/panim-cli-animate.XXXXXX")
trap 'chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
show() { echo "---- $1"; cat "$1"; }
step() { echo "== $*"; }
frames() {
    ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
        -of csv=p=0 "$1"
}
audio_streams() { ffprobe -v error -select_streams a -show_entries stream=index -of csv=p=0 "$1" |
    wc -l; }
# exit 1, exactly one stderr line that names $2, no file $3 and no $3.part
expect_error() {
    local rc=$1 name=$2 out=$3 log=$4
    [ "$rc" = 1 ] || { show "$log"; fail "expected exit 1, got $rc"; }
    [ "$(wc -l <"$log")" = 1 ] || { show "$log"; fail "expected one error line"; }
    grep -qF "$name" "$log" || { show "$log"; fail "the error does not name $name"; }
    [ ! -e "$out" ] && [ ! -e "$out.part" ] || fail "output $out left behind"
}

step "idle, 2 s at 25 fps"
t0=$(date +%s%N)
"$P" animate -s "$PORTRAIT" -d idle --duration 2 -o "$TMP/idle.mp4" >"$TMP/idle.log" 2>&1 ||
    { show "$TMP/idle.log"; fail "idle animation failed"; }
echo "idle: $((($(date +%s%N) - t0) / 1000000)) ms; $(cat "$TMP/idle.log")"
n=$(frames "$TMP/idle.mp4")
[ "$n" = 50 ] || fail "idle: expected 50 frames, got $n"
[ ! -e "$TMP/idle.mp4.part" ] || fail "idle: .part left"

step "driving clip with audio (20 frames)"
ffmpeg -v error -y -i "$CLIP" -f lavfi -i sine=frequency=440:sample_rate=44100 -t 0.8 \
    -map 0:v -map 1:a -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac \
    "$TMP/drv_audio.mp4" || fail "cannot make the driving clip"
ffmpeg -v error -y -i "$CLIP" -frames:v 20 -an -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
    "$TMP/drv.mp4" || fail "cannot make the silent driving clip"
[ "$(frames "$TMP/drv_audio.mp4")" = 20 ] || fail "test clip: expected 20 frames"
"$P" animate -s "$PORTRAIT" -d "$TMP/drv_audio.mp4" -o "$TMP/drv_audio_out.mp4" \
    >"$TMP/drv.log" 2>&1 || { show "$TMP/drv.log"; fail "driving animation failed"; }
cat "$TMP/drv.log"
[ "$(frames "$TMP/drv_audio_out.mp4")" = 20 ] || fail "driving: expected 20 frames"
[ "$(audio_streams "$TMP/drv_audio_out.mp4")" = 1 ] || fail "driving: audio not copied"
"$P" animate -q -s "$PORTRAIT" -d "$TMP/drv.mp4" -o "$TMP/drv_out.mp4" --method affine2d \
    --fps 50 --size 256x256 2>"$TMP/drv2.log" || { show "$TMP/drv2.log"; fail "silent driver"; }
[ "$(audio_streams "$TMP/drv_out.mp4")" = 0 ] || fail "silent driver: output has audio"
[ "$(frames "$TMP/drv_out.mp4")" = 40 ] || fail "--fps 50: expected 40 frames"
w=$(ffprobe -v error -select_streams v:0 -show_entries stream=width -of csv=p=0 "$TMP/drv_out.mp4")
[ "$w" = 256 ] || fail "--size 256x256: width $w"

step "-o DIR/ writes numbered PNGs"
"$P" animate -q -s "$PORTRAIT" -d idle --duration 0.2 -o "$TMP/pngs/" 2>"$TMP/png.log" ||
    { show "$TMP/png.log"; fail "PNG output failed"; }
n=$(ls "$TMP/pngs" | grep -c '^[0-9]*\.png$')
[ "$n" = 5 ] || { ls "$TMP/pngs"; fail "expected 5 PNGs, got $n"; }

step "faceless portrait"
ffmpeg -v error -y -f lavfi -i "gradients=s=320x240:c0=red:c1=blue" -frames:v 1 "$TMP/grad.png" ||
    fail "cannot make the gradient"
"$P" animate -s "$TMP/grad.png" -d idle -o "$TMP/noface.mp4" >/dev/null 2>"$TMP/noface.log"
expect_error $? grad.png "$TMP/noface.mp4" "$TMP/noface.log"
grep -q "no face" "$TMP/noface.log" || { show "$TMP/noface.log"; fail "no 'no face' message"; }

step "missing and corrupt drivers"
"$P" animate -s "$PORTRAIT" -d "$TMP/nothere.mp4" -o "$TMP/x.mp4" >/dev/null 2>"$TMP/nd.log"
expect_error $? nothere.mp4 "$TMP/x.mp4" "$TMP/nd.log"
head -c 5000 /dev/urandom >"$TMP/corrupt.mp4"
"$P" animate -s "$PORTRAIT" -d "$TMP/corrupt.mp4" -o "$TMP/x.mp4" >/dev/null 2>"$TMP/cd.log"
expect_error $? corrupt.mp4 "$TMP/x.mp4" "$TMP/cd.log"

step "unwritable output"
: >"$TMP/plainfile" # a file used as a folder fails even for root
"$P" animate -s "$PORTRAIT" -d idle --duration 0.5 -o "$TMP/plainfile/out.mp4" >/dev/null \
    2>"$TMP/uw.log"
expect_error $? out.mp4 "$TMP/plainfile/out.mp4" "$TMP/uw.log"
if [ "$(id -u)" != 0 ]; then
    mkdir "$TMP/ro" && chmod 555 "$TMP/ro"
    "$P" animate -s "$PORTRAIT" -d idle --duration 0.5 -o "$TMP/ro/out.mp4" >/dev/null \
        2>"$TMP/ro.log"
    expect_error $? out.mp4 "$TMP/ro/out.mp4" "$TMP/ro.log"
    [ -z "$(ls "$TMP/ro")" ] || fail "read-only folder: files left: $(ls "$TMP/ro")"
fi

step "Ctrl-C"
"$P" animate -q -s "$PORTRAIT" -d idle --duration 600 -o "$TMP/int.mp4" 2>"$TMP/int.log" &
pid=$!
for _ in $(seq 100); do [ -s "$TMP/int.mp4.part" ] && break; sleep 0.1; done
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
[ "$rc" = 130 ] || { show "$TMP/int.log"; fail "Ctrl-C: exit $rc, expected 130"; }
[ ! -e "$TMP/int.mp4.part" ] || fail "Ctrl-C: .part left"
if [ -e "$TMP/int.mp4" ]; then
    n=$(frames "$TMP/int.mp4")
    [ "${n:-0}" -gt 0 ] || fail "Ctrl-C: the finished file has no frames"
    echo "interrupted file: $n frames"
fi

step "eval --json smoke run (5 frames)"
"$P" eval -q -d "$CLIP" --frames 5 --json >"$TMP/eval.json" 2>"$TMP/eval.log" ||
    { show "$TMP/eval.log"; fail "eval failed"; }
cat "$TMP/eval.json"
[ "$(wc -l <"$TMP/eval.json")" = 1 ] || fail "eval --json: expected one line"
if command -v python3 >/dev/null; then
    python3 - "$TMP/eval.json" <<'EOF' || fail "eval --json: bad JSON or values"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["frames"] == 5, d
ms = {m["method"]: m for m in d["methods"]}
assert set(ms) == {"mesh", "affine2d", "static"}, ms
for m in ms.values():
    assert 0 < m["ssim_face"] <= 1 and 0 < m["ssim_full"] <= 1, m
    assert m["psnr_face"] > 5, m
EOF
fi
echo "PASS"

#!/usr/bin/env bash
# The SDL window output on a virtual X server (src/io/out_sdl.c).
#   bash tests/cli/window.sh BUILD_DIR
# Starts Xvfb (1280x720x24, a free display number picked by -displayfd), runs the unit case
# `test_outputs window_show` on it (a magenta 320x240 frame for 2.5 s, then synthetic
# hotkeys), grabs the screen with ffmpeg's x11grab while the window is up and checks that
# the shot is not black and that the window's middle is the frame's colour.
# Exit 0 pass, 1 fail, 77 skipped (no Xvfb/ffmpeg, or built without SDL2).
set -u
B=${1:?usage: window.sh BUILD_DIR}
T=$B/tests/test_outputs
[ -x "$T" ] || { echo "SKIP: $T is not built"; exit 77; }
grep -q "define PA_HAVE_SDL2 1" "$B/pa_config.h" 2>/dev/null ||
    { echo "SKIP: built without SDL2"; exit 77; }
command -v Xvfb >/dev/null || { echo "SKIP: Xvfb not installed (apt-get install xvfb)"; exit 77; }
command -v ffmpeg >/dev/null || { echo "SKIP: ffmpeg not installed"; exit 77; }
ffmpeg -hide_banner -devices 2>/dev/null | grep -q x11grab ||
    { echo "SKIP: this ffmpeg has no x11grab"; exit 77; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/panim-cli-window.XXXXXX")
XPID=
TPID=
cleanup() {
    [ -n "$TPID" ] && kill "$TPID" 2>/dev/null
    [ -n "$XPID" ] && kill "$XPID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/test.log" ] && cat "$TMP/test.log"; exit 1; }

Xvfb -displayfd 3 -screen 0 1280x720x24 -nolisten tcp 3>"$TMP/display" 2>"$TMP/xvfb.log" &
XPID=$!
for _ in $(seq 50); do [ -s "$TMP/display" ] && break; sleep 0.1; done
D=$(tr -d '[:space:]' <"$TMP/display")
[ -n "$D" ] || { cat "$TMP/xvfb.log"; fail "Xvfb did not start"; }
echo "Xvfb on :$D"

# Under ASan, libdbus and the X/GL modules SDL dlopen()s (and unloads) leak a few static
# blocks that no suppression can name; our own leaks are covered by the other unit cases.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
DISPLAY=:$D PA_TEST_WINDOW_MS=2500 timeout 20 "$T" window_show >"$TMP/test.log" 2>&1 &
TPID=$!
sleep 1.2
ffmpeg -loglevel error -f x11grab -draw_mouse 0 -video_size 1280x720 -i ":$D" -frames:v 1 \
    -f rawvideo -pix_fmt rgb24 -y "$TMP/shot.rgb" || fail "x11grab failed"
wait "$TPID"
rc=$?
TPID=
cat "$TMP/test.log"
[ $rc -eq 0 ] || fail "window_show exited with $rc"

size=$(stat -c %s "$TMP/shot.rgb")
[ "$size" -eq $((1280 * 720 * 3)) ] || fail "screenshot has $size bytes"
lit=$(tr -d '\000' <"$TMP/shot.rgb" | wc -c)
[ "$lit" -gt 100000 ] || fail "screenshot is black ($lit non-zero bytes)"
# The window is centred: a pixel near the screen's middle shows the frame (230, 30, 200).
read -r r g b < <(od -An -tu1 -j $(((340 * 1280 + 620) * 3)) -N3 "$TMP/shot.rgb")
echo "pixel (620, 340): $r $g $b; non-zero bytes: $lit"
near() { [ $(($1 - $2)) -le 12 ] && [ $(($2 - $1)) -le 12 ]; }
near "$r" 230 && near "$g" 30 && near "$b" 200 || fail "centre pixel is not the frame's colour"
echo "PASS"

#!/usr/bin/env bash
# `panim live --output window` on a virtual X server: a screenshot taken while it runs shows
# the animated portrait (not black, textured like a photo, and changing between two shots).
# Exit 0 pass, 1 fail, 77 skipped (no Xvfb/ffmpeg x11grab, or built without SDL2).
set -u
B=${1:?usage: live_window.sh BUILD_DIR}
P=$B/panim
grep -q "define PA_HAVE_SDL2 1" "$B/pa_config.h" 2>/dev/null || { echo "SKIP: no SDL2"; exit 77; }
command -v Xvfb >/dev/null || { echo "SKIP: Xvfb not installed"; exit 77; }
ffmpeg -hide_banner -devices 2>/dev/null | grep -q x11grab || { echo "SKIP: no x11grab"; exit 77; }
portrait=${PA_MODELS_DIR:-models}/astronaut.png
[ -f "$portrait" ] || { echo "SKIP: $portrait missing (panim models install)"; exit 77; }
TMP=$(mktemp -d)
XPID= ; LPID=
trap '[ -n "$LPID" ] && kill $LPID 2>/dev/null; [ -n "$XPID" ] && kill $XPID 2>/dev/null; rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; cat "$TMP/live.log" 2>/dev/null; exit 1; }

Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$TMP/display" 2>/dev/null &
XPID=$!
for _ in $(seq 50); do [ -s "$TMP/display" ] && break; sleep 0.1; done
D=$(tr -d '[:space:]' <"$TMP/display")
[ -n "$D" ] || fail "Xvfb did not start"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" # SDL/X11 module leaks
DISPLAY=:$D timeout 30 "$P" live -s "$portrait" -d idle --output window --duration 5 \
    --status 0 >"$TMP/live.log" 2>&1 &
LPID=$!
sleep 2.5
shot() {
    ffmpeg -loglevel error -f x11grab -draw_mouse 0 -video_size 1024x768 -i ":$D" \
        -frames:v 1 -f rawvideo -pix_fmt gray -y "$1" || fail "x11grab failed"
}
shot "$TMP/a.gray"
sleep 1
shot "$TMP/b.gray"
wait $LPID || fail "live exited with an error"
LPID=
python3 - "$TMP/a.gray" "$TMP/b.gray" <<'PY' || fail "screenshot check failed"
import sys
a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read()
lit = sum(1 for v in a if v > 16)
mean = sum(a) / len(a); var = sum((v - mean) ** 2 for v in a[::7]) / len(a[::7])
diff = sum(1 for x, y in zip(a, b) if abs(x - y) > 8)
print(f"lit pixels {lit}, grey variance {var:.0f}, pixels changed between shots {diff}")
assert lit > 512 * 512 // 2, "window is (mostly) black"
assert var > 300, "no photo texture on screen"
assert diff > 50, "the portrait is not moving"
PY
echo "1 passed, 0 failed"

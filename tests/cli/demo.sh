#!/usr/bin/env bash
# The README's main job (`panim demo`, what tools/demo.sh runs): the default portrait
# animated by idle motion into an 8 s video, plus its tracked face.
set -u
B=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -f "${PA_MODELS_DIR:-models}/astronaut.png" ] || { echo "default portrait missing"; exit 1; }
"$B/panim" demo --out "$T/out" >"$T/log" 2>&1 || { cat "$T/log"; echo "FAIL: demo"; exit 1; }
n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
    -of csv=p=0 "$T/out/demo.mp4")
[ "$n" = 200 ] || { echo "FAIL: demo.mp4 has $n frames, expected 200"; exit 1; }
grep -q '"found":true' "$T/out/demo_track.jsonl" || { echo "FAIL: no face in demo_track"; exit 1; }
[ -s "$T/out/demo_track.png" ] || { echo "FAIL: no overlay"; exit 1; }
# The animation moves: frames 0 and 100 differ somewhere in the face.
ffmpeg -v error -i "$T/out/demo.mp4" -vf "select=eq(n\,0)+eq(n\,100)" -vsync 0 -f rawvideo \
    -pix_fmt gray "$T/f.raw"
python3 - "$T/f.raw" <<'PY' || { echo "FAIL: the demo portrait does not move"; exit 1; }
import sys
d = open(sys.argv[1], "rb").read(); n = len(d) // 2
diff = sum(1 for a, b in zip(d[:n], d[n:]) if abs(a - b) > 10)
print("pixels changed between frame 0 and 100:", diff)
sys.exit(0 if diff > 200 else 1)
PY
echo "1 passed, 0 failed"

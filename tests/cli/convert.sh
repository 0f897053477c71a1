#!/usr/bin/env bash
# CLI test of `panim convert` (src/app/cmd_convert.c), checked with `panim track`.
#   bash tests/cli/convert.sh BUILD_DIR
# lp_s9.jpg (720x1280) → 512x512 PNG: the tracker finds the face there, level (|roll| < 3°),
# centred horizontally, a little below the middle, about 512/2.2 px tall. The same picture
# turned by 20° (made with ffmpeg when it is installed) comes back level, and stays tilted
# with --no-align. --size and .jpg output; --normalize raises the contrast of a washed-out
# copy (ffmpeg's signalstats). A picture without a face: exit 1, one line, no file. Bad usage
# exits 2. Exit 0 pass, 1 fail, 77 skipped (no binary, models or test data).
set -u
B=${1:?usage: convert.sh BUILD_DIR}
SRC=${PA_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
P=$B/panim
SHARED=${PA_SHARED_DIR:-$SRC/../shared}
M=${PA_MODELS_DIR:-$SRC/models}
IN=$SHARED/testdata/source/lp_s9.jpg
[ -x "$P" ] || { echo "SKIP: $P is not built"; exit 77; }
[ -f "$IN" ] || { echo "SKIP: $IN missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to read the JSON"; exit 77; }
"$P" models list --dir "$M" >/dev/null 2>&1 || { echo "SKIP: no verified models in $M"; exit 77; }
export PA_MODELS_DIR=$M

TMP=$(mktemp -d "${TMPDIR:-/tmp}/panim-cli-convert.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
show() { echo "---- $1"; cat "$1"; }
step() { echo "== $*"; }
have_ffmpeg=0
command -v ffmpeg >/dev/null && have_ffmpeg=1

png_size() { # prints "W H" from the IHDR chunk
    od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}'
}

# face_check IMG N MAXROLL MARGIN: track IMG (N×N) and check face, roll, position and size
# (the face box's larger side should be N / MARGIN).
face_check() {
    local img=$1 n=$2 maxroll=$3 margin=$4
    "$P" track "$img" -q -o "$TMP/t.jsonl" >/dev/null 2>"$TMP/t.err" || { show "$TMP/t.err"; fail "track $img"; }
    python3 - "$TMP/t.jsonl" "$n" "$maxroll" "$margin" <<'EOF' || fail "face check of $img"
import json, sys
d = json.loads(open(sys.argv[1]).readline())
n, maxroll, margin = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
if not d["found"]:
    sys.exit("no face in the converted picture")
pts = [p for p in d["landmarks"][:468]]
xs, ys = [p[0] for p in pts], [p[1] for p in pts]
cx, cy = (min(xs) + max(xs)) / 2 / n, (min(ys) + max(ys)) / 2 / n
size = max(max(xs) - min(xs), max(ys) - min(ys)) / n
roll = d["pose"]["roll"]
eye = (pts[263][1] - pts[33][1]) / n
print("roll %.2f deg, eye-line slope %.4f, face centre (%.3f, %.3f), face size %.3f of the side"
      % (roll, eye, cx, cy, size))
ok = abs(roll) <= maxroll and abs(cx - 0.5) < 0.04 and 0.5 < cy < 0.64 and abs(size * margin - 1) < 0.1
sys.exit(0 if ok else "face not level, not centred or not the expected size")
EOF
}

step "lp_s9.jpg (720x1280) -> 512x512 PNG"
"$P" convert "$IN" "$TMP/a.png" >"$TMP/c.out" 2>"$TMP/c.err" || { show "$TMP/c.err"; fail "convert exit $?"; }
cat "$TMP/c.out"
[ "$(wc -l <"$TMP/c.out")" = 1 ] || fail "convert should print one line"
grep -q "rotated [0-9.]* deg .*clockwise to level the eyes; cropped .*resized to 512x512; saved $TMP/a.png" "$TMP/c.out" ||
    fail "convert's report"
[ "$(png_size "$TMP/a.png")" = "512 512" ] || fail "size $(png_size "$TMP/a.png"), expected 512 512"
margin_of() { sed -nE 's/.*, margin ([0-9.]+).*/\1/p' "$1"; }
face_check "$TMP/a.png" 512 3 "$(margin_of "$TMP/c.out")"

step "--size 300 to JPEG"
"$P" convert "$IN" "$TMP/b.jpg" --size 300 -q >"$TMP/q.out" 2>&1 || { show "$TMP/q.out"; fail "jpeg"; }
[ -s "$TMP/q.out" ] && fail "--quiet printed something"
[ "$(od -An -tx1 -N2 "$TMP/b.jpg" | tr -d ' ')" = ffd8 ] || fail "b.jpg is not a JPEG"
face_check "$TMP/b.jpg" 300 3 "$(margin_of "$TMP/c.out")"

if [ $have_ffmpeg = 1 ]; then
    step "a picture turned by 20 degrees comes back level"
    ffmpeg -v error -i "$IN" -vf "rotate=20*PI/180:fillcolor=gray" -frames:v 1 "$TMP/rot.png" ||
        fail "ffmpeg rotate"
    "$P" convert "$TMP/rot.png" "$TMP/r.png" >"$TMP/c.out" 2>&1 || { show "$TMP/c.out"; fail "convert rot"; }
    cat "$TMP/c.out"
    grep -Eq 'rotated (17|18|19|20|21|22)\.[0-9] deg counter-clockwise' "$TMP/c.out" ||
        fail "should report about 20 degrees counter-clockwise"
    face_check "$TMP/r.png" 512 3 "$(margin_of "$TMP/c.out")"
    "$P" convert "$TMP/rot.png" "$TMP/n.png" --no-align -q || fail "--no-align"
    "$P" track "$TMP/n.png" -q -o "$TMP/n.jsonl" >/dev/null 2>&1 || fail "track n.png"
    python3 -c "
import json,sys; d=json.loads(open('$TMP/n.jsonl').readline())
print('--no-align roll %.1f' % d['pose']['roll']); sys.exit(0 if d['found'] and abs(d['pose']['roll']) > 12 else 1)" ||
        fail "--no-align must keep the tilt"

    step "--normalize stretches a washed-out picture"
    ffmpeg -v error -i "$IN" -vf "eq=contrast=0.45:brightness=0.12" -frames:v 1 "$TMP/flat.png" ||
        fail "ffmpeg eq"
    "$P" convert "$TMP/flat.png" "$TMP/f0.png" -q || fail "convert flat"
    "$P" convert "$TMP/flat.png" "$TMP/f1.png" --normalize >"$TMP/c.out" 2>&1 || { show "$TMP/c.out"; fail "normalize"; }
    cat "$TMP/c.out"
    grep -q "exposure: face luma 2..98% = " "$TMP/c.out" || fail "normalize report"
    spread() { # 90th - 10th percentile of luma over the picture
        ffmpeg -v error -i "$1" -vf signalstats,metadata=print:file=- -f null - |
            awk -F= '/YLOW/{lo=$2} /YHIGH/{hi=$2} END{print hi-lo}'
    }
    s0=$(spread "$TMP/f0.png"); s1=$(spread "$TMP/f1.png")
    echo "luma 10..90% spread: plain $s0, normalized $s1"
    awk -v a="$s0" -v b="$s1" 'BEGIN{exit !(b > a * 1.3)}' || fail "--normalize did not stretch"
    face_check "$TMP/f1.png" 512 3 "$(margin_of "$TMP/c.out")"
else
    echo "note: ffmpeg not installed: rotation, --no-align and --normalize steps skipped"
fi

step "a picture without a face: exit 1, one line, no file"
python3 - "$TMP/noface.png" <<'EOF' || fail "could not write the test picture"
import struct, sys, zlib
w, h = 320, 240
raw = bytearray()
for y in range(h):
    raw.append(0)  # filter type: none
    for x in range(w):
        raw += bytes((x * 255 // w, y * 255 // h, 96))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b""))
EOF
"$P" convert "$TMP/noface.png" "$TMP/x.png" >"$TMP/x.out" 2>"$TMP/x.err"
rc=$?
[ $rc = 1 ] || fail "exit $rc for a faceless picture, expected 1"
[ -e "$TMP/x.png" ] && fail "an output file was written"
ls "$TMP"/.x.png* >/dev/null 2>&1 && fail "a temporary file was left"
[ "$(wc -l <"$TMP/x.err")" = 1 ] || { show "$TMP/x.err"; fail "expected one error line"; }
grep -q "noface.png: no face found" "$TMP/x.err" || { show "$TMP/x.err"; fail "error text"; }
[ -s "$TMP/x.out" ] && fail "stdout should be empty"

step "bad usage"
"$P" convert "$IN" "$TMP/y.gif" >/dev/null 2>&1; [ $? = 2 ] || fail ".gif output should exit 2"
[ -e "$TMP/y.gif" ] && fail "y.gif written"
"$P" convert "$IN" >/dev/null 2>&1; [ $? = 2 ] || fail "missing OUT should exit 2"
"$P" convert "$IN" "$TMP/z.png" --size 5 >/dev/null 2>&1; [ $? = 2 ] || fail "--size 5 should exit 2"
"$P" convert "$TMP/none.jpg" "$TMP/z.png" >/dev/null 2>&1; [ $? = 1 ] || fail "missing input should exit 1"
"$P" convert --help | grep -q '^usage: panim convert' || fail "--help"
echo "PASS"

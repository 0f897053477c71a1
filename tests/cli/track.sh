#!/usr/bin/env bash
# CLI test of `panim track` (src/app/cmd_track.c) on real data from ../shared/testdata.
#   bash tests/cli/track.sh BUILD_DIR
# Checks: --help; a portrait gives one JSONL line with 478 (or --landmarks 468: 468) points,
# a pose and expressions, and a PNG overlay of the image's size; an image without a face says
# so, writes found:false and exits 0; corrupt inputs (truncated PNG and JPEG, random bytes, a
# text file named .mp4, an MP4 cut before its index, an MP4 cut mid-stream) give exactly one
# error line naming the file, a non-zero exit and no output file (not even a .part); a clip
# with frames 20-29 blacked out has found:false exactly there and the face back within 2
# frames; --overlay OUT.mp4 decodes with ffprobe to the input's frame count and size; a folder
# gives one line per image; bad options exit 2.
# Needs ffmpeg/ffprobe (to make test clips) and python3 (to read JSON).
# Exit 0 pass, 1 fail, 77 skipped.
set -u
B=${1:?usage: track.sh BUILD_DIR}
SHARED=${PA_SHARED_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
P=$B/panim
[ -x "$P" ] || { echo "SKIP: $P is not built"; exit 77; }
for t in ffmpeg ffprobe python3; do
    command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
SRC=$SHARED/testdata/source
DRV=$SHARED/testdata/driving
[ -f "$SRC/astronaut.png" ] && [ -f "$DRV/lp_d0_256.mp4" ] ||
    { echo "SKIP: shared test data not found in $SHARED"; exit 77; }
"$P" models list >/dev/null 2>&1 || { echo "SKIP: models not installed"; exit 77; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/panim-cli-track.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
show() { echo "---- $1"; cat "$1"; }
step() { echo "== $*"; }

# py FILE.jsonl EXPR: evaluate a Python expression over L = the list of parsed lines.
py() {
    python3 -c "import json,sys; L=[json.loads(l) for l in open(sys.argv[1])]; print($2)" "$1"
}

step "help"
"$P" track --help >"$TMP/h.log" 2>&1 || fail "track --help exit $?"
for o in --output --overlay --landmarks --select --detect-every-frame --no-smooth --min-cutoff \
         --beta --backend --threads --fps --models --quiet; do
    grep -q -- "$o" "$TMP/h.log" || { show "$TMP/h.log"; fail "help does not mention $o"; }
done

step "portrait: JSONL and PNG overlay"
"$P" track "$SRC/astronaut.png" -o "$TMP/a.jsonl" --overlay "$TMP/a.png" >"$TMP/a.out" 2>"$TMP/a.err" ||
    { show "$TMP/a.err"; fail "track astronaut.png exit $?"; }
[ "$(wc -l <"$TMP/a.jsonl")" = 1 ] || fail "expected one JSON line"
[ "$(py "$TMP/a.jsonl" 'L[0]["found"], len(L[0]["landmarks"]), L[0]["faces"]')" = "True 478 1" ] ||
    { show "$TMP/a.jsonl"; fail "astronaut: found/points/faces"; }
[ "$(py "$TMP/a.jsonl" 'sorted(L[0]["pose"]) == sorted(["yaw","pitch","roll","tx","ty","tz","scale"]) and abs(L[0]["pose"]["yaw"]) < 15 and len(L[0]["expr"]) == 13')" = True ] ||
    fail "astronaut: pose / expr fields"
# The face is in the upper middle of the 512x512 picture.
[ "$(py "$TMP/a.jsonl" 'all(150 < p[0] < 300 and 60 < p[1] < 200 for p in L[0]["landmarks"])')" = True ] ||
    fail "astronaut: landmarks not on the face"
grep -q "face found in 1" "$TMP/a.out" || { show "$TMP/a.out"; fail "summary line"; }
[ "$(head -c 8 "$TMP/a.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "overlay is not a PNG"
[ "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 "$TMP/a.png")" = "512,512" ] ||
    fail "overlay PNG size"

step "--landmarks 468, --no-smooth, --backend ref"
"$P" track "$SRC/lp_s42.jpg" --landmarks 468 --no-smooth --backend ref -o "$TMP/b.jsonl" -q \
    >/dev/null 2>"$TMP/b.err" || { show "$TMP/b.err"; fail "468 run exit $?"; }
[ "$(py "$TMP/b.jsonl" 'len(L[0]["landmarks"])')" = 468 ] || fail "468 points expected"

step "--select 3 on a one-face image: no face tracked, faces:1"
"$P" track "$SRC/lp_s9.jpg" --select 3 -o "$TMP/s.jsonl" -q >/dev/null 2>"$TMP/s.err" ||
    { show "$TMP/s.err"; fail "--select 3 exit $?"; }
[ "$(py "$TMP/s.jsonl" 'L[0]["found"], L[0]["faces"]')" = "False 1" ] || fail "--select 3 JSON"

step "no face: message, found:false, exit 0"
ffmpeg -nostdin -v error -y -f lavfi -i "gradients=s=320x240:seed=1" -frames:v 1 "$TMP/grad.png" ||
    fail "ffmpeg could not make a gradient"
"$P" track "$TMP/grad.png" -o "$TMP/g.jsonl" >"$TMP/g.out" 2>"$TMP/g.err" ||
    { show "$TMP/g.err"; fail "no-face image exit $?"; }
grep -q "no face" "$TMP/g.out" || { show "$TMP/g.out"; fail "no 'no face' message"; }
[ "$(py "$TMP/g.jsonl" 'L[0]["found"], L[0]["faces"], "landmarks" in L[0]')" = "False 0 False" ] ||
    { show "$TMP/g.jsonl"; fail "no-face JSON"; }

step "corrupt inputs: one error line naming the file, non-zero exit, no output left"
head -c 100000 "$SRC/astronaut.png" >"$TMP/trunc.png"
head -c 30000 "$SRC/lp_s42.jpg" >"$TMP/trunc.jpg"
head -c 20000 /dev/urandom >"$TMP/random.png"
head -c 20000 /dev/urandom >"$TMP/random.bin"
echo "this is not a video" >"$TMP/text.mp4"
head -c 50000 "$DRV/lp_d0.mp4" >"$TMP/noindex.mp4"  # index (moov) is at the end: cut off
head -c 25000 "$DRV/lp_d0_256.mp4" >"$TMP/cut.mp4"  # faststart: index first, data cut
: >"$TMP/empty.png"
for f in trunc.png trunc.jpg random.png random.bin text.mp4 noindex.mp4 cut.mp4 empty.png; do
    out=$TMP/out_$f.jsonl
    "$P" track "$TMP/$f" -o "$out" --overlay "$TMP/out_$f.mp4" -q >"$TMP/c.out" 2>"$TMP/c.err"
    rc=$?
    [ $rc != 0 ] || { show "$TMP/c.out"; fail "$f: exit 0"; }
    [ "$(wc -l <"$TMP/c.err")" = 1 ] || { show "$TMP/c.err"; fail "$f: expected one error line"; }
    grep -q "$f" "$TMP/c.err" || { show "$TMP/c.err"; fail "$f: error does not name the file"; }
    ls "$out"* "$TMP/out_$f.mp4"* >/dev/null 2>&1 && fail "$f: output left behind"
    echo "$f: exit $rc: $(cat "$TMP/c.err")"
done
"$P" track "$TMP/missing.png" -q >/dev/null 2>"$TMP/m.err" && fail "missing file: exit 0"
grep -q "missing.png" "$TMP/m.err" || { show "$TMP/m.err"; fail "missing file not named"; }

step "face leaves (frames 20-29 black) and comes back"
ffmpeg -nostdin -v error -y -i "$DRV/lp_d0_256.mp4" \
    -vf "drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(n,20,29)'" \
    -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p "$TMP/blank.mp4" ||
    fail "ffmpeg could not make the blanked clip"
"$P" track "$TMP/blank.mp4" -o "$TMP/blank.jsonl" -q >/dev/null 2>"$TMP/bl.err" ||
    { show "$TMP/bl.err"; fail "blanked clip exit $?"; }
seq=$(py "$TMP/blank.jsonl" '"".join("1" if x["found"] else "0" for x in L)')
echo "found per frame: $seq"
[ ${#seq} = 78 ] || fail "expected 78 frames, got ${#seq}"
[ "${seq:0:20}" = 11111111111111111111 ] || fail "face lost before the blank frames"
[ "${seq:20:10}" = 0000000000 ] || fail "face 'found' on black frames"
[ "${seq:32}" = "$(printf '1%.0s' $(seq 32 77))" ] || fail "face not back within 2 frames"
[ "$(py "$TMP/blank.jsonl" '[x["frame"] for x in L] == list(range(78))')" = True ] || fail "frame numbers"

step "overlay MP4: decodes, right frame count and size"
"$P" track "$DRV/lp_d0_256.mp4" --overlay "$TMP/ov.mp4" -q >/dev/null 2>"$TMP/ov.err" ||
    { show "$TMP/ov.err"; fail "overlay mp4 exit $?"; }
info=$(ffprobe -v error -count_frames -select_streams v:0 \
    -show_entries stream=codec_name,width,height,nb_read_frames -of csv=p=0 "$TMP/ov.mp4")
echo "overlay: $info"
[ "$info" = "h264,256,256,78" ] || fail "overlay mp4: expected h264,256,256,78"

step "folder of images: one line each, tracked independently"
mkdir "$TMP/dir"
cp "$SRC/lp_s42.jpg" "$TMP/dir/1.jpg"
cp "$TMP/grad.png" "$TMP/dir/2.png"
cp "$SRC/astronaut.png" "$TMP/dir/3.png"
"$P" track "$TMP/dir" -o "$TMP/dir.jsonl" -q >/dev/null 2>"$TMP/d.err" ||
    { show "$TMP/d.err"; fail "folder exit $?"; }
[ "$(py "$TMP/dir.jsonl" '[x["found"] for x in L]')" = "[True, False, True]" ] ||
    { show "$TMP/dir.jsonl"; fail "folder results"; }

step "bad options exit 2"
for args in "--landmarks 100 $SRC/astronaut.png" "" "--select" "--threads 0 $SRC/astronaut.png" \
            "--select foo $SRC/astronaut.png" "--min-cutoff 0 $SRC/astronaut.png" \
            "--bogus $SRC/astronaut.png"; do
    # shellcheck disable=SC2086
    "$P" track $args >/dev/null 2>&1
    rc=$?
    [ $rc = 2 ] || fail "'panim track $args': exit $rc, expected 2"
done
"$P" track "$DRV/lp_d0_256.mp4" --overlay "$TMP/x.png" -q >/dev/null 2>&1 &&
    fail "a PNG overlay for a video should be refused"
ls "$TMP/x.png" >/dev/null 2>&1 && fail "refused overlay left a file"
echo "PASS"

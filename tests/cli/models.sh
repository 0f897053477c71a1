#!/usr/bin/env bash
# CLI test of `panim models install|list|inspect` (src/app/cmd_models.c, src/app/models.c).
#   bash tests/cli/models.sh BUILD_DIR
# Installs into a temporary folder using the repository's download cache (.cache/npm,
# .cache/deb: filled by the first run, so only that run needs the network), then checks:
# list says ok; a truncated and a bit-flipped model are reported as MISMATCH by name with
# exit 1; install repairs them without npm (warm cache = offline); a missing npm with a cold
# cache is one error line and a non-zero exit; inspect and --help work.
# Exit 0 pass, 1 fail, 77 skipped (no binary, or neither npm nor a warm cache).
set -u
B=${1:?usage: models.sh BUILD_DIR}
SRC=${PA_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
P=$B/panim
[ -x "$P" ] || { echo "SKIP: $P is not built"; exit 77; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/panim-cli-models.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
M=$TMP/models
CACHE=$SRC/.cache
mkdir -p "$CACHE" 2>/dev/null && [ -w "$CACHE" ] || CACHE=$TMP/cache

MODELS=(face_landmark_with_attention.tflite face_landmark.tflite
        geometry_pipeline_metadata_landmarks.binarypb face_detection_short_range.tflite
        selfie_segmentation.tflite)
FACE_TGZ=$CACHE/npm/mediapipe-face_mesh-0.4.1657299874.tgz
SELFIE_TGZ=$CACHE/npm/mediapipe-selfie_segmentation-0.1.1675465747.tgz

fail() { echo "FAIL: $*"; exit 1; }
show() { echo "---- $1"; cat "$1"; }
step() { echo "== $*"; }

if ! command -v npm >/dev/null 2>&1 && ! { [ -f "$FACE_TGZ" ] && [ -f "$SELFIE_TGZ" ]; }; then
    echo "SKIP: npm is not installed and the package cache $CACHE/npm is cold"
    exit 77
fi

# A PATH with the unpacking tools but without npm.
mkdir -p "$TMP/bin"
for t in tar gzip xz dpkg dpkg-deb apt-get; do
    p=$(command -v "$t" 2>/dev/null) && ln -s "$p" "$TMP/bin/$t"
done

step "install into $M (cache $CACHE)"
t0=$(date +%s%N)
"$P" models install --dir "$M" --cache "$CACHE" >"$TMP/i1.log" 2>&1 ||
    { show "$TMP/i1.log"; fail "first install failed"; }
echo "first install: $((($(date +%s%N) - t0) / 1000000)) ms"
for n in "${MODELS[@]}"; do
    [ -s "$M/$n" ] || { show "$TMP/i1.log"; fail "install did not create $n"; }
done
[ -f "$M/astronaut.png" ] || echo "note: no default portrait (apt-get download unavailable)"
ls "$M"/.*.part-* >/dev/null 2>&1 && fail "temporary .part files left in $M"

step "list: all ok"
"$P" models list --dir "$M" >"$TMP/l1.log" 2>&1 || { show "$TMP/l1.log"; fail "list exit $?"; }
for n in "${MODELS[@]}"; do
    grep -Eq "^$n +[0-9]+ +ok " "$TMP/l1.log" || { show "$TMP/l1.log"; fail "list: $n not ok"; }
done

step "install again: nothing to do"
"$P" models install --dir "$M" --cache "$CACHE" >"$TMP/i2.log" 2>&1 ||
    { show "$TMP/i2.log"; fail "second install failed"; }
grep -q "installed" "$TMP/i2.log" && { show "$TMP/i2.log"; fail "second install re-extracted"; }
for n in "${MODELS[@]}"; do
    grep -q "ok .*/$n\$" "$TMP/i2.log" || { show "$TMP/i2.log"; fail "second install: $n"; }
done

step "corrupt: truncate face_landmark.tflite, flip one byte of selfie_segmentation.tflite"
truncate -s 1000 "$M/face_landmark.tflite"
off=4242
byte=$(od -An -tu1 -j $off -N1 "$M/selfie_segmentation.tflite" | tr -d ' ')
printf "\\$(printf %03o $((byte ^ 0x5a)))" |
    dd of="$M/selfie_segmentation.tflite" bs=1 seek=$off conv=notrunc status=none
"$P" models list --dir "$M" >"$TMP/l2.log" 2>&1
rc=$?
[ $rc = 1 ] || { show "$TMP/l2.log"; fail "list on a corrupt folder: exit $rc, expected 1"; }
for n in face_landmark.tflite selfie_segmentation.tflite; do
    grep -Eq "^$n +[0-9]+ +MISMATCH " "$TMP/l2.log" || { show "$TMP/l2.log"; fail "no MISMATCH for $n"; }
done
grep -Eq "^face_landmark.tflite +1000 " "$TMP/l2.log" || fail "list does not show the truncated size"
for n in face_landmark_with_attention.tflite face_detection_short_range.tflite; do
    grep -Eq "^$n +[0-9]+ +ok " "$TMP/l2.log" || { show "$TMP/l2.log"; fail "$n should stay ok"; }
done

step "repair with install, npm hidden (the warm cache must suffice)"
PATH=$TMP/bin "$P" models install --dir "$M" --cache "$CACHE" >"$TMP/i3.log" 2>&1 ||
    { show "$TMP/i3.log"; fail "repairing install failed"; }
for n in face_landmark.tflite selfie_segmentation.tflite; do
    grep -q "/$n: SHA-256 mismatch (expected .*, got .*); re-extracting" "$TMP/i3.log" ||
        { show "$TMP/i3.log"; fail "install did not report the mismatch of $n"; }
done
"$P" models list --dir "$M" >"$TMP/l3.log" 2>&1 || { show "$TMP/l3.log"; fail "list after repair"; }
grep -q MISMATCH "$TMP/l3.log" && fail "still a MISMATCH after repair"

step "missing npm with a cold cache: one error line, non-zero exit"
PATH=$TMP/bin "$P" models install --dir "$TMP/m2" --cache "$TMP/cold" >"$TMP/n.out" 2>"$TMP/n.err"
rc=$?
[ $rc != 0 ] || fail "install without npm succeeded"
[ "$(wc -l <"$TMP/n.err")" = 1 ] || { show "$TMP/n.err"; fail "expected exactly one error line"; }
grep -qx 'panim: npm not found: install it with `apt-get install npm` (Debian)' "$TMP/n.err" ||
    { show "$TMP/n.err"; fail "wrong npm error"; }
[ -z "$(ls -A "$TMP/m2" 2>/dev/null)" ] || fail "files appeared without npm"

step "inspect"
"$P" models inspect --dir "$M" face_detection_short_range.tflite >"$TMP/x.log" 2>&1 ||
    { show "$TMP/x.log"; fail "inspect failed"; }
grep -q "^sha256: *3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633" "$TMP/x.log" &&
    grep -q "^manifest: ok" "$TMP/x.log" || { show "$TMP/x.log"; fail "inspect checksum lines"; }
grep -q "CONV_2D" "$TMP/x.log" || grep -q "not available" "$TMP/x.log" ||
    { show "$TMP/x.log"; fail "inspect shows no model structure"; }
"$P" models inspect --dir "$M" no_such.tflite >/dev/null 2>&1 && fail "inspect of a missing file"

step "help and usage errors"
for s in install list inspect; do
    "$P" models $s --help >"$TMP/h.log" 2>&1 || fail "models $s --help exit $?"
    grep -q "^usage: panim models $s" "$TMP/h.log" || { show "$TMP/h.log"; fail "$s help"; }
done
"$P" models list --bogus >/dev/null 2>&1; [ $? = 2 ] || fail "bad option should exit 2"
"$P" models frobnicate >/dev/null 2>&1; [ $? = 2 ] || fail "bad subcommand should exit 2"
echo "PASS"

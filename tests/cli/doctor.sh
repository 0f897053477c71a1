#!/usr/bin/env bash
# CLI test of `panim doctor` (src/app/cmd_doctor.c).
#   bash tests/cli/doctor.sh BUILD_DIR
# With the installed model folder: every output line is "OK|WARN|FAIL  check  message", all
# ten checks appear once, the models line is OK, and the exit status is 1 exactly when a line
# FAILs. With PA_MODELS_DIR pointing at an empty folder: the models line FAILs with the
# install hint, XNNPACK is not run, exit status 1. `panim devices` agrees with the cameras
# line ("no cameras found", exit 0, on a machine without one). Plus --help and bad options.
# Exit 0 pass, 1 fail, 77 skipped (no binary, or the model folder is not installed).
set -u
B=${1:?usage: doctor.sh BUILD_DIR}
SRC=${PA_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
P=$B/panim
[ -x "$P" ] || { echo "SKIP: $P is not built"; exit 77; }
M=${PA_MODELS_DIR:-$SRC/models}
"$P" models list --dir "$M" >/dev/null 2>&1 ||
    { echo "SKIP: no verified models in $M (run: panim models install)"; exit 77; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/panim-cli-doctor.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
show() { echo "---- $1"; cat "$1"; }
step() { echo "== $*"; }
CHECKS=(models cpu xnnpack cameras v4l2loopback display ndi ffmpeg disk config)

# check_format FILE: every line is a check line; each check appears exactly once.
check_format() {
    local f=$1 bad
    bad=$(grep -Ecv '^(OK|WARN|FAIL) +[a-z0-9]+ +[^ ]' "$f")
    [ "$bad" = 0 ] || { show "$f"; fail "$bad line(s) do not start with OK/WARN/FAIL + check"; }
    for c in "${CHECKS[@]}"; do
        [ "$(grep -Ec "^(OK|WARN|FAIL) +$c " "$f")" = 1 ] || { show "$f"; fail "check '$c' not reported once"; }
    done
    [ "$(wc -l <"$f")" = ${#CHECKS[@]} ] || { show "$f"; fail "expected ${#CHECKS[@]} lines"; }
}

step "doctor with the installed models ($M)"
t0=$(date +%s%N)
PA_MODELS_DIR=$M timeout 25 "$P" doctor >"$TMP/d1.out" 2>"$TMP/d1.err"
rc=$?
echo "doctor: $((($(date +%s%N) - t0) / 1000000)) ms, exit $rc"
cat "$TMP/d1.out"
[ $rc = 124 ] && fail "doctor took more than 25 s"
check_format "$TMP/d1.out"
grep -Eq '^OK +models +[0-9]+ files verified' "$TMP/d1.out" || fail "models line is not OK"
if grep -q '^FAIL' "$TMP/d1.out"; then want=1; else want=0; fi
[ $rc = $want ] || fail "exit $rc, but the report says $want"
[ -s "$TMP/d1.err" ] && { show "$TMP/d1.err"; fail "doctor wrote to stderr"; }
# The XNNPACK line must say it really ran (or why not), never stay silent.
grep -Eq '^(OK +xnnpack +face_landmark runs in [0-9.]+ ms|WARN +xnnpack +not compiled in)' \
    "$TMP/d1.out" || fail "xnnpack line"
# Without a camera the line must say so with a fix; without the module, the modprobe line.
if ! ls /dev/video* >/dev/null 2>&1; then
    grep -Eq '^WARN +cameras +no webcam found.*fix:' "$TMP/d1.out" || fail "cameras line"
fi
if [ ! -d /sys/module/v4l2loopback ]; then
    grep -q 'sudo modprobe v4l2loopback devices=1 video_nr=10 card_label=panim exclusive_caps=1' \
        "$TMP/d1.out" || fail "v4l2loopback line lacks the modprobe fix"
fi

step "doctor with an empty model folder"
mkdir "$TMP/empty"
PA_MODELS_DIR=$TMP/empty timeout 25 "$P" doctor >"$TMP/d2.out" 2>"$TMP/d2.err"
rc=$?
cat "$TMP/d2.out"
[ $rc = 1 ] || fail "exit $rc with no models, expected 1"
check_format "$TMP/d2.out"
grep -Eq "^FAIL +models +face_landmark_with_attention.tflite missing.*$TMP/empty; fix: panim models install --dir $TMP/empty\$" \
    "$TMP/d2.out" || fail "models line should FAIL with the install hint"
grep -Eq '^(WARN +xnnpack +compiled in; not run|WARN +xnnpack +not compiled in)' "$TMP/d2.out" ||
    fail "xnnpack must not run without models"

step "panim devices agrees with the cameras line"
"$P" devices >"$TMP/dev.out" 2>&1 || { show "$TMP/dev.out"; fail "devices exit $?"; }
cat "$TMP/dev.out"
if grep -Eq '^WARN +cameras +no webcam found' "$TMP/d1.out"; then
    grep -qx 'no cameras found' "$TMP/dev.out" || fail "devices should say 'no cameras found'"
else
    grep -q '^/dev/video' "$TMP/dev.out" || fail "devices lists no camera, doctor found one"
fi
"$P" devices --bogus >/dev/null 2>&1; [ $? = 2 ] || fail "devices: bad option should exit 2"

step "--models overrides PA_MODELS_DIR; help; bad usage"
PA_MODELS_DIR=$TMP/empty "$P" doctor --models "$M" >"$TMP/d3.out" 2>&1
grep -Eq '^OK +models ' "$TMP/d3.out" || { show "$TMP/d3.out"; fail "--models ignored"; }
"$P" doctor --help >"$TMP/h.out" 2>&1 || fail "--help exit $?"
grep -q '^usage: panim doctor' "$TMP/h.out" || fail "help text"
"$P" doctor --bogus >/dev/null 2>&1; [ $? = 2 ] || fail "bad option should exit 2"
echo "PASS"

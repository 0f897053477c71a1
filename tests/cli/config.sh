#!/usr/bin/env bash
# CLI test of `panim config dump|check|docs` (src/app/cmd_config.c, src/app/config*.c).
#   bash tests/cli/config.sh BUILD_DIR
# Checks: examples/config.yaml passes `check`; bad files fail with FILE:LINE and the right
# message (exit 1); docs/CONFIG.md equals `panim config docs`; `dump` output passes `check`
# and loads back to the same text (round trip through the CLI); precedence of
# --config < config_local.yaml < --set < flags; bad flags are one error line with exit 1.
# Exit 0 pass, 1 fail, 77 skipped (no binary).
set -u
B=${1:?usage: config.sh BUILD_DIR}
SRC=${PA_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
P=$B/panim
[ -x "$P" ] || { echo "SKIP: $P is not built"; exit 77; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/panim-cli-config.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1 # no stray config_local.yaml from the caller's directory

fail() { echo "FAIL: $*"; exit 1; }
show() { echo "---- $1"; cat "$1"; }
step() { echo "== $*"; }

step "check examples/config.yaml"
"$P" config check "$SRC/examples/config.yaml" >"$TMP/c.log" 2>&1 ||
    { show "$TMP/c.log"; fail "examples/config.yaml is rejected"; }
grep -q ": ok$" "$TMP/c.log" || { show "$TMP/c.log"; fail "no ok line"; }

step "check: bad files name the line and the problem"
expect_bad() { # FILE_CONTENT EXPECTED_SUBSTRING
    printf '%b' "$1" >"$TMP/bad.yaml"
    "$P" config check "$TMP/bad.yaml" >"$TMP/b.log" 2>&1
    local rc=$?
    [ $rc -eq 1 ] || { show "$TMP/b.log"; fail "exit $rc (want 1) for: $1"; }
    grep -qF -- "$2" "$TMP/b.log" || { show "$TMP/b.log"; fail "missing '$2'"; }
}
expect_bad '# x\nanimate:\n  expr_scal: 1.2\n' \
    "bad.yaml:3: unknown key 'animate.expr_scal' (did you mean 'expr_scale'?)"
expect_bad 'track:\n  landmarks: 470\n' "bad.yaml:2: track.landmarks: 470 is not one of 468, 478"
expect_bad 'animate:\n  crop_scale: 9\n' "bad.yaml:2: animate.crop_scale: 9 is out of range 1.5..4"
expect_bad 'animate:\n  expr_scale: [1, 2]\n' "expected one value, found a list"
expect_bad 'animate:\n  yaw_mul: 1\n  yaw_mul: 2\n' "bad.yaml:3: duplicate key"
expect_bad 'driver:\n  source: "\xff"\n' "bad.yaml:2: invalid UTF-8"
expect_bad 'control:\n  port: 80\n  bind: 0.0.0.0\n' "set control.token"
head -c 1100000 /dev/zero | tr '\0' '#' >"$TMP/big.yaml"
"$P" config check "$TMP/big.yaml" >"$TMP/b.log" 2>&1 && fail "a 1.1 MB file is accepted"
grep -q "larger than" "$TMP/b.log" || { show "$TMP/b.log"; fail "no size message"; }
"$P" config check "$TMP/missing.yaml" >"$TMP/b.log" 2>&1 && fail "a missing file is accepted"

step "docs/CONFIG.md is the generated text"
"$P" config docs >"$TMP/CONFIG.md" || fail "config docs exit $?"
diff -u "$SRC/docs/CONFIG.md" "$TMP/CONFIG.md" >"$TMP/docs.diff" ||
    { head -40 "$TMP/docs.diff"; fail "stale docs/CONFIG.md: panim config docs >docs/CONFIG.md"; }

step "dump -> check -> dump round trip"
"$P" config dump --config "$SRC/examples/config.yaml" --set 'control.token="a \"q\" #1"' \
    -s "x y.png" --follow eyes,lips --size 320x240 --models /m >"$TMP/d1.yaml" 2>"$TMP/d.log" ||
    { show "$TMP/d.log"; fail "dump exit $?"; }
"$P" config check "$TMP/d1.yaml" >"$TMP/c.log" 2>&1 || { show "$TMP/c.log"; fail "dump rejected"; }
"$P" config dump --config "$TMP/d1.yaml" >"$TMP/d2.yaml" 2>"$TMP/d.log" || fail "dump 2 exit $?"
diff -u "$TMP/d1.yaml" "$TMP/d2.yaml" || fail "dump -> load -> dump changed the text"
grep -q '^  token: "a \\"q\\" #1"$' "$TMP/d1.yaml" || { show "$TMP/d1.yaml"; fail "token"; }
grep -q '^  follow: \[eyes, lips\]$' "$TMP/d1.yaml" || fail "follow"
grep -q '^    - "x y.png"$' "$TMP/d1.yaml" || fail "-s replaced the portraits"
[ "$(grep -c '^    - "portraits/' "$TMP/d1.yaml")" = 0 ] || fail "-s kept the file's portraits"
for k in paths watch source fps specs size landmarks expr_scale follow crop_scale offline port \
         bind token dir; do
    grep -q "^  $k:" "$TMP/d1.yaml" || fail "dump lacks $k"
done

step "precedence: --config < config_local.yaml < --set < flags"
mkdir -p "$TMP/conf"
printf 'animate:\n  expr_scale: 1.1\n  yaw_mul: 0.5\ndriver:\n  fps: 25\n' >"$TMP/conf/main.yaml"
printf 'animate:\n  expr_scale: 1.2\n  pitch_mul: 0.7\n' >"$TMP/conf/config_local.yaml"
"$P" config dump --expr-scale 1.4 --set driver.fps=20 --config "$TMP/conf/main.yaml" \
    --set animate.expr_scale=1.3 >"$TMP/p.yaml" 2>"$TMP/p.log" ||
    { show "$TMP/p.log"; fail "dump"; }
grep -q '^  expr_scale: 1.4$' "$TMP/p.yaml" || fail "flag does not win"
grep -q '^  pitch_mul: 0.7$' "$TMP/p.yaml" || fail "config_local.yaml not applied"
grep -q '^  yaw_mul: 0.5$' "$TMP/p.yaml" || fail "--config not applied"
grep -q '^  fps: 20$' "$TMP/p.yaml" || fail "--set does not beat the files"

step "bad flags: one error line, exit 1"
"$P" config dump --expr-scal 2 >"$TMP/f.out" 2>"$TMP/f.log" && fail "typo accepted"
grep -q "did you mean '--expr-scale'" "$TMP/f.log" || { show "$TMP/f.log"; fail "no suggestion"; }
[ "$(wc -l <"$TMP/f.log")" = 1 ] || { show "$TMP/f.log"; fail "more than one error line"; }
[ -s "$TMP/f.out" ] && fail "output despite the error"
"$P" config dump --crop-scale 9 >/dev/null 2>"$TMP/f.log" && fail "range accepted"
grep -q -- "--crop-scale: 9 is out of range 1.5..4" "$TMP/f.log" ||
    { show "$TMP/f.log"; fail "range message"; }
"$P" config dump --help >"$TMP/h.log" 2>&1 || fail "--help exit $?"
grep -q -- "--expr-scale X" "$TMP/h.log" || fail "--help lacks the flag list"
"$P" config bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown subcommand is not exit 2"

echo "PASS"

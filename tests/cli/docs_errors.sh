#!/usr/bin/env bash
# Every error and warning message in src/ has an entry in docs/TROUBLESHOOTING.md.
#   bash tests/cli/docs_errors.sh BUILD_DIR     (BUILD_DIR is not used: this reads sources)
# tools/gen_errors.sh lists the messages (pa_log_error/pa_log_warn, fprintf(stderr, ...),
# the config, model-loader, control-API and doctor message helpers) and, with --check,
# looks for each message's longest fixed fragment (the text between printf conversions)
# verbatim in the doc. The rule is documented at the top of tools/gen_errors.sh.
# The test also makes sure the checker can fail: the extractor must find a plausible number
# of messages, and a doc with one known entry removed must be reported.
# Exit 0 pass, 1 fail, 77 skipped (no python3).
set -u
SRC=${PA_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
GEN=$SRC/tools/gen_errors.sh
DOC=$SRC/docs/TROUBLESHOOTING.md
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/panim-cli-docs.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "== extract the messages"
bash "$GEN" --fragments >"$TMP/list" 2>"$TMP/err" || { cat "$TMP/err"; fail "gen_errors.sh failed"; }
n=$(wc -l <"$TMP/list")
checked=$(awk -F'\t' '$2 != "forward"' "$TMP/list" | wc -l)
echo "$n messages, $checked checked"
[ "$checked" -ge 300 ] || fail "only $checked messages found: the extractor is broken"
# A few messages every build has must be among them (with file:line).
for want in "webcam: no camera found" "no face found in the portrait" "unknown key '" \
    "missing: run \`panim models install\`"; do
    grep -qF -- "$want" "$TMP/list" || fail "extractor missed: $want"
done
grep -qE '^src/[a-z]+/[a-z_0-9]+\.[ch]:[0-9]+	' "$TMP/list" || fail "lines are not FILE:LINE<TAB>..."

echo "== the checker fails on a doc that lacks an entry"
frag="the camera is busy (another program is using it)"
grep -qF -- "$frag" "$DOC" || fail "TROUBLESHOOTING.md lacks: $frag"
grep -vF -- "$frag" "$DOC" >"$TMP/doc.md"
if bash "$GEN" --check "$TMP/doc.md" >"$TMP/out" 2>&1; then
    cat "$TMP/out"; fail "the checker accepted a doc without '$frag'"
fi
grep -qF "camera is busy" "$TMP/out" || { cat "$TMP/out"; fail "the missing message was not named"; }

echo "== docs/TROUBLESHOOTING.md covers every message"
if ! bash "$GEN" --check "$DOC" >"$TMP/out" 2>&1; then
    cat "$TMP/out"
    echo "Add an entry for each message above to docs/TROUBLESHOOTING.md (its fixed text,"
    echo "with CAPITAL placeholders for the parts printf fills in), with cause and fix."
    fail "messages without a TROUBLESHOOTING.md entry"
fi
tail -n 1 "$TMP/out"
echo "PASS"

#!/usr/bin/env bash
# README command 2: set up everything, then run the whole test suite three ways:
#   release (XNNPACK), asan (ASan + UBSan, clang, with a 30 s libFuzzer run), ref-only (no XNNPACK),
# and the threaded parts once more under ThreadSanitizer (the mailboxes and `panim live`).
# Usage: tools/test.sh [PRESET...]   (default: release asan ref-only)
set -euo pipefail
cd "$(dirname "$0")/.."
presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(release asan ref-only)
# release is always built: build/panim installs the models.
tools/setup.sh release $(printf '%s\n' "${presets[@]}" | grep -vx release || true)
status=0
for p in "${presets[@]}"; do
    printf '\n\033[1m[test]\033[0m preset %s\n' "$p"
    ctest --preset "$p" || status=1
done
if [ $# -eq 0 ]; then
    printf '\n\033[1m[test]\033[0m preset tsan (threaded pipeline only)\n'
    if cmake --preset tsan >/dev/null && cmake --build --preset tsan --target panim test_mailbox; then
        ctest --preset tsan -R '^(mailbox\.|cli\.live$)' || status=1
    else
        status=1
    fi
fi
tools/check_style.sh || status=1
exit $status

#!/usr/bin/env bash
# Style checks that need no formatter run: file size caps (style guide 2.8) and
# that every .c file starts with an @file comment.
set -u
cd "$(dirname "$0")/.."
status=0
while IFS= read -r f; do
    n=$(wc -l <"$f")
    if [ "$n" -gt 1000 ]; then
        echo "check_style: $f has $n lines (hard cap 1000)"; status=1
    fi
    case "$f" in *.c)
        head -n 3 "$f" | grep -q '@file' || { echo "check_style: $f lacks a /** @file */ header"; status=1; } ;;
    esac
done < <(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'bench/*.c' 'tools/*.c' 2>/dev/null)
[ $status = 0 ] && echo "check_style: ok"
exit $status

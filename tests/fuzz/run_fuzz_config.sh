#!/bin/bash
# Time-boxed libFuzzer run of the YAML config parser with a fixed seed. The corpus is
# rebuilt at each run from examples/config.yaml plus a few small files of every shape the
# reader handles; the dictionary holds YAML punctuation and every section, key and choice
# of src/app/config_table.inc, so mutations reach the value checks quickly.
# usage: run_fuzz_config.sh FUZZER SOURCE_DIR WORK_DIR SECONDS
set -euo pipefail
fuzzer=$1 src=$2 work=$3 secs=$4
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$src/examples/config.yaml" "$work/corpus/example.yaml"
printf 'animate:\n  expr_scale: 1.5\n  follow: [pose, eyes]\n' > "$work/corpus/flow.yaml"
printf 'portrait:\n  paths:\n    - "a b.png"\n    - c.png\noutput: {specs: [w], size: 64x48}\n' \
    > "$work/corpus/lists.yaml"
printf 'track:\n  select: 2\n  landmarks: 468\nrun:\n  offline: on\ncontrol:\n  token: "x\\"y"\n' \
    > "$work/corpus/misc.yaml"
printf 'animate.crop_scale=[2.5]' > "$work/corpus/set.txt"
dict="$work/config.dict"
{
    # libFuzzer dictionary syntax: "\\" is a backslash, "\xNN" a byte.
    cat <<'DICT'
":"
": "
"- "
"["
"]"
"{"
"}"
", "
"\""
"'"
"#"
"&a "
"*a"
"---"
"..."
"~"
"null"
"true"
"\x0a  "
"\x0a    - "
"\\x00"
"\\u2028"
"\xc3\xa9"
"\xe2\x80\xa8"
"!!str "
"? "
"|"
">"
DICT
    # X(section, key, TYPE, ..., "default", "range", ...) rows of the option table
    grep -oE 'X\([a-z_]+, [a-z_]+,' "$src/src/app/config_table.inc" |
        sed -E 's/X\(([a-z_]+), ([a-z_]+),/\1\n\2/' | sort -u | sed 's/.*/"&:"/'
    grep -oE '"[a-z0-9]+(=-?[0-9]+)?(\|[a-z0-9]+(=-?[0-9]+)?)+"' "$src/src/app/config_table.inc" |
        tr -d '"' | tr '|' '\n' | sed -E 's/=.*//' | sort -u | sed 's/.*/"&"/'
} > "$dict"
exec "$fuzzer" "$work/corpus" -dict="$dict" -max_total_time="$secs" -seed=1 -timeout=10 \
    -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 -artifact_prefix="$work/artifacts/"

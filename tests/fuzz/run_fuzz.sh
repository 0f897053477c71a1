#!/bin/bash
# Time-boxed libFuzzer run with a fixed seed, started from a fresh seed corpus made from
# the installed models (the detector and selfie models whole, plus detector prefixes) and,
# when python3 is there, a generated 1.5 KB model that packs every structure the reader
# decodes (make_tflite_seed.py), where mutations are far more effective.
# usage: run_fuzz.sh FUZZER MODELS_DIR WORK_DIR SECONDS
set -euo pipefail
fuzzer=$1 models=$2 work=$3 secs=$4
det="$models/face_detection_short_range.tflite"
[ -f "$det" ] || { echo "skip: $det not found"; exit 77; }
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$det" "$work/corpus/detector.tflite"
[ -f "$models/selfie_segmentation.tflite" ] && cp "$models/selfie_segmentation.tflite" "$work/corpus/selfie.tflite"
if command -v python3 >/dev/null; then
    python3 "$(dirname "$0")/make_tflite_seed.py" "$work/corpus/small_seed.tflite"
fi
for n in 8 64 512 4096 32768 131072; do
    head -c "$n" "$det" > "$work/corpus/detector_head_$n"
done
exec "$fuzzer" "$work/corpus" -max_total_time="$secs" -seed=1 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/"

#!/usr/bin/env bash
# `panim bench`: the pipeline benchmark prints one valid JSON object with the expected keys
# and plausible values (the video rows really track, the idle rows do not), exports CSV;
# --tune --write-config writes a config that `panim config check` and `panim live --config`
# accept and that holds the chosen settings; `panim bench nn` runs the bench_nn executable
# beside panim (exit 77 when it is not built), and a panim without it says how to build it.
set -u
B=${1:?usage: bench.sh BUILD_DIR}
P=$B/panim
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
[ -f "${PA_MODELS_DIR:-models}/astronaut.png" ] || { echo "SKIP: astronaut.png missing"; exit 77; }

# 1. The matrix: 640x480 and 1280x720, idle and video, as JSON and CSV.
"$P" bench pipeline --duration 2 --json --csv "$T/rows.csv" >"$T/b.json" 2>"$T/b.err" ||
    fail "bench pipeline failed: $(cat "$T/b.err")"
python3 - "$T/b.json" "$T/rows.csv" <<'PY' || fail "bad JSON/CSV: $(cat "$T/b.err")"
import csv, json, sys
d = json.load(open(sys.argv[1]))
for k in ("machine", "rows", "warmup_s", "duration_s", "portrait", "interrupted"):
    assert k in d, f"missing key {k}"
assert d["machine"]["cores"] >= 1 and d["machine"]["cpu"], d["machine"]
keys = ("width", "height", "driver", "target_fps", "fps_in", "fps_out", "track_p50_ms",
        "track_p95_ms", "anim_p50_ms", "anim_p95_ms", "latency_p50_ms", "latency_p95_ms",
        "latency_max_ms", "dropped", "cpu_percent", "rss_mib", "track_threads", "anim_threads",
        "crop_size", "meets_fps", "meets_cpu", "meets_latency", "max_gap_ms", "failed")
rows = d["rows"]
drivers = sorted({r["driver"] for r in rows})
assert drivers in (["idle"], ["idle", "video"]), drivers
assert len(rows) == 2 * len(drivers), f"{len(rows)} rows"
assert {(r["width"], r["height"]) for r in rows} == {(640, 480), (1280, 720)}
for r in rows:
    for k in keys:
        assert k in r, f"row lacks {k}"
    assert not r["failed"], r
    assert r["frames_out"] > 0 and r["fps_out"] > 0, r
    assert r["anim_p50_ms"] > 0, r
    assert 0 < r["latency_p50_ms"] <= r["latency_p95_ms"] <= r["latency_max_ms"], r
    assert 0 < r["cpu_percent"] <= 100.5, r
    assert r["rss_mib"] > 10, r
    assert abs(r["window_s"] - 2) < 0.5, r
    assert r["target_fps"] == (60 if r["driver"] == "idle" else 30), r
for size in ((640, 480), (1280, 720)):
    by = {r["driver"]: r for r in rows if (r["width"], r["height"]) == size}
    if "video" in by:  # the tracker runs on video frames only
        assert by["video"]["track_p50_ms"] > 5 * max(by["idle"]["track_p50_ms"], 0.05), by
c = list(csv.DictReader(open(sys.argv[2])))
assert len(c) == len(rows), f"CSV has {len(c)} rows"
assert float(c[0]["fps_out"]) == round(rows[0]["fps_out"], 2), (c[0]["fps_out"], rows[0]["fps_out"])
print("rows:", ", ".join(f'{r["width"]}x{r["height"]} {r["driver"]} {r["fps_out"]:.1f} fps'
                        for r in rows))
PY
echo "ok: bench pipeline --json --csv"

# 2. --tune --write-config: the file loads and holds the chosen split and crop size.
"$P" bench pipeline --tune --size 320x240 --duration 1 --warmup 0.5 --json \
    --write-config "$T/tuned.yaml" >"$T/t.json" 2>"$T/t.err" ||
    fail "tune failed: $(cat "$T/t.err")"
"$P" config check "$T/tuned.yaml" >/dev/null 2>"$T/check.err" ||
    fail "config check refused it: $(cat "$T/check.err")"
"$P" config dump --config "$T/tuned.yaml" >"$T/dump.yaml" 2>&1 || fail "config dump failed"
python3 - "$T/t.json" "$T/dump.yaml" "$T/tuned.yaml" <<'PY' || fail "tuned config does not match"
import json, os, sys
t = json.load(open(sys.argv[1]))
best = t["tune"]
cores = t["machine"]["cores"]
assert best["config"] == sys.argv[3], best
splits = {(r["track_threads"], r["anim_threads"]) for r in t["rows"]}
assert all(a + b <= cores for a, b in splits), splits
assert {r["crop_size"] for r in t["rows"]} == {384, 512}, t["rows"]
dump = open(sys.argv[2]).read()
sections, cur = {}, None
for line in dump.splitlines():
    if line and not line.startswith((" ", "#")):
        cur = line.rstrip(":")
    elif line.startswith("  ") and not line.lstrip().startswith("#") and ":" in line:
        k, v = line.strip().split(":", 1)
        sections[(cur, k)] = v.strip()
assert sections[("track", "threads")] == str(best["track_threads"]), sections[("track", "threads")]
assert sections[("animate", "threads")] == str(best["anim_threads"])
assert sections[("animate", "crop_size")] == str(best["crop_size"])
assert sections[("output", "size")] == "320x240", sections[("output", "size")]
print(f'tuned: track {best["track_threads"]}, anim {best["anim_threads"]}, '
      f'crop {best["crop_size"]}')
PY
"$P" live --config "$T/tuned.yaml" -o null --duration 1 --status 0 >"$T/live.log" 2>&1 ||
    fail "panim live --config refused it: $(cat "$T/live.log")"
echo "ok: --tune --write-config"

# 3. A panim without the bench executables beside it says how to build them.
mkdir "$T/lonely"
cp "$P" "$T/lonely/panim"
if "$T/lonely/panim" bench nn >/dev/null 2>"$T/lonely.err"; then fail "missing bench_nn ran"; fi
grep -q "bench_nn not built: cmake --build --preset release" "$T/lonely.err" ||
    fail "unclear message: $(cat "$T/lonely.err")"
echo "ok: missing bench_nn reported"

# 4. panim bench nn --json runs bench_nn (a short run; the arguments pass through).
[ -x "$B/bench_nn" ] || { echo "SKIP: bench_nn not built"; exit 77; }
"$P" bench nn --json --runs 1 --warmup 0 --backend xnnpack >"$T/nn.json" 2>"$T/nn.err" ||
    "$P" bench nn --json --runs 1 --warmup 0 --backend ref >"$T/nn.json" 2>"$T/nn.err" ||
    fail "bench nn failed: $(cat "$T/nn.err")"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["models"] and all("median_ms" in m for m in d["models"]), d
print("bench_nn:", len(d["models"]), "rows")' "$T/nn.json" ||
    fail "bench nn JSON: $(head -c 300 "$T/nn.json")"
echo "ok: bench nn --json"
echo "4 passed, 0 failed"

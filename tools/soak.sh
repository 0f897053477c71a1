#!/usr/bin/env bash
# Soak test of `panim live`: the idle driver into every output that works on this machine
# (file:, mjpeg: with a real HTTP client reading the stream all along, and window: under
# Xvfb when it is installed) for SECONDS (default 3600), then a verdict on memory growth.
#
#   tools/soak.sh [SECONDS] [BUILD_DIR]        (BUILD_DIR default: build; or PANIM=path)
#
# RSS comes from --metrics-csv (one row a second), sampled every 10 s (every second in runs
# under 100 s, which would have too few samples otherwise); growth is the slope
# of a least-squares line through the samples after the warm-up (the first minute; a
# quarter of the run for runs under 4 minutes), in MiB per hour. Also reported: frames out,
# dropped frames, the longest pause between two frames, frames the HTTP client received.
#
# Exit 0 when the run succeeded and RSS grew by at most PA_SOAK_MAX_GROWTH MiB/hour (20),
# 1 otherwise, 77 when the build or the portrait is missing.
# Other knobs (environment): PA_SOAK_FPS (idle rate, 30), PA_SOAK_SIZE (WxH, the
# portrait's size), PA_SOAK_DIR (keep logs, metrics and the recording there),
# PA_SOAK_WINDOW=0 (no window output), PA_SOAK_MIN_GROWTH_MIB (0.5: a fitted rise smaller
# than this over the fit window is allocator noise, not a leak; short runs need it).
set -u
SECS=${1:-3600}
case $SECS in '' | *[!0-9]*) echo "usage: tools/soak.sh [SECONDS] [BUILD_DIR]" >&2; exit 2 ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${2:-$ROOT/build}
P=${PANIM:-$B/panim}
[ -x "$P" ] || { echo "SKIP: $P not built (cmake --build --preset release)"; exit 77; }
CONF=$(dirname "$P")/pa_config.h
have() { grep -q "define PA_HAVE_$1 1" "$CONF" 2>/dev/null; }
portrait=${PA_MODELS_DIR:-$ROOT/models}/astronaut.png
[ -f "$portrait" ] || { echo "SKIP: $portrait missing (panim models install)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
FPS=${PA_SOAK_FPS:-30}
MAX_GROWTH=${PA_SOAK_MAX_GROWTH:-20}
MIN_RISE=${PA_SOAK_MIN_GROWTH_MIB:-0.5}

if [ -n "${PA_SOAK_DIR:-}" ]; then
    T=$PA_SOAK_DIR; mkdir -p "$T"; KEEP=1
else
    T=$(mktemp -d); KEEP=0
fi
LPID= ; XPID= ; CPID=
cleanup() {
    for p in $LPID $CPID $XPID; do kill "$p" 2>/dev/null; done
    [ "$KEEP" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

outs=() ; names=()
if have FFMPEG; then outs+=(--output "file:$T/soak.mp4"); names+=(file); fi
port=
if have MICROHTTPD && command -v curl >/dev/null; then
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
    outs+=(--output "mjpeg:$port"); names+=(mjpeg+curl)
fi
if [ "${PA_SOAK_WINDOW:-1}" != 0 ] && have SDL2 && command -v Xvfb >/dev/null; then
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$T/display" 2>/dev/null &
    XPID=$!
    for _ in $(seq 50); do [ -s "$T/display" ] && break; sleep 0.1; done
    D=$(tr -d '[:space:]' <"$T/display")
    if [ -n "$D" ]; then
        export DISPLAY=:$D
        outs+=(--output window); names+=(window)
    else
        echo "note: Xvfb did not start; no window output"
    fi
fi
if [ ${#outs[@]} = 0 ]; then
    echo "SKIP: no output backend to soak (FFmpeg, microhttpd, SDL2)"
    exit 77
fi
size=()
[ -n "${PA_SOAK_SIZE:-}" ] && size=(--size "$PA_SOAK_SIZE")

echo "soak: $SECS s, idle driver at $FPS fps -> ${names[*]}; $P"
"$P" live -s "$portrait" -d idle --fps "$FPS" "${size[@]}" "${outs[@]}" --realtime \
    --duration "$SECS" --status 60 --metrics-csv "$T/metrics.csv" >"$T/live.log" 2>&1 &
LPID=$!

# The HTTP client: reads the stream for the whole run and counts the JPEG parts it gets.
if [ -n "$port" ]; then
    for _ in $(seq 100); do
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" && break
        kill -0 $LPID 2>/dev/null || break
        sleep 0.1
    done
    ( curl -s -N --max-time $((SECS + 30)) "http://127.0.0.1:$port/stream" |
        python3 -c '
import sys
key, n, tail = b"Content-Type: image/jpeg", 0, b""
while True:
    chunk = sys.stdin.buffer.read(65536)
    if not chunk:
        break
    buf = tail + chunk
    n += buf.count(key)
    tail = buf[-(len(key) - 1):]  # too short to hold a whole match: none is counted twice
print(n)' >"$T/client.txt" ) &
    CPID=$!
fi

wait $LPID
rc=$?
LPID=
[ -n "$CPID" ] && { wait $CPID; CPID=; }
[ -n "$XPID" ] && { kill $XPID 2>/dev/null; wait $XPID 2>/dev/null; XPID=; }
client=$(cat "$T/client.txt" 2>/dev/null || echo "")
summary=$(grep '^live:.*frames out' "$T/live.log" | tail -1)
file_frames=
if [ -f "$T/soak.mp4" ] && command -v ffprobe >/dev/null; then
    file_frames=$(ffprobe -v error -select_streams v:0 -show_entries stream=nb_frames \
        -of csv=p=0 "$T/soak.mp4" 2>/dev/null)
fi

python3 - "$T/metrics.csv" "$SECS" "$rc" "$MAX_GROWTH" "$MIN_RISE" "$FPS" "${client:--}" \
    "${file_frames:--}" "$summary" <<'PY'
import csv, sys
path, secs, rc, max_growth, min_rise, fps, client, file_frames, summary = sys.argv[1:10]
secs, rc, fps = int(secs), int(rc), float(fps)
max_growth, min_rise = float(max_growth), float(min_rise)
bad = []
try:
    rows = list(csv.DictReader(open(path)))
except OSError:
    rows = []
if rc != 0:
    bad.append(f"panim live exited with {rc}")
# The last row is written after the pipeline stopped (outputs closed, memory returned).
final = rows[-1] if rows else {}
rows = rows[:-1]
if len(rows) < 3:
    bad.append(f"only {len(rows)} metrics rows")
    rows = []
# One sample every 10 s (the rows come once a second).
samples, next_t = [], 0.0
for r in rows:
    t = float(r["uptime_s"])
    if t >= next_t:
        samples.append((t, float(r["rss_mib"])))
        next_t = t + 10.0 if secs >= 100 else t + 1.0  # short runs: every second
skip = 60.0 if secs >= 240 else secs / 4.0
fit = [(t, m) for t, m in samples if t >= skip]
slope = 0.0
if len(fit) >= 3:
    n = len(fit)
    mt = sum(t for t, _ in fit) / n
    mm = sum(m for _, m in fit) / n
    var = sum((t - mt) ** 2 for t, _ in fit)
    slope = sum((t - mt) * (m - mm) for t, m in fit) / var if var > 0 else 0.0  # MiB / s
else:
    bad.append("too few RSS samples after the warm-up")
growth_h = slope * 3600.0
rise = slope * (fit[-1][0] - fit[0][0]) if len(fit) >= 2 else 0.0
frames = int(final.get("frames_out", 0) or 0)
dropped = int(final.get("dropped", 0) or 0)
gap = "?"
if "max frame gap" in summary:
    gap = summary.split("max frame gap ")[1].split(" ms")[0]
rss0 = samples[0][1] if samples else 0.0
rss1 = samples[-1][1] if samples else 0.0
elapsed = float(final.get("uptime_s", 0) or 0)
print(f"soak: {elapsed:.0f} s, {frames} frames out ({frames / max(elapsed, 1e-9):.1f} fps, "
      f"driver {fps:g}), dropped {dropped}, max frame gap {gap} ms")
print(f"soak: RSS {rss0:.1f} -> {rss1:.1f} MiB; after {skip:.0f} s: {len(fit)} samples, "
      f"growth {growth_h:+.2f} MiB/hour (fitted rise {rise:+.2f} MiB; "
      f"limit {max_growth:g} MiB/hour)")
if client != "-":
    print(f"soak: HTTP client received {client} JPEG frames")
    if int(client or 0) < max(1, frames // 4):
        bad.append(f"the MJPEG client received only {client} frames of {frames}")
if file_frames != "-":
    print(f"soak: recording has {file_frames} frames")
    if not file_frames.isdigit() or int(file_frames) == 0:
        bad.append("the recording is empty or unreadable")
if growth_h > max_growth and rise > min_rise:
    bad.append(f"RSS grows {growth_h:.1f} MiB/hour > {max_growth:g}")
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
verdict=$?
if [ $verdict != 0 ]; then
    echo "--- last lines of the live log ($T/live.log):"
    tail -20 "$T/live.log"
fi
[ "$KEEP" = 1 ] && echo "soak: logs and metrics kept in $T"
exit $verdict

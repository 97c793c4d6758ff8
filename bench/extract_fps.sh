#!/usr/bin/env bash
# End-to-end speed of `mimicry extract` against decode-only time on the same file.
#   bench/extract_fps.sh [VIDEO] [extra extract options...]
# Prints: whole-process fps (model loading included, best of 3 runs), FFmpeg decode-only
# fps (`ffmpeg -i VIDEO -f null -`, best of 3), their ratio, and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
VIDEO=${1:-../shared/media/real/2015-10-15-15-14.avi}
shift || true
BIN=${MIMICRY_BIN:-build/bin/mimicry}
[ -f "$VIDEO" ] || { echo "extract_fps: $VIDEO: no such file" >&2; exit 3; }
[ -x "$BIN" ] || { echo "extract_fps: $BIN missing: run scripts/setup.sh" >&2; exit 4; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
frames=$(ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$VIDEO")

best() { sort -g | head -n 1; }
decode=$(for i in 1 2 3; do /usr/bin/time -f "%e" ffmpeg -v error -i "$VIDEO" -f null - 2>&1 >/dev/null | tail -n 1; done | best)
runs=""
rss=0
for i in 1 2 3; do
  out=$(/usr/bin/time -f "%e %M" "$BIN" extract "$VIDEO" -o "$TMP/out.csv" -q "$@" 2>&1 >/dev/null | tail -n 1)
  runs+="${out%% *}"$'\n'
  r=${out##* }
  [ "$r" -gt "$rss" ] && rss=$r
done
total=$(printf '%s' "$runs" | best)
awk -v f="$frames" -v t="$total" -v d="$decode" -v rss="$rss" -v v="$VIDEO" 'BEGIN {
  printf "video            %s (%d frames)\n", v, f
  printf "mimicry extract  %.2f s  %.0f fps  (whole process, models loaded, best of 3)\n", t, f / t
  printf "ffmpeg decode    %.2f s  %.0f fps  (ffmpeg -i VIDEO -f null -, best of 3)\n", d, f / d
  printf "ratio            %.1fx decode-only time\n", t / d
  printf "peak RSS         %.0f MiB\n", rss / 1024
}'

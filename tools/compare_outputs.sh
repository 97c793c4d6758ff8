#!/usr/bin/env bash
# Regression check for refactors: runs the same commands with two mimicry binaries on the
# shared clips (../shared/media) and synth sets, then diffs every output, ignoring what
# changes run to run (wall_s, command_line, measured_fps, model mtimes, the output paths).
#
#   tools/compare_outputs.sh OLD_BIN NEW_BIN [WORK_DIR]
#
# Build the old binary from the commit before the change (e.g. a git worktree). Prints each
# differing file and exits 1 when any differs (a deliberate change must be explained).
set -euo pipefail
OLD=$(realpath "$1"); NEW=$(realpath "$2"); W=${3:-$(mktemp -d)}
S=$(realpath "$(dirname "$0")/../../shared/media")
[ -d "$S" ] || { echo "compare_outputs: ../shared/media not found" >&2; exit 2; }
run() {  # BIN OUT
  local B=$1 O=$2
  rm -rf "$O"; mkdir -p "$O"
  $B extract "$S/real/2015-10-15-15-14.avi" -o "$O/e1.csv" -q --motion-energy
  $B extract "$S/real/multi_face.avi" -o "$O/e2.csv" -q
  $B analyze "$S/real/2015-10-15-15-14.avi" "$S/real/multi_face.avi" -o "$O/an2" -q --surrogates 100
  $B analyze "$S/real/multi_face.avi" -o "$O/an1" -q --surrogates 100
  $B analyze --series-rate 25 "$S/rmea/100_01.txt" -o "$O/rm" -q --rmea --surrogates 100
  $B micro "$S/real/2015-10-15-15-14.avi" -o "$O/micro.csv" -q
  echo "session,participant,file,group" > "$O/s.csv"
  for k in 1 2 3 4; do
    $B synth --preset dyad --features-only 0.3 -o "$O/d$k" -q --duration 90 --seed $k
    $B synth --preset null --features-only 0.3 -o "$O/n$k" -q --duration 90 --seed $((k + 10))
    printf 'd%s,A,%s,dyad\nd%s,B,%s,dyad\nn%s,A,%s,null\nn%s,B,%s,null\n' $k "$O/d$k/A.csv" $k "$O/d$k/B.csv" $k "$O/n$k/A.csv" $k "$O/n$k/B.csv" >> "$O/s.csv"
  done
  $B analyze "$O/d1/A.csv" "$O/d1/B.csv" -o "$O/and" -q --surrogates 200
  $B analyze --sessions "$O/s.csv" -o "$O/ses" -q --surrogates 99
  printf 'session,participant,file,column,group\np1,pat,%s,1,a\np1,th,%s,2,a\np2,pat,%s,1,b\np2,th,%s,2,b\n' \
    "$S/rmea/100_01.txt" "$S/rmea/100_01.txt" "$S/rmea/200_01.txt" "$S/rmea/200_01.txt" > "$O/r.csv"
  $B analyze --sessions "$O/r.csv" --series-rate 25 --rmea -o "$O/rses" -q --surrogates 99
  $B synth --preset audience --features-only 0.3 -o "$O/aud" -q --duration 60 --viewers 12 --seed 4
  # The manifest plus a continuous and a binary outcome (the outcome models run).
  awk -F, 'NR == 1 {print $0 ",score,bought"; next} {printf "%s,%.1f,%d\n", $0, (1.5 * (NR - 2)) % 7 + 0.3, (NR - 2) % 2}' \
    "$O/aud/manifest.csv" > "$O/aud/manifest2.csv"
  $B audience --stimulus "$O/aud/stimulus.csv" --manifest "$O/aud/manifest2.csv" -o "$O/auo" -q --surrogates 100 --permutations 200
  printf 'viewer_id,file,offset_s,group,score\nv1,%s,0,a,1\nv2,%s,0,b,2\nv3,%s,1,a,3\n' "$S/openface/multi_face_multi.csv" \
    "$S/openface/multi_face_single.csv" "$S/openface/2015-10-15-15-14.csv" > "$O/ofman.csv"
  $B audience --stimulus "$S/openface/2015-10-15-15-14.csv" --manifest "$O/ofman.csv" -o "$O/auof" -q --surrogates 100
}
run "$OLD" "$W/old"
run "$NEW" "$W/new"
/usr/bin/env python3 - "$W/old" "$W/new" <<'PY'
import filecmp, json, os, sys
a, b = sys.argv[1], sys.argv[2]
VOLATILE = {"wall_s", "command_line", "measured_fps", "mtime", "fps"}
def strip(x):
    if isinstance(x, dict): return {k: strip(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list): return [strip(v) for v in x]
    if isinstance(x, str): return x.replace(a, "@").replace(b, "@")
    return x
bad = 0
for root, _, files in os.walk(a):
    for f in files:
        pa = os.path.join(root, f); pb = b + pa[len(a):]
        if f.endswith(".html"): continue  # embeds the JSON compared here, plus the chart library
        if not os.path.exists(pb): print("missing", pb); bad += 1; continue
        if f.endswith(".json"):
            same = strip(json.load(open(pa))) == strip(json.load(open(pb)))
        else:
            same = filecmp.cmp(pa, pb, shallow=False) or \
                open(pa, errors="replace").read().replace(a, "@") == open(pb, errors="replace").read().replace(b, "@")
        if not same: print("differs", pa[len(a) + 1:]); bad += 1
print(f"compare_outputs: {bad} file(s) differ")
sys.exit(1 if bad else 0)
PY

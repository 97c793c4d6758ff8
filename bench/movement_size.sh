#!/usr/bin/env bash
# Size of analyze's synchrony and leader tests on real movement series: pseudo-pairs of
# the two shared rMEA dyads (the patient of one session with the therapist of the other,
# segment by segment), which are independent by construction. Prints, per segment length,
# the share of pairs with p < 0.05 (should be 2-8%).
#   bench/movement_size.sh [LENGTHS_S...]   (default: 30 60 120 300)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${MIMICRY_BIN:-build/bin/mimicry}
RMEA=${RMEA_DIR:-../shared/media/rmea}
PY=/usr/bin/python3
[ -x "$BIN" ] || { echo "movement_size: $BIN missing: run scripts/setup.sh" >&2; exit 4; }
[ -f "$RMEA/200_01.txt" ] || { echo "movement_size: $RMEA/200_01.txt missing" >&2; exit 3; }
LENGTHS=${*:-30 60 120 300}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for L in $LENGTHS; do
  "$PY" - "$RMEA" "$TMP/$L" "$L" <<'PY'
import os, sys
src, out, L = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
def read(f):
    rows = [l.split() for l in open(os.path.join(src, f)).read().splitlines()[1:] if l.strip()]
    return [float(r[0]) for r in rows], [float(r[1]) for r in rows]
n = L * 25
for name in ("200_01", "100_01"):
    pat, th = read(name + ".txt")
    for k in range(len(pat) // n):
        for role, s in (("pat", pat), ("th", th)):
            with open(f"{out}/{name}_{role}_{k}.csv", "w") as f:
                f.write("timestamp,me\n")
                for i in range(n):
                    f.write(f"{i / 25:.2f},{s[k * n + i]}\n")
PY
  total=0; sync_rej=0; lead_rej=0
  for a in "$TMP/$L"/200_01_pat_*.csv "$TMP/$L"/100_01_pat_*.csv; do
    other=100_01; [[ $a == *100_01_pat* ]] && other=200_01
    for b in "$TMP/$L"/${other}_th_*.csv; do
      "$BIN" analyze "$a" "$b" --series --surrogates 199 --seed $((total + 1)) --no-report -q -o "$TMP/out" || exit 1
      read -r ps pl < <("$PY" -c "import json; p=json.load(open('$TMP/out/summary.json'))['pairs'][0]; print(p['synchrony']['p'], p['leader']['p'])")
      total=$((total + 1))
      "$PY" -c "import sys; sys.exit(0 if float('$ps') < 0.05 else 1)" 2>/dev/null && sync_rej=$((sync_rej + 1))
      "$PY" -c "import sys; sys.exit(0 if float('$pl') < 0.05 else 1)" 2>/dev/null && lead_rej=$((lead_rej + 1))
    done
  done
  awk -v L="$L" -v n="$total" -v s="$sync_rej" -v l="$lead_rej" 'BEGIN {
    printf "segments %4d s: %3d pseudo-pairs, synchrony p < 0.05 in %5.1f%%, leader p < 0.05 in %5.1f%%\n", L, n, 100 * s / n, 100 * l / n }'
done

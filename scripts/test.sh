#!/usr/bin/env bash
# Set-up, then the whole test suite (CTest). Tests that need ../shared skip when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The report's browser test: Debian's Chromium, driven by playwright-core from npm (which
# must not download a browser of its own).
BUILD=${MIMICRY_BUILD_DIR:-build}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
if ! command -v chromium >/dev/null; then
  echo "test: installing chromium"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# strace: the test that no run reads back a file it wrote (Analyze.NoOwnFileIsReadBack...).
if ! command -v strace >/dev/null; then
  echo "test: installing strace"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends strace >/dev/null
fi
if [ ! -d "$BUILD/node/node_modules/playwright-core" ]; then
  echo "test: installing playwright-core (npm)"
  mkdir -p "$BUILD/node"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --prefix "$BUILD/node" --no-audit --no-fund playwright-core@1.65.1 >/dev/null
fi
ctest --test-dir "${MIMICRY_BUILD_DIR:-build}" --output-on-failure -j 2

#!/usr/bin/env bash
# Set-up, then the whole test suite (CTest). Tests that need ../shared skip when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir "${MIMICRY_BUILD_DIR:-build}" --output-on-failure -j 2

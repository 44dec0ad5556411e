#!/usr/bin/env bash
# The whole test suite: install, build with warnings as errors, run every
# CTest test (unit, cpu, devices, boot). Exit status 0 only if all pass.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DBRISK_WERROR=ON
cd build
ctest --output-on-failure -j"$(nproc)" "$@"

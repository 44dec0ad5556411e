#!/usr/bin/env bash
# The whole test suite: install, build with warnings as errors, build the
# Linux guest (Debian i386 packages: downloaded once, ~60 MB), run every
# CTest test (unit, cpu, devices, boot, linux). Exit status 0 only if all
# pass. Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DBRISK_WERROR=ON
scripts/build-linux-guest.sh build/guest
cd build
ctest --output-on-failure -j"$(nproc)" "$@"

#!/usr/bin/env bash
# Configures and builds Brisk into build/ (Release). Extra arguments go to
# the CMake configure step, e.g. scripts/build.sh -DBRISK_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"

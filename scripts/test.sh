#!/usr/bin/env bash
# The whole test suite: install, build with warnings as errors, build the
# Linux guest (Debian i386 packages: downloaded once, ~60 MB), run every
# CTest test (unit, cpu, devices, boot, linux). Exit status 0 only if all
# pass. Extra arguments go to ctest (e.g. -L unit).
#
# If the guest cannot be built (no network on the first run), the rest of
# the suite still runs; the Linux tests then fail saying what is missing,
# and so does this script.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DBRISK_WERROR=ON
guest=0
scripts/build-linux-guest.sh build/guest || guest=$?
if [ "$guest" -ne 0 ]; then
    echo "test: building the Linux guest failed (status $guest); running the rest of the suite" >&2
fi
cd build
status=0
ctest --output-on-failure -j"$(nproc)" "$@" || status=$?
if [ "$guest" -ne 0 ] && [ "$status" -eq 0 ]; then status=1; fi
exit "$status"

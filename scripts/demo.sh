#!/usr/bin/env bash
# The main job: install, build, and boot the default guest with its serial
# console on this terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/frontends/brisk -bios build/tests/guests/demo.bin -display none -serial stdio

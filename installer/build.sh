#!/usr/bin/env bash
# Installs what is missing, then configures and builds everything with the given CMake preset
# (default: ci, warnings as errors). Both README commands start here, so one build serves both.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-ci}"

./installer/install-build-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --parallel "$(nproc)"

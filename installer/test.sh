#!/usr/bin/env bash
# README's test command: builds everything (installing missing packages first) and runs every
# test suite through ctest: unit (messaging, agent, spine-mock) and integration (real processes).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-ci}"

./installer/build.sh "$preset"
ctest --preset "$preset" "${@:2}"

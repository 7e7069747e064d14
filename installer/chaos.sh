#!/usr/bin/env bash
# The crash campaign (docs/reliability.md, "Crash campaign"): builds gp-agent, spine-mock and the
# campaign, then kills the agents and spine-mock under mixed traffic and checks that nothing was
# lost or processed twice.
#
#   installer/chaos.sh                 the short campaign, as ctest runs it (100 kills, fixed seed)
#   installer/chaos.sh --long          the long campaign: 1,000 kills, a fresh seed (printed)
#   installer/chaos.sh --long --seed N repeat a campaign exactly as scheduled
#   installer/chaos.sh --kills 200     any other size; every flag after --long goes to the program
#
# GP_CHAOS_BUILD=DIR uses an existing build directory instead of building the ci preset.
set -euo pipefail
cd "$(dirname "$0")/.."

args=(--seed 20261121 --kills 100 --drain-seconds 120)
if [ "${1:-}" = "--long" ]; then
  shift
  args=(--kills 1000 --drain-seconds 300)
fi

build="${GP_CHAOS_BUILD:-}"
if [ -z "$build" ]; then
  ./installer/install-build-deps.sh
  cmake --preset ci >/dev/null
  build=build/ci
fi
cmake --build "$build" --parallel "$(nproc)" --target chaos-campaign gp-agent gp-agentctl spine-mock

# Later flags win, so "--long --seed N" keeps the long size with the chosen seed.
exec "$build/tests/chaos/chaos-campaign" "${args[@]}" "$@"

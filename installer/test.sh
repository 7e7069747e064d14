#!/usr/bin/env bash
# README's test command: builds everything (installing missing packages first) and runs every
# test suite through ctest: unit (messaging, agent, spine-mock), integration (real processes)
# and the rest by label. Then the same unit and integration tests once more under AddressSanitizer
# and UndefinedBehaviorSanitizer (issue #5: at least once per run). Set GP_SKIP_SANITIZERS=1 to
# skip that second pass while iterating locally.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-ci}"

./installer/build.sh "$preset"
ctest --preset "$preset" "${@:2}"
./installer/fuzz.sh 8 # every libFuzzer target for 8 s: about 3.5 min with the build (reliability.md)

if [ "${GP_SKIP_SANITIZERS:-0}" != 1 ]; then
  ./installer/build.sh asan
  reports=build/asan/sanitizer-reports
  rm -rf "$reports" && mkdir -p "$reports"
  # agent-pg: PgStore's own threads (group commit, LISTEN, the workflow lead) under the sanitizers
  # too; ctest starts the PostgreSQL test server for it. integration-pg stays out: it would
  # double the longest part of this pass for code the agent-pg run already covers.
  ctest --preset asan -L "^(messaging|agent|agent-pg|spine-mock|integration)$"
  # Child processes (gp-agent, spine-mock) report into files; any report fails the run.
  if compgen -G "$reports/*" >/dev/null; then
    echo "sanitizer reports from child processes:" >&2
    head -n 60 "$reports"/* >&2
    exit 1
  fi
fi

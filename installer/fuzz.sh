#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset "fuzz": clang, AddressSanitizer and UBSan) and runs
# each for SECONDS_PER_TARGET seconds (default 15) from the seed corpus of our own test vectors
# (tests/fuzz/make-corpus.sh). Fails on the first crash, leak, timeout or out-of-memory, leaving
# the input under build/fuzz/crashes/. Prints executions and executions per second per target.
#
#   installer/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# GP_FUZZ_BUILD_DIR=<dir> runs the targets already built there instead (e.g. the UBSan-only build
# used for the long run in docs/reliability.md); the corpus each target grows is kept under
# <dir>/corpus/<target>, so a later run starts where the last one stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-15}"
shift || true

if [ -z "${GP_FUZZ_BUILD_DIR:-}" ]; then
  ./installer/install-build-deps.sh
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --parallel "$(nproc)"
  build=build/fuzz
else
  build="$GP_FUZZ_BUILD_DIR"
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_mime fuzz_ebxml fuzz_ebxml_message fuzz_outcome fuzz_hl7_ack fuzz_gp2gp_request
    fuzz_extract fuzz_copc fuzz_attachment_description fuzz_eps_cancel_response fuzz_ers_json
    fuzz_api_json)
fi

# Seeds are made afresh for each run (two runs may share a build directory).
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
seeds="$scratch/seeds"
tests/fuzz/make-corpus.sh "$seeds"
mkdir -p "$build/crashes" "$build/logs"
cat tests/fuzz/dict/mime.dict tests/fuzz/dict/xml.dict >"$scratch/mime-xml.dict"

dictionary_for() {
  case "$1" in
  fuzz_mime | fuzz_ebxml_message | fuzz_copc | fuzz_outcome) echo "$scratch/mime-xml.dict" ;;
  fuzz_api_json | fuzz_ers_json) echo tests/fuzz/dict/json.dict ;;
  *) echo tests/fuzz/dict/xml.dict ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

printf '%-28s %12s %9s %8s  %s\n' target executions exec/s seconds result
failed=0
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  log="$build/logs/$target.log"
  mkdir -p "$corpus"
  status=0
  # -timeout: one input taking 10 s is a hang worth failing on; -rss_limit_mb: a parser that
  # balloons on a small input is a bug too. New inputs go to $corpus; the seeds are read only.
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -dict="$(dictionary_for "$target")" \
    -artifact_prefix="$build/crashes/$target-" "$corpus" "$seeds/$target" >"$log" 2>&1 ||
    status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  result=ok
  if [ "$status" -ne 0 ]; then
    result="FAILED (exit $status; see $log and $build/crashes/)"
    failed=1
  fi
  printf '%-28s %12s %9s %8s  %s\n' "$target" "${runs:-?}" "${rate:-?}" "${elapsed:-?}" "$result"
done

if [ "$failed" -ne 0 ]; then
  echo "fuzz: a target crashed; reproduce with <target> <crash file>" >&2
  exit 1
fi

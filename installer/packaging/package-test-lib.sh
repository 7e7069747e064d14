# shellcheck shell=bash disable=SC2034
# Shared by the package tests (sourced): the arguments, failing and skipping, finding a built
# package, polling. Every test script is called as
#   SCRIPT STEP BUILD_DIR PACKAGES_DIR VERSION
# and exits 77 (ctest: skipped) when a tool it needs, or root, is missing.
set -euo pipefail

step=$1
build=$(cd "$2" && pwd)
mkdir -p "$3"
packages=$(cd "$3" && pwd)
version=$4
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
arch=$(dpkg --print-architecture)

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
skip() {
  echo "SKIPPED: $*" >&2
  exit 77
}
need_tool() { command -v "$1" >/dev/null || skip "$1 is not installed ($2)"; }

deb() { # deb DIR PACKAGE: the one package file
  local file
  file="$packages/$1/$2_$(package_version "$1")_${arch}.deb"
  [ -f "$file" ] || fail "no package $file (did the build step run?)"
  echo "$file"
}
package_version() { if [ "$1" = upgrade ]; then echo "$version+1"; else echo "$version"; fi; }

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "timed out waiting for $what"
    sleep 0.1
  done
}


#!/usr/bin/env bash
# Fails, naming the files, when any C++ source differs from what .clang-format asks for.
# Fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find agent messaging spine-mock tests tray -name '*.[ch]pp')
clang-format --dry-run --Werror "${files[@]}"
echo "format: ${#files[@]} files match .clang-format"

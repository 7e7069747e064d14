#!/usr/bin/env bash
# Fails, naming the files, when any C++ source differs from what .clang-format asks for.
# Fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
# Tracked and new (not ignored) sources that exist in the work tree.
mapfile -t files < <(
  { git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' 2>/dev/null ||
    find agent messaging spine-mock tests tray -name '*.[ch]pp'; } |
  while read -r file; do [ -f "$file" ] && echo "$file"; done | sort -u
)
clang-format --dry-run --Werror "${files[@]}"
echo "format: ${#files[@]} files match .clang-format"
